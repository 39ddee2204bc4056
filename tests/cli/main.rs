//! The command line as a shell script would use it: exit codes, JSON on stdout, bodies from
//! files and standard input, demo data; backups and restores (`backup.rs`).

mod backup;

#[path = "../common/damage.rs"]
mod damage;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod transfer;

pub(crate) fn desk(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_customer-desk"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run customer-desk");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("wait")
}

pub(crate) fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn api_calls_print_json_and_exit_by_outcome() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db = db.to_str().expect("path");

    let body = r#"{"firstName": "Ján", "lastName": "Novák", "credit": {"amount": 10.50}}"#;
    let created = desk(&["api", "--db", db, "POST", "/customers", "-"], Some(body));
    assert_eq!(
        created.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let customer = json(&created);
    assert_eq!(customer["credit"]["amount"].to_string(), "10.50");
    let id = customer["id"].as_str().expect("id").to_owned();

    let found = desk(
        &[
            "api",
            "--db",
            db,
            "GET",
            "/customers?Search=novak&$sort=-lastName&$take=20",
        ],
        None,
    );
    assert_eq!(found.status.code(), Some(0));
    assert_eq!(json(&found)["totalCount"], 1);

    let body_file = dir.path().join("credit.json");
    std::fs::write(&body_file, r#"{"amount": -0.50, "note": "Coffee"}"#).expect("write body");
    let adjusted = desk(
        &[
            "api",
            "--db",
            db,
            "POST",
            &format!("/customers/{id}/credit"),
            body_file.to_str().expect("path"),
        ],
        None,
    );
    assert_eq!(json(&adjusted)["credit"]["amount"].to_string(), "10.00");

    // An API error: exit 1 with the problem JSON on stdout, and nothing changed.
    let refused = desk(
        &[
            "api",
            "--db",
            db,
            "--rights",
            "customerUpdate",
            "DELETE",
            &format!("/customers/{id}"),
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(1));
    let problem = json(&refused);
    assert_eq!(
        (problem["status"].as_u64(), problem["errorCode"].as_u64()),
        (Some(403), Some(2))
    );
    let bad_query = desk(
        &["api", "--db", db, "GET", "/customers?DiscountRate=gt:abc"],
        None,
    );
    assert_eq!(bad_query.status.code(), Some(1));
    assert_eq!(json(&bad_query)["errors"][0]["memberName"], "DiscountRate");
    let malformed = desk(
        &["api", "--db", db, "PUT", &format!("/customers/{id}"), "-"],
        Some("{\"lastName\": "),
    );
    assert_eq!(malformed.status.code(), Some(1));
    assert!(
        json(&malformed)["detail"]
            .as_str()
            .expect("detail")
            .contains("malformed JSON")
    );
    let still = desk(
        &["api", "--db", db, "GET", &format!("/customers/{id}")],
        None,
    );
    assert_eq!(json(&still)["_v"], 2);

    // Usage errors: exit 2.
    assert_eq!(
        desk(&["api", "--db", db, "PATCH", "/customers"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        desk(&["api", "--db", db, "GET", "/orders"], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        desk(
            &["api", "--db", db, "--rights", "fly", "GET", "/customers"],
            None
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(
        desk(
            &[
                "api",
                "--db",
                db,
                "POST",
                "/customers",
                "/no/such/file.json"
            ],
            None
        )
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn demo_fills_a_store_deterministically() {
    let dir = tempfile::tempdir().expect("dir");
    let mut firsts = Vec::new();
    for name in ["a.db", "b.db"] {
        let db = dir.path().join(name);
        let db = db.to_str().expect("path");
        let out = desk(&["demo", "--db", db, "--count", "300", "--seed", "5"], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let page = json(&desk(
            &["api", "--db", db, "GET", "/customers?$take=3"],
            None,
        ));
        assert_eq!(page["totalCount"], 300);
        firsts.push(page["items"].clone());
    }
    assert_eq!(
        firsts[0], firsts[1],
        "the same seed gives the same customers"
    );
    let db = dir.path().join("a.db");
    let db = db.to_str().expect("path");
    let companies = json(&desk(
        &[
            "api",
            "--db",
            db,
            "GET",
            "/customers?$count=true&$sort=company.name",
        ],
        None,
    ));
    assert_eq!(companies["totalCount"], 300);
    let expired = json(&desk(
        &[
            "api",
            "--db",
            db,
            "GET",
            "/customers?IsExpired=true&$count=true",
        ],
        None,
    ));
    let n = expired["totalCount"].as_u64().expect("count");
    assert!(n > 0 && n < 60, "some customers are expired: {n}");
    let with_cards = json(&desk(
        &[
            "api",
            "--db",
            db,
            "GET",
            "/customers?CardSerialNumber=like:29&$count=true",
        ],
        None,
    ));
    assert!(with_cards["totalCount"].as_u64().expect("count") > 200);
}

#[test]
fn doctor_finds_a_customer_that_cannot_be_read_and_repair_removes_it_keeping_a_copy() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db_arg = db.to_str().expect("path");
    for id in ["kept", "broken"] {
        let body = format!(r#"{{"id": "{id}", "lastName": "Doktorová"}}"#);
        let created = desk(
            &["api", "--db", db_arg, "POST", "/customers", "-"],
            Some(&body),
        );
        assert_eq!(created.status.code(), Some(0));
    }
    let healthy = desk(&["doctor", "--db", db_arg], None);
    assert_eq!(healthy.status.code(), Some(0), "{healthy:?}");
    assert!(String::from_utf8_lossy(&healthy.stdout).contains("The store is sound."));

    damage::damage_document(
        &customer_desk::store::Store::open(&db).expect("store"),
        "broken",
    );

    let found = desk(&["doctor", "--db", db_arg], None);
    let out = String::from_utf8_lossy(&found.stdout);
    assert_eq!(found.status.code(), Some(1), "{out}");
    assert!(
        out.contains("Customers that cannot be read: 1") && out.contains("broken"),
        "{out}"
    );
    assert!(String::from_utf8_lossy(&found.stderr).contains("1 customers cannot be read"));

    let repaired = desk(&["doctor", "--db", db_arg, "--repair"], None);
    let out = String::from_utf8_lossy(&repaired.stdout);
    assert_eq!(repaired.status.code(), Some(0), "{out}");
    assert!(out.contains("removed broken"), "{out}");
    let kept = dir.path().join("shop.db.damaged").join("broken.bin");
    assert!(
        std::fs::read(&kept)
            .expect("the damaged document is kept")
            .starts_with(&[2, 0x40]),
        "the copy is the stored bytes"
    );
    let listed = desk(&["api", "--db", db_arg, "GET", "/customers?$take=10"], None);
    assert_eq!(listed.status.code(), Some(0));
    let ids: Vec<String> = json(&listed)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids, ["kept"]);
}
