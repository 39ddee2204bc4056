//! The *Users* view (issue 14, item 13): the owner adds, changes, resets and removes users
//! from the window, on this computer's store and at a shop server; a change of rights
//! reaches a desk that is signed in without signing in again.

use crate::http_support::{self, TestServer};
use crate::support::*;
use customer_desk::api::{Auth, AuthPolicy};
use customer_desk::model::{Right, Rights};
use egui_kittest::kittest::Queryable as _;
use std::sync::Arc;

fn click(harness: &mut egui_kittest::Harness<'_, customer_desk::ui::App>, label: &str) {
    harness.get_by_label(label).click();
    settle(harness);
}

#[test]
fn the_owner_adds_changes_resets_and_removes_a_user_in_the_window() {
    let store = TestStore::new(&[("owner", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "owner");
    click(&mut harness, "Users");
    assert!(harness.query_by_label("owner (you)").is_some());
    assert!(harness.query_by_label("Every right").is_some());

    // A password too short is refused beside its field, in words, and nothing is added.
    click(&mut harness, "Add user");
    type_into(&mut harness, "User name", "eva");
    type_into(&mut harness, "Name", "Eva Nováková");
    type_into(&mut harness, "Password", "abc");
    click(&mut harness, "Add customers");
    click(&mut harness, "Add this user");
    assert!(
        harness
            .query_by_label("must have at least 6 characters")
            .is_some()
    );
    let api = store.api();
    assert!(api.sign_in("eva", "abc").is_err());

    // Corrected, the user is added with the right ticked.
    type_into(&mut harness, "Password", "def-ghi");
    click(&mut harness, "Add this user");
    assert!(harness.query_by_label("Eva Nováková").is_some(), "listed");
    let (eva, _) = api.sign_in("eva", "abcdef-ghi").expect("eva's password");
    assert_eq!(eva.rights, Rights::NONE.with(Right::CustomerCreate));
    assert!(
        harness.query_by_label("never").is_some(),
        "eva never signed in"
    );

    // Changing her: another right, and a new password sent with Enter.
    click(&mut harness, "Edit eva");
    click(&mut harness, "Add customers");
    click(&mut harness, "Delete customers");
    type_into(&mut harness, "New password", "nove-heslo");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert!(
        harness.query_by_label("Delete customers").is_some(),
        "the list shows it"
    );
    assert!(
        api.sign_in("eva", "abcdef-ghi").is_err(),
        "the old password is gone"
    );
    let (eva, _) = api.sign_in("eva", "nove-heslo").expect("the new password");
    assert_eq!(eva.rights, Rights::NONE.with(Right::CustomerDelete));

    // Removing asks first.
    click(&mut harness, "Remove eva");
    assert!(harness.query_by_label_contains("Remove eva?").is_some());
    click(&mut harness, "Remove eva now");
    assert!(harness.query_by_label("Eva Nováková").is_none());
    assert!(api.sign_in("eva", "nove-heslo").is_err(), "eva is removed");

    // The owner cannot remove the only user with every right.
    click(&mut harness, "Remove owner");
    click(&mut harness, "Remove owner now");
    assert!(
        harness
            .query_by_label_contains("last user with every right")
            .is_some()
    );
    assert!(api.sign_in("owner", PASSWORD).is_ok());
}

#[test]
fn only_a_user_with_every_right_sees_the_users_view() {
    let store = TestStore::new(
        &[
            ("owner", Rights::admin()),
            ("clerk", Rights::NONE.with(Right::CustomerCreate)),
        ],
        &three_customers(),
    );
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "clerk");
    assert!(harness.query_by_label("New customer").is_some());
    assert!(harness.query_by_label("Users").is_none());

    // The owner takes the clerk's right on the command line's side of the store: F5 shows
    // it at once, without signing in again.
    let auth = Auth::new(Arc::new(store.api()), AuthPolicy::default());
    auth.set_rights("clerk", Rights::NONE).expect("set rights");
    harness.key_press(egui::Key::F5);
    wait_for(&mut harness, "the new rights", |h| {
        h.query_by_label("New customer").is_none()
    });
    assert!(harness.query_by_label("Signed in as clerk").is_some());
}

#[test]
fn a_rights_change_at_the_server_reaches_the_desk_and_a_removal_signs_it_out() {
    let runtime = runtime();
    let server: TestServer = runtime.block_on(TestServer::start(
        "2026-06-01T12:00:00Z".parse().expect("time"),
    ));
    let admin = server.add_user(Rights::admin());
    let clerk = server.add_user(Rights::NONE.with(Right::CustomerCreate));
    let dir = tempfile::tempdir().unwrap();

    // The admin manages the server's users from a desk of their own.
    let mut harness = app(dir.path().join("admin.db"));
    sign_in_at(&mut harness, &server.base_url, &admin);
    click(&mut harness, "Users");
    assert!(
        harness.query_by_label(&format!("Edit {clerk}")).is_some(),
        "the server's users are listed"
    );
    click(&mut harness, &format!("Edit {clerk}"));
    click(&mut harness, "Add customers");
    click(&mut harness, "Set discount rates");
    click(&mut harness, "Save changes");
    let stored = server.auth.find_user(&clerk).expect("read").expect("clerk");
    assert_eq!(stored.rights, Rights::NONE.with(Right::CustomerSetDiscount));

    // The clerk's desk, signed in before the change with "New customer", learns it.
    server
        .auth
        .set_rights(&clerk, Rights::NONE.with(Right::CustomerCreate))
        .expect("rights back");
    let mut desk = app(dir.path().join("clerk.db"));
    sign_in_at(&mut desk, &server.base_url, &clerk);
    assert!(desk.query_by_label("New customer").is_some());
    server
        .auth
        .set_rights(&clerk, Rights::NONE)
        .expect("rights");
    // F5 reads the user again; the answer comes from the server when it comes.
    desk.key_press(egui::Key::F5);
    wait_for(&mut desk, "the new rights", |h| {
        h.query_by_label("New customer").is_none()
    });

    // Removed at the server, the clerk's desk goes back to signing in, and says why.
    server.auth.remove_user(&clerk).expect("remove");
    desk.key_press(egui::Key::F5);
    wait_for(&mut desk, "the sign-out", |h| {
        shows(h, "You were signed out")
    });
}

/// Signs in at the server at `address` as `user`, and checks that it worked.
fn sign_in_at(
    harness: &mut egui_kittest::Harness<'_, customer_desk::ui::App>,
    address: &str,
    user: &str,
) {
    sign_in_at_server(harness, address, user, http_support::PASSWORD);
    assert!(
        harness
            .query_by_label_contains(&format!("Signed in as {user}"))
            .is_some()
    );
}
