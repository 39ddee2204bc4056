//! An edit writes only the columns and cards that changed. Whatever the edits, the store ends
//! up holding what writing each customer afresh would hold: the same columns, cards and
//! search text, and indexes that agree with the table.

use std::sync::Arc;

use customer_desk::api::LocalApi;
use customer_desk::clock::FixedClock;
use customer_desk::model::{Actor, Rights};
use customer_desk::store::Store;
use proptest::prelude::*;
use rusqlite::types::Value as SqlValue;
use serde_json::{Value, json};

const IDS: [&str; 3] = ["c1", "c2", "c3"];

fn api_in(dir: &tempfile::TempDir, name: &str) -> LocalApi {
    let clock = Arc::new(FixedClock::new(
        "2026-06-01T12:00:00Z".parse().expect("time"),
    ));
    LocalApi::new(Store::open(&dir.path().join(name)).expect("store"), clock)
}

/// One edit: the whole body a `PUT` sends.
fn edit() -> impl Strategy<Value = (usize, Value)> {
    let name = prop::option::of(prop::sample::select(vec![
        "Novák", "Čierna", "Kiss", "Smith",
    ]));
    let time = prop::option::of(prop::sample::select(vec![
        "2025-01-01T00:00:00Z",
        "2026-03-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    ]));
    let serials = prop::sample::subsequence(vec!["100", "200", "300", "400"], 0..=2);
    (
        0..IDS.len(),
        (
            name.clone(),
            name,
            prop::option::of("[a-z ]{0,12}"),
            any::<bool>(),
        ),
        (time.clone(), time, 0u8..3, 0u8..3),
        (serials, prop::option::of("X[0-9]"), any::<bool>()),
    )
        .prop_map(
            |(
                customer,
                (first, last, note, active),
                (activation, expiration, rate, discount),
                (serials, external, company),
            )| {
                let cards: Vec<Value> = serials
                    .iter()
                    .map(|s| json!({"serialNumber": format!("{s}{customer}")}))
                    .collect();
                let body = json!({
                    "firstName": first,
                    "lastName": last,
                    "note": note,
                    "isActive": active,
                    "activationTime": activation,
                    "expirationTime": expiration,
                    "creditRate": rate,
                    "discountRate": discount,
                    "externalId": external,
                    "isCompany": company,
                    "company": if company { json!({"name": last}) } else { Value::Null },
                    "cards": cards,
                });
                (customer, body)
            },
        )
}

/// The stored rows of everything a customer is written to, by id, without row ids and
/// versions (a fresh write starts again at 1).
fn stored_rows(api: &LocalApi) -> Vec<String> {
    api.store()
        .read_sql(|conn| -> rusqlite::Result<Vec<String>> {
            let mut out = Vec::new();
            for sql in [
                "SELECT id, external_id, is_active, activation_time, expiration_time, first_name,
                    last_name, full_name, gender, birth_date, email, phone, is_company,
                    company_name, credit_amount, credit_rate, discount_rate, note
                 FROM customers ORDER BY id",
                "SELECT k.serial, c.id FROM cards k JOIN customers c ON c.rid = k.customer_rid
                 ORDER BY k.serial",
                "SELECT c.id, s.text FROM search_text s JOIN customers c ON c.rid = s.rid
                 ORDER BY c.id",
            ] {
                let mut stmt = conn.prepare(sql)?;
                let columns = stmt.column_count();
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let values: Vec<String> = (0..columns)
                        .map(|i| format!("{:?}", row.get::<_, SqlValue>(i)))
                        .collect();
                    out.push(values.join(" | "));
                }
            }
            Ok(out)
        })
        .expect("rows")
}

fn integrity(api: &LocalApi) -> String {
    api.store()
        .read_sql(|conn| conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
        .expect("integrity_check")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn edits_leave_what_writing_afresh_leaves(edits in prop::collection::vec(edit(), 1..12)) {
        let dir = tempfile::tempdir().expect("dir");
        let admin = Actor::new("admin", Rights::admin());
        let edited = api_in(&dir, "edited.db");
        for id in IDS {
            edited
                .create(&admin, &json!({"id": id, "lastName": "Start", "cards": [{"serialNumber": format!("start-{id}")}]}))
                .expect("create");
        }
        for (customer, body) in &edits {
            // A refused edit (an expiration before the activation) changes nothing.
            let _ = edited.upsert(&admin, IDS[*customer], body);
        }
        prop_assert_eq!(integrity(&edited), "ok");

        let fresh = api_in(&dir, "fresh.db");
        for id in IDS {
            let customer = edited.get(&admin, id).expect("get");
            let mut body = serde_json::to_value(&customer).expect("json");
            body.as_object_mut().expect("object").remove("_v");
            fresh.create(&admin, &body).expect("create afresh");
        }
        prop_assert_eq!(stored_rows(&edited), stored_rows(&fresh));
    }
}
