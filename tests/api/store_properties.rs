//! Properties of the store under bad input: a request that fails leaves every table exactly
//! as it was, whatever the body.

use std::sync::Arc;

use customer_desk::api::LocalApi;
use customer_desk::clock::FixedClock;
use customer_desk::model::{Actor, Rights};
use customer_desk::store::Store;
use proptest::prelude::*;
use rusqlite::types::Value as SqlValue;
use serde_json::{Value, json};

/// Every row of every table (FTS content included), as text: two equal dumps mean the
/// stores hold the same bytes.
fn dump(api: &LocalApi) -> Vec<String> {
    api.store()
        .read_sql(|conn| -> rusqlite::Result<Vec<String>> {
            let mut tables: Vec<String> = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            tables.retain(|t| !t.starts_with("sqlite_"));
            let mut out = Vec::new();
            for table in tables {
                let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\""))?;
                let columns = stmt.column_count();
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let values: Vec<String> = (0..columns)
                        .map(|i| match row.get::<_, SqlValue>(i) {
                            Ok(v) => format!("{v:?}"),
                            Err(e) => format!("<{e}>"),
                        })
                        .collect();
                    out.push(format!("{table}: {}", values.join(" | ")));
                }
            }
            Ok(out)
        })
        .expect("dump")
}

fn seeded_api() -> (LocalApi, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("p.db")).expect("store");
    let clock = Arc::new(FixedClock::new(
        "2026-06-01T12:00:00Z".parse().expect("time"),
    ));
    let api = LocalApi::new(store, clock);
    let admin = Actor::new("admin", Rights::admin());
    for (id, serial, ext) in [("a", "111", "EXT-A"), ("b", "222", "EXT-B")] {
        let body = json!({"id": id, "lastName": id, "externalId": ext, "credit": {"amount": 10}, "cards": [{"serialNumber": serial}]});
        api.create(&admin, &body).expect("seed");
    }
    (api, dir)
}

/// Arbitrary JSON values, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "-?[0-9]{1,30}(\\.[0-9]{1,12})?"
            .prop_map(|s| serde_json::from_str(&s).unwrap_or(Value::Null)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("111")),
        Just(json!("EXT-B")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..3).prop_map(|m| json!(m)),
        ]
    })
}

const FIELDS: &[&str] = &[
    "id",
    "externalId",
    "isActive",
    "activationTime",
    "expirationTime",
    "firstName",
    "email",
    "birthDate",
    "company",
    "address",
    "credit",
    "cards",
    "creditRate",
    "discountRate",
    "meta",
    "_v",
    "amount",
    "note",
];

/// A body: mostly a valid customer with a few fields replaced by arbitrary values.
fn body() -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(FIELDS), json_value()), 1..4).prop_map(|pairs| {
        let mut body = json!({"lastName": "P", "cards": [{"serialNumber": "333"}]});
        for (field, value) in pairs {
            body[field] = value;
        }
        body
    })
}

#[derive(Debug, Clone)]
enum Request {
    Create(Value),
    Upsert(&'static str, Value),
    Delete(&'static str),
    Credit(&'static str, Value),
}

fn request() -> impl Strategy<Value = Request> {
    let id = prop::sample::select(vec!["a", "b", "zz"]);
    prop_oneof![
        body().prop_map(Request::Create),
        (id.clone(), body()).prop_map(|(id, b)| Request::Upsert(id, b)),
        id.clone().prop_map(Request::Delete),
        (id, body()).prop_map(|(id, b)| Request::Credit(id, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn a_failed_request_changes_nothing(request in request(), rights in prop::sample::select(vec![
        "admin", "", "customerCreate", "customerUpdate", "customerUpdate,customerSetCredit", "customerDelete",
    ])) {
        let (api, _dir) = seeded_api();
        let actor = Actor::new("p", Rights::parse_list(rights).expect("rights"));
        let before = dump(&api);
        let failed = match &request {
            Request::Create(b) => api.create(&actor, b).is_err(),
            Request::Upsert(id, b) => api.upsert(&actor, id, b).is_err(),
            Request::Delete(id) => api.delete(&actor, id).is_err(),
            Request::Credit(id, b) => api.adjust_credit(&actor, id, b).is_err(),
        };
        if failed {
            prop_assert_eq!(dump(&api), before, "{:?} failed but changed the store", request);
        }
    }
}

#[test]
fn a_refused_update_keeps_the_store_identical() {
    let (api, _dir) = seeded_api();
    let admin = Actor::new("admin", Rights::admin());
    let before = dump(&api);
    // Valid in every part except the card owned by "a": nothing of it may stick.
    let body = json!({"lastName": "changed", "credit": {"amount": 99}, "cards": [{"serialNumber": "999"}, {"serialNumber": "111"}]});
    assert!(api.upsert(&admin, "b", &body).is_err());
    assert_eq!(dump(&api), before);
}
