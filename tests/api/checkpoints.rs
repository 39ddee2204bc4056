//! A store in a file copies its write-ahead log back into the database file on a thread of
//! its own, so that no edit waits for it; and nothing written is lost on the way.

use std::time::{Duration, Instant};

use customer_desk::api::LocalApi;
use customer_desk::model::{Actor, Rights};
use customer_desk::store::Store;
use serde_json::json;

#[test]
fn the_log_is_copied_back_off_the_writer_and_nothing_is_lost() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("c.db");
    let admin = Actor::new("admin", Rights::admin());
    let created = 1200;
    {
        let api = LocalApi::with_system_clock(Store::open(&path).expect("store"));
        // The commits themselves no longer checkpoint (SQLite's default is 1,000 pages).
        let in_commit: i64 = api.store().with_writer(|conn| {
            conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
                .expect("pragma")
        });
        assert_eq!(in_commit, 0);

        // Each customer writes a few dozen pages of the log: tens of thousands in all, fast
        // enough that the log now and then passes the bound at which the writer checkpoints
        // itself while the thread is still copying. Such a write has landed and must say so.
        for n in 0..created {
            api.create(
                &admin,
                &json!({
                    "firstName": format!("Name{n}"),
                    "lastName": "Checkpointová",
                    "note": "x".repeat(3_000),
                }),
            )
            .expect("create");
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while api.store().background_checkpoints() == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            api.store().background_checkpoints() > 0,
            "no checkpoint was made in the background"
        );
        let file = std::fs::metadata(&path).expect("database file").len();
        assert!(file > 4 << 20, "the database file holds only {file} bytes");
    }
    let api = LocalApi::with_system_clock(Store::open(&path).expect("reopen"));
    let total = api
        .store()
        .read(customer_desk::store::customers::total_count)
        .expect("count");
    assert_eq!(total, created);
    let check: String = api
        .store()
        .read_sql(|conn| conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
        .expect("check");
    assert_eq!(check, "ok");
}
