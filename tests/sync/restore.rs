//! A server put back from a backup with `customer-desk restore` is another history (a new
//! server id): a desk that syncs with it reads everything again, even when the restored
//! server has moved past the desk's cursor since, and pushes back what the backup lacked.

use std::time::{Duration, Instant};

use customer_desk::model::{Actor, Rights};
use customer_desk::store::{self, backup, feed, replica};
use serde_json::json;

use crate::http_support::TestServer;
use crate::support::{Desk, server_customers};

fn admin() -> Actor {
    Actor::new("office", Rights::admin())
}

fn server_id(server: &TestServer) -> String {
    server.auth.api().store().read(feed::server_id).unwrap()
}

/// Restores `from` over `db` as soon as the stopped server has let go of it.
fn restore_when_free(from: &std::path::Path, db: &std::path::Path) -> backup::Restored {
    let start = Instant::now();
    loop {
        match backup::restore(from, db) {
            Err(store::Error::InUse { .. }) if start.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other.unwrap(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_syncing_with_a_restored_server_reads_it_again_and_pushes_back_what_it_lacked() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let now = chrono::Utc::now();
    let server = TestServer::start_on(now, &db, "127.0.0.1:0").await;
    for n in 0..3 {
        server
            .auth
            .api()
            .create(
                &admin(),
                &json!({"firstName": format!("Eva{n}"), "lastName": "Malá"}),
            )
            .unwrap();
    }
    let user = server.add_user(Rights::admin());
    let desk = Desk::attach(&server.base_url, &user).await;
    desk.sync().await;
    let first_id = server_id(&server);

    // The nightly backup, taken while the server runs.
    let made = backup::backup(&db, &dir.path().join("backups"), None, now).unwrap();
    let refused = backup::restore(&made.file, &db).unwrap_err();
    assert!(matches!(refused, store::Error::InUse { .. }), "{refused}");

    // After the backup: a customer the desk copies and the backup does not have.
    let lost = server
        .auth
        .api()
        .create(&admin(), &json!({"firstName": "Ida", "lastName": "Nová"}))
        .unwrap();
    desk.sync().await;
    assert!(desk.get(&lost.id).is_some());

    // The server's disk dies; it is restored from the backup and started again.
    let addr = server.addr().to_owned();
    server.stop().await;
    let restored = restore_when_free(&made.file, &db);
    let restored_id = restored.server_id.expect("a server id");
    assert_ne!(restored_id, first_id);
    let server = TestServer::start_on(now, &db, &addr).await;
    assert_eq!(server_id(&server), restored_id);
    assert!(server.auth.api().get(&admin(), &lost.id).is_err());
    // The restored server moves on past the desk's cursor: only its new id tells the desk.
    for n in 0..4 {
        server
            .auth
            .api()
            .create(
                &admin(),
                &json!({"firstName": format!("Jan{n}"), "lastName": "Nový"}),
            )
            .unwrap();
    }

    desk.sync().await;
    let followed = desk
        .api
        .store()
        .read(|s| replica::meta(s, "replica.server_id"))
        .unwrap();
    assert_eq!(followed.as_deref(), Some(restored_id.as_str()));
    assert!(
        server.auth.api().get(&admin(), &lost.id).is_ok(),
        "the desk pushed back the customer the backup lacked"
    );
    let ids = |customers: Vec<customer_desk::model::Customer>| {
        customers.into_iter().map(|c| c.id).collect::<Vec<_>>()
    };
    assert_eq!(ids(desk.all()), ids(server_customers(&server)));
    assert_eq!(desk.all().len(), 3 + 1 + 4);
}
