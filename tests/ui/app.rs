//! The desktop window, driven like a user would (egui_kittest, no display): first start,
//! sign-in, the grid with search and sort, card scans, delete, and what rights hide.

use crate::support::*;
use customer_desk::model::{Right, Rights};
use egui::accesskit::Role;
use egui_kittest::kittest::{By, Queryable as _};

#[test]
fn first_start_asks_for_an_owner_then_offers_demo_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("new").join("customers.db");
    let mut harness = app(db.clone());
    settle(&mut harness);
    assert!(
        harness
            .query_by_label_contains("Create the owner account")
            .is_some()
    );
    type_into(&mut harness, "Owner user name", "majiteľ");
    type_into(&mut harness, "Password", PASSWORD);
    type_into(&mut harness, "Repeat password", PASSWORD);
    harness.get_by_label("Create owner account").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Load demo data").is_some());
    harness.get_by_label("Start with an empty store").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Signed in as majiteľ").is_some());
    assert!(harness.query_by_label("No customers yet.").is_some());
    // The owner holds every right, so the controls for them are drawn.
    assert!(harness.query_by_label("New customer").is_some());
    assert!(db.exists(), "the store file was created");
}

#[test]
fn first_start_via_the_shop_server_and_back_to_this_computer_creates_the_owner() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    settle(&mut harness);
    harness.get_by_label("Sign in to a shop server").click();
    settle(&mut harness);
    // Nothing listens on this port any more: the server is "unplugged".
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    type_into(&mut harness, "Server address", &format!("127.0.0.1:{port}"));
    type_into(&mut harness, "User name", "eva");
    type_into(&mut harness, "Password", PASSWORD);
    harness.get_by_label("Sign in").click();
    settle(&mut harness);
    let refusal = "The server could not be reached: check the address and that it is running.";
    assert!(
        harness.query_by_label_contains(refusal).is_some(),
        "an address without http:// is tried, and a dead one said so in plain words"
    );
    harness.get_by_label("This computer").click();
    settle(&mut harness);
    assert!(
        harness.query_by_label("Create owner account").is_some(),
        "this computer has no user yet: create the owner"
    );
    assert!(
        harness.query_by_label_contains(refusal).is_none(),
        "the server's error is not left on screen"
    );
}

#[test]
fn owner_passwords_must_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    settle(&mut harness);
    type_into(&mut harness, "Owner user name", "owner");
    type_into(&mut harness, "Password", PASSWORD);
    type_into(&mut harness, "Repeat password", "something else");
    harness.get_by_label("Create owner account").click();
    settle(&mut harness);
    assert!(
        harness
            .query_by_label("The two passwords differ.")
            .is_some()
    );
}

#[test]
fn a_wrong_password_is_refused_and_the_right_one_signs_in() {
    let mut customers = three_customers();
    customers.push(person("Győző", "Szűcs-Őry", "gy@example.hu", "2001"));
    customers.push(person("Ľudmila", "Ďurčová-Ťažká", "lu@example.sk", "2002"));
    customers.push(person("Řehoř", "Ňuňák Ĺŕ", "re@example.cz", "2003"));
    let store = TestStore::new(&[("eva", Rights::admin())], &customers);
    let mut harness = app(store.db.clone());
    settle(&mut harness);
    type_into(&mut harness, "User name", "eva");
    type_into(&mut harness, "Password", "wrong");
    harness.get_by_label("Sign in").click();
    settle(&mut harness);
    assert!(
        harness
            .query_by_label("Wrong user name or password.")
            .is_some()
    );
    drop(harness);

    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    assert!(harness.query_by_label("6 customers").is_some());
    // Diacritics of Slovak, Czech and Hungarian names render (kittest panics on a missing glyph).
    assert!(harness.query_by_label("Ľubomír Čierny").is_some());
    for name in [
        "Zoltán Kovács",
        "Győző Szűcs-Őry",
        "Ľudmila Ďurčová-Ťažká",
        "Řehoř Ňuňák Ĺŕ",
    ] {
        assert!(harness.query_by_label(name).is_some(), "{name}");
    }
}

#[test]
fn search_narrows_the_grid_and_counts_the_matches() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    type_into(&mut harness, "Search", "cierny");
    settle(&mut harness);
    assert!(harness.query_by_label("Ľubomír Čierny").is_some());
    assert!(harness.query_by_label("Jana Nováková").is_none());
    assert!(harness.query_by_label("Zoltán Kovács").is_none());
    assert!(harness.query_by_label("1 match").is_some());
}

