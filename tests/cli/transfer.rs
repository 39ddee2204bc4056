//! `customer-desk import` and `export` as a shop moving in would use them: a spreadsheet's
//! CSV (`;`, decimal commas, a BOM, a note over two lines), the dry run's counts and refused
//! rows, all or nothing, `--skip-refused`, a second import that changes nothing, rights,
//! and a JSON Lines export that imports back to the same customers.

use std::path::Path;

use serde_json::Value;

use super::{desk, json};

/// A spreadsheet saved as CSV in a Slovak locale: BOM, `;`, decimal commas, a quoted note
/// with a line break, a column that is not ours.
const SHOP_CSV: &str = "\u{feff}CardSerialNumber;FirstName;LastName;DiscountRate;Credit.Amount;Address.City;Note;Loyalty tier\n\
    1001|1002;Ján;Novák;12,50;10,25;Bratislava;\"VIP\nsince 2019\";gold\n\
    1003;Eva;Malá;0;0;Košice;;silver\n\
    1004;Peter;Horváth;0;3,5;;;\n";

fn run(args: &[&str]) -> std::process::Output {
    desk(args, None)
}

fn import(db: &str, file: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["import", "--db", db, file.to_str().expect("path"), "--json"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.code() != Some(2),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), json(&out))
}

fn customers(db: &str, query: &str) -> Vec<Value> {
    let page = json(&run(&[
        "api",
        "--db",
        db,
        "GET",
        &format!("/customers?$sort=lastName{query}"),
    ]));
    page["items"].as_array().expect("items").clone()
}

fn counts(report: &Value) -> [u64; 4] {
    ["created", "updated", "unchanged", "refused"].map(|k| report[k].as_u64().expect(k))
}

