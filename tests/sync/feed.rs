//! The change feed and the idempotency extras over HTTP (`sync.md` §2–3).

use customer_desk::model::{Actor, FeedPage, Rights};
use serde_json::{Value, json};

use crate::http_support::{PASSWORD, TestServer};

fn admin() -> Actor {
    Actor::new("office", Rights::admin())
}

async fn token(server: &TestServer) -> String {
    let user = server.add_user(Rights::admin());
    let answer: Value = reqwest::Client::new()
        .post(server.url("/api/auth"))
        .json(&json!({"userName": user, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["tokenId"].as_str().unwrap().to_owned()
}

async fn get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn page(server: &TestServer, token: &str, query: &str) -> FeedPage {
    let (status, body) = get(server, token, &format!("/sync/customers?{query}")).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn the_feed_lists_each_customer_once_in_its_latest_state_with_tombstones() {
    let server = TestServer::start(chrono::Utc::now()).await;
    let api = server.auth.api();
    let ids: Vec<String> = (0..5)
        .map(|n| {
            api.create(&admin(), &json!({"firstName": format!("F{n}")}))
                .unwrap()
                .id
        })
        .collect();
    let token = token(&server).await;

    let first = page(&server, &token, "limit=3").await;
    assert_eq!(first.items.len(), 3);
    assert_eq!(first.remaining, 2);
    let rest = page(&server, &token, &format!("since={}", first.cursor)).await;
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.remaining, 0);
    let seqs: Vec<i64> = first
        .items
        .iter()
        .chain(&rest.items)
        .map(|i| i.seq)
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");

    // An edit and a delete move those customers to the end, once each.
    let mut body = serde_json::to_value(api.get(&admin(), &ids[0]).unwrap()).unwrap();
    body["note"] = json!("changed");
    api.upsert(&admin(), &ids[0], &body).unwrap();
    api.delete(&admin(), &ids[1]).unwrap();
    let changes = page(&server, &token, &format!("since={}", rest.cursor)).await;
    assert_eq!(changes.items.len(), 2);
    assert_eq!(changes.items[0].id, ids[0]);
    assert_eq!(changes.items[0].version, 2);
    assert_eq!(
        changes.items[0].customer.as_ref().unwrap().note.as_deref(),
        Some("changed")
    );
    assert_eq!(changes.items[1].id, ids[1]);
    assert!(changes.items[1].deleted);
    assert!(changes.items[1].customer.is_none());
    assert_eq!(changes.items[1].version, 1);
    let everything = page(&server, &token, "").await;
    assert_eq!(
        everything.items.len(),
        5,
        "each id once, the tombstone included"
    );
    // Counted from either end of the feed, "remaining" is the same.
    for n in 0..10 {
        let mut body = serde_json::to_value(api.get(&admin(), &ids[0]).unwrap()).unwrap();
        body["note"] = json!(format!("again {n}"));
        api.upsert(&admin(), &ids[0], &body).unwrap();
    }
    for limit in 1..5 {
        let first = page(&server, &token, &format!("limit={limit}")).await;
        assert_eq!(first.remaining, 5 - limit as u64, "limit {limit}");
    }
}

#[tokio::test]
async fn a_cursor_of_another_history_is_gone_and_bad_parameters_are_named() {
    let server = TestServer::start(chrono::Utc::now()).await;
    server
        .auth
        .api()
        .create(&admin(), &json!({"lastName": "A"}))
        .unwrap();
    let token = token(&server).await;
    let now = page(&server, &token, "").await;
    let (status, problem) = get(
        &server,
        &token,
        "/sync/customers?since=0123456789abcdef01234567.1",
    )
    .await;
    assert_eq!(status, 410);
    assert_eq!(problem["errorCode"], 7);
    let ahead = format!("{}.999", now.server_id);
    let (status, _) = get(&server, &token, &format!("/sync/customers?since={ahead}")).await;
    assert_eq!(status, 410, "a server that went back in time");
    for (query, member) in [
        ("limit=0", "limit"),
        ("limit=5001", "limit"),
        ("wait=31", "wait"),
        ("since=nonsense", "since"),
    ] {
        let (status, problem) = get(&server, &token, &format!("/sync/customers?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(
            problem["errors"][0]["memberName"], member,
            "{query}: {problem}"
        );
    }
    let (status, _) = reqwest::Client::new()
        .get(server.url("/sync/customers"))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 401, "the feed needs a signed-in user");
}

#[tokio::test]
async fn a_long_poll_returns_as_soon_as_a_change_comes() {
    let server = TestServer::start(chrono::Utc::now()).await;
    let token = token(&server).await;
    let head = page(&server, &token, "").await;
    let api = server.auth.api().clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        api.create(&admin(), &json!({"lastName": "Late"})).unwrap();
    });
    let started = std::time::Instant::now();
    let waited = page(&server, &token, &format!("since={}&wait=10", head.cursor)).await;
    assert_eq!(waited.items.len(), 1);
    assert!(
        started.elapsed().as_secs_f64() < 3.0,
        "{:?}",
        started.elapsed()
    );
    writer.await.unwrap();
    let started = std::time::Instant::now();
    let quiet = page(&server, &token, &format!("since={}&wait=1", waited.cursor)).await;
    assert!(quiet.items.is_empty());
    assert!(started.elapsed().as_secs_f64() >= 0.9);
}

#[tokio::test]
async fn demo_customers_are_in_the_feed_too() {
    let server = TestServer::start(chrono::Utc::now()).await;
    customer_desk::demo::load(server.auth.api(), 120, 3, &mut |_| true).unwrap();
    let token = token(&server).await;
    let all = page(&server, &token, "").await;
    assert_eq!(all.items.len(), 120);
}

#[tokio::test]
async fn an_idempotency_key_answers_a_repeat_once_and_refuses_another_request() {
    let server = TestServer::start(chrono::Utc::now()).await;
    let token = token(&server).await;
    let client = reqwest::Client::new();
    let send = |body: Value, key: &'static str| {
        client
            .post(server.url("/customers"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let body = json!({"id": "aaaaaaaaaaaaaaaaaaaaaaaa", "lastName": "Once"});
    let first = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(body.clone(), "k-1").await.unwrap();
    assert_eq!(
        again.status().as_u16(),
        201,
        "the first answer again, not a 400 Unique"
    );
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let other = send(json!({"lastName": "Other"}), "k-1").await.unwrap();
    assert_eq!(other.status().as_u16(), 422);
    assert_eq!(
        server
            .auth
            .api()
            .list(&admin(), &customer_desk::ndata::ListParams::new())
            .unwrap()
            .total_count,
        1
    );

    // A delete at a version that is not the stored one is refused.
    let stale = client
        .delete(server.url("/customers/aaaaaaaaaaaaaaaaaaaaaaaa?_v=7"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status().as_u16(), 409);
    let right = client
        .delete(server.url("/customers/aaaaaaaaaaaaaaaaaaaaaaaa?_v=1"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 200);
}

#[tokio::test]
async fn a_portos_compatible_server_has_no_feed() {
    let server = TestServer::start_portos(chrono::Utc::now()).await;
    let token = token(&server).await;
    let (status, _) = get(&server, &token, "/sync/customers").await;
    assert_eq!(status, 404);
}
