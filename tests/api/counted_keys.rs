//! Counts and deep pages come from counted blocks and code `like`s from trigram indexes;
//! whatever happened to those between two opens (a bulk load cut short, a store of the
//! schema before them, blocks that no longer add up), a reopened store answers exactly what
//! a plain count of the customers answers.

use customer_desk::api::LocalApi;
use customer_desk::model::{Actor, Customer, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::store::{SCHEMA_VERSION, Store};
use serde_json::json;

fn admin() -> Actor {
    Actor::new("admin", Rights::admin())
}

fn total(api: &LocalApi, query: &str) -> u64 {
    api.list(&admin(), &ListParams::from_query_string(query))
        .expect("list")
        .total_count
}

fn page(api: &LocalApi, query: &str) -> Vec<String> {
    api.list(&admin(), &ListParams::from_query_string(query))
        .expect("list")
        .items
        .expect("items")
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// One card each, and every fourth customer a second one, numbered far from the first.
fn cards(n: u32) -> serde_json::Value {
    let mut cards = vec![json!({"serialNumber": format!("2900{n:04}")})];
    if n.is_multiple_of(4) {
        cards.push(json!({"serialNumber": format!("2900{:04}", n + 1000)}));
    }
    json!(cards)
}

/// 60 customers with discount rates 0–25 %, external ids and cards, some without expiry.
fn seed(api: &LocalApi) {
    for n in 0..60u32 {
        let body = json!({
            "id": format!("c{n:02}"),
            "lastName": format!("Name {}", n % 7),
            "externalId": format!("EXT-{n:04}"),
            "discountRate": n % 26,
            "expirationTime": (n % 3 != 0).then_some("2030-01-01T00:00:00Z"),
            "cards": cards(n),
        });
        api.create(&admin(), &body).expect("create");
    }
}

/// What the queries answer, worked out from the customers themselves.
fn expected(api: &LocalApi) -> Vec<u64> {
    let everyone: Vec<Customer> = api
        .list(&admin(), &ListParams::from_query_string("$sort=id"))
        .expect("list")
        .items
        .expect("items");
    let count = |f: &dyn Fn(&Customer) -> bool| everyone.iter().filter(|c| f(c)).count() as u64;
    vec![
        count(&|c| (10..=20).contains(&c.discount_rate.try_into().unwrap_or(-1i64))),
        count(&|c| c.expiration_time.is_none()),
        count(&|c| c.external_id.as_deref().is_some_and(|e| e.contains("-001"))),
        count(&|c| {
            c.cards.iter().any(|k| {
                k.serial_number
                    .as_deref()
                    .is_some_and(|s| s.contains("0004"))
            })
        }),
        count(&|c| {
            c.cards
                .iter()
                .any(|k| k.serial_number.as_deref().is_some_and(|s| s > "29000030"))
        }),
        count(&|c| {
            c.cards.iter().any(|k| {
                k.serial_number
                    .as_deref()
                    .is_some_and(|s| ("29000010"..="29001030").contains(&s))
            })
        }),
    ]
}

const QUERIES: [&str; 6] = [
    "DiscountRate=between:10:20",
    "ExpirationTime=null",
    "ExternalId=like:-001",
    "CardSerialNumber=like:0004",
    "CardSerialNumber=gt:29000030",
    "CardSerialNumber=between:29000010:29001030",
];

/// A page in id order of a filter whose matches lie at the end of it (the zones' case).
const LATE_PAGE: &str = "ExternalId=gt:EXT-0040&$take=5";

fn answered(api: &LocalApi) -> Vec<u64> {
    QUERIES.iter().map(|q| total(api, q)).collect()
}

#[test]
fn counts_stay_exact_when_the_blocks_were_left_stale_or_wrong() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.db");
    let api = LocalApi::with_system_clock(Store::open(&path).expect("store"));
    seed(&api);
    let want = expected(&api);
    assert_eq!(answered(&api), want);
    assert_eq!(
        want[0], 22,
        "rates 10 to 20 % among 0 to 25 %, over 60 customers"
    );
    let deep = page(&api, "$sort=-lastName&$skip=41&$take=5");
    assert_eq!(page(&api, LATE_PAGE), ["c41", "c42", "c43", "c44", "c45"]);
    drop(api);

    // A bulk load cut short leaves the marks; blocks that lost their count and code
    // indexes that lost their rows are what it would leave behind.
    let damage = |sql: &str| {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(sql).expect("damage");
    };
    damage(
        "INSERT OR REPLACE INTO counters (name, value) VALUES ('counted_stale', 1);
         INSERT OR REPLACE INTO counters (name, value) VALUES ('codes_stale', 1);
         UPDATE count_blocks SET n = n + 3;
         INSERT INTO code_grams_cards (code_grams_cards) VALUES ('delete-all');",
    );
    let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
    assert_eq!(answered(&api), want);
    assert_eq!(page(&api, "$sort=-lastName&$skip=41&$take=5"), deep);
    drop(api);

    // Without any mark, blocks that do not add up to their index are built again at open.
    damage("UPDATE count_blocks SET n = n + 1 WHERE start = X''");
    let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
    assert_eq!(answered(&api), want);
    assert_eq!(page(&api, "$sort=-lastName&$skip=41&$take=5"), deep);
    drop(api);

    // Zones that leave customers out, and card pairs lost, are found and built again.
    for damaged in [
        "UPDATE count_blocks SET zone = X'00000000000000' WHERE key = 0",
        "DELETE FROM card_pairs WHERE low = (SELECT min(low) FROM card_pairs)",
    ] {
        damage(damaged);
        let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
        assert_eq!(answered(&api), want, "{damaged}");
        assert_eq!(page(&api, LATE_PAGE), ["c41", "c42", "c43", "c44", "c45"]);
    }
}

#[test]
fn a_store_of_schema_8_opens_with_its_counts_and_code_indexes_built() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    {
        let api = LocalApi::with_system_clock(Store::open(&path).expect("store"));
        seed(&api);
    }
    {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(
            "DROP TABLE card_pairs; DROP TABLE count_blocks; DROP TABLE count_moves;
             DROP TABLE code_grams_external_id_vocab;
             DROP TABLE code_grams_cards_vocab; DROP TABLE code_grams_external_id;
             DROP TABLE code_grams_cards; DROP TABLE code_gram_uses;
             DELETE FROM counters
             WHERE name IN ('counted_stale', 'codes_stale', 'codes_estimated_at');
             DROP TABLE contact_grams; DROP TABLE contact_text;
             DROP TABLE email_word_grams; DROP TABLE email_words; DROP TABLE email_postings;
             PRAGMA user_version = 8;",
        )
        .expect("go back to schema 8");
    }
    let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
    let version: i64 = api
        .store()
        .read_sql(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION as i64);
    assert_eq!(answered(&api), expected(&api));
    // Writes after the migration keep them exact.
    api.delete(&admin(), "c12").expect("delete");
    api.upsert(
        &admin(),
        "c13",
        &json!({"lastName": "Moved", "discountRate": 3, "cards": [{"serialNumber": "77-0004"}]}),
    )
    .expect("update");
    assert_eq!(answered(&api), expected(&api));
}
