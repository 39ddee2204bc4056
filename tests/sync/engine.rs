//! The engine between desks and a server: first pull, pushes, merges, conflicts, credit.

use customer_desk::api::ApiError;
use customer_desk::model::{Actor, Rights};
use customer_desk::sync::conflicts::{self, Take};
use serde_json::json;

use crate::http_support::TestServer;
use crate::support::{Desk, server_customers};

fn admin() -> Actor {
    Actor::new("office", Rights::admin())
}

async fn server_with(customers: usize) -> TestServer {
    let server = TestServer::start(chrono::Utc::now()).await;
    for n in 0..customers {
        server
            .auth
            .api()
            .create(
                &admin(),
                &json!({"firstName": format!("Jana{n}"), "lastName": "Nováková"}),
            )
            .unwrap();
    }
    server
}

/// What must be equal between a replica and the server: everything the API shows.
fn comparable(customers: Vec<customer_desk::model::Customer>) -> Vec<serde_json::Value> {
    customers
        .into_iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect()
}

async fn two_desks(server: &TestServer) -> (Desk, Desk) {
    let user = server.add_user(Rights::admin());
    let a = Desk::attach(&server.base_url, &user).await;
    let b = Desk::attach(&server.base_url, &user).await;
    a.sync().await;
    b.sync().await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_pull_copies_the_server_and_edits_of_different_fields_merge() {
    let server = server_with(30).await;
    let (a, b) = two_desks(&server).await;
    assert_eq!(comparable(a.all()), comparable(server_customers(&server)));
    assert_eq!(comparable(b.all()), comparable(server_customers(&server)));

    let id = a.all()[0].id.clone();
    a.edit(&id, "email", json!("jana@example.sk"));
    b.edit(&id, "phone", json!("+421 900 111 222"));
    let pushed = a.sync().await;
    assert_eq!(pushed.pushed, 1);
    assert_eq!(pushed.pending, 0);
    b.sync().await;
    a.sync().await;
    let on_server = server.auth.api().get(&admin(), &id).unwrap();
    assert_eq!(on_server.email.as_deref(), Some("jana@example.sk"));
    assert_eq!(on_server.phone.as_deref(), Some("+421 900 111 222"));
    assert_eq!(comparable(a.all()), comparable(server_customers(&server)));
    assert_eq!(comparable(b.all()), comparable(server_customers(&server)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_field_changed_on_two_desks_is_a_conflict_a_person_resolves() {
    let server = server_with(3).await;
    let (a, b) = two_desks(&server).await;
    let id = a.all()[1].id.clone();
    a.edit(&id, "note", json!("from desk a"));
    b.edit(&id, "note", json!("from desk b"));
    a.sync().await;
    let report = b.sync().await;
    assert_eq!(report.conflicts, 1, "{report:?}");
    // Nothing was overwritten: the server keeps a's, desk b keeps its own.
    assert_eq!(
        server
            .auth
            .api()
            .get(&admin(), &id)
            .unwrap()
            .note
            .as_deref(),
        Some("from desk a")
    );
    assert_eq!(b.get(&id).unwrap().note.as_deref(), Some("from desk b"));
    let open = conflicts::list(&b.api).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].fields[0].field, "note");
    assert_eq!(open[0].fields[0].desk, json!("from desk b"));
    assert_eq!(open[0].fields[0].server, json!("from desk a"));
    assert_eq!(open[0].fields[0].base, json!(null));

    conflicts::resolve(&b.api, &id, Take::Desk).unwrap();
    let report = b.sync().await;
    assert_eq!(report.conflicts, 0);
    assert_eq!(
        server
            .auth
            .api()
            .get(&admin(), &id)
            .unwrap()
            .note
            .as_deref(),
        Some("from desk b")
    );
    a.sync().await;
    assert_eq!(a.get(&id).unwrap().note.as_deref(), Some("from desk b"));

    // And the other way: the server's value wins when a person says so.
    a.edit(&id, "note", json!("a again"));
    b.edit(&id, "note", json!("b again"));
    a.sync().await;
    assert_eq!(b.sync().await.conflicts, 1);
    conflicts::resolve(&b.api, &id, Take::Server).unwrap();
    b.sync().await;
    assert_eq!(b.get(&id).unwrap().note.as_deref(), Some("a again"));
    assert_eq!(comparable(b.all()), comparable(server_customers(&server)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_adjusted_offline_on_two_desks_is_applied_once_each() {
    let server = server_with(1).await;
    let (a, b) = two_desks(&server).await;
    let id = a.all()[0].id.clone();
    a.api
        .adjust_credit(&a.actor, &id, &json!({"amount": 10.50, "note": "gift"}))
        .unwrap();
    b.api
        .adjust_credit(&b.actor, &id, &json!({"amount": 4.25}))
        .unwrap();
    // Offline, only credit the server confirmed can be spent.
    let refused = a
        .api
        .adjust_credit(&a.actor, &id, &json!({"amount": -5}))
        .unwrap_err();
    assert!(
        matches!(&refused, ApiError::Validation(e) if e[0].message.contains("confirmed by the server")),
        "{refused}"
    );
    for _ in 0..2 {
        a.sync().await;
        b.sync().await;
    }
    let on_server = server.auth.api().get(&admin(), &id).unwrap();
    assert_eq!(on_server.credit.amount.to_string(), "14.75");
    assert_eq!(on_server.credit_transactions.len(), 2);
    let mut ops: Vec<_> = on_server
        .credit_transactions
        .iter()
        .map(|t| t.operation_id.clone().expect("an operation id"))
        .collect();
    ops.dedup();
    assert_eq!(ops.len(), 2);
    assert_eq!(comparable(a.all()), comparable(server_customers(&server)));
    assert_eq!(comparable(b.all()), comparable(server_customers(&server)));
    // Confirmed now: it can be spent.
    a.api
        .adjust_credit(&a.actor, &id, &json!({"amount": -5}))
        .unwrap();
    a.sync().await;
    assert_eq!(
        server
            .auth
            .api()
            .get(&admin(), &id)
            .unwrap()
            .credit
            .amount
            .to_string(),
        "9.75"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_and_deletes_travel_and_a_delete_against_an_edit_waits_for_a_person() {
    let server = server_with(2).await;
    let (a, b) = two_desks(&server).await;
    let made =
        a.create(json!({"firstName": "Offline", "lastName": "Created", "credit": {"amount": 3}}));
    a.sync().await;
    let on_server = server.auth.api().get(&admin(), &made.id).unwrap();
    assert_eq!(on_server.first_name.as_deref(), Some("Offline"));
    assert_eq!(on_server.credit.amount.to_string(), "3");
    b.sync().await;
    assert!(b.get(&made.id).is_some());

    a.api.delete(&a.actor, &made.id).unwrap();
    a.sync().await;
    assert!(server.auth.api().get(&admin(), &made.id).is_err());
    b.sync().await;
    assert!(b.get(&made.id).is_none(), "the delete reached desk b");

    let id = a.all()[0].id.clone();
    a.api.delete(&a.actor, &id).unwrap();
    b.edit(&id, "email", json!("still@here.sk"));
    b.sync().await;
    let report = a.sync().await;
    assert_eq!(report.conflicts, 1, "{report:?}");
    assert!(
        server.auth.api().get(&admin(), &id).is_ok(),
        "an edited customer is not deleted behind a person's back"
    );
    conflicts::resolve(&a.api, &id, Take::Server).unwrap();
    a.sync().await;
    assert_eq!(a.get(&id).unwrap().email.as_deref(), Some("still@here.sk"));
    assert_eq!(comparable(a.all()), comparable(server_customers(&server)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_portos_server_is_synced_by_listing() {
    let server = TestServer::start_portos(chrono::Utc::now()).await;
    for n in 0..7 {
        server
            .auth
            .api()
            .create(&admin(), &json!({"firstName": format!("P{n}")}))
            .unwrap();
    }
    let (a, b) = two_desks(&server).await;
    assert_eq!(comparable(a.all()), comparable(server_customers(&server)));
    let id = a.all()[2].id.clone();
    a.edit(&id, "email", json!("p@portos.sk"));
    b.api
        .adjust_credit(&b.actor, &id, &json!({"amount": 2}))
        .unwrap();
    let made = b.create(json!({"lastName": "New on b"}));
    let gone = a.all()[3].id.clone();
    a.api.delete(&a.actor, &gone).unwrap();
    for _ in 0..2 {
        a.sync().await;
        b.sync().await;
    }
    let on_server = server.auth.api().get(&admin(), &id).unwrap();
    assert_eq!(on_server.email.as_deref(), Some("p@portos.sk"));
    assert_eq!(on_server.credit.amount.to_string(), "2");
    assert!(server.auth.api().get(&admin(), &made.id).is_ok());
    assert!(server.auth.api().get(&admin(), &gone).is_err());
    assert_eq!(comparable(a.all()), comparable(server_customers(&server)));
    assert_eq!(comparable(b.all()), comparable(server_customers(&server)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restored_from_a_backup_gets_back_what_it_lost_and_pending_writes_stay() {
    let server = server_with(3).await;
    let (a, _b) = two_desks(&server).await;
    let ids: Vec<String> = a.all().into_iter().map(|c| c.id).collect();
    a.edit(&ids[0], "note", json!("written while the server was away"));
    // The server comes back from an older copy: another history (a new server id), and
    // without the customer ids[1] that was created after the copy was taken.
    server
        .auth
        .api()
        .store()
        .write_sql(|tx| {
            tx.execute(
                "UPDATE store_meta SET value = 'restored0000000000000000' WHERE name = 'server_id'",
                [],
            )?;
            tx.execute("DELETE FROM sync_feed WHERE customer_id = ?1", [&ids[1]])?;
            tx.execute("DELETE FROM customers WHERE id = ?1", [&ids[1]])?;
            tx.execute(
                "UPDATE counters SET value = value - 1 WHERE name = 'customers'",
                [],
            )
        })
        .unwrap();
    let report = a.sync().await;
    assert_eq!(report.pending, 0, "{report:?}");
    assert_eq!(
        server
            .auth
            .api()
            .get(&admin(), &ids[0])
            .unwrap()
            .note
            .as_deref(),
        Some("written while the server was away")
    );
    assert!(
        server.auth.api().get(&admin(), &ids[1]).is_ok(),
        "the customer the server lost was pushed to it again"
    );
    assert_eq!(comparable(a.all()), comparable(server_customers(&server)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_server_is_tried_again_later_as_it_asks_and_nothing_is_parked() {
    use crate::proxy::{Fault, FaultProxy};
    let server = server_with(2).await;
    let user = server.add_user(Rights::admin());
    let proxy = FaultProxy::start(&server.base_url, 1).await;
    let desk = Desk::attach(&proxy.url, &user).await;
    desk.sync().await;
    let id = desk.all()[0].id.clone();
    desk.edit(&id, "email", json!("busy@x.sk"));
    for fault in [
        Fault::Busy503,
        Fault::Slow429,
        Fault::Locked423,
        Fault::DropAnswer,
        Fault::Truncate,
    ] {
        proxy.force(Some(fault));
        let err = desk.replica.sync_once(0).await.unwrap_err();
        assert!(err.is_transient(), "{fault:?}: {err}");
        if matches!(fault, Fault::Busy503 | Fault::Slow429) {
            assert_eq!(
                desk.replica.client().take_retry_after(),
                Some(std::time::Duration::from_secs(1)),
                "{fault:?}"
            );
        }
    }
    proxy.force(None);
    let report = desk.sync().await;
    assert_eq!((report.pending, report.parked), (0, 0), "{report:?}");
    assert_eq!(
        server
            .auth
            .api()
            .get(&admin(), &id)
            .unwrap()
            .email
            .as_deref(),
        Some("busy@x.sk")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_takes_no_demo_data_of_its_own() {
    let server = server_with(1).await;
    let user = server.add_user(Rights::admin());
    let desk = Desk::attach(&server.base_url, &user).await;
    let refused = customer_desk::demo::load(&desk.api, 10, 1, &mut |_| true).unwrap_err();
    assert!(refused.to_string().contains("replica"), "{refused}");
    assert!(desk.all().is_empty());
}
