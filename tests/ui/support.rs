//! Shared set-up of the UI tests: a temporary store with users and customers made through
//! the API, the whole app in a kittest harness, and waiting for the service by stepping.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use customer_desk::api::{Auth, AuthPolicy, LocalApi};
use customer_desk::model::{Actor, Rights};
use customer_desk::store::Store;
use customer_desk::ui::App;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use serde_json::Value;

pub const PASSWORD: &str = "heslo-123";

/// A store file in a temporary folder; the folder goes when this is dropped.
pub struct TestStore {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
}

impl TestStore {
    /// A store with the given users (all with [`PASSWORD`]) and customers.
    pub fn new(user_rights: &[(&str, Rights)], customers: &[Value]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("customers.db");
        let api = Arc::new(LocalApi::open(&db).unwrap());
        let auth = Auth::new(api.clone(), AuthPolicy::default());
        for (name, rights) in user_rights {
            auth.add_user(name, PASSWORD, *rights).unwrap();
        }
        let admin = Actor::new("setup", Rights::admin());
        for body in customers {
            api.create(&admin, body).unwrap();
        }
        Self { dir, db }
    }

    /// The API on this store, to check what the app wrote.
    pub fn api(&self) -> LocalApi {
        LocalApi::with_system_clock(Store::open(&self.db).unwrap())
    }
}

/// The whole app on `db`, as `cargo run` would show it.
pub fn app(db: PathBuf) -> Harness<'static, App> {
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .build_eframe(move |cc| App::new(cc, db));
    // A refresh every few (simulated) seconds would land in the middle of what a test looks
    // at; the test of the refresh turns it on.
    harness.state_mut().set_refresh_every(None);
    harness
}

/// Steps the app until it waits for nothing (no request in flight, no debounce due).
pub fn settle(harness: &mut Harness<'_, App>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    harness.step();
    while harness.state().is_busy() {
        assert!(
            Instant::now() < deadline,
            "the service did not answer within 30 s"
        );
        harness.step();
    }
    // A desk on a shop server keeps hearing from its sync (each message wakes the window),
    // so the frames may not come to rest: a few are enough for the layout.
    harness.run_ok();
}

/// Signs in on the sign-in screen.
pub fn sign_in(harness: &mut Harness<'_, App>, user: &str) {
    settle(harness);
    harness.get_by_label("User name").click();
    harness.run_ok();
    harness.get_by_label("User name").type_text(user);
    harness.get_by_label("Password").click();
    harness.run_ok();
    harness.get_by_label("Password").type_text(PASSWORD);
    harness.get_by_label("Sign in").click();
    settle(harness);
    assert!(
        harness
            .query_by_label(&format!("Signed in as {user}"))
            .is_some(),
        "signing in as {user} failed"
    );
}

/// Types into the field labelled `label`.
pub fn type_into(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    harness.get_by_label(label).click();
    harness.run_ok();
    harness.get_by_label(label).type_text(text);
    harness.step();
}

/// The vertical position of the node labelled `label`, to compare row order.
pub fn row_y(harness: &Harness<'_, App>, label: &str) -> f32 {
    harness.get_by_label(label).rect().min.y
}

/// A person, with an email and one card.
pub fn person(first: &str, last: &str, email: &str, card: &str) -> Value {
    serde_json::json!({
        "firstName": first,
        "lastName": last,
        "email": email,
        "cards": [{"serialNumber": card}],
    })
}

/// `count` people named `Meno000 Priezvisko`, `Meno001 Priezvisko`, …: their name order is
/// their number order.
pub fn numbered_people(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            person(
                &format!("Meno{i:03}"),
                "Priezvisko",
                &format!("m{i}@example.sk"),
                &format!("C{i}"),
            )
        })
        .collect()
}

/// Three customers whose name order differs from their email order.
pub fn three_customers() -> Vec<Value> {
    vec![
        person("Jana", "Nováková", "z.jana@example.sk", "1001"),
        person("Ľubomír", "Čierny", "a.lubo@example.sk", "1002"),
        person("Zoltán", "Kovács", "m.zoltan@example.hu", "1003"),
    ]
}

/// The id of the customer holding card `serial`.
pub fn id_of(store: &TestStore, serial: &str) -> String {
    let actor = Actor::new("t", Rights::NONE);
    store
        .api()
        .find_by_card(&actor, serial)
        .unwrap()
        .unwrap()
        .id
}

/// A tokio runtime for a test's server on loopback (the window has its own).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A server on loopback with two customers that no desk's own store has.
pub fn server_with_customers(runtime: &tokio::runtime::Runtime) -> crate::http_support::TestServer {
    let server = runtime.block_on(crate::http_support::TestServer::start(
        "2026-06-01T12:00:00Z".parse().expect("time"),
    ));
    let admin = Actor::new("setup", Rights::admin());
    for body in [
        person("Serafína", "Serverová", "s@example.sk", "9001"),
        person("Oto", "Obchodník", "o@example.sk", "9002"),
    ] {
        server.auth.api().create(&admin, &body).expect("customer");
    }
    server
}

/// Signs in at the server at `address` on the sign-in screen (from a first start too),
/// replacing whatever the form holds from the last sign-in.
pub fn sign_in_at_server(
    harness: &mut Harness<'_, App>,
    address: &str,
    user: &str,
    password: &str,
) {
    settle(harness);
    if harness.query_by_label("Sign in to a shop server").is_some() {
        harness.get_by_label("Sign in to a shop server").click();
        settle(harness);
    }
    for (label, text) in [
        ("Server address", address),
        ("User name", user),
        ("Password", password),
    ] {
        harness.get_by_label(label).click();
        harness.run_ok();
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.get_by_label(label).type_text(text);
        harness.step();
    }
    harness.get_by_label("Sign in").click();
    settle(harness);
}

/// Steps the window (whose sync runs on threads of its own) until `done` holds.
pub fn wait_for(
    harness: &mut Harness<'_, App>,
    what: &str,
    done: impl Fn(&Harness<'_, App>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done(harness) {
        assert!(Instant::now() < deadline, "waited 90 s for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.step();
}

/// Whether some node's label contains `text`.
pub fn shows(harness: &Harness<'_, App>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}
