//! The screens before the desk: opening the store, the owner account on a first start, the
//! demo data offer with its progress bar, and signing in, on this computer or at the shop
//! server.

use super::money;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use egui::{RichText, Ui};

use super::style;
use crate::service::SessionCommand;

/// How many demo customers the offer suggests.
const DEFAULT_DEMO_COUNT: u64 = 10_000;

/// A user name and password being typed.
#[derive(Debug, Default)]
pub struct Credentials {
    pub user_name: String,
    pub password: String,
    /// Only on the owner form: the password typed again.
    pub repeat: String,
    /// Sign in at the shop server instead of on this computer.
    pub on_server: bool,
    /// The shop server's address, e.g. `http://192.168.1.10:8080`.
    pub server: String,
    pub error: Option<String>,
    pub busy: bool,
    /// This computer's store has no user yet (a first start that went to the shop server):
    /// choosing "This computer" leads back to creating the owner.
    pub no_local_users: bool,
}

impl Credentials {
    /// An empty sign-in form, offering the place of the last sign-in.
    pub fn sign_in(on_server: bool, server: &str) -> Self {
        Self {
            on_server,
            server: server.to_owned(),
            ..Self::default()
        }
    }
}

/// A demo load under way.
#[derive(Debug)]
pub struct DemoLoad {
    pub done: u64,
    pub total: u64,
    pub cancel: Arc<AtomicBool>,
}

/// Which screen shows before the desk.
#[derive(Debug)]
pub enum Gate {
    Starting,
    StoreFailed(String),
    CreateOwner(Credentials),
    OfferDemo {
        count_text: String,
        load: Option<DemoLoad>,
        error: Option<String>,
    },
    SignIn(Credentials),
}

impl Gate {
    /// The demo offer shown right after the owner account is made.
    pub fn offer_demo() -> Self {
        Gate::OfferDemo {
            count_text: DEFAULT_DEMO_COUNT.to_string(),
            load: None,
            error: None,
        }
    }

    /// Whether the screen waits for the service (tests step until nothing waits).
    pub fn is_busy(&self) -> bool {
        match self {
            Gate::Starting => true,
            Gate::StoreFailed(_) => false,
            Gate::CreateOwner(c) | Gate::SignIn(c) => c.busy,
            Gate::OfferDemo { load, .. } => load.is_some(),
        }
    }
}

/// What a gate screen asks the app to do.
#[derive(Debug)]
pub enum GateAction {
    Send(SessionCommand),
    /// Skip the demo (or it finished): go to the desk.
    EnterDesk,
    /// On a first start: skip the owner account and sign in at the shop server.
    UseServer,
    /// On a first start, back from the shop server: create the owner account after all.
    CreateOwner,
}

/// Draws the gate screen centred in the window.
pub fn gate_ui(ui: &mut Ui, gate: &mut Gate, store_name: &str) -> Option<GateAction> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space((ui.available_height() * 0.15).max(12.0));
        ui.set_max_width(380.0);
        ui.heading(super::WINDOW_TITLE);
        ui.add_space(12.0);
        action = match gate {
            Gate::Starting => {
                ui.add(egui::Spinner::new());
                ui.label("Opening the store…");
                None
            }
            Gate::StoreFailed(reason) => {
                ui.label(RichText::new("The store could not be opened.").strong());
                ui.label(RichText::new(reason.as_str()).color(style::error_color(ui.visuals())));
                None
            }
            Gate::CreateOwner(form) => create_owner_ui(ui, form, store_name),
            Gate::OfferDemo {
                count_text,
                load,
                error,
            } => offer_demo_ui(ui, count_text, load, error),
            Gate::SignIn(form) => sign_in_ui(ui, form),
        };
    });
    action
}

fn create_owner_ui(ui: &mut Ui, form: &mut Credentials, store_name: &str) -> Option<GateAction> {
    ui.label(RichText::new("Welcome! Create the owner account").strong());
    let weak = style::weak_color(ui.visuals());
    ui.label(RichText::new("The owner holds every right and can add other users.").color(weak));
    ui.label(
        RichText::new(format!("Store: {store_name}"))
            .small()
            .color(weak),
    );
    ui.add_space(8.0);
    let submit = egui::Grid::new("owner-form")
        .num_columns(2)
        .show(ui, |ui| {
            // Enter submits from the last field only: the first two are easily half typed.
            first_field_ui(ui, "Owner user name", &mut form.user_name);
            field_ui(ui, "Password", &mut form.password, true);
            field_ui(ui, "Repeat password", &mut form.repeat, true)
        })
        .inner;
    show_error_ui(ui, form);
    let clicked = ui
        .add_enabled(!form.busy, egui::Button::new("Create owner account"))
        .clicked();
    busy_ui(ui, form.busy);
    ui.add_space(12.0);
    ui.label(RichText::new("This desk works on the shop's server?").color(weak));
    if ui
        .add_enabled(!form.busy, egui::Button::new("Sign in to a shop server"))
        .clicked()
    {
        return Some(GateAction::UseServer);
    }
    if !(clicked || submit) || form.busy {
        return None;
    }
    // Only a check of what was typed twice; every rule on names and passwords is the store's.
    if form.password != form.repeat {
        form.error = Some("The two passwords differ.".into());
        return None;
    }
    form.error = None;
    form.busy = true;
    Some(GateAction::Send(SessionCommand::CreateOwner {
        user_name: form.user_name.trim().to_owned(),
        password: form.password.clone(),
    }))
}

