//! A desk pointed at a shop server (egui_kittest, no display): signing in there from the
//! first start, working on the server's customers with the server user's rights, and the
//! errors a wrong password or a wrong address give.

use crate::http_support;
use crate::support::*;
use customer_desk::model::{Right, Rights};
use egui_kittest::kittest::Queryable as _;

#[test]
fn a_first_start_can_sign_in_at_the_shop_server_and_work_on_its_customers() {
    let runtime = runtime();
    let server = server_with_customers(&runtime);
    // A clerk who may edit but not create or delete.
    let clerk = server.add_user(Rights::NONE.with(Right::CustomerUpdate));
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    sign_in_at_server(
        &mut harness,
        &server.base_url,
        &clerk,
        http_support::PASSWORD,
    );

    let status = format!("Signed in as {clerk} at {}", server.base_url);
    assert!(harness.query_by_label(&status).is_some(), "{status}");
    // The desk works on its replica, which the first sync fills in the background.
    wait_for(&mut harness, "the server's customers", |h| {
        shows(h, "Serafína Serverová")
    });
    assert!(harness.query_by_label("2 customers").is_some());
    // The server's rights for this user: no New, no Delete.
    assert!(harness.query_by_label("New customer").is_none());

    // Search runs on the server.
    type_into(&mut harness, "Search", "obchod");
    settle(&mut harness);
    assert!(harness.query_by_label("Oto Obchodník").is_some());
    assert!(harness.query_by_label("Serafína Serverová").is_none());

    // Switching user offers the server again, its address filled in.
    harness.get_by_label("Switch user").click();
    settle(&mut harness);
    assert_eq!(
        harness.get_by_label("Server address").value().as_deref(),
        Some(server.base_url.as_str())
    );
}

/// On a desk's first sign-in to a server the keyboard starts in the empty address, the
/// field a person fills first, not in the user name below it.
#[test]
fn a_first_sign_in_to_a_server_starts_typing_in_its_address() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    settle(&mut harness);
    harness.get_by_label("Sign in to a shop server").click();
    settle(&mut harness);
    harness.event(egui::Event::Text("http://10.0.0.5:8080".into()));
    harness.run_ok();
    assert_eq!(
        harness.get_by_label("Server address").value().as_deref(),
        Some("http://10.0.0.5:8080")
    );
    assert_eq!(
        harness.get_by_label("User name").value().as_deref(),
        Some("")
    );
}

#[test]
fn a_wrong_password_or_address_at_the_server_says_so() {
    let runtime = runtime();
    let server = server_with_customers(&runtime);
    let clerk = server.add_user(Rights::NONE);
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    sign_in_at_server(&mut harness, &server.base_url, &clerk, "not the password");
    assert!(
        harness
            .query_by_label("Wrong user name or password.")
            .is_some()
    );

    // An address nobody listens on (port 9 on loopback is closed).
    drop(harness);
    let mut harness = app(dir.path().join("customers.db"));
    sign_in_at_server(
        &mut harness,
        "http://127.0.0.1:9",
        &clerk,
        http_support::PASSWORD,
    );
    assert!(
        harness
            .query_by_label_contains("The server could not be reached")
            .is_some()
    );
}

#[test]
fn with_the_server_gone_a_new_search_runs_on_the_desks_replica_and_says_offline() {
    let runtime = runtime();
    let server = server_with_customers(&runtime);
    let clerk = server.add_user(Rights::NONE);
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    sign_in_at_server(
        &mut harness,
        &server.base_url,
        &clerk,
        http_support::PASSWORD,
    );
    wait_for(&mut harness, "the server's customers", |h| {
        shows(h, "Serafína Serverová") && shows(h, "Up to date")
    });
    // The cable is pulled: the server stops.
    drop(server);
    drop(runtime);
    type_into(&mut harness, "Search", "obchod");
    settle(&mut harness);
    assert!(
        harness.query_by_label("Oto Obchodník").is_some(),
        "the search ran on this desk's copy"
    );
    assert!(
        harness.query_by_label("Serafína Serverová").is_none(),
        "rows of the old search do not stand under the new one"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while harness.query_by_label_contains("Offline").is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the status bar never said Offline"
        );
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
