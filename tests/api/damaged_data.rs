//! Damaged data (issue 18, items 7 and 8): a stored customer whose document cannot be read
//! is left out of lists (and named), can still be deleted, and does not take its page down;
//! a database file with garbage in the middle is found out by the check made on opening.

use std::io::{Seek, SeekFrom, Write};
use std::time::Duration;

use customer_desk::api::{ApiError, LocalApi};
use customer_desk::model::{Actor, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::store::{Integrity, Store};

use crate::damage::damage_document;
use serde_json::{Value, json};

fn admin() -> Actor {
    Actor::new("admin", Rights::admin())
}

/// A store of three customers, `b`'s document overwritten with bytes no reader understands.
fn store_with_a_damaged_customer(dir: &tempfile::TempDir) -> LocalApi {
    let api = LocalApi::with_system_clock(Store::open(&dir.path().join("shop.db")).expect("store"));
    for (id, last) in [("a", "Adamová"), ("b", "Bartoš"), ("c", "Cibulka")] {
        api.create(&admin(), &json!({"id": id, "lastName": last}))
            .expect("create");
    }
    damage_document(api.store(), "b");
    api
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().filter_map(|c| c["id"].as_str()).collect()
}

#[test]
fn a_customer_that_cannot_be_read_is_left_out_of_lists_and_can_be_deleted() {
    let dir = tempfile::tempdir().expect("dir");
    let api = store_with_a_damaged_customer(&dir);
    let params = ListParams::from_query_string("$sort=id&$take=10");

    let listed = api.list(&admin(), &params).expect("the page still answers");
    let listed_ids: Vec<_> = listed
        .items
        .expect("items")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(listed_ids, ["a", "c"]);
    assert_eq!(listed.count, 2, "count is what the page holds");
    assert_eq!(listed.total_count, 3);

    let page = api
        .list_json(&admin(), &params)
        .expect("the JSON page answers");
    assert_eq!(page.damaged, ["b"], "the page names what it left out");
    let body: Value = serde_json::from_slice(&page.body).expect("valid JSON");
    assert_eq!(ids(body["items"].as_array().expect("items")), ["a", "c"]);
    assert_eq!(body["count"], 2);

    let mut streamed = Vec::new();
    api.list_json_batches(
        &admin(),
        &ListParams::from_query_string("$sort=id"),
        2,
        |_, json, written| {
            if written > 0 {
                streamed.push(json);
            }
            true
        },
    )
    .expect("the stream answers");
    let streamed: Value =
        serde_json::from_slice(&[b"[", &streamed.join(&b","[..])[..], b"]"].concat())
            .expect("valid JSON");
    assert_eq!(ids(streamed.as_array().expect("array")), ["a", "c"]);

    match api.get(&admin(), "b") {
        Err(ApiError::Internal(message)) => {
            assert!(
                message.contains("customer b") && message.contains("doctor"),
                "{message}"
            )
        }
        other => panic!("reading a damaged customer: {other:?}"),
    }
    let deleted = api
        .delete(&admin(), "b")
        .expect("a damaged customer can be deleted");
    assert_eq!(deleted.id, "b");
    assert!(matches!(api.get(&admin(), "b"), Err(ApiError::NotFound(_))));
    let after = api.list(&admin(), &params).expect("list");
    assert_eq!(after.total_count, 2);
    assert_eq!(
        api.get(&admin(), "a").expect("a").last_name.as_deref(),
        Some("Adamová")
    );
}

#[test]
fn garbage_in_the_middle_of_the_file_is_found_by_the_check_on_opening() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("shop.db");
    {
        let api = LocalApi::with_system_clock(Store::open(&path).expect("store"));
        for n in 0..3_000 {
            api.create(
                &admin(),
                &json!({"lastName": format!("Zákazník {n}"), "email": format!("z{n}@example.sk"),
                        "note": "x".repeat(200)}),
            )
            .expect("create");
        }
        assert_eq!(
            api.store().wait_for_integrity(Duration::from_secs(30)),
            Integrity::Sound
        );
    }
    let len = std::fs::metadata(&path).expect("size").len();
    assert!(len > 512 * 1024, "the file is {len} bytes");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    file.seek(SeekFrom::Start(len / 2 / 4096 * 4096))
        .expect("seek");
    let garbage: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    file.write_all(&garbage).expect("write");
    drop(file);

    let store = Store::open(&path).expect("a damaged store still opens, for reading");
    match store.wait_for_integrity(Duration::from_secs(60)) {
        Integrity::Damaged(lines) => assert!(!lines.is_empty()),
        other => panic!("64 KB of garbage went unnoticed: {other:?}"),
    }
}
