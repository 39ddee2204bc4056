//! The eframe application: routes the service's messages to the screen that waits for them,
//! and draws either a gate screen (first start, sign-in) or the desk.

use std::path::PathBuf;
use std::sync::Arc;

use super::desk::{Desk, DeskOutcome};
use super::desk_ui::desk_ui;
use super::files::{FilePicker, SystemFilePicker};
use super::settings::{SavedSettings, Settings};
use super::shortcuts;
use super::sign_in::{Credentials, Gate, GateAction, gate_ui};
use super::style;
use super::toasts::{ToastKind, Toasts};
use super::words;
use crate::model::UserInfo;
use crate::service::{Message, ServiceError, ServiceHandle, SessionCommand, SessionMessage};

/// The whole window.
#[derive(Debug)]
pub struct App {
    service: Option<ServiceHandle>,
    gate: Gate,
    desk: Option<Desk>,
    /// Signed in, but the demo offer still shows (first start).
    waiting_user: Option<UserInfo>,
    store_name: String,
    /// The store already holds customers: no demo data is offered.
    has_customers: bool,
    /// Sign-out was asked for and the service has not confirmed it yet.
    signing_out: bool,
    settings: Settings,
    /// Seconds between the desk's refreshes of its page (see `Desk::refresh_secs`).
    refresh_secs: f64,
    /// The settings as last written (see [`SavedSettings`]).
    saved_settings: SavedSettings,
    toasts: Toasts,
    /// Where *Import…* and *Export…* get their files: the system's dialogs, or a test's.
    picker: Arc<dyn FilePicker>,
    /// Input that arrived after a Tab, held for the next frame (see
    /// [`shortcuts::hold_after_focus_move`]).
    held_events: Vec<egui::Event>,
}

impl App {
    /// The app on the store at `db_path`; settings come from eframe's storage when there is
    /// one (there is none in tests).
    pub fn new(cc: &eframe::CreationContext<'_>, db_path: PathBuf) -> Self {
        let settings = Settings::load(cc.storage);
        style::apply_style(&cc.egui_ctx, settings.theme, settings.zoom);
        let store_name = db_path.display().to_string();
        let ctx = cc.egui_ctx.clone();
        let started =
            ServiceHandle::spawn(db_path, std::sync::Arc::new(move || ctx.request_repaint()))
                .and_then(|service| service.send(SessionCommand::Start).map(|()| service));
        let (service, gate) = match started {
            Ok(service) => (Some(service), Gate::Starting),
            Err(err) => (None, Gate::StoreFailed(words::service_failure(&err))),
        };
        Self {
            has_customers: false,
            signing_out: false,
            service,
            gate,
            desk: None,
            waiting_user: None,
            store_name,
            refresh_secs: super::desk::REFRESH_SECS,
            saved_settings: SavedSettings::new(&settings),
            settings,
            toasts: Toasts::default(),
            picker: Arc::new(SystemFilePicker),
            held_events: Vec::new(),
        }
    }

    /// Gives this frame the input held from the last one, and holds what follows a Tab for
    /// the next, so that keys typed after a Tab reach the field the Tab moves to. eframe
    /// calls it before every frame; egui_kittest does not, so tests call it themselves.
    pub fn hold_input_after_tab(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if !self.held_events.is_empty() {
            let mut events = std::mem::take(&mut self.held_events);
            events.append(&mut raw_input.events);
            raw_input.events = events;
        }
        self.held_events = shortcuts::hold_after_focus_move(&mut raw_input.events);
        if !self.held_events.is_empty() {
            ctx.request_repaint();
        }
    }

    /// How often a desk signed in from now on reads its page again to show changes made
    /// elsewhere; `None` for never (tests that step frames by the hundred use it, so that no
    /// refresh lands in the middle of what they look at).
    pub fn set_refresh_every(&mut self, every: Option<std::time::Duration>) {
        self.refresh_secs = every.map_or(f64::INFINITY, |d| d.as_secs_f64());
    }

    /// The app with file paths for import and export from `picker` instead of the system's
    /// dialogs (tests cannot click in those).
    pub fn with_file_picker(mut self, picker: Arc<dyn FilePicker>) -> Self {
        self.picker = picker;
        self
    }

    /// Whether the window waits for the service: tests step until this is false.
    pub fn is_busy(&self) -> bool {
        self.signing_out
            || match &self.desk {
                Some(desk) => desk.is_busy(),
                None => self.gate.is_busy(),
            }
    }

