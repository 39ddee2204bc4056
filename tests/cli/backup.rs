//! `backup`, `restore` and `--version` as an operator or a systemd timer runs them: a backup
//! of a store a running `serve` holds, `--keep`, and a restore that waits for the server to
//! be stopped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use super::{desk, json};

/// `customer-desk serve` on the store `db`, on a free port; returns once it listens.
fn serve(db: &str) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_customer-desk"))
        .args(["--db", db, "serve", "--bind", "127.0.0.1:0"])
        .env("CUSTOMER_DESK_ADMIN_PASSWORD", "admin-password")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = lines
            .next()
            .expect("serve stopped before it listened")
            .expect("read stderr");
        if line.contains("serving") {
            break;
        }
    }
    // Keep reading its log so that it never blocks on a full pipe.
    std::thread::Builder::new()
        .name("serve log".into())
        .spawn(move || lines.for_each(drop))
        .expect("thread");
    child
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn version_names_the_package_version_and_the_revision() {
    let out = desk(&["--version"], None);
    assert_eq!(out.status.code(), Some(0));
    let line = text(&out.stdout);
    let prefix = format!("customer-desk {} (revision ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&prefix), "{line}");
    assert!(line.trim_end().ends_with(')'), "{line}");
}

#[test]
fn a_served_store_is_backed_up_kept_to_n_and_restored_once_the_server_stops() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let db = db.to_str().expect("path");
    let backups = dir.path().join("backups");
    let backups = backups.to_str().expect("path");
    let made = desk(&["demo", "--db", db, "--count", "30"], None);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));

    let mut server = serve(db);
    let mut files = Vec::new();
    for _ in 0..3 {
        let out = desk(
            &["backup", "--db", db, "--to", backups, "--keep", "2"],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        files.push(text(&out.stdout).trim().to_owned());
    }
    assert!(
        !std::path::Path::new(&files[0]).exists(),
        "--keep 2 deleted the oldest"
    );
    assert!(std::path::Path::new(&files[2]).exists());
    assert_eq!(std::fs::read_dir(backups).expect("dir").count(), 2);

    let refused = desk(&["restore", "--db", db, &files[2]], None);
    assert_eq!(refused.status.code(), Some(1));
    let why = text(&refused.stderr);
    assert!(why.contains("in use") && why.contains("shop.db"), "{why}");

    let body = r#"{"firstName": "After", "lastName": "Backup"}"#;
    let created = desk(&["api", "--db", db, "POST", "/customers", "-"], Some(body));
    assert_eq!(created.status.code(), Some(0), "{}", text(&created.stderr));
    server.kill().expect("kill serve");
    server.wait().expect("wait serve");

    let count = || {
        let out = desk(
            &["api", "--db", db, "GET", "/customers?$take=1&$count=true"],
            None,
        );
        json(&out)["totalCount"].as_u64().expect("count")
    };
    assert_eq!(count(), 31);
    // A folder restores its newest backup of this store.
    let restored = desk(&["restore", "--db", db, backups], None);
    assert_eq!(
        restored.status.code(),
        Some(0),
        "{}",
        text(&restored.stderr)
    );
    assert!(
        text(&restored.stderr).contains(&files[2]),
        "{}",
        text(&restored.stderr)
    );
    assert_eq!(count(), 30);

    let bad = dir.path().join("not-a-backup.db");
    std::fs::write(&bad, "hello").expect("write");
    let refused = desk(&["restore", "--db", db, bad.to_str().expect("path")], None);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("not-a-backup.db"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(count(), 30);
}
