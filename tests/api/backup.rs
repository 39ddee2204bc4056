//! Backups of a store in use and restores (`store::backup`): a backup taken while writes go
//! on is one consistent moment and opens; `keep` deletes the oldest; a restore refuses while
//! the store is open and refuses a damaged backup by name, leaving the store as it was.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{TimeZone, Utc};
use customer_desk::api::LocalApi;
use customer_desk::model::{Actor, Rights};
use customer_desk::store::{self, Store, backup, feed};
use serde_json::json;

fn admin() -> Actor {
    Actor::new("office", Rights::admin())
}

fn store_with(path: &Path, customers: usize) -> LocalApi {
    let api = LocalApi::with_system_clock(Store::open(path).unwrap());
    for n in 0..customers {
        api.create(
            &admin(),
            &json!({"firstName": format!("Jana{n}"), "lastName": "Nováková"}),
        )
        .unwrap();
    }
    api
}

fn ids(api: &LocalApi) -> Vec<String> {
    api.list(
        &admin(),
        &customer_desk::ndata::ListParams::from_query_string("$sort=id"),
    )
    .unwrap()
    .items
    .unwrap()
    .into_iter()
    .map(|c| c.id)
    .collect()
}

/// The numbers a consistent store agrees on: customers counted, listed, in the feed.
fn agreeing_counts(store: &Store) -> i64 {
    store
        .read_sql(|c| {
            let check: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            assert_eq!(check, "ok");
            let rows: i64 = c.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
            let docs: i64 = c.query_row("SELECT count(*) FROM customer_docs", [], |r| r.get(0))?;
            let counter: i64 = c.query_row(
                "SELECT value FROM counters WHERE name = 'customers'",
                [],
                |r| r.get(0),
            )?;
            let feed: i64 = c.query_row(
                "SELECT count(*) FROM sync_feed WHERE NOT deleted",
                [],
                |r| r.get(0),
            )?;
            assert_eq!((docs, counter, feed), (rows, rows, rows));
            Ok::<_, rusqlite::Error>(rows)
        })
        .unwrap()
}

#[test]
fn a_backup_taken_while_writes_go_on_is_one_consistent_moment_and_opens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("customers.db");
    let api = Arc::new(store_with(&db, 200));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (api, stop) = (api.clone(), stop.clone());
        std::thread::Builder::new()
            .name("writes".into())
            .spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let made = api
                        .create(&admin(), &json!({"firstName": format!("Petra{n}"), "lastName": "Malá", "credit": {"amount": 5}}))
                        .unwrap();
                    if n % 3 == 0 {
                        api.delete(&admin(), &made.id).unwrap();
                    }
                    n += 1;
                }
                n
            })
            .unwrap()
    };
    let mut seen = Vec::new();
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let made = backup::backup(&db, &dir.path().join("backups"), None, Utc::now()).unwrap();
        assert!(made.bytes > 0);
        let copy = Store::open(&made.file).unwrap();
        seen.push(agreeing_counts(&copy));
        assert_eq!(
            ids(&LocalApi::with_system_clock(copy)).len() as i64,
            *seen.last().unwrap()
        );
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().unwrap();
    assert!(writes > 0, "the writes went on during the backups");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(seen[0] >= 200);
    assert_eq!(
        backup::list(&db, &dir.path().join("backups"))
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn keep_deletes_the_oldest_backups_of_the_store_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    drop(store_with(&db, 2));
    let to = dir.path().join("backups");
    std::fs::create_dir_all(&to).unwrap();
    std::fs::write(to.join("notes.txt"), "mine").unwrap();
    std::fs::write(to.join("other-20200101T000000.000Z.db"), "another store's").unwrap();
    let keep = NonZeroUsize::new(3);
    let mut made = Vec::new();
    for day in 1..=5 {
        let at = Utc.with_ymd_and_hms(2026, 11, day, 2, 0, 0).unwrap();
        made.push(backup::backup(&db, &to, keep, at).unwrap());
    }
    assert_eq!(
        made[0].file.file_name().unwrap(),
        "shop-20261101T020000.000Z.db"
    );
    assert_eq!(made[3].pruned, vec![made[0].file.clone()]);
    assert_eq!(made[4].pruned, vec![made[1].file.clone()]);
    let left = backup::list(&db, &to).unwrap();
    assert_eq!(
        left,
        made[2..].iter().map(|m| m.file.clone()).collect::<Vec<_>>()
    );
    assert!(to.join("notes.txt").exists());
    assert!(to.join("other-20200101T000000.000Z.db").exists());
    // Two backups in the same millisecond get two names.
    let at = Utc.with_ymd_and_hms(2026, 11, 5, 2, 0, 0).unwrap();
    let again = backup::backup(&db, &to, None, at).unwrap();
    assert_eq!(
        again.file.file_name().unwrap(),
        "shop-20261105T020000.001Z.db"
    );
}

