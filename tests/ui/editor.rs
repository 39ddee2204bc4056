//! The customer editor driven as a user drives it: by label, with clicks, typing and keys.

use customer_desk::api::{ApiError, LocalApi};
use customer_desk::model::{Actor, Card, CreditTransaction, Customer, FieldError, Right, Rights};
use customer_desk::store::Store;
use customer_desk::ui::editor::{CustomerEditor, EditorAction};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use serde_json::Value;

struct State {
    editor: CustomerEditor,
    actions: Vec<EditorAction>,
}

fn harness(editor: CustomerEditor) -> Harness<'static, State> {
    Harness::builder()
        .with_size([1000.0, 2600.0])
        .build_ui_state(
            |ui, state: &mut State| {
                if let Some(action) = state.editor.ui(ui) {
                    state.actions.push(action);
                }
            },
            State {
                editor,
                actions: Vec::new(),
            },
        )
}

fn dec(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

fn transaction(id: &str, amount: &str, balance: &str, note: &str) -> CreditTransaction {
    CreditTransaction {
        id: id.into(),
        time: Some(customer_desk::model::time::parse_time("2025-03-01T10:00:00Z").unwrap()),
        amount: dec(amount),
        balance: dec(balance),
        note: Some(note.into()),
        user_name: Some("owner".into()),
        operation_id: None,
    }
}

fn jana() -> Customer {
    let mut c = Customer {
        id: "c1".into(),
        first_name: Some("Jana".into()),
        last_name: Some("Nováková".into()),
        full_name: Some("Jana Nováková".into()),
        email: Some("jana@example.sk".into()),
        discount_rate: dec("5"),
        credit_rate: dec("1.5"),
        cards: vec![Card {
            serial_number: Some("1001".into()),
            ..Card::default()
        }],
        version: 3,
        ..Customer::default()
    };
    c.credit.amount = dec("20.00");
    c.credit_transactions = vec![
        // Sent as a whole number: still shown with its cents.
        transaction("t1", "10", "10", "Birthday bonus"),
        transaction("t2", "10.00", "20.00", "Returned goods"),
    ];
    c
}

fn save_body(actions: &[EditorAction]) -> (Option<String>, Value) {
    match actions.last() {
        Some(EditorAction::Save { id, body }) => (id.clone(), body.clone()),
        other => panic!("expected a Save, got {other:?}"),
    }
}

fn type_into(harness: &mut Harness<'static, State>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.get_by_label(label).type_text(text);
    harness.run();
}

#[test]
fn an_edited_field_is_saved_with_the_stored_version() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    assert!(!h.state().editor.is_dirty());
    type_into(&mut h, "Phone", "+421 900 123 456");
    assert!(h.state().editor.is_dirty());
    h.get_by_label("Save").click();
    h.run_ok();
    let (id, body) = save_body(&h.state().actions);
    assert_eq!(id.as_deref(), Some("c1"));
    assert_eq!(body["phone"], "+421 900 123 456");
    assert_eq!(body["_v"], 3);
    assert_eq!(body["lastName"], "Nováková");
    // Decimals go out as exact JSON numbers, the balance as stored.
    assert_eq!(body["credit"]["amount"].to_string(), "20.00");
    assert_eq!(body["creditRate"].to_string(), "1.5");
    // The server keeps the ledger it has whatever a save sends: years of it would only
    // make the body too large (413).
    assert!(
        body.get("creditTransactions").is_none(),
        "the ledger is not sent: {body}"
    );
}

#[test]
fn the_full_name_follows_the_names_until_it_is_typed_by_hand() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    type_into(&mut h, "First name", "Janka");
    h.get_by_label("Save").click();
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(body["fullName"], "Janka Nováková", "the full name followed");

    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    type_into(&mut h, "Full name", "Ing. Jana Nováková, PhD.");
    type_into(&mut h, "Last name", "Nová");
    h.get_by_label("Save").click();
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(body["lastName"], "Nová");
    assert_eq!(
        body["fullName"], "Ing. Jana Nováková, PhD.",
        "a full name typed by hand is kept"
    );
}

#[test]
fn keys_typed_while_a_save_is_on_its_way_stay_when_it_is_answered() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    type_into(&mut h, "Email", "eva@example.s");
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(body["email"], "eva@example.s");
    // The last key lands after the save went out, before its answer.
    h.get_by_label("Email").type_text("k");
    h.run_ok();
    let mut saved = jana();
    saved.email = Some("eva@example.s".into());
    saved.version = 4;
    h.state_mut().editor.set_saved(saved);
    h.run_ok();
    assert_eq!(
        h.get_by_label("Email").value().as_deref(),
        Some("eva@example.sk"),
        "the field does not revert to what the save sent"
    );
    assert!(h.state().editor.is_dirty(), "and it is still to be saved");
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(body["email"], "eva@example.sk");
    assert_eq!(body["_v"], 4, "under the version the first save made");
}

