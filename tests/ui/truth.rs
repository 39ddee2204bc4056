//! The desk tells the truth (issue 14): the stored customer rather than the grid's copy,
//! changes made elsewhere shown within seconds, warnings for cards that must not be taken,
//! a fresh view for a new order, and a layout that holds at 1024×768.

use crate::support::*;
use customer_desk::model::Rights;
use egui::accesskit::Role;
use egui_kittest::kittest::{By, Queryable as _};

#[test]
fn scanning_a_lost_replaced_or_expired_card_opens_the_customer_with_a_warning() {
    let customers = vec![serde_json::json!({
        "firstName": "Mária", "lastName": "Stratená",
        "cards": [
            {"serialNumber": "L-1", "status": "Lost", "statusReason": "reported by phone"},
            {"serialNumber": "R-1", "status": "Replaced", "statusReason": "Replaced by card N-1"},
            {"serialNumber": "E-1", "expirationTime": "2020-01-31T00:00:00Z"},
            {"serialNumber": "N-1"}
        ]
    })];
    let store = TestStore::new(&[("eva", Rights::admin())], &customers);
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    for (serial, warning) in [
        (
            "L-1",
            "Card L-1 is lost (reported by phone). Do not accept it.",
        ),
        (
            "R-1",
            "Card R-1 was replaced (Replaced by card N-1). Do not accept it.",
        ),
        ("E-1", "Card E-1 expired on 2020-01-31. Do not accept it."),
    ] {
        type_into(&mut harness, "Scan card", serial);
        harness.key_press(egui::Key::Enter);
        settle(&mut harness);
        assert!(
            harness.query_by_label(warning).is_some(),
            "{serial}: no warning"
        );
        assert!(
            harness.query_by_label("Save").is_some(),
            "{serial}: the editor opened"
        );
    }
    type_into(&mut harness, "Scan card", "N-1");
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert!(
        harness
            .query_by_label_contains("Do not accept it")
            .is_none(),
        "a card in order scans without a warning"
    );
}

#[test]
fn an_opened_customer_shows_the_stored_balance_and_a_refused_adjustment_says_why() {
    let jana: serde_json::Value = serde_json::from_str(
        r#"{"firstName": "Jana", "lastName": "Nováková", "credit": {"amount": 31.20, "currencyLabel": "EUR"},
            "cards": [{"serialNumber": "1001"}]}"#,
    )
    .unwrap();
    let store = TestStore::new(&[("eva", Rights::admin())], &[jana]);
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    // Another desk spends the credit after the grid was read.
    let spend: serde_json::Value = serde_json::from_str(r#"{"amount": -31.20}"#).unwrap();
    store
        .api()
        .adjust_credit(
            &customer_desk::model::Actor::new("till", Rights::admin()),
            &id_of(&store, "1001"),
            &spend,
        )
        .unwrap();

    harness.get_by_label("Jana Nováková").click();
    harness.run();
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    assert!(
        harness.query_all_by_label("0.00 EUR").next().is_some(),
        "the editor shows the stored balance, not the grid's 31.20"
    );

    // The form is below the fold of the editor at this size.
    harness.get_by_label("Amount").scroll_to_me();
    harness.run();
    type_into(&mut harness, "Amount", "-10");
    harness.get_by_label("Adjust").click();
    // `settle` ends with `run`, which fails on a spinner that never stops.
    settle(&mut harness);
    let refusal = "Credit not adjusted: the balance would fall below zero (it is 0.00)";
    assert!(
        harness.query_all_by_label(refusal).next().is_some(),
        "the form says why: {:?}",
        harness.state().toast_texts()
    );
    assert!(
        harness
            .query_by_label_contains("marked beside the fields")
            .is_none(),
        "no word of fields that are not marked"
    );
}

#[test]
fn changes_made_elsewhere_show_in_the_grid_and_the_open_editor_within_seconds() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    harness
        .state_mut()
        .set_refresh_every(Some(std::time::Duration::from_secs(3)));
    sign_in(&mut harness, "eva");
    harness.get_by_label("Jana Nováková").click();
    harness.run_steps(2);
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    // The command line (another connection to the store) changes her.
    let other = store.api();
    let actor = customer_desk::model::Actor::new("cli", Rights::admin());
    let id = id_of(&store, "1001");
    let mut body = serde_json::to_value(other.get(&actor, &id).unwrap()).unwrap();
    body["lastName"] = "Zmenená".into();
    body["phone"] = "+421 911 222 333".into();
    body["fullName"] = serde_json::Value::Null;
    other.upsert(&actor, &id, &body).unwrap();

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while harness.query_all_by_label("Jana Zmenená").count() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the change never showed in the grid and the editor"
        );
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let phone = By::new().role(Role::TextInput).label("Phone");
    assert_eq!(
        harness.get(phone).value().as_deref(),
        Some("+421 911 222 333"),
        "the open editor, which had no unsaved edits, shows the new version"
    );
}

#[test]
fn f5_reads_the_page_again() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    let other = store.api();
    let actor = customer_desk::model::Actor::new("cli", Rights::admin());
    let id = id_of(&store, "1002");
    other.delete(&actor, &id).unwrap();
    harness.run_steps(10);
    assert!(
        harness.query_by_label("Ľubomír Čierny").is_some(),
        "no refresh is due (they are off in this test)"
    );
    harness.key_press(egui::Key::F5);
    settle(&mut harness);
    assert!(harness.query_by_label("Ľubomír Čierny").is_none());
    assert!(harness.query_by_label("2 customers").is_some());
}

#[test]
fn a_new_sort_starts_at_the_top_of_the_grid() {
    let store = TestStore::new(&[("eva", Rights::admin())], &numbered_people(90));
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    harness.key_press(egui::Key::End);
    harness.run();
    assert!(
        harness.query_by_label("Meno000 Priezvisko").is_none(),
        "the view went down to the last row"
    );
    // By email, m0@…, m1@…, m10@…: Meno000 comes first again.
    harness.get_by_label("Email").click();
    settle(&mut harness);
    assert!(
        harness.query_by_label("Meno000 Priezvisko").is_some(),
        "the new order is shown from its first row"
    );
}

#[test]
fn at_1024_by_768_the_editor_opens_over_the_grid_and_closing_it_shows_the_grid() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let db = store.db.clone();
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1024.0, 768.0))
        .build_eframe(move |cc| customer_desk::ui::App::new(cc, db));
    harness.state_mut().set_refresh_every(None);
    sign_in(&mut harness, "eva");
    harness.get_by_label("Jana Nováková").click();
    harness.run();
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);
    let save = harness.get_by_label("Save").rect();
    assert!(save.max.x <= 1024.0, "the editor is on screen");
    assert!(
        harness.query_by_label("Zoltán Kovács").is_none(),
        "the grid makes room for the whole editor"
    );
    let email = By::new().role(Role::TextInput).label("Email");
    assert!(
        harness.get(email).rect().width() > 200.0,
        "its fields have room to be read"
    );
    harness.get_by_label("Close").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Zoltán Kovács").is_some());
    assert!(
        harness.query_by_label("First").is_some(),
        "the pager is back"
    );
}
