//! Stores written by older schemas open under this one: version 2 (the word index as one
//! row per word and customer) with the word index rebuilt as posting lists, version 3 with
//! its old documents rewritten, version 6 with its ledgers moved out of the documents, and
//! version 7 with the e-mail and phone index built; every customer is found as before.

use customer_desk::api::LocalApi;
use customer_desk::model::{Actor, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::store::{SCHEMA_VERSION, Store};
use serde_json::{Value, json};

fn searched(api: &LocalApi, query: &str) -> Vec<String> {
    let actor = Actor::new("t", Rights::admin());
    api.list(&actor, &ListParams::from_query_string(query))
        .expect("list")
        .items
        .expect("items")
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// What migrations 10 (counted keys, code indexes), 11 (zones, card pairs) and 13 (moves of
/// counted keys) added, taken away again: a store of schema 9.
const UNDO_COUNTED_SCHEMA: &str = "
    DROP TABLE card_pairs; DROP TABLE count_blocks; DROP TABLE count_moves;
    DROP TABLE code_grams_external_id_vocab;
    DROP TABLE code_grams_cards_vocab; DROP TABLE code_grams_external_id;
    DROP TABLE code_grams_cards;
    DROP TABLE code_gram_uses;
    DELETE FROM counters WHERE name IN ('counted_stale', 'codes_stale', 'codes_estimated_at');";

/// What migrations 8 (sign-in times) and 9 (the e-mail and phone index) added, taken away
/// again: with [`UNDO_COUNTED_SCHEMA`] first, a store of schema 7.
const UNDO_TO_7: &str = "
    ALTER TABLE users DROP COLUMN last_sign_in;
    DROP TABLE contact_grams; DROP TABLE contact_text;
    DROP TABLE email_word_grams; DROP TABLE email_words; DROP TABLE email_postings;";

/// What migrations 5 (sync), 7 (the ledger's table), 8 and 9 added, taken away again (after
/// [`UNDO_COUNTED_SCHEMA`]), for a store made to look older.
const UNDO_SYNC_SCHEMA: &str = "
    ALTER TABLE users DROP COLUMN last_sign_in;
    DROP TABLE contact_grams; DROP TABLE contact_text;
    DROP TABLE email_word_grams; DROP TABLE email_words; DROP TABLE email_postings;
    DROP TABLE credit_ledger; ALTER TABLE customers DROP COLUMN ledger_len;
    DROP TABLE sync_feed; DROP TABLE store_meta; DROP TABLE idempotency_keys;
    DROP TABLE replica_shadows; DROP TABLE replica_outbox; DROP TABLE replica_conflicts;
    DELETE FROM counters WHERE name = 'feed_seq';
    ALTER TABLE change_log DROP COLUMN new_version;
    ALTER TABLE change_log ADD COLUMN before_doc BLOB;
    ALTER TABLE change_log ADD COLUMN after_doc BLOB;";

#[test]
fn a_store_of_schema_2_opens_with_its_word_index_rebuilt() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    let admin = Actor::new("admin", Rights::admin());
    {
        let api = LocalApi::with_system_clock(Store::open(&path).expect("store"));
        for (id, first, last) in [
            ("c1", "Ján", "Novák"),
            ("c2", "Eva", "Nováková"),
            ("c3", "Peter", "Kováč"),
        ] {
            api.create(
                &admin,
                &json!({"id": id, "firstName": first, "lastName": last}),
            )
            .expect("create");
        }
        // What version 2 left on disk: the pairs table, its pairs, and no posting lists.
        api.store()
            .write_sql(|tx| {
                tx.execute_batch(
                    "DROP TABLE word_postings;
                     CREATE TABLE word_customers (
                         word_id INTEGER NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY (word_id, rid)
                     ) WITHOUT ROWID, STRICT;
                     INSERT INTO word_customers SELECT w.id, t.rid FROM search_words w
                         JOIN search_text t ON instr(t.text, w.word) > 0;
                     DELETE FROM counters WHERE name = 'search_stale';
                     PRAGMA user_version = 2;",
                )?;
                tx.execute_batch(UNDO_COUNTED_SCHEMA)?;
                tx.execute_batch(UNDO_SYNC_SCHEMA)
            })
            .expect("go back to schema 2");
    }

    let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
    let version: i64 = api
        .store()
        .read_sql(|conn| conn.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION as i64);
    // The sync migration puts every customer stored before it into the feed.
    let in_feed: Vec<String> = api
        .store()
        .read_sql(|conn| {
            conn.prepare("SELECT customer_id FROM sync_feed ORDER BY seq")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
        })
        .expect("feed");
    assert_eq!(in_feed, ["c1", "c2", "c3"]);
    assert_eq!(searched(&api, "Search=novak&$sort=id"), ["c1", "c2"]);
    assert_eq!(searched(&api, "Search=kova&$sort=id"), ["c2", "c3"]);
    assert_eq!(searched(&api, "Search=a&$sort=id"), ["c1", "c2", "c3"]);
    // The index keeps working for writes after the migration.
    api.create(&admin, &json!({"id": "c4", "lastName": "Nováková"}))
        .expect("create");
    assert_eq!(searched(&api, "Search=novakova&$sort=id"), ["c2", "c4"]);
    let body = api
        .list_json(
            &admin,
            &ListParams::from_query_string("Search=novak&$sort=id"),
        )
        .expect("list_json")
        .body;
    let listed: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(listed["totalCount"], 3);
}

#[test]
fn a_store_of_schema_3_opens_with_its_old_documents_rewritten() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    let admin = Actor::new("admin", Rights::admin());
    let before = {
        let api = LocalApi::with_system_clock(Store::open(&path).expect("store"));
        for id in ["d1", "d2", "d3"] {
            api.create(
                &admin,
                &json!({"id": id, "lastName": "Kováč", "meta": {"z": 1, "a": [null]}}),
            )
            .expect("create");
        }
        let before = api.get(&admin, "d1").expect("get");
        api.store()
            .write_sql(|tx| {
                // d1 as the first version stored it (plain JSON, no nulls, no status); d3 so
                // broken that nothing can read it.
                tx.execute(
                    "UPDATE customer_docs SET doc = CAST(?1 AS BLOB)
                     WHERE rid = (SELECT rid FROM customers WHERE id = 'd1')",
                    [serde_json::to_string(&json!({
                        "id": "d1", "isActive": true, "lastName": "Kováč", "fullName": "Kováč",
                        "credit": {"amount": 0, "currencyLabel": before.credit.currency_label},
                        "creditRate": 0, "discountRate": 0, "meta": {"z": 1, "a": [null]}, "_v": 1,
                    }))
                    .expect("json")],
                )?;
                tx.execute_batch(
                    "UPDATE customer_docs SET doc = x'0900'
                         WHERE rid = (SELECT rid FROM customers WHERE id = 'd3');
                     PRAGMA user_version = 3;",
                )?;
                tx.execute_batch(UNDO_COUNTED_SCHEMA)?;
                tx.execute_batch(UNDO_SYNC_SCHEMA)
            })
            .expect("go back to schema 3");
        before
    };

    let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
    let formats: Vec<(String, u8)> = api
        .store()
        .read_sql(|conn| {
            conn.prepare(
                "SELECT c.id, d.doc FROM customers c JOIN customer_docs d ON d.rid = c.rid ORDER BY c.id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, Vec<u8>>(1)?[0])))?
            .collect::<rusqlite::Result<_>>()
        })
        .expect("formats");
    assert_eq!(
        formats,
        [
            ("d1".to_owned(), 2),
            ("d2".to_owned(), 2),
            ("d3".to_owned(), 9)
        ],
        "old documents are rewritten in format 2; an unreadable one is left alone"
    );
    assert_eq!(api.get(&admin, "d1").expect("get"), before);
    assert!(
        api.get(&admin, "d3").is_err(),
        "the broken document still says so"
    );
}

/// A store of schema 6 kept each customer's ledger inside its document: opening it under
/// this one moves the ledgers into their table, and every customer reads back the same.
#[test]
fn a_store_of_schema_6_opens_with_its_ledgers_moved_out_of_the_documents() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    let admin = Actor::new("admin", Rights::admin());
    let before = {
        let api = LocalApi::with_system_clock(Store::open(&path).expect("store"));
        let body: Value = serde_json::from_str(
            r#"{"id": "l1", "lastName": "Stará", "credit": {"amount": 4.50}}"#,
        )
        .expect("body");
        api.create(&admin, &body).expect("create");
        api.create(&admin, &json!({"id": "l2", "lastName": "Bez"}))
            .expect("create");
        for note in ["one", "two"] {
            let adjustment: Value =
                serde_json::from_str(&format!(r#"{{"amount": 1.25, "note": "{note}"}}"#))
                    .expect("body");
            api.adjust_credit(&admin, "l1", &adjustment)
                .expect("adjust");
        }
        let before = api.get(&admin, "l1").expect("get");
        assert_eq!(before.credit_transactions.len(), 3);
        // What schema 6 stored: the whole customer, ledger inside, and no ledger table.
        let inline = customer_desk::store::doc::pack(&serde_json::to_vec(&before).expect("json"))
            .expect("pack");
        api.store()
            .write_sql(|tx| {
                tx.execute(
                    "UPDATE customer_docs SET doc = ?1
                     WHERE rid = (SELECT rid FROM customers WHERE id = 'l1')",
                    [inline],
                )?;
                tx.execute_batch(UNDO_TO_7)?;
                tx.execute_batch(
                    "DROP TABLE credit_ledger; ALTER TABLE customers DROP COLUMN ledger_len;
                     PRAGMA user_version = 6;",
                )?;
                tx.execute_batch(UNDO_COUNTED_SCHEMA)
            })
            .expect("go back to schema 6");
        before
    };

    let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
    assert_eq!(api.get(&admin, "l1").expect("get"), before);
    let (rows, doc_has_ledger): (i64, bool) = api
        .store()
        .read_sql(|conn| {
            conn.query_row(
                "SELECT (SELECT count(*) FROM credit_ledger),
                        instr(doc_json(doc), '\"note\":\"two\"') > 0
                 FROM customer_docs WHERE rid = (SELECT rid FROM customers WHERE id = 'l1')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .expect("ledger rows");
    assert_eq!(rows, 3);
    assert!(!doc_has_ledger, "the document no longer carries the ledger");
    let adjustment: Value =
        serde_json::from_str(r#"{"amount": -1.00, "note": "after"}"#).expect("body");
    let after = api
        .adjust_credit(&admin, "l1", &adjustment)
        .expect("adjust");
    assert_eq!(after.credit_transactions.len(), 4);
    assert_eq!(after.credit.amount.to_string(), "6.00");
    assert!(
        api.get(&admin, "l2")
            .expect("get")
            .credit_transactions
            .is_empty()
    );
}

/// Another program's SQLite file, or a store of a newer schema, is refused by name and left
/// exactly as it was (no WAL switch, no tables added).
#[test]
fn a_store_of_schema_7_opens_with_its_emails_and_phones_findable() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.db");
    let admin = Actor::new("admin", Rights::admin());
    {
        let api = LocalApi::with_system_clock(Store::open(&path).expect("store"));
        for (id, email, phone) in [
            ("m1", "jana.novakova@example.sk", "+421 905 111 222"),
            ("m2", "peter@example.cz", "+420 777 123 456"),
        ] {
            api.create(
                &admin,
                &json!({"id": id, "lastName": "X", "email": email, "phone": phone}),
            )
            .expect("create");
        }
        api.store()
            .write_sql(|tx| {
                tx.execute_batch(UNDO_COUNTED_SCHEMA)?;
                tx.execute_batch(UNDO_TO_7)?;
                tx.execute_batch("PRAGMA user_version = 7;")
            })
            .expect("go back to schema 7");
    }
    let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
    assert_eq!(searched(&api, "Phone=like:0905%20111"), vec!["m1"]);
    assert_eq!(searched(&api, "Phone=eq:00420777123456"), vec!["m2"]);
    assert_eq!(searched(&api, "Email=like:NOVAKOVA@"), vec!["m1"]);
}

#[test]
fn a_foreign_or_newer_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let foreign = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&foreign).expect("sqlite");
        conn.execute_batch("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine');")
            .expect("table");
    }
    let before = std::fs::read(&foreign).expect("read");
    let err = Store::open(&foreign).unwrap_err();
    assert!(
        err.to_string()
            .contains("another program's SQLite database"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&foreign).expect("read"),
        before,
        "the file was changed"
    );
    assert!(!dir.path().join("other.db-wal").exists());

    let newer = dir.path().join("newer.db");
    Store::open(&newer).expect("store");
    {
        let conn = rusqlite::Connection::open(&newer).expect("sqlite");
        conn.pragma_update(None, "user_version", 99)
            .expect("version");
    }
    let err = Store::open(&newer).unwrap_err();
    assert!(err.to_string().contains("schema version 99"), "{err}");

    // A store made before the application id existed opens, and gets it.
    let older = dir.path().join("older.db");
    Store::open(&older).expect("store");
    {
        let conn = rusqlite::Connection::open(&older).expect("sqlite");
        conn.pragma_update(None, "application_id", 0).expect("id");
    }
    Store::open(&older).expect("an older store of ours opens");
    let conn = rusqlite::Connection::open(&older).expect("sqlite");
    let id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .expect("id");
    assert_eq!(id, customer_desk::store::APPLICATION_ID);
}