#[test]
fn a_header_click_sorts_and_a_second_click_reverses() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    // By name: Čierny (Ľubomír), Jana, Zoltán.
    assert!(row_y(&harness, "Jana Nováková") < row_y(&harness, "Zoltán Kovács"));
    harness.get_by_label("Email").click();
    settle(&mut harness);
    let (lubo, zoltan, jana) = (
        row_y(&harness, "Ľubomír Čierny"),
        row_y(&harness, "Zoltán Kovács"),
        row_y(&harness, "Jana Nováková"),
    );
    assert!(
        lubo < zoltan && zoltan < jana,
        "sorted by email: a.lubo, m.zoltan, z.jana"
    );
    harness.get_by_label("Email ^").click();
    settle(&mut harness);
    assert!(
        row_y(&harness, "Jana Nováková") < row_y(&harness, "Ľubomír Čierny"),
        "descending"
    );
}

#[test]
fn scanning_a_known_card_opens_the_customer_and_an_unknown_one_says_so() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    assert!(harness.query_by_label("Save").is_none());
    type_into(&mut harness, "Scan card", "1003");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert!(
        harness.query_by_label("Save").is_some(),
        "the editor opened"
    );
    type_into(&mut harness, "Scan card", "999999");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert!(
        !harness
            .query_all_by_label("No customer has card 999999")
            .collect::<Vec<_>>()
            .is_empty()
    );
}

#[test]
fn delete_asks_naming_the_customer_then_removes_the_row() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    harness.get_by_label("Zoltán Kovács").click();
    harness.run();
    harness.get_by_label("Delete").click();
    harness.run();
    assert!(
        harness
            .query_by_label("Delete Zoltán Kovács? This cannot be undone.")
            .is_some()
    );
    harness.get_by_label("Keep").click();
    settle(&mut harness);
    assert!(
        harness.query_by_label("Zoltán Kovács").is_some(),
        "Keep deletes nothing"
    );

    harness.key_press(egui::Key::Delete);
    harness.run();
    harness.get_by_label("Delete Zoltán Kovács").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Zoltán Kovács").is_none());
    assert!(harness.query_by_label("2 customers").is_some());
    assert!(
        harness
            .state()
            .toast_texts()
            .iter()
            .any(|t| t == "Deleted Zoltán Kovács")
    );
}

#[test]
fn controls_for_missing_rights_are_not_drawn() {
    let reader = Rights::NONE;
    let creator = Rights::NONE.with(Right::CustomerCreate);
    let deleter = Rights::NONE.with(Right::CustomerDelete);
    let store = TestStore::new(
        &[
            ("reader", reader),
            ("creator", creator),
            ("deleter", deleter),
        ],
        &three_customers(),
    );

    for (user, can_create, can_delete) in [
        ("reader", false, false),
        ("creator", true, false),
        ("deleter", false, true),
    ] {
        let mut harness = app(store.db.clone());
        sign_in(&mut harness, user);
        harness.get_by_label("Jana Nováková").click();
        harness.run();
        assert_eq!(
            harness.query_by_label("New customer").is_some(),
            can_create,
            "{user}: New customer"
        );
        assert_eq!(
            harness.query_by_label("Delete").is_some(),
            can_delete,
            "{user}: Delete"
        );
        // The shortcut does nothing either.
        harness.key_press(egui::Key::Delete);
        harness.run();
        assert_eq!(
            harness
                .query_by_label_contains("This cannot be undone")
                .is_some(),
            can_delete,
            "{user}: Delete key"
        );
    }
}

#[test]
fn switch_user_signs_out_to_the_sign_in_screen() {
    let store = TestStore::new(&[("eva", Rights::admin())], &[]);
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    harness.get_by_label("Switch user").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Sign in").is_some());
    assert!(harness.query_by_label("Signed in as eva").is_none());
}

