//! *Import…* and *Export…* in the window: hidden without the rights they need, the import's
//! preview that asks before writing (and refuses until refused rows are skipped), and an
//! export of everything. The file dialog is replaced by a picker that answers with paths.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};

use crate::support::*;
use customer_desk::model::{Actor, Right, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::ui::App;
use customer_desk::ui::files::{FilePicker, FileRequest, Wake};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

/// Answers each dialog with the next of its paths, and remembers what was asked.
#[derive(Default)]
struct GivenPaths {
    paths: Mutex<VecDeque<PathBuf>>,
    asked: Mutex<Vec<FileRequest>>,
}

impl FilePicker for GivenPaths {
    fn pick(&self, request: FileRequest, wake: Wake) -> Receiver<Option<PathBuf>> {
        self.asked.lock().unwrap().push(request);
        let (tx, rx) = channel();
        tx.send(self.paths.lock().unwrap().pop_front()).unwrap();
        wake();
        rx
    }
}

fn app_with(store: &TestStore, picker: Arc<GivenPaths>) -> Harness<'static, App> {
    let db = store.db.clone();
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .build_eframe(move |cc| App::new(cc, db).with_file_picker(picker));
    harness.state_mut().set_refresh_every(None);
    harness
}

#[test]
fn import_and_export_are_hidden_without_the_rights_they_need() {
    let store = TestStore::new(
        &[
            ("reader", Rights::NONE),
            ("clerk", Rights::NONE.with(Right::CustomerUpdate)),
        ],
        &three_customers(),
    );
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "reader");
    assert!(harness.query_by_label("Import…").is_none());
    assert!(
        harness.query_by_label("Export…").is_some(),
        "reading is enough to export"
    );
    drop(harness);
    let mut harness = app(store.db.clone());
    sign_in(&mut harness, "clerk");
    assert!(
        harness.query_by_label("Import…").is_some(),
        "updating is importing"
    );
}

#[test]
fn an_import_shows_what_it_would_do_and_writes_only_when_asked() {
    let store = TestStore::new(&[("eva", Rights::admin())], &three_customers());
    let file = store.dir.path().join("new customers.csv");
    std::fs::write(
        &file,
        "\u{feff}CardSerialNumber;FirstName;LastName;DiscountRate;Tier\n\
         2001;Oľga;Nová;7,5;gold\n\
         2002;Peter;Zlý;250;\n\
         1001;Jana;Nováková-Malá;;\n",
    )
    .unwrap();
    let picker = Arc::new(GivenPaths::default());
    picker
        .paths
        .lock()
        .unwrap()
        .extend([file.clone(), file.clone()]);
    let mut harness = app_with(&store, picker.clone());
    sign_in(&mut harness, "eva");

    // First the preview: nothing written, the refused row named, Import held back.
    harness.get_by_label("Import…").click();
    settle(&mut harness);
    assert_eq!(picker.asked.lock().unwrap()[0], FileRequest::Open);
    assert!(
        harness
            .query_by_label("Import new customers.csv?")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("3 rows: 1 to create, 1 to update, 0 unchanged, 1 refused")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("Line 3, DiscountRate: must not be above 100")
            .is_some()
    );
    assert!(
        harness
            .query_by_label("Ignored columns (not ours): Tier")
            .is_some()
    );
    assert!(
        harness
            .get_by_label("Import 2 customers")
            .accesskit_node()
            .is_disabled()
    );
    harness.get_by_label("Cancel").click();
    settle(&mut harness);
    let everyone = |store: &TestStore| {
        store
            .api()
            .list(&Actor::new("t", Rights::NONE), &ListParams::new())
            .unwrap()
            .total_count
    };
    assert_eq!(
        everyone(&store),
        3,
        "the preview and a cancel write nothing"
    );

    // Again, skipping the refused row: the others go in, and the grid shows them.
    harness.get_by_label("Import…").click();
    settle(&mut harness);
    harness
        .get_by_label("Skip refused rows and import the others")
        .click();
    harness.run();
    harness.get_by_label("Import 2 customers").click();
    settle(&mut harness);
    assert!(
        harness
            .state()
            .toast_texts()
            .iter()
            .any(|t| t == "Imported new customers.csv: 1 created, 1 updated, 0 unchanged, 1 refused rows skipped"),
        "{:?}",
        harness.state().toast_texts()
    );
    assert_eq!(everyone(&store), 4);
    assert!(harness.query_by_label("Oľga Nová").is_some());
    let jana = store
        .api()
        .find_by_card(&Actor::new("t", Rights::NONE), "1001")
        .unwrap()
        .unwrap();
    assert_eq!(jana.last_name.as_deref(), Some("Nováková-Malá"));
}

#[test]
fn an_export_writes_every_customer_to_the_chosen_file() {
    let store = TestStore::new(&[("eva", Rights::NONE)], &three_customers());
    let file = store.dir.path().join("out.jsonl");
    let picker = Arc::new(GivenPaths::default());
    picker.paths.lock().unwrap().push_back(file.clone());
    let mut harness = app_with(&store, picker.clone());
    sign_in(&mut harness, "eva");
    type_into(&mut harness, "Search", "kovacs");
    settle(&mut harness);
    harness.get_by_label("Export…").click();
    harness.run();
    assert!(
        harness
            .query_by_label("The current search and filters (1 customers)")
            .is_some()
    );
    harness.get_by_label("Every customer").click();
    harness.get_by_label("JSON Lines").click();
    harness.run();
    harness.get_by_label("Choose file…").click();
    settle(&mut harness);
    assert_eq!(
        picker.asked.lock().unwrap()[0],
        FileRequest::Save {
            file_name: "customers.jsonl".into()
        }
    );
    assert!(
        harness
            .state()
            .toast_texts()
            .contains(&"Exported 3 customers to out.jsonl".to_owned()),
        "{:?}",
        harness.state().toast_texts()
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().count(), 3);
}