    /// The texts of the toasts on screen.
    pub fn toast_texts(&self) -> Vec<String> {
        self.toasts.texts().map(str::to_owned).collect()
    }

    fn handle(&mut self, message: Message) {
        match message {
            Message::Session(message) => self.handle_session(message),
            Message::Customers(message) => match &mut self.desk {
                Some(desk) => desk.handle(*message, &mut self.toasts),
                None => tracing::debug!("no desk for {message:?}"),
            },
            Message::Transfer(message) => match &mut self.desk {
                Some(desk) => desk.handle_transfer(message, &mut self.toasts),
                None => tracing::debug!("no desk for {message:?}"),
            },
            Message::Sync(message) => match (self.desk.as_mut(), self.service.as_ref()) {
                (Some(desk), Some(service)) => desk.sync.handle(message, service, &mut self.toasts),
                _ => tracing::debug!("no desk for {message:?}"),
            },
            Message::Users(message) => match (self.desk.as_mut(), self.service.as_ref()) {
                (Some(desk), Some(service)) => match desk.users.as_mut() {
                    Some(view) => view.handle(message, service, &mut self.toasts),
                    None => tracing::debug!("no users view for {message:?}"),
                },
                _ => tracing::debug!("no desk for {message:?}"),
            },
            Message::NotSignedIn => match &mut self.desk {
                Some(_) => self.toasts.add(ToastKind::Error, "You are not signed in."),
                None => tracing::debug!("not signed in"),
            },
        }
    }

    fn handle_session(&mut self, message: SessionMessage) {
        match message {
            SessionMessage::Started {
                store,
                has_users,
                has_customers,
            } => {
                self.store_name = store;
                self.has_customers = has_customers;
                self.gate = if has_users {
                    self.sign_in_gate()
                } else if self.settings.sign_in_to_server {
                    // A desk that works on the shop server only: straight to its sign-in
                    // (choosing "This computer" there still leads to creating the owner).
                    Gate::SignIn(Credentials {
                        no_local_users: true,
                        ..Credentials::sign_in(true, &self.settings.server)
                    })
                } else {
                    Gate::CreateOwner(Credentials::default())
                };
            }
            SessionMessage::StoreFailed(error) => {
                self.desk = None;
                self.gate = Gate::StoreFailed(words::service_failure(&error));
            }
            SessionMessage::StoreDamaged(lines) => {
                self.toasts
                    .add(ToastKind::Error, words::store_damaged(&lines));
            }
            SessionMessage::SignedIn { user, server } => {
                self.settings.sign_in_to_server = server.is_some();
                if let Some(server) = server {
                    self.settings.server = server;
                }
                if matches!(self.gate, Gate::CreateOwner(_)) && !self.has_customers {
                    self.waiting_user = Some(user);
                    self.gate = Gate::offer_demo();
                } else {
                    self.enter_desk(user);
                }
            }
            SessionMessage::SignInFailed(error) => {
                if let Gate::SignIn(form) | Gate::CreateOwner(form) = &mut self.gate {
                    form.busy = false;
                    form.error = Some(words::sign_in_failure(&error));
                }
            }
            SessionMessage::UserRefreshed(user) => {
                if let Some(desk) = self.desk.as_mut()
                    && desk.user.user_name.eq_ignore_ascii_case(&user.user_name)
                {
                    desk.set_user(user);
                }
            }
            SessionMessage::Sync(status) => {
                if let Some(desk) = self.desk.as_mut() {
                    let now = desk.now();
                    desk.sync.set_status(status, now);
                }
            }
            SessionMessage::ReplicaChanged => {
                if let Some(desk) = self.desk.as_mut() {
                    desk.refresh_soon();
                }
            }
            SessionMessage::SessionEnded(error) => {
                if self.desk.take().is_some() {
                    let mut gate = self.sign_in_gate();
                    if let Gate::SignIn(form) = &mut gate {
                        form.error = Some(format!(
                            "You were signed out ({error}). Sign in again to go on."
                        ));
                    }
                    self.gate = gate;
                }
            }
            SessionMessage::SignedOut => {
                self.signing_out = false;
                self.desk = None;
                self.gate = self.sign_in_gate();
            }
            SessionMessage::DemoProgress { done, total } => {
                if let Gate::OfferDemo {
                    load: Some(load), ..
                } = &mut self.gate
                {
                    load.done = done;
                    load.total = total;
                }
            }
            SessionMessage::DemoFinished(result) => match result {
                Ok(count) => {
                    self.toasts.add(
                        ToastKind::Success,
                        format!("Loaded {} demo customers", super::money::count_text(count)),
                    );
                    if let Some(user) = self.waiting_user.take() {
                        self.enter_desk(user);
                    }
                }
                Err(reason) => {
                    if let Gate::OfferDemo { load, error, .. } = &mut self.gate {
                        *load = None;
                        *error = Some(format!("The demo data could not be loaded: {reason}"));
                    }
                }
            },
        }
    }