#[test]
fn a_restore_puts_the_backup_back_under_a_new_server_id_and_keeps_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("customers.db");
    let api = store_with(&db, 3);
    let before = ids(&api);
    let first_id = api.store().read(feed::server_id).unwrap();
    let made = backup::backup(&db, &dir.path().join("b"), None, Utc::now()).unwrap();
    api.create(&admin(), &json!({"firstName": "Ida"})).unwrap();
    let after = ids(&api);

    let refused = backup::restore(&made.file, &db).unwrap_err();
    assert!(matches!(refused, store::Error::InUse { .. }), "{refused}");
    assert!(refused.to_string().contains("customers.db"), "{refused}");
    drop(api);

    let restored = backup::restore(&made.file, &db).unwrap();
    let api = LocalApi::with_system_clock(Store::open(&db).unwrap());
    assert_eq!(ids(&api), before);
    let new_id = api.store().read(feed::server_id).unwrap();
    assert_eq!(restored.server_id.as_deref(), Some(new_id.as_str()));
    assert_ne!(new_id, first_id);
    let kept = restored.previous.expect("the store as it was");
    drop(api);
    let previous = LocalApi::with_system_clock(Store::open(&kept).unwrap());
    assert_eq!(ids(&previous), after);
    assert_eq!(previous.store().read(feed::server_id).unwrap(), first_id);
}

#[test]
fn a_damaged_or_foreign_backup_is_refused_by_name_and_the_store_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("customers.db");
    let api = store_with(&db, 50);
    let made = backup::backup(&db, &dir.path().join("b"), None, Utc::now()).unwrap();
    let want = ids(&api);
    let server_id = api.store().read(feed::server_id).unwrap();
    drop(api);
    let whole = std::fs::read(&made.file).unwrap();

    let garbage = dir.path().join("garbage.db");
    std::fs::write(
        &garbage,
        b"this is no database at all, only some bytes".repeat(100),
    )
    .unwrap();
    let cut = dir.path().join("cut.db");
    std::fs::write(&cut, &whole[..whole.len() / 3]).unwrap();
    let flipped = dir.path().join("flipped.db");
    let mut bytes = whole.clone();
    for b in &mut bytes[4096 * 2..4096 * 4] {
        *b ^= 0x5a;
    }
    std::fs::write(&flipped, &bytes).unwrap();
    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let missing = dir.path().join("missing.db");

    let db_bytes = std::fs::read(&db).unwrap();
    for bad in [&garbage, &cut, &flipped, &foreign, &empty, &missing] {
        let err = backup::restore(bad, &db).unwrap_err();
        assert!(
            matches!(err, store::Error::BadBackup { .. }),
            "{}: {err}",
            bad.display()
        );
        let name = bad.file_name().unwrap().to_str().unwrap();
        assert!(err.to_string().contains(name), "{err}");
        assert_eq!(
            std::fs::read(&db).unwrap(),
            db_bytes,
            "{name} changed the store"
        );
    }
    assert!(!dir.path().join("customers.db.before-restore").exists());
    let api = LocalApi::with_system_clock(Store::open(&db).unwrap());
    assert_eq!(ids(&api), want);
    assert_eq!(api.store().read(feed::server_id).unwrap(), server_id);
}