#[test]
fn a_spreadsheet_imports_once_and_a_second_import_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db = db.to_str().expect("path");
    let file = dir.path().join("customers.csv");
    std::fs::write(&file, SHOP_CSV).expect("write csv");

    let (code, dry) = import(db, &file, &["--dry-run"]);
    assert_eq!(code, Some(0));
    assert_eq!(counts(&dry), [3, 0, 0, 0]);
    assert_eq!(dry["written"], false);
    assert_eq!(dry["ignoredColumns"], serde_json::json!(["Loyalty tier"]));
    assert!(customers(db, "").is_empty(), "a dry run writes nothing");

    let (code, report) = import(db, &file, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(counts(&report), [3, 0, 0, 0]);
    assert_eq!(report["written"], true);
    let all = customers(db, "");
    let novak = all
        .iter()
        .find(|c| c["lastName"] == "Novák")
        .expect("Novák");
    assert_eq!(novak["discountRate"].to_string(), "12.50");
    assert_eq!(novak["credit"]["amount"].to_string(), "10.25");
    assert_eq!(novak["note"], "VIP\nsince 2019");
    assert_eq!(novak["address"]["city"], "Bratislava");
    let serials: Vec<&str> = novak["cards"]
        .as_array()
        .expect("cards")
        .iter()
        .map(|c| c["serialNumber"].as_str().expect("serial"))
        .collect();
    assert_eq!(serials, ["1001", "1002"]);
    let ledger = &novak["creditTransactions"][0];
    assert_eq!(ledger["note"], "Import customers.csv");
    assert!(
        ledger["operationId"]
            .as_str()
            .is_some_and(|o| !o.is_empty())
    );

    // The same file again: matched by card, nothing changes (not even a version).
    let (code, again) = import(db, &file, &[]);
    assert_eq!(code, Some(0));
    assert_eq!(counts(&again), [0, 0, 3, 0]);
    assert_eq!(customers(db, ""), all);

    // Spending some credit, then the same file once more: its credit change was applied
    // already (same operation id), so the balance the customer spent down stays.
    let id = novak["id"].as_str().expect("id");
    let spent = desk(
        &[
            "api",
            "--db",
            db,
            "POST",
            &format!("/customers/{id}/credit"),
            "-",
        ],
        Some(r#"{"amount": -5, "note": "Coffee"}"#),
    );
    assert_eq!(spent.status.code(), Some(0));
    let (_, third) = import(db, &file, &[]);
    assert_eq!(counts(&third), [0, 0, 3, 0]);
    let novak = customers(db, "&Search=novak").remove(0);
    assert_eq!(novak["credit"]["amount"].to_string(), "5.25");
}

#[test]
fn a_refused_row_writes_nothing_unless_refused_rows_are_skipped() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db = db.to_str().expect("path");
    let file = dir.path().join("mixed.csv");
    std::fs::write(
        &file,
        "ExternalId,FirstName,LastName,DiscountRate,Email,IsActive\n\
         A1,Anna,Kováčová,10,anna@example.sk,true\n\
         A2,Boris,Bad,150,boris@example.sk,yes\n\
         A3,Cyril,Worse,1.5,not-an-email,perhaps\n\
         A4,Dana,Fine,,,\n",
    )
    .expect("write csv");

    let (code, report) = import(db, &file, &["--dry-run"]);
    assert_eq!(code, Some(1), "refused rows: exit 1");
    assert_eq!(counts(&report), [2, 0, 0, 2]);
    let refusals: Vec<(u64, String)> = report["refusals"]
        .as_array()
        .expect("refusals")
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["member"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        refusals,
        [(3, "DiscountRate".to_owned()), (4, "IsActive".to_owned()),],
        "{report:#}"
    );
    let discount = &report["refusals"][0]["message"];
    assert!(
        discount.as_str().expect("message").contains("100"),
        "{discount}"
    );

    // All or nothing: the import refuses as the dry run did and writes nothing.
    let (code, report) = import(db, &file, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(report["written"], false);
    assert!(customers(db, "").is_empty());
    let human = run(&["import", "--db", db, file.to_str().expect("path")]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("line 3, DiscountRate: must not be above 100"),
        "{text}"
    );
    assert!(text.contains("nothing was written"), "{text}");

    // With --skip-refused the good rows go in.
    let (code, report) = import(db, &file, &["--skip-refused"]);
    assert_eq!(code, Some(0));
    assert_eq!(counts(&report), [2, 0, 0, 2]);
    let names: Vec<String> = customers(db, "")
        .iter()
        .map(|c| c["externalId"].as_str().expect("ext").to_owned())
        .collect();
    assert_eq!(names, ["A4", "A1"], "Fine and Kováčová, by last name");
}

#[test]
fn rights_are_the_apis() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db = db.to_str().expect("path");
    let file = dir.path().join("customers.csv");
    std::fs::write(&file, SHOP_CSV).expect("write csv");

    let (code, report) = import(db, &file, &["--rights", "customerUpdate"]);
    assert_eq!(code, Some(1));
    assert_eq!(counts(&report), [0, 0, 0, 3]);
    assert!(
        report["refusals"][0]["message"]
            .as_str()
            .expect("message")
            .contains("customerCreate"),
        "{report:#}"
    );
    // Creating with a discount and credit needs those rights too, and names the column.
    let (_, report) = import(db, &file, &["--rights", "customerCreate", "--dry-run"]);
    assert_eq!(counts(&report), [1, 0, 0, 2], "{report:#}");
    assert_eq!(report["refusals"][0]["member"], "DiscountRate");
    assert!(customers(db, "").is_empty());

    // An update that changes only the city needs customerUpdate and nothing more.
    import(db, &file, &[]);
    let moved = dir.path().join("moved.csv");
    std::fs::write(&moved, "CardSerialNumber,Address.City\n1003,Žilina\n").expect("write");
    let (code, report) = import(db, &moved, &["--rights", "customerUpdate"]);
    assert_eq!((code, counts(&report)), (Some(0), [0, 1, 0, 0]));
    let mala = customers(db, "&Search=mala").remove(0);
    assert_eq!(mala["address"]["city"], "Žilina");
    assert_eq!(mala["firstName"], "Eva", "columns the file leaves out stay");
}

