//! The credit ledger in a table of its own (issue 18, item 6): every answer still carries the
//! whole ledger in order, and an edit of a customer with a long ledger writes only what
//! changed instead of the whole ledger again.

use customer_desk::api::LocalApi;
use customer_desk::model::{Actor, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::store::Store;
use serde_json::{Value, json};

fn admin() -> Actor {
    Actor::new("admin", Rights::admin())
}

fn adjust(api: &LocalApi, id: &str, amount: &str, note: &str) {
    let amount: Value = serde_json::from_str(amount).expect("a JSON number");
    api.adjust_credit(&admin(), id, &json!({"amount": amount, "note": note}))
        .unwrap_or_else(|e| panic!("adjust {amount}: {e}"));
}

fn ledger_notes(customer: &Value) -> Vec<String> {
    customer["creditTransactions"]
        .as_array()
        .expect("ledger")
        .iter()
        .map(|t| t["note"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn the_ledger_reads_back_whole_and_in_order_in_every_answer() {
    let api = LocalApi::with_system_clock(Store::open_in_memory().expect("store"));
    let body: Value = serde_json::from_str(
        r#"{"id": "k1", "lastName": "Kreditná", "credit": {"amount": 10.00},
            "meta": {"creditTransactions": []}, "note": ",\"creditTransactions\":[]"}"#,
    )
    .expect("body");
    api.create(&admin(), &body).expect("create");
    api.create(&admin(), &json!({"id": "k2", "lastName": "Bez kreditu"}))
        .expect("create");
    for (amount, note) in [
        ("5.50", "first"),
        ("-2.25", ",\"creditTransactions\":[] in a note"),
        ("1", "third"),
    ] {
        adjust(&api, "k1", amount, note);
    }

    let got = serde_json::to_value(api.get(&admin(), "k1").expect("get")).expect("json");
    assert_eq!(
        ledger_notes(&got),
        ["", "first", ",\"creditTransactions\":[] in a note", "third"]
    );
    assert_eq!(got["credit"]["amount"].to_string(), "14.25");
    assert_eq!(got["meta"], json!({"creditTransactions": []}));

    let params = ListParams::from_query_string("$sort=id&$take=10");
    let listed = serde_json::to_value(api.list(&admin(), &params).expect("list")).expect("json");
    let written: Value =
        serde_json::from_slice(&api.list_json(&admin(), &params).expect("json").body)
            .expect("valid JSON");
    assert_eq!(
        written, listed,
        "the written page says what the parsed one says"
    );
    assert_eq!(
        listed["items"][0], got,
        "a page shows the customer as GET does"
    );
    assert_eq!(listed["items"][1]["creditTransactions"], json!([]));
}

#[test]
fn an_edit_of_a_customer_with_a_long_ledger_writes_only_what_changed() {
    let dir = tempfile::tempdir().expect("dir");
    let api = LocalApi::with_system_clock(Store::open(&dir.path().join("shop.db")).expect("store"));
    api.create(&admin(), &json!({"id": "long", "lastName": "Verná"}))
        .expect("create");
    for n in 0..400 {
        adjust(
            &api,
            "long",
            "1.00",
            &format!("purchase {n}, years of them"),
        );
    }
    let rows_written_by = |f: &dyn Fn()| {
        let before: i64 = api
            .store()
            .with_writer(|c| c.query_row("SELECT total_changes()", [], |r| r.get(0)))
            .expect("changes");
        f();
        let after: i64 = api
            .store()
            .with_writer(|c| c.query_row("SELECT total_changes()", [], |r| r.get(0)))
            .expect("changes");
        after - before
    };

    let current = api.get(&admin(), "long").expect("get");
    assert_eq!(current.credit_transactions.len(), 400);
    let edit = rows_written_by(&|| {
        let mut body = serde_json::to_value(&current).expect("json");
        body["lastName"] = json!("Vernejšia");
        api.upsert(&admin(), "long", &body).expect("edit");
    });
    assert!(edit < 30, "an edit of the name wrote {edit} rows");
    let credit = rows_written_by(&|| adjust(&api, "long", "-3.00", "one more"));
    assert!(credit < 30, "one more transaction wrote {credit} rows");

    let doc_bytes: i64 = api
        .store()
        .read_sql(|c| {
            c.query_row(
                "SELECT length(doc) FROM customer_docs
                 WHERE rid = (SELECT rid FROM customers WHERE id = 'long')",
                [],
                |r| r.get(0),
            )
        })
        .expect("size");
    assert!(
        doc_bytes < 1_024,
        "the stored document is {doc_bytes} bytes"
    );

    let after = api.get(&admin(), "long").expect("get");
    assert_eq!(after.last_name.as_deref(), Some("Vernejšia"));
    assert_eq!(after.credit_transactions.len(), 401);
    assert_eq!(
        after.credit_transactions[399].note.as_deref(),
        Some("purchase 399, years of them")
    );
    assert_eq!(
        after.credit_transactions[400].note.as_deref(),
        Some("one more")
    );
    assert_eq!(after.credit.amount.to_string(), "397.00");
}