fn sign_in_ui(ui: &mut Ui, form: &mut Credentials) -> Option<GateAction> {
    ui.label(RichText::new("Who is at the desk?").strong());
    ui.add_space(8.0);
    let was_on_server = form.on_server;
    ui.horizontal(|ui| {
        // Each choice is named by its own text; "Sign in to" only leads into them.
        ui.label("Sign in to");
        ui.radio_value(&mut form.on_server, false, "This computer");
        ui.radio_value(&mut form.on_server, true, "Shop server");
    });
    if form.on_server != was_on_server {
        // The last failure was about the other place.
        form.error = None;
        if !form.on_server && form.no_local_users {
            return Some(GateAction::CreateOwner);
        }
    }
    let submit = egui::Grid::new("sign-in-form")
        .num_columns(2)
        .show(ui, |ui| {
            // The keyboard starts in the first empty field: the address on a desk's first
            // sign-in to a server, else the user name.
            let no_address = form.on_server && form.server.is_empty();
            if no_address {
                first_field_ui(ui, "Server address", &mut form.server);
            } else if form.on_server {
                field_ui(ui, "Server address", &mut form.server, false);
            }
            if no_address {
                field_ui(ui, "User name", &mut form.user_name, false);
            } else {
                first_field_ui(ui, "User name", &mut form.user_name);
            }
            field_ui(ui, "Password", &mut form.password, true)
        })
        .inner;
    if form.on_server {
        let weak = style::weak_color(ui.visuals());
        ui.label(
            RichText::new("For example http://192.168.1.10:8080, as the server's owner gave it.")
                .small()
                .color(weak),
        );
    }
    show_error_ui(ui, form);
    let clicked = ui
        .add_enabled(!form.busy, egui::Button::new("Sign in"))
        .clicked();
    busy_ui(ui, form.busy);
    if !(clicked || submit) || form.busy {
        return None;
    }
    let server = form.server.trim();
    if form.on_server && server.is_empty() {
        form.error = Some("Type the server's address.".into());
        return None;
    }
    form.error = None;
    form.busy = true;
    Some(GateAction::Send(SessionCommand::SignIn {
        user_name: form.user_name.trim().to_owned(),
        password: form.password.clone(),
        server: form.on_server.then(|| server.to_owned()),
    }))
}

fn offer_demo_ui(
    ui: &mut Ui,
    count_text: &mut String,
    load: &mut Option<DemoLoad>,
    error: &mut Option<String>,
) -> Option<GateAction> {
    ui.label(RichText::new("Load demo customers?").strong());
    ui.label("Trying the app out? Fill the store with realistic made-up customers. Skip this for a real shop.");
    ui.add_space(8.0);
    if let Some(load) = load {
        let fraction = if load.total == 0 {
            0.0
        } else {
            load.done as f32 / load.total as f32
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .show_percentage()
                .text(format!(
                    "{} of {}",
                    money::count_text(load.done),
                    money::count_text(load.total)
                )),
        );
        let cancelling = load.cancel.load(Ordering::Relaxed);
        // After the last row (or a cancel) the indexes are built, which takes a while at a
        // million: the bar stands still, so say why.
        if cancelling {
            ui.label(format!(
                "Stopping: building the indexes for the {} customers loaded…",
                money::count_text(load.done)
            ));
        } else if load.done >= load.total {
            ui.label("Building the indexes…");
        }
        if ui
            .add_enabled(!cancelling, egui::Button::new("Cancel"))
            .clicked()
        {
            load.cancel.store(true, Ordering::Relaxed);
        }
        return None;
    }
    let mut action = None;
    ui.horizontal(|ui| {
        let label = ui.label("Number of customers");
        ui.add(egui::TextEdit::singleline(count_text).desired_width(90.0))
            .labelled_by(label.id);
    });
    if let Some(err) = error.as_deref() {
        ui.label(RichText::new(err).color(style::error_color(ui.visuals())));
    }
    ui.horizontal(|ui| {
        if ui.button("Load demo data").clicked() {
            match count_text.trim().replace([' ', '_'], "").parse::<u64>() {
                Ok(count) if count > 0 => {
                    let cancel = Arc::new(AtomicBool::new(false));
                    *load = Some(DemoLoad {
                        done: 0,
                        total: count,
                        cancel: cancel.clone(),
                    });
                    *error = None;
                    action = Some(GateAction::Send(SessionCommand::LoadDemo { count, cancel }));
                }
                _ => *error = Some("Type a whole number of customers, e.g. 10000.".into()),
            }
        }
        if ui.button("Start with an empty store").clicked() {
            action = Some(GateAction::EnterDesk);
        }
    });
    action
}

/// A labelled text field in a two-column grid; true when Enter was pressed in it.
fn field_ui(ui: &mut Ui, caption: &str, value: &mut String, password: bool) -> bool {
    field_response_ui(ui, caption, value, password).1
}

/// The form's first field, which takes the keyboard when the screen opens.
fn first_field_ui(ui: &mut Ui, caption: &str, value: &mut String) {
    let (response, _) = field_response_ui(ui, caption, value, false);
    if value.is_empty() && ui.memory(|m| m.focused().is_none()) {
        response.request_focus();
    }
}

fn field_response_ui(
    ui: &mut Ui,
    caption: &str,
    value: &mut String,
    password: bool,
) -> (egui::Response, bool) {
    let label = ui.label(caption);
    let response = ui
        .add(
            egui::TextEdit::singleline(value)
                .password(password)
                .desired_width(200.0),
        )
        .labelled_by(label.id);
    ui.end_row();
    let submitted = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    (response, submitted)
}

fn show_error_ui(ui: &mut Ui, form: &Credentials) {
    if let Some(err) = &form.error {
        ui.label(RichText::new(err).color(style::error_color(ui.visuals())));
    }
}

fn busy_ui(ui: &mut Ui, busy: bool) {
    if busy {
        ui.add(egui::Spinner::new());
    }
}