#[test]
fn pages_through_the_api() {
    let customers = numbered_people(120);
    let store = TestStore::new(&[("eva", Rights::admin())], &customers);
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    let labels: Vec<String> = harness
        .query_all_by_label_contains("of")
        .map(|n| format!("{n:?}"))
        .collect();
    assert!(
        harness.query_by_label("Page 1 of 2").is_some(),
        "{labels:#?}"
    );
    assert!(harness.query_by_label("120 customers").is_some());
    harness.get_by_label("Next").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Page 2 of 2").is_some());
    // The second page holds the last 20 by name; the first page's rows are gone.
    assert!(harness.query_by_label("Meno119 Priezvisko").is_some());
    assert!(harness.query_by_label("Meno000 Priezvisko").is_none());
    type_into(&mut harness, "Go to page", "1");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert!(harness.query_by_label("Page 1 of 2").is_some());
    // The keyboard pages too: Page Down past the last row goes to the next page.
    harness.key_press(egui::Key::End);
    harness.run();
    harness.key_press(egui::Key::PageDown);
    settle(&mut harness);
    assert!(harness.query_by_label("Page 2 of 2").is_some());
    // The cursor lands on the new page's first row: Enter opens it.
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert_eq!(
        harness.query_all_by_label("Meno100 Priezvisko").count(),
        2,
        "grid row and editor header"
    );
}

#[test]
fn page_down_onto_a_full_next_page_shows_its_first_row() {
    let customers = numbered_people(230);
    let store = TestStore::new(&[("eva", Rights::admin())], &customers);
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    // The last row of page 1 (the grid scrolls down to it), then Page Down onto page 2.
    harness.key_press(egui::Key::End);
    settle(&mut harness);
    assert!(harness.query_by_label("Meno000 Priezvisko").is_none());
    harness.key_press(egui::Key::PageDown);
    settle(&mut harness);
    assert!(harness.query_by_label("Page 2 of 3").is_some());
    // The cursor is on page 2's first row, and the grid shows it.
    assert!(
        harness.query_by_label("Meno100 Priezvisko").is_some(),
        "the first row of the new page is on screen"
    );
}

#[test]
fn page_down_keeps_the_cursor_row_above_the_pager() {
    let customers = numbered_people(100);
    let store = TestStore::new(&[("eva", Rights::admin())], &customers);
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    harness.key_press(egui::Key::ArrowDown);
    harness.run();
    for _ in 0..2 {
        harness.key_press(egui::Key::PageDown);
        harness.run();
    }
    // Copy the cursor row to learn which it is, then find it on screen.
    harness.get_by_label("Copy rows").click();
    harness.step();
    let copied = harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .expect("the cursor row was copied");
    let name = copied
        .lines()
        .nth(1)
        .and_then(|line| line.split('\t').next())
        .expect("a copied row")
        .to_owned();
    harness.run();
    let row = harness.get_by_label(&name).rect();
    let pager = harness.get_by_label("First").rect();
    assert!(
        row.max.y <= pager.min.y,
        "the cursor row {name} ({row:?}) is hidden under the pager ({pager:?})"
    );
}

#[test]
fn filters_narrow_the_grid_and_their_chips_clear_them_one_by_one() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    harness.get_by_label("Filters").click();
    harness.run();
    type_into(&mut harness, "Card serial", "1002");
    settle(&mut harness);
    assert!(harness.query_by_label("Ľubomír Čierny").is_some());
    assert!(harness.query_by_label("Jana Nováková").is_none());
    assert!(harness.query_by_label("1 match").is_some());

    type_into(&mut harness, "Discount rate from", "abc");
    settle(&mut harness);
    // The window names the field as its panel does, not the API's parameter.
    assert!(
        harness
            .query_by_label_contains("“Discount rate from” must be a number like 1.5")
            .is_some()
    );
    assert!(harness.query_by_label_contains("DiscountRate").is_none());

    harness
        .get_by_label("Clear filter Discount rate from abc")
        .click();
    settle(&mut harness);
    // The balance, with a decimal comma as people type it: nobody here has credit.
    type_into(&mut harness, "Credit balance from", "0,01");
    settle(&mut harness);
    assert!(harness.query_by_label("No customer matches.").is_some());
    harness
        .get_by_label("Clear filter Credit balance from 0,01")
        .click();
    settle(&mut harness);
    assert!(harness.query_by_label("1 match").is_some());
    harness.get_by_label("Clear filter Card 1002").click();
    settle(&mut harness);
    assert!(harness.query_by_label("3 customers").is_some());
}

#[test]
fn the_keyboard_moves_through_the_grid_and_copies_rows() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    harness.key_press(egui::Key::ArrowDown);
    harness.key_press(egui::Key::ArrowDown);
    harness.run();
    // Two rows down from nothing is the second row by full name: Ľubomír Čierny.
    harness.get_by_label("Copy rows").click();
    // Only the frame that saw the click carries the copy command.
    harness.step();
    let copied: Vec<String> = harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), 1, "{copied:?}");
    let lines: Vec<&str> = copied[0].lines().collect();
    assert_eq!(lines[0].split('\t').next(), Some("Full name"));
    assert!(
        lines[1].starts_with("Ľubomír Čierny\t\ta.lubo@example.sk\t\t1002\t0.00\t0 %\tValid\tYes"),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 2);
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert!(
        harness.query_by_label("Save").is_some(),
        "Enter opens the row"
    );
}