#[test]
fn a_key_typed_in_the_same_frame_as_ctrl_s_is_saved() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    type_into(&mut h, "Email", "eva@example.s");
    // At 30 ms a key the last letter and Ctrl+S can arrive in one frame's input.
    h.event(egui::Event::Text("k".into()));
    h.event(egui::Event::Key {
        key: Key::S,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: Modifiers::COMMAND,
    });
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(
        body["email"], "eva@example.sk",
        "the save takes what the field shows"
    );
    assert_eq!(
        h.get_by_label("Email").value().as_deref(),
        Some("eva@example.sk")
    );
}

#[test]
fn ctrl_s_saves_and_esc_closes() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    type_into(&mut h, "Email", "jana.novakova@example.sk");
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(body["email"], "jana.novakova@example.sk");

    h.key_press(Key::Escape);
    h.run_ok();
    assert_eq!(h.state().actions.last(), Some(&EditorAction::Close));
}

#[test]
fn dirty_follows_edits_and_saves() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    assert!(!h.state().editor.is_dirty());
    assert!(h.query_by_label("Unsaved changes").is_none());
    // The address's city, not the delivery address's.
    h.get_all_by_label("City").next().unwrap().click();
    h.run();
    h.get_all_by_label("City")
        .next()
        .unwrap()
        .type_text("Žilina");
    h.run();
    assert!(h.state().editor.is_dirty());
    assert!(h.query_by_label("Unsaved changes").is_some());

    // The API stores it and answers with the new version: nothing is unsaved any more.
    let mut saved = jana();
    saved.address = Some(customer_desk::model::Address {
        city: Some("Žilina".into()),
        ..Default::default()
    });
    saved.version = 4;
    h.state_mut().editor.set_saved(saved);
    h.run();
    assert!(!h.state().editor.is_dirty());
    assert!(h.query_by_label("Unsaved changes").is_none());
}

#[test]
fn adjusting_credit_sends_the_exact_amount_once() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    type_into(&mut h, "Amount", "-5.25");
    type_into(&mut h, "Reason", "Broken cup");
    h.get_by_label("Adjust").click();
    h.run_ok();
    let first = match h.state().actions.last() {
        Some(EditorAction::AdjustCredit { id, body }) => {
            assert_eq!(id, "c1");
            body.clone()
        }
        other => panic!("expected AdjustCredit, got {other:?}"),
    };
    assert_eq!(first["amount"].to_string(), "-5.25");
    assert_eq!(first["note"], "Broken cup");
    let operation = first["operationId"].as_str().unwrap().to_owned();
    assert!(operation.len() >= 16);

    // A second click before the answer repeats the same operation, so it applies once.
    h.get_by_label("Adjust").click();
    h.run_ok();
    match h.state().actions.last() {
        Some(EditorAction::AdjustCredit { body, .. }) => {
            assert_eq!(body["operationId"], operation.as_str())
        }
        other => panic!("expected AdjustCredit, got {other:?}"),
    }
}

#[test]
fn the_ledger_lists_transactions_newest_first() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    let newest = h.get_by_label("Returned goods").rect();
    let oldest = h.get_by_label("Birthday bonus").rect();
    assert!(
        newest.top() < oldest.top(),
        "the newest transaction comes first"
    );
    assert_eq!(h.get_all_by_label("+10.00").count(), 2);
    assert!(h.query_by_label("10.00").is_some(), "the first balance");
    assert!(h.query_by_label("Transactions (2)").is_some());
}

#[test]
fn validation_errors_appear_beside_their_fields() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    h.state_mut().editor.set_errors(vec![
        FieldError::new("Email", "\"jana@\" is not an e-mail address"),
        FieldError::coded(
            "Cards[0].SerialNumber",
            "is used by another customer",
            "Unique",
        ),
        FieldError::new("Id", "is too long"),
    ]);
    h.run();
    let beside = |field: egui::Rect, error: egui::Rect| {
        error.top() >= field.bottom() - 1.0
            && error.top() - field.bottom() < 12.0
            && error.left() >= field.left() - 1.0
    };
    let email = h.get_by_label("Email").rect();
    let email_error = h.get_by_label("\"jana@\" is not an e-mail address").rect();
    assert!(beside(email, email_error), "{email:?} {email_error:?}");
    let serial = h.get_all_by_label("Serial number").next().unwrap().rect();
    let serial_error = h.get_by_label("is used by another customer").rect();
    assert!(beside(serial, serial_error), "{serial:?} {serial_error:?}");
    // A member with no field is named in the summary.
    assert!(h.query_by_label("Id: is too long").is_some());
    assert!(
        h.query_by_label("Not saved: 3 problems, marked beside the fields.")
            .is_some()
    );
}