#[test]
fn json_lines_export_imports_back_to_the_same_customers() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db = db.to_str().expect("path");
    let out = run(&["demo", "--db", db, "--count", "200", "--seed", "3"]);
    assert_eq!(out.status.code(), Some(0));
    let file = dir.path().join("all.jsonl");
    let file_str = file.to_str().expect("path");
    let exported = run(&["export", "--db", db, file_str]);
    assert_eq!(
        exported.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    let first = std::fs::read_to_string(&file).expect("read export");
    assert_eq!(first.lines().count(), 200);

    // Into the same store: every line matches its customer and changes nothing.
    let (code, report) = import(db, &file, &[]);
    assert_eq!((code, counts(&report)), (Some(0), [0, 0, 200, 0]));
    run(&["export", "--db", db, file_str]);
    assert_eq!(std::fs::read_to_string(&file).expect("read"), first);

    // Into an empty store: the same customers, apart from the version and the ledger
    // (whose history stays with the store it was made in).
    let other = dir.path().join("other.db");
    let other = other.to_str().expect("path");
    let (code, report) = import(other, &file, &[]);
    assert_eq!((code, counts(&report)), (Some(0), [200, 0, 0, 0]));
    let copy = dir.path().join("copy.jsonl");
    run(&["export", "--db", other, copy.to_str().expect("path")]);
    let strip = |text: &str| -> Vec<Value> {
        text.lines()
            .map(|line| {
                let mut c: Value = serde_json::from_str(line).expect("json line");
                let c = c.as_object_mut().expect("object");
                c.remove("_v");
                c.remove("creditTransactions");
                Value::Object(c.clone())
            })
            .collect()
    };
    assert_eq!(
        strip(&std::fs::read_to_string(&copy).expect("read")),
        strip(&first)
    );

    // A query exports only what it selects.
    let some = dir.path().join("active.csv");
    let out = run(&[
        "export",
        "--db",
        db,
        some.to_str().expect("path"),
        "--query",
        "IsActive=false",
    ]);
    let inactive = json(&run(&[
        "api",
        "--db",
        db,
        "GET",
        "/customers?IsActive=false&$count=true",
    ]))["totalCount"]
        .as_u64()
        .expect("count");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(&format!("{inactive} customers")));
    let csv = std::fs::read_to_string(&some).expect("read csv");
    assert_eq!(
        csv.lines()
            .next()
            .map(|h| h.starts_with("CardSerialNumber,FirstName")),
        Some(true)
    );
}

#[test]
fn a_broken_file_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db = db.to_str().expect("path");
    let latin2 = dir.path().join("latin2.csv");
    std::fs::write(&latin2, b"FirstName;LastName\nJ\xe1n;Nov\xe1k\n").expect("write");
    let out = run(&["import", "--db", db, latin2.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");
    let headless = dir.path().join("no-header.csv");
    std::fs::write(&headless, "Ján;Novák\n").expect("write");
    let out = run(&["import", "--db", db, headless.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("header"));
    let lines = dir.path().join("bad.jsonl");
    std::fs::write(&lines, "{\"lastName\": \"Ok\"}\n{\"lastName\": \n").expect("write");
    let (code, report) = import(db, &lines, &[]);
    assert_eq!((code, counts(&report)), (Some(1), [1, 0, 0, 1]));
    assert_eq!(report["refusals"][0]["line"], 2);
    assert!(customers(db, "").is_empty());
}

#[test]
fn an_import_killed_midway_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db = db.to_str().expect("path");
    let created = desk(
        &["api", "--db", db, "POST", "/customers", "-"],
        Some(r#"{"lastName": "Before", "externalId": "B"}"#),
    );
    assert_eq!(created.status.code(), Some(0));
    let before = customers(db, "");
    let file = dir.path().join("big.csv");
    let mut csv = String::from("ExternalId,LastName,Credit.Amount\nB,Changed,5\n");
    for n in 0..50_000 {
        csv.push_str(&format!("X{n},Name{n},1.50\n"));
    }
    std::fs::write(&file, csv).expect("write csv");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_customer-desk"))
        .args(["import", "--db", db, file.to_str().expect("path")])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start import");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let finished = child.try_wait().expect("wait").is_some();
    child.kill().expect("kill");
    child.wait().expect("reap");
    assert!(!finished, "the import ended before it could be killed");
    assert_eq!(customers(db, ""), before);
}
