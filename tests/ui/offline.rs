//! A desk signed in to a shop server works on its replica (issue 13): the first sync with its
//! progress, edits saved while the server is away and sent when it is back, conflicts and
//! parked changes decided in the window, and signing out with changes left on the desk.
//! A real server on loopback, behind the fault-injecting proxy of the sync tests.

use crate::http_support::{self, TestServer};
use crate::proxy::FaultProxy;
use crate::support::*;
use customer_desk::model::{Actor, Right, Rights};
use customer_desk::ui::App;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};

/// A server with two customers, and a proxy in front of it.
fn server_and_proxy(runtime: &tokio::runtime::Runtime) -> (TestServer, FaultProxy) {
    let server = server_with_customers(runtime);
    let proxy = runtime.block_on(FaultProxy::start(&server.base_url, 7));
    (server, proxy)
}

/// A clerk holding `rights` at the server, whose desk signed in through the proxy and made
/// its first sync.
struct Desk {
    server: TestServer,
    proxy: FaultProxy,
    clerk: String,
    harness: Harness<'static, App>,
    _dir: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn synced_desk(rights: Rights) -> Desk {
    let runtime = runtime();
    let (server, proxy) = server_and_proxy(&runtime);
    let clerk = server.add_user(rights);
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    sign_in_at(&mut harness, &proxy.url, &clerk);
    wait_for(&mut harness, "the first sync", |h| shows(h, "Up to date"));
    Desk {
        server,
        proxy,
        clerk,
        harness,
        _dir: dir,
        _runtime: runtime,
    }
}

fn sign_in_at(harness: &mut Harness<'_, App>, address: &str, user: &str) {
    sign_in_at_server(harness, address, user, http_support::PASSWORD);
}

/// Opens the customer of the grid row labelled `name`.
fn open(harness: &mut Harness<'_, App>, name: &str) {
    harness.get_by_label(name).click();
    harness.run_steps(2);
    harness.key_press(egui::Key::Enter);
    settle(harness);
}

fn set_email(harness: &mut Harness<'_, App>, email: &str) {
    let field = || By::new().role(Role::TextInput).label("Email");
    harness.get(field()).click();
    harness.run_ok();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get(field()).type_text(email);
    harness.step();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    settle(harness);
}

/// The server's customer holding card `serial`.
fn server_customer(server: &TestServer, serial: &str) -> customer_desk::model::Customer {
    let admin = Actor::new("check", Rights::admin());
    let params = customer_desk::ndata::ListParams::new()
        .with("CardSerialNumber", format!("eq:{serial}"))
        .with("$take", "1");
    server
        .auth
        .api()
        .list(&admin, &params)
        .expect("list")
        .items
        .and_then(|items| items.into_iter().next())
        .expect("a customer with that card")
}

fn server_email(server: &TestServer, serial: &str) -> Option<String> {
    server_customer(server, serial).email
}

/// Another desk (the office, through the server's own API) sets members of the customer
/// holding card `serial`.
fn edit_on_server(server: &TestServer, serial: &str, members: &[(&str, &str)]) {
    let office = Actor::new("office", Rights::admin());
    let customer = server_customer(server, serial);
    let mut body = serde_json::to_value(&customer).unwrap();
    for (member, value) in members {
        body[*member] = (*value).into();
    }
    server
        .auth
        .api()
        .upsert(&office, &customer.id, &body)
        .expect("server edit");
}

#[test]
fn an_edit_made_offline_is_marked_and_reaches_the_server_when_it_is_back() {
    let Desk {
        server,
        proxy,
        clerk: _,
        mut harness,
        _dir,
        _runtime,
    } = synced_desk(Rights::NONE.with(Right::CustomerUpdate));
    assert!(
        shows(&harness, "Serafína Serverová"),
        "the replica's customers"
    );

    // The cable is pulled; the desk works on.
    proxy.cut(true);
    type_into(&mut harness, "Search", "serverov");
    settle(&mut harness);
    assert!(shows(&harness, "1 match"), "search works offline");
    open(&mut harness, "Serafína Serverová");
    set_email(&mut harness, "serafina@example.sk");
    wait_for(&mut harness, "the desk to say it is offline", |h| {
        shows(h, "Offline")
    });
    assert!(shows(&harness, "1 pending"), "the status bar counts it");
    harness.get_by_label("1 pending").click();
    settle(&mut harness);
    assert!(
        shows(&harness, "Serafína Serverová: a change of the customer"),
        "the pending count opens its list"
    );
    assert!(harness.query_by_label("Retry Serafína Serverová").is_none());
    harness.get_by_label("Close the list").click();
    settle(&mut harness);
    assert!(
        harness.query_by_label("Not yet on the server").is_some(),
        "the row is marked"
    );
    assert!(shows(&harness, "Saved on this desk, not yet on the server"));
    assert_eq!(
        server_email(&server, "9001").as_deref(),
        Some("s@example.sk")
    );

    // Plugged back in: the edit goes out by itself.
    proxy.cut(false);
    wait_for(&mut harness, "the edit to reach the server", |h| {
        shows(h, "Up to date") && !shows(h, "pending")
    });
    assert_eq!(
        server_email(&server, "9001").as_deref(),
        Some("serafina@example.sk")
    );
    wait_for(&mut harness, "the mark to go", |h| {
        h.query_by_label("Not yet on the server").is_none()
    });
}

#[test]
fn the_first_sync_shows_its_progress_and_a_change_on_the_server_shows_up() {
    let runtime = runtime();
    let (server, proxy) = server_and_proxy(&runtime);
    customer_desk::demo::load(server.auth.api(), 12_000, 5, &mut |_| true).expect("demo");
    let clerk = server.add_user(Rights::NONE);
    proxy.force(Some(crate::proxy::Fault::Delay));
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    sign_in_at(&mut harness, &proxy.url, &clerk);
    wait_for(&mut harness, "the progress bar", |h| {
        shows(h, "of 12,002 customers")
    });
    assert!(shows(
        &harness,
        "Copying the server's customers to this desk"
    ));
    proxy.force(None);
    wait_for(&mut harness, "the first sync to end", |h| {
        shows(h, "Up to date")
    });
    wait_for(&mut harness, "the grid to count them", |h| {
        shows(h, "12,002 customers")
    });

    // Another desk (here, the server's own API) adds a customer: it shows within seconds.
    let admin = Actor::new("other desk", Rights::admin());
    server
        .auth
        .api()
        .create(
            &admin,
            &person("Nová", "Zákazníčka", "n@example.sk", "9999"),
        )
        .expect("create");
    wait_for(&mut harness, "the new customer in the grid", |h| {
        shows(h, "12,003 customers")
    });
}

#[test]
fn a_conflict_is_decided_in_the_window_both_ways() {
    let Desk {
        server,
        proxy,
        clerk: _,
        mut harness,
        _dir,
        _runtime,
    } = synced_desk(Rights::NONE.with(Right::CustomerUpdate));

    // Offline, the desk changes both e-mails; the server changes them too, otherwise.
    proxy.cut(true);
    for (name, email) in [
        ("Serafína Serverová", "desk-s@example.sk"),
        ("Oto Obchodník", "desk-o@example.sk"),
    ] {
        open(&mut harness, name);
        set_email(&mut harness, email);
    }
    for (serial, email) in [
        ("9001", "server-s@example.sk"),
        ("9002", "server-o@example.sk"),
    ] {
        edit_on_server(&server, serial, &[("email", email)]);
    }
    proxy.cut(false);
    wait_for(&mut harness, "the conflicts", |h| shows(h, "2 conflicts"));
    harness.get_by_label("2 conflicts").click();
    settle(&mut harness);
    for value in ["desk-s@example.sk", "server-s@example.sk", "s@example.sk"] {
        assert!(shows(&harness, value), "the conflict view shows {value}");
    }
    harness
        .get_by_label("Keep the server's: Serafína Serverová")
        .click();
    settle(&mut harness);
    assert!(
        shows(&harness, "1 conflict"),
        "one is decided, the other still waits"
    );
    harness
        .get_by_label("Keep this desk's: Oto Obchodník")
        .click();
    settle(&mut harness);
    harness.get_by_label("Close the list").click();
    settle(&mut harness);
    wait_for(&mut harness, "both to be decided", |h| {
        !shows(h, "conflict")
    });
    wait_for(&mut harness, "no change pending", |h| !shows(h, "pending"));
    wait_for(&mut harness, "up to date", |h| shows(h, "Up to date"));
    assert_eq!(
        server_email(&server, "9001").as_deref(),
        Some("server-s@example.sk")
    );
    assert_eq!(
        server_email(&server, "9002").as_deref(),
        Some("desk-o@example.sk")
    );
}

#[test]
fn a_parked_change_says_why_and_sign_out_with_changes_warns_and_keeps_them() {
    let Desk {
        server,
        proxy,
        clerk,
        mut harness,
        _dir,
        _runtime,
    } = synced_desk(Rights::NONE.with(Right::CustomerUpdate));

    // Offline, the clerk edits a customer; meanwhile the office takes the right away.
    proxy.cut(true);
    open(&mut harness, "Serafína Serverová");
    set_email(&mut harness, "offline@example.sk");
    server
        .auth
        .set_rights(&clerk, Rights::NONE)
        .expect("rights");
    proxy.cut(false);
    wait_for(&mut harness, "the server to refuse it", |h| {
        shows(h, "1 parked")
    });
    harness.get_by_label("1 parked").click();
    settle(&mut harness);
    assert!(
        shows(&harness, "may not change customers' details there"),
        "the server's reason, in words"
    );
    assert!(harness.query_by_label("Retry Serafína Serverová").is_some());
    assert!(
        harness
            .query_by_label("Discard Serafína Serverová")
            .is_none(),
        "only a user with every right may give a change up"
    );
    harness.get_by_label("Close the list").click();
    settle(&mut harness);

    // Signing out warns, keeps the change, and the clerk can sign in again offline.
    harness.get_by_label("Switch user").click();
    settle(&mut harness);
    assert!(
        shows(&harness, "1 parked change"),
        "the warning says what stays"
    );
    harness
        .get_by_label("Sign out, keep them for later")
        .click();
    settle(&mut harness);
    proxy.cut(true);
    sign_in_at(&mut harness, &proxy.url, &clerk);
    assert!(
        shows(&harness, &format!("Signed in as {clerk}")),
        "signed in without the server"
    );
    wait_for(&mut harness, "the kept change", |h| shows(h, "1 parked"));
    assert!(shows(&harness, "Serafína Serverová"));
}

#[test]
fn a_conflict_of_two_fields_is_decided_field_by_field() {
    let Desk {
        server,
        proxy,
        clerk: _,
        mut harness,
        _dir,
        _runtime,
    } = synced_desk(Rights::NONE.with(Right::CustomerUpdate));
    proxy.cut(true);
    open(&mut harness, "Serafína Serverová");
    let phone = || By::new().role(Role::TextInput).label("Phone");
    harness.get(phone()).click();
    harness.run_ok();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get(phone()).type_text("+421 900 111 111");
    harness.step();
    set_email(&mut harness, "desk@example.sk");
    edit_on_server(
        &server,
        "9001",
        &[
            ("email", "office@example.sk"),
            ("phone", "+421 900 222 222"),
        ],
    );
    proxy.cut(false);
    wait_for(&mut harness, "the conflict", |h| shows(h, "1 conflict"));
    harness.get_by_label("1 conflict").click();
    settle(&mut harness);
    // The server's e-mail, this desk's phone.
    harness.get_by_label("email: Server").click();
    settle(&mut harness);
    harness
        .get_by_label("Keep the values chosen: Serafína Serverová")
        .click();
    settle(&mut harness);
    harness.get_by_label("Close the list").click();
    settle(&mut harness);
    wait_for(&mut harness, "the mix on the server", |h| {
        shows(h, "Up to date") && !shows(h, "conflict")
    });
    let stored = server_customer(&server, "9001");
    assert_eq!(stored.email.as_deref(), Some("office@example.sk"));
    assert_eq!(stored.phone.as_deref(), Some("+421 900 111 111"));
}