#[test]
fn a_version_conflict_offers_to_reload() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    h.state_mut().editor.set_conflict(7);
    h.run();
    assert!(
        h.query_by_label_contains("changed by someone else, now version 7")
            .is_some()
    );
    h.get_by_label("Reload").click();
    h.run();
    assert_eq!(
        h.state().actions.last(),
        Some(&EditorAction::Reload { id: "c1".into() })
    );
}

/// All rights but `missing`.
fn all_but(missing: Right) -> Rights {
    Right::ALL
        .into_iter()
        .filter(|r| *r != missing && *r != Right::Admin)
        .fold(Rights::NONE, Rights::with)
}

#[test]
fn controls_for_missing_rights_are_not_drawn() {
    let cases = [
        (Right::CustomerSetDiscount, "Discount rate"),
        (Right::CustomerSetCredit, "Adjust"),
        (Right::CustomerUpdate, "Save"),
        (Right::CustomerDelete, "Delete"),
    ];
    for (right, label) in cases {
        let mut with = harness(CustomerEditor::open(jana(), Rights::admin()));
        with.run();
        assert!(
            with.query_by_label(label).is_some(),
            "{label} is there with every right"
        );
        let mut without = harness(CustomerEditor::open(jana(), all_but(right)));
        without.run();
        assert!(
            without.query_by_label(label).is_none(),
            "{label} is drawn without {right}: {:?}",
            without.query_by_label(label)
        );
    }
    // The discount is still shown, as text.
    let mut h = harness(CustomerEditor::open(
        jana(),
        all_but(Right::CustomerSetDiscount),
    ));
    h.run();
    assert!(h.query_by_label("5 %").is_some());
    assert!(h.query_by_label("Discount rate (read only)").is_some());

    // Creating needs customerCreate, not customerUpdate.
    let mut h = harness(CustomerEditor::new_customer(all_but(Right::CustomerCreate)));
    h.run();
    assert!(h.query_by_label("Save").is_none());
    let mut h = harness(CustomerEditor::new_customer(
        Rights::NONE.with(Right::CustomerCreate),
    ));
    h.run();
    assert!(h.query_by_label("Save").is_some());
}

#[test]
fn a_replacement_card_marks_the_old_one_replaced() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    h.get_by_label("Replace card").click();
    h.run();
    type_into(&mut h, "New serial number", "2002");
    h.get_by_label("Issue replacement").click();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    let cards = body["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 2);
    assert_eq!(cards[0]["serialNumber"], "1001");
    assert_eq!(cards[0]["status"], "Replaced");
    assert_eq!(cards[0]["statusReason"], "Replaced by card 2002");
    assert_eq!(
        cards[0]["isActive"], false,
        "the replaced card is no longer active"
    );
    assert_eq!(cards[1]["serialNumber"], "2002");
    assert_eq!(cards[1]["status"], "Valid");
}

#[test]
fn an_unparsable_discount_blocks_save() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    type_into(&mut h, "Discount rate", "12,5x");
    let field = h.get_by_label("Discount rate").rect();
    let error = h
        .get_by_label("\"12,5x\" is not a number (e.g. 12.50)")
        .rect();
    assert!(error.top() >= field.bottom() - 1.0 && error.top() - field.bottom() < 12.0);
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run();
    h.get_by_label("Save").click();
    h.run();
    assert!(h.state().actions.is_empty(), "{:?}", h.state().actions);

    // Corrected (a comma is a decimal point here), it saves the exact number.
    type_into(&mut h, "Discount rate", "12,5");
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(body["discountRate"].to_string(), "12.5");
}

#[test]
fn a_new_customer_goes_out_without_id_or_version() {
    let mut h = harness(CustomerEditor::new_customer(Rights::admin()));
    h.run();
    assert!(h.query_by_label("Delete").is_none());
    assert!(h.query_by_label("Adjust").is_none());
    type_into(&mut h, "First name", "Peter");
    h.get_by_label("Save").click();
    h.run_ok();
    let (id, body) = save_body(&h.state().actions);
    assert_eq!(id, None);
    assert!(body.get("id").is_none() && body.get("_v").is_none());
    assert_eq!(body["firstName"], "Peter");
}

/// A new customer (Ctrl+N at the desk) takes typing at once: the keyboard is in its first
/// name, so a cashier types without reaching for the mouse.
#[test]
fn a_new_customer_takes_typing_in_its_first_name() {
    let mut h = harness(CustomerEditor::new_customer(Rights::admin()));
    h.run();
    h.event(egui::Event::Text("Olga".into()));
    h.run();
    assert_eq!(
        h.get_by_label("First name").value().as_deref(),
        Some("Olga")
    );
}

