//! A stored customer that cannot be read (issue 18, item 7) does not take down the pages and
//! streams that hold it: they answer without it and the page names it in a header.

use chrono::{DateTime, Utc};
use customer_desk::api::CustomersApi;
use customer_desk::model::Rights;
use serde_json::{Value, json};

use crate::damage::damage_document;
use crate::http_support::TestServer;

fn start_time() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().expect("time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_streams_answer_without_a_damaged_customer_and_name_it() {
    let server = TestServer::start(start_time()).await;
    let desk = server.session(Rights::admin()).await;
    for id in ["a", "b", "c"] {
        desk.create(&json!({"id": id, "lastName": "Poškodená"}))
            .await
            .expect("create");
    }
    damage_document(server.auth.api().store(), "b");
    let token = desk.tokens().await.token_id;
    let http = reqwest::Client::new();
    for (query, named) in [("$sort=id&$take=10", true), ("$sort=id", false)] {
        let response = http
            .get(server.url(&format!("/customers?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{query}");
        let header = response
            .headers()
            .get("x-customer-desk-damaged")
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        if named {
            assert_eq!(header.as_deref(), Some("b"), "{query}");
        }
        let body: Value = response.json().await.expect("valid JSON");
        let ids: Vec<_> = body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|c| c["id"].as_str())
            .collect();
        assert_eq!(ids, ["a", "c"], "{query}");
        assert_eq!(body["count"], 2, "{query}");
    }
    desk.delete("b")
        .await
        .expect("a damaged customer can be deleted over HTTP");
}