    fn enter_desk(&mut self, user: UserInfo) {
        // The settings hold where this user just signed in.
        let server = self
            .settings
            .sign_in_to_server
            .then(|| self.settings.server.clone());
        let mut desk = Desk::new(user, server, &self.settings, self.picker.clone());
        desk.refresh_secs = self.refresh_secs;
        desk.refresh_after(0.0);
        self.desk = Some(desk);
    }

    /// The sign-in screen, offering the place of the last sign-in.
    fn sign_in_gate(&self) -> Gate {
        Gate::SignIn(Credentials::sign_in(
            self.settings.sign_in_to_server,
            &self.settings.server,
        ))
    }

    fn zoom_keys(&mut self, ctx: &egui::Context) {
        let (zoom_in, zoom_out, reset) = ctx.input_mut(|i| {
            (
                i.consume_shortcut(&shortcuts::ZOOM_IN.chord),
                i.consume_shortcut(&shortcuts::ZOOM_OUT.chord),
                i.consume_shortcut(&shortcuts::ZOOM_RESET.chord),
            )
        });
        let zoom = if reset {
            1.0
        } else if zoom_in {
            self.settings.zoom + 0.1
        } else if zoom_out {
            self.settings.zoom - 0.1
        } else {
            return;
        };
        self.settings.zoom = zoom.clamp(0.5, 3.0);
        ctx.set_zoom_factor(self.settings.zoom);
    }
}

impl eframe::App for App {
    fn raw_input_hook(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        self.hold_input_after_tab(ctx, raw_input);
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        let Some(service) = self.service.as_mut() else {
            return;
        };
        let mut messages = Vec::new();
        while let Some(message) = service.try_recv() {
            messages.push(message);
        }
        for message in messages {
            self.handle(message);
        }
        if let (Some(desk), Some(service)) = (self.desk.as_mut(), self.service.as_ref()) {
            desk.logic(ctx, service, &mut self.toasts);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.zoom_keys(&ctx);
        match (self.desk.as_mut(), self.service.as_ref()) {
            (Some(desk), Some(service)) => {
                match desk_ui(ui, desk, &mut self.settings, service, &mut self.toasts) {
                    Some(DeskOutcome::SignOut) => match service.send(SessionCommand::SignOut) {
                        Ok(()) => self.signing_out = true,
                        Err(err) => self
                            .toasts
                            .add(ToastKind::Error, words::service_failure(&err)),
                    },
                    // The editor is closed now, so this close goes through.
                    Some(DeskOutcome::Quit) => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
                    None => {}
                }
            }
            _ => {
                let action = egui::CentralPanel::default()
                    .show(ui, |ui| gate_ui(ui, &mut self.gate, &self.store_name))
                    .inner;
                match action {
                    Some(GateAction::Send(command)) => {
                        let sent = self
                            .service
                            .as_ref()
                            .map_or(Err(ServiceError::Stopped), |s| s.send(command));
                        if let Err(err) = sent {
                            self.gate = Gate::StoreFailed(words::service_failure(&err));
                        }
                    }
                    Some(GateAction::EnterDesk) => {
                        if let Some(user) = self.waiting_user.take() {
                            self.enter_desk(user);
                        }
                    }
                    Some(GateAction::UseServer) => {
                        self.gate = Gate::SignIn(Credentials {
                            no_local_users: true,
                            ..Credentials::sign_in(true, &self.settings.server)
                        });
                    }
                    Some(GateAction::CreateOwner) => {
                        self.gate = Gate::CreateOwner(Credentials::default());
                    }
                    None => {}
                }
            }
        }
        self.toasts.ui(&ctx);
        self.saved_settings.persist(
            &self.settings,
            frame.storage_mut().map(|s| s as &mut dyn eframe::Storage),
        );
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.settings.save(storage);
    }
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