#[test]
fn the_api_accepts_what_the_editor_sends() {
    let api = LocalApi::with_system_clock(Store::open_in_memory().unwrap());
    let owner = Actor::new("owner", Rights::admin());
    let mut input = jana();
    input.credit_transactions.clear();
    input.credit.amount = dec("0");
    let stored = api
        .create(&owner, &serde_json::to_value(&input).unwrap())
        .unwrap();
    let id = stored.id.clone();

    let mut h = harness(CustomerEditor::open(stored, Rights::admin()));
    h.run();
    type_into(&mut h, "Company name", "Nováková s.r.o.");
    h.get_by_label("Save").click();
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    let saved = api.upsert(&owner, &id, &body).unwrap().customer;
    assert_eq!(
        saved.company.as_ref().and_then(|c| c.name.as_deref()),
        Some("Nováková s.r.o.")
    );
    h.state_mut().editor.set_saved(saved);
    h.run();
    assert!(!h.state().editor.is_dirty());

    type_into(&mut h, "Amount", "12.34");
    type_into(&mut h, "Reason", "Voucher");
    h.get_by_label("Adjust").click();
    h.run_ok();
    let Some(EditorAction::AdjustCredit { body, .. }) = h.state().actions.last().cloned() else {
        panic!("expected AdjustCredit");
    };
    let adjusted = api.adjust_credit(&owner, &id, &body).unwrap();
    // The same operation again (a double click) applies nothing.
    let again = api.adjust_credit(&owner, &id, &body).unwrap();
    assert_eq!(again.credit.amount, dec("12.34"));
    h.state_mut().editor.set_saved(adjusted);
    h.run();
    assert!(
        h.query_by_label("Voucher").is_some(),
        "the ledger shows the adjustment"
    );
    assert!(h.query_by_label("Transactions (1)").is_some());

    // A stale version is refused by the API; the editor shows it.
    let mut stale = body_of_save(&mut h, "Phone", "0900");
    stale["_v"] = Value::from(1);
    let Err(ApiError::Conflict { stored_version, .. }) = api.upsert(&owner, &id, &stale) else {
        panic!("a stale _v must be refused");
    };
    h.state_mut().editor.set_conflict(stored_version);
    h.run_ok();
    assert!(h.query_by_label_contains("now version 3").is_some());
}

fn body_of_save(h: &mut Harness<'static, State>, label: &str, text: &str) -> Value {
    type_into(h, label, text);
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_ok();
    save_body(&h.state().actions).1
}

#[test]
fn card_status_changes_keep_a_reason() {
    let mut h = harness(CustomerEditor::open(jana(), Rights::admin()));
    h.run();
    h.get_by_label("Status").click();
    h.run();
    h.get_by_label("Lost").click();
    h.run();
    type_into(&mut h, "Status reason", "Lost on the bus");
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(body["cards"][0]["status"], "Lost");
    assert_eq!(body["cards"][0]["statusReason"], "Lost on the bus");
    assert_eq!(
        body["cards"][0]["statusTime"],
        Value::Null,
        "the API stamps the new status"
    );
}

#[test]
fn meta_entries_are_edited_and_other_values_kept() {
    let mut customer = jana();
    customer.meta =
        serde_json::from_str(r#"{"tier":"gold","points":12.50,"tags":["a","b"]}"#).unwrap();
    let mut h = harness(CustomerEditor::open(customer, Rights::admin()));
    h.run();
    h.get_by_label("Meta").click();
    h.run();
    type_into(&mut h, "Meta value 1", "silver");
    h.get_by_label("Add entry").click();
    h.run();
    type_into(&mut h, "Meta key 4", "vip");
    let raw = h.get_by_label("Meta as JSON").value().unwrap_or_default();
    assert!(
        raw.contains("\"vip\": \"\"") && raw.contains("\"tier\": \"silver\""),
        "the raw JSON follows the rows: {raw}"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run_ok();
    let (_, body) = save_body(&h.state().actions);
    assert_eq!(
        body["meta"].to_string(),
        r#"{"tier":"silver","points":12.50,"tags":["a","b"],"vip":""}"#
    );

    // The shell could not reach the store; the user keeps editing.
    h.state_mut()
        .editor
        .set_failed("The store is busy; try again.");
    h.run();
    assert!(h.query_by_label("The store is busy; try again.").is_some());
    // A number that does not read blocks the save and says why.
    type_into(&mut h, "Meta value 2", "12,5");
    assert!(h.query_by_label("\"12,5\" is not a number").is_some());
    let saves = h.state().actions.len();
    h.key_press_modifiers(Modifiers::COMMAND, Key::S);
    h.run();
    assert_eq!(h.state().actions.len(), saves);
}
