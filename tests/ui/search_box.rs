//! The search box finds a customer by a part of a phone number or an e-mail as a cashier
//! types it, a number that is no phone is searched as names, and the filter panel reads a
//! decimal comma and speaks its own words about what it cannot read.

use customer_desk::model::Rights;
use egui_kittest::kittest::Queryable as _;
use serde_json::{Value, json};

use crate::support::{TestStore, app, settle, sign_in, type_into};

fn customers() -> Vec<Value> {
    vec![
        json!({"firstName": "Jana", "lastName": "Nováková", "email": "z.jana@example.sk",
               "phone": "+421 905 111 222", "creditRate": 2}),
        json!({"firstName": "Ľubomír", "lastName": "Čierny", "email": "a.lubo@example.sk",
               "phone": "0911 222 333", "creditRate": 1}),
        json!({"isCompany": true, "company": {"name": "Kovács Kft.", "taxId": "2020123456"},
               "email": "info@kovacs.example.hu"}),
    ]
}

fn signed_in() -> (
    TestStore,
    egui_kittest::Harness<'static, customer_desk::ui::App>,
) {
    let store = TestStore::new(&[("eva", Rights::admin())], &customers());
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "eva");
    (store, harness)
}

/// A search of three letters or more goes to the store at the key when no other query is
/// running, not after the typing pause: its answer shows before the pause would be over.
#[test]
fn a_search_asks_at_once_when_no_query_is_running() {
    let store = TestStore::new(&[("eva", Rights::admin())], &customers());
    let db = store.db.clone();
    // Frames 1/240 s apart on the window's clock, so that ten of them are 42 ms: less than
    // the pause after a key typed while a query runs.
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .with_step_dt(1.0 / 240.0)
        .build_eframe(move |cc| customer_desk::ui::App::new(cc, db));
    harness.state_mut().set_refresh_every(None);
    sign_in(&mut harness, "eva");
    assert!(harness.query_by_label("Ľubomír Čierny").is_some());
    harness.get_by_label("Search").click();
    harness.step();
    harness.get_by_label("Search").type_text("nová");
    for _ in 0..10 {
        harness.step();
        // Wall time for the store's answer; the window's clock moves only with the frames.
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    assert!(harness.query_by_label("Jana Nováková").is_some());
    assert!(harness.query_by_label("Ľubomír Čierny").is_none());
    assert!(harness.query_by_label("1 match").is_some());
}

#[test]
fn a_phone_fragment_typed_with_spaces_finds_its_customer() {
    let (_store, mut harness) = signed_in();
    // Written the national way, with the trunk 0, against a number stored with +421.
    type_into(&mut harness, "Search", "0905 111");
    settle(&mut harness);
    assert!(harness.query_by_label("Jana Nováková").is_some());
    assert!(harness.query_by_label("Ľubomír Čierny").is_none());
    assert!(harness.query_by_label("1 match").is_some());
}

#[test]
fn a_part_of_an_email_finds_its_customer() {
    let (_store, mut harness) = signed_in();
    type_into(&mut harness, "Search", "A.LUBO@exa");
    settle(&mut harness);
    assert!(harness.query_by_label("Ľubomír Čierny").is_some());
    assert!(harness.query_by_label("Jana Nováková").is_none());
    assert!(harness.query_by_label("1 match").is_some());
}

#[test]
fn a_number_that_is_no_phone_is_searched_as_names() {
    let (_store, mut harness) = signed_in();
    // A tax id: no phone number has these digits, the company's tax id does.
    type_into(&mut harness, "Search", "2020123456");
    settle(&mut harness);
    // Its name shows twice in the row: as the full name and as the company.
    assert!(harness.query_all_by_label("Kovács Kft.").next().is_some());
    assert!(harness.query_by_label("1 match").is_some());
}

#[test]
fn a_filter_from_with_a_decimal_comma_narrows_the_grid() {
    let (_store, mut harness) = signed_in();
    harness.get_by_label("Filters").click();
    harness.run();
    type_into(&mut harness, "Credit rate from", "1,5");
    settle(&mut harness);
    assert!(harness.query_by_label("Jana Nováková").is_some());
    assert!(harness.query_by_label("Ľubomír Čierny").is_none());
    assert!(harness.query_by_label("1 match").is_some());
    assert!(
        harness
            .query_by_label("Clear filter Credit rate from 1,5")
            .is_some()
    );
}

#[test]
fn a_bad_date_in_a_filter_is_reported_in_the_panel_s_words() {
    let (_store, mut harness) = signed_in();
    harness.get_by_label("Filters").click();
    harness.run();
    type_into(&mut harness, "Expires until", "1.3.2025");
    settle(&mut harness);
    assert!(
        harness
            .query_by_label_contains("“Expires until” must be a date like 2025-03-01")
            .is_some()
    );
    // Not the API's words for a program.
    assert!(harness.query_by_label_contains("ExpirationTime").is_none());
    assert!(harness.query_by_label_contains("RFC 3339").is_none());
    assert!(harness.query_by_label("Jana Nováková").is_none());

    // Mended, the grid shows the customers again (none of them expires).
    harness
        .get_by_label("Clear filter Expires until 1.3.2025")
        .click();
    settle(&mut harness);
    assert!(harness.query_by_label("Jana Nováková").is_some());
}