#[test]
fn first_start_loads_demo_data_with_a_progress_bar_and_a_cancel_button() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path().join("customers.db"));
    settle(&mut harness);
    type_into(&mut harness, "Owner user name", "owner");
    type_into(&mut harness, "Password", PASSWORD);
    type_into(&mut harness, "Repeat password", PASSWORD);
    harness.get_by_label("Create owner account").click();
    settle(&mut harness);
    harness.get_by_label("Number of customers").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_label("Number of customers")
        .type_text("1000000");
    harness.get_by_label("Load demo data").click();
    harness.step();
    harness.step();
    // A million takes minutes in a debug build: the cancel button is there long before.
    harness.get_by_label("Cancel").click();
    harness.step();
    harness.step();
    assert!(
        harness
            .query_by_label_contains("Stopping: building the indexes")
            .is_some(),
        "the standing bar says what is going on"
    );
    settle(&mut harness);
    let toasts = harness.state().toast_texts();
    let toast = toasts
        .iter()
        .find(|t| t.starts_with("Loaded "))
        .unwrap_or_else(|| panic!("no toast of the load: {toasts:?}"));
    // Counts are shown with thousands separators ("12,345").
    let shown = toast.split(' ').nth(1).unwrap();
    let loaded: u64 = shown.replace(',', "").parse().unwrap();
    assert!(loaded < 1_000_000, "cancelled early: {toast}");
    if loaded >= 1_000 {
        assert!(shown.contains(','), "{toast}");
    }
    assert!(
        harness
            .query_by_label(&format!("{shown} customers"))
            .is_some(),
        "the desk shows what was loaded"
    );
}

#[test]
fn open_a_row_edit_save_and_see_the_change_in_the_grid() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    harness.get_by_label("Jana Nováková").click();
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    harness.get_by_label("Last name").click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label("Last name").type_text("Kráľová");
    harness.run();
    // An empty full name is derived from the names again by the API.
    let full_name = || By::new().role(Role::TextInput).label("Full name");
    harness.get(full_name()).click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.run();
    harness.get_by_label("Save").click();
    settle(&mut harness);
    let toasts = harness.state().toast_texts();
    assert!(
        harness.query_by_label("Jana Nováková").is_none(),
        "the old name is gone everywhere; {toasts:?}"
    );
    // The grid's row and the editor's header.
    assert_eq!(harness.query_all_by_label("Jana Kráľová").count(), 2);
    assert!(
        harness
            .state()
            .toast_texts()
            .contains(&"Saved Jana Kráľová".to_owned())
    );
    let stored = store
        .api()
        .get(
            &customer_desk::model::Actor::new("t", Rights::NONE),
            &id_of(&store, "1001"),
        )
        .unwrap();
    assert_eq!(stored.last_name.as_deref(), Some("Kráľová"));

    // Esc closes the saved editor without asking.
    harness.key_press(egui::Key::Escape);
    harness.run();
    assert!(harness.query_by_label("Save").is_none());
    assert_eq!(harness.query_all_by_label("Jana Kráľová").count(), 1);
}

#[test]
fn leaving_an_edited_customer_asks_first() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    harness.get_by_label("Jana Nováková").click();
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    let phone = || By::new().role(Role::TextInput).label("Phone");
    harness.get(phone()).click();
    harness.run();
    harness.get(phone()).type_text("+421 900 123 456");
    harness.run();
    // Opening another customer with unsaved changes asks.
    harness.get_by_label("Zoltán Kovács").click();
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert!(harness.query_by_label("Discard changes?").is_some());
    harness.get_by_label("Keep editing").click();
    harness.run();
    assert_eq!(
        harness.get(phone()).value().as_deref(),
        Some("+421 900 123 456"),
        "the edit is kept"
    );
    harness.key_press(egui::Key::Escape);
    harness.run();
    assert!(
        harness.query_by_label("Discard changes?").is_some(),
        "Esc asks too"
    );
    harness.get_by_label("Discard changes").click();
    harness.run();
    assert!(
        harness.query_by_label("Save").is_none(),
        "the editor closed"
    );
}
