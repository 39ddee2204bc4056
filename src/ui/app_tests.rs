//! The shell's side of the editor: what happens to the actions the editor emits (save,
//! create, conflicts, validation errors, credit). The editor's own drawing is tested beside
//! it; here its actions are handed to the app as the editor would emit them.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use serde_json::json;

use super::App;
use std::sync::Arc;

use crate::api::{Auth, AuthPolicy, LocalApi};
use crate::model::{Actor, Rights};
use crate::ui::editor::EditorAction;

const PASSWORD: &str = "heslo-123";

fn store_with_one_customer() -> (tempfile::TempDir, std::path::PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("customers.db");
    let api = Arc::new(LocalApi::open(&db).unwrap());
    Auth::new(api.clone(), AuthPolicy::default())
        .add_user("eva", PASSWORD, Rights::admin())
        .unwrap();
    let actor = Actor::new("eva", Rights::admin());
    let c = api
        .create(
            &actor,
            &json!({"firstName": "Jana", "lastName": "Nováková"}),
        )
        .unwrap();
    (dir, db, c.id)
}

fn settle(harness: &mut Harness<'_, App>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    harness.step();
    while harness.state().is_busy() {
        assert!(Instant::now() < deadline, "the service did not answer");
        harness.step();
    }
    harness.run();
}

fn signed_in(db: std::path::PathBuf) -> Harness<'static, App> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .build_eframe(move |cc| App::new(cc, db));
    harness.state_mut().set_refresh_every(None);
    settle(&mut harness);
    for (label, text) in [("User name", "eva"), ("Password", PASSWORD)] {
        harness.get_by_label(label).click();
        harness.run();
        harness.get_by_label(label).type_text(text);
    }
    harness.get_by_label("Sign in").click();
    settle(&mut harness);
    assert!(harness.query_by_label("Signed in as eva").is_some());
    harness
}

/// Hands `action` to the app as if the open editor had emitted it, and waits for the answer.
fn editor_emits(harness: &mut Harness<'_, App>, action: EditorAction) {
    let app = harness.state_mut();
    let (desk, service) = (app.desk.as_mut().unwrap(), app.service.as_ref().unwrap());
    assert!(desk.editor.is_some(), "an editor is open");
    desk.editor_action(action, service, &mut app.toasts);
    settle(harness);
}

/// How often `label` shows: once in the grid, and once more in the editor's header.
fn shown(harness: &Harness<'_, App>, label: &str) -> usize {
    harness.query_all_by_label(label).count()
}

fn toasts(harness: &Harness<'_, App>) -> Vec<String> {
    harness.state().toast_texts()
}

#[test]
fn ctrl_n_opens_a_new_customer_and_saving_it_creates_and_lists_it() {
    let (_dir, db, _) = store_with_one_customer();
    let mut harness = signed_in(db);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    harness.run();
    let editor = harness
        .state()
        .desk
        .as_ref()
        .unwrap()
        .editor
        .as_ref()
        .expect("Ctrl+N opens the editor");
    assert_eq!(editor.customer_id(), None);

    let body = json!({"firstName": "Mária", "lastName": "Horváthová"});
    editor_emits(&mut harness, EditorAction::Save { id: None, body });
    assert!(
        shown(&harness, "Mária Horváthová") == 2,
        "the grid shows the new customer"
    );
    assert!(harness.query_by_label("2 customers").is_some());
    assert!(toasts(&harness).contains(&"Created Mária Horváthová".to_owned()));
    let editor = harness
        .state()
        .desk
        .as_ref()
        .unwrap()
        .editor
        .as_ref()
        .unwrap();
    assert!(
        editor.customer_id().is_some(),
        "the editor now edits the stored customer"
    );
}

#[test]
fn a_save_updates_the_grid_and_a_stale_version_or_a_bad_field_is_reported() {
    let (_dir, db, id) = store_with_one_customer();
    let mut harness = signed_in(db);
    harness.get_by_label("Jana Nováková").click();
    harness.run();
    // Enter asks the service for the whole customer: wait for it, not for a number of
    // frames (a busy machine answers after `run`'s frames have run out).
    harness.key_press(egui::Key::Enter);
    settle(&mut harness);

    let body = json!({"firstName": "Jana", "lastName": "Kráľová", "_v": 1});
    editor_emits(
        &mut harness,
        EditorAction::Save {
            id: Some(id.clone()),
            body,
        },
    );
    assert!(
        shown(&harness, "Jana Kráľová") == 2,
        "the grid shows the saved name"
    );
    assert!(toasts(&harness).contains(&"Saved Jana Kráľová".to_owned()));

    let stale = json!({"firstName": "Jana", "lastName": "Stará", "_v": 1});
    editor_emits(
        &mut harness,
        EditorAction::Save {
            id: Some(id.clone()),
            body: stale,
        },
    );
    assert!(toasts(&harness).contains(&"Someone else changed this customer meanwhile.".to_owned()));
    assert!(
        shown(&harness, "Jana Kráľová") == 2,
        "the stale save changed nothing"
    );

    let bad = json!({"firstName": "Jana", "email": "not an email"});
    editor_emits(
        &mut harness,
        EditorAction::Save {
            id: Some(id.clone()),
            body: bad,
        },
    );
    assert!(toasts(&harness).contains(&"Not saved: some fields need attention.".to_owned()));

    let credit = json!({"amount": 12.5, "note": "welcome", "operationId": "op-1"});
    editor_emits(
        &mut harness,
        EditorAction::AdjustCredit {
            id: id.clone(),
            body: credit,
        },
    );
    assert!(
        shown(&harness, "12.50") >= 1,
        "the grid shows the new credit"
    );

    editor_emits(
        &mut harness,
        EditorAction::Delete {
            id,
            display_name: "Jana Kráľová".into(),
        },
    );
    harness.get_by_label("Delete Jana Kráľová").click();
    settle(&mut harness);
    assert!(
        harness.state().desk.as_ref().unwrap().editor.is_none(),
        "deleting closes the editor"
    );
    assert!(harness.query_by_label("No customers yet.").is_some());
}

#[test]
fn a_damaged_database_file_is_said_so_on_opening() {
    use std::io::{Seek as _, SeekFrom, Write as _};
    let (_dir, db, _) = store_with_one_customer();
    let len = std::fs::metadata(&db).unwrap().len();
    let mut file = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    file.seek(SeekFrom::Start(len / 2 / 4096 * 4096)).unwrap();
    file.write_all(&[0xA5; 16 * 1024]).unwrap();
    drop(file);

    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .build_eframe(move |cc| App::new(cc, db));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !toasts(&harness)
        .iter()
        .any(|t| t.starts_with("The database file is damaged"))
    {
        assert!(
            Instant::now() < deadline,
            "no word of the damage: {:?}",
            toasts(&harness)
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run();
    assert!(
        harness
            .query_all_by_label_contains("customer-desk doctor --repair")
            .next()
            .is_some(),
        "the toast on screen says what to do"
    );
}
