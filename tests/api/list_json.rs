//! The server answers `GET /customers` with [`LocalApi::list_json`], written straight from the
//! stored documents. It must say exactly what [`LocalApi::list`] says, statuses included as
//! of the moment of the call, whatever format a document was stored in.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use customer_desk::api::LocalApi;
use customer_desk::clock::FixedClock;
use customer_desk::model::{Actor, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::store::Store;
use serde_json::{Value, json};

const QUERIES: &[&str] = &[
    "",
    "$sort=lastName",
    "$take=2&$skip=1",
    "Search=nov",
    "$count=true",
    "IsExpired=true",
    "$take=0",
];

fn both_answers(api: &LocalApi, actor: &Actor, query: &str) -> (Value, Value) {
    let params = ListParams::from_query_string(query);
    let parsed = serde_json::to_value(api.list(actor, &params).expect("list")).expect("json");
    let body = api.list_json(actor, &params).expect("list_json").body;
    let written: Value = serde_json::from_slice(&body).expect("list_json writes JSON");
    (parsed, written)
}

fn statuses(answer: &Value) -> Vec<&str> {
    answer["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["status"].as_str().expect("status"))
        .collect()
}

#[test]
fn the_written_list_says_what_the_parsed_list_says_with_statuses_as_of_now() {
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let clock = Arc::new(FixedClock::new(start));
    let api = LocalApi::new(Store::open_in_memory().expect("store"), clock.clone());
    let admin = Actor::new("admin", Rights::admin());
    let tomorrow = (start + Duration::days(1)).to_rfc3339();
    for (id, extra) in [
        ("a1", json!({})),
        ("a2", json!({"expirationTime": tomorrow})),
        ("a3", json!({"activationTime": tomorrow})),
    ] {
        let mut body = json!({"id": id, "firstName": "Jana", "lastName": format!("Nováková {id}"),
            "note": "a \"quoted\" note, with \"status\":\"Expired\" in it", "meta": {"z": 1, "a": [null]}});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        api.create(&admin, &body).expect("create");
    }

    for query in QUERIES {
        let (parsed, written) = both_answers(&api, &admin, query);
        assert_eq!(written, parsed, "{query}");
    }
    let (_, written) = both_answers(&api, &admin, "$sort=id");
    assert_eq!(statuses(&written), ["Valid", "Valid", "NotYetValid"]);

    clock.set(start + Duration::days(2));
    for query in QUERIES {
        let (parsed, written) = both_answers(&api, &admin, query);
        assert_eq!(written, parsed, "{query}");
    }
    let (_, written) = both_answers(&api, &admin, "$sort=id");
    assert_eq!(statuses(&written), ["Valid", "Expired", "Valid"]);
}

#[test]
fn a_document_stored_by_an_older_version_is_listed_the_same() {
    let api = LocalApi::with_system_clock(Store::open_in_memory().expect("store"));
    let admin = Actor::new("admin", Rights::admin());
    for id in ["b1", "b2"] {
        api.create(
            &admin,
            &json!({"id": id, "lastName": "Kováč", "expirationTime": "2001-01-01T00:00:00Z"}),
        )
        .expect("create");
    }
    // Plain JSON without nulls or status, as the first version stored documents.
    api.store()
        .write_sql(|tx| {
            tx.execute(
                "UPDATE customer_docs SET doc = CAST(?1 AS BLOB) WHERE rid = (SELECT rid FROM customers WHERE id = 'b1')",
                [r#"{"id":"b1","isActive":true,"lastName":"Kováč","fullName":"Kováč","expirationTime":"2001-01-01T00:00:00Z","credit":{"amount":0},"creditRate":0,"discountRate":0,"meta":{},"_v":1}"#],
            )?;
            Ok::<_, rusqlite::Error>(())
        })
        .expect("rewrite the document");
    for query in QUERIES {
        let (parsed, written) = both_answers(&api, &admin, query);
        assert_eq!(written, parsed, "{query}");
    }
    let (_, written) = both_answers(&api, &admin, "$sort=id");
    assert_eq!(statuses(&written), ["Expired", "Expired"]);
    assert_eq!(written["items"][0]["email"], Value::Null);
}
