//! The *Users* view, for a user with every right: the users of this computer's store or of
//! the shop server, with add, change rights, reset a password and remove. The API decides
//! what is allowed (it refuses all of it without `admin`); this only draws and sends.

use egui::{Key, RichText, Ui};

use super::style;
use super::toasts::{ToastKind, Toasts};
use crate::api::{ApiError, NewUser, UserChange, UserSummary};
use crate::model::{FieldError, Right, Rights};
use crate::service::{ServiceHandle, UsersCommand, UsersMessage};

/// What each right lets a person do, in the words of the form.
pub fn right_description(right: Right) -> &'static str {
    match right {
        Right::CustomerCreate => "Add customers",
        Right::CustomerUpdate => "Change customers' details",
        Right::CustomerDelete => "Delete customers",
        Right::CustomerSetCredit => "Change store credit",
        Right::CustomerSetDiscount => "Set discount rates",
        Right::Admin => "Every right, and manage users",
    }
}

/// A user's rights in a few words, for the list.
fn rights_summary(rights: Rights) -> String {
    if rights.has(Right::Admin) {
        return "Every right".to_owned();
    }
    let granted: Vec<&str> = Right::ALL
        .into_iter()
        .filter(|r| rights.has(*r))
        .map(right_description)
        .collect();
    if granted.is_empty() {
        "Find and view customers only".to_owned()
    } else {
        granted.join(", ")
    }
}

/// The add or change form.
#[derive(Debug, Clone, Default)]
pub struct UserForm {
    /// The user being changed; `None` when adding one.
    pub editing: Option<String>,
    pub user_name: String,
    pub name: String,
    /// When changing a user: a new password, or empty to keep theirs.
    pub password: String,
    pub rights: Rights,
    pub errors: Vec<FieldError>,
    pub message: Option<String>,
    /// The first field takes the keyboard when the form opens.
    focus_first: bool,
}

impl UserForm {
    fn adding() -> Self {
        Self {
            focus_first: true,
            ..Self::default()
        }
    }

    fn editing(user: &UserSummary) -> Self {
        Self {
            editing: Some(user.user_name.clone()),
            user_name: user.user_name.clone(),
            name: user.name.clone(),
            rights: user.rights_set(),
            focus_first: true,
            ..Self::default()
        }
    }

    fn rights_names(&self) -> Vec<String> {
        if self.rights.has(Right::Admin) {
            vec![Right::Admin.as_str().to_owned()]
        } else {
            self.rights.names()
        }
    }

    /// The command that saves what the form shows.
    fn command(&self) -> UsersCommand {
        match &self.editing {
            None => UsersCommand::Create(NewUser {
                user_name: self.user_name.trim().to_owned(),
                name: Some(self.name.trim().to_owned()).filter(|n| !n.is_empty()),
                password: self.password.clone(),
                rights: self.rights_names(),
            }),
            Some(user_name) => UsersCommand::Change {
                user_name: user_name.clone(),
                change: UserChange {
                    name: Some(self.name.trim().to_owned()),
                    password: Some(self.password.clone()).filter(|p| !p.is_empty()),
                    rights: Some(self.rights_names()),
                },
            },
        }
    }

    /// The error of the member `member`, if the API named one.
    fn error_of(&self, member: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.member_name.eq_ignore_ascii_case(member))
            .map(|e| e.message.as_str())
    }
}

/// The view's state.
#[derive(Debug, Default)]
pub struct UsersView {
    pub users: Vec<UserSummary>,
    /// The signed-in user, marked "(you)" in the list.
    pub me: String,
    /// A call is in flight.
    pub busy: bool,
    pub error: Option<String>,
    pub form: Option<UserForm>,
    /// The user whose removal waits for a confirmation.
    pub confirm_remove: Option<String>,
}

impl UsersView {
    /// Opens the view and asks for the list.
    pub fn open(me: &str, service: &ServiceHandle, toasts: &mut Toasts) -> Self {
        let mut view = Self {
            me: me.to_owned(),
            ..Self::default()
        };
        view.send(service, toasts, UsersCommand::List);
        view
    }

    fn send(&mut self, service: &ServiceHandle, toasts: &mut Toasts, command: UsersCommand) {
        match service.send(command) {
            Ok(()) => self.busy = true,
            Err(err) => toasts.add(ToastKind::Error, super::words::service_failure(&err)),
        }
    }

    /// Takes an answer of the service; may ask for the list again.
    pub fn handle(&mut self, message: UsersMessage, service: &ServiceHandle, toasts: &mut Toasts) {
        self.busy = false;
        match message {
            UsersMessage::Listed(Ok(users)) => {
                self.users = users;
                self.error = None;
            }
            UsersMessage::Listed(Err(err)) => {
                self.error = Some(format!("The users could not be read: {err}"));
            }
            UsersMessage::Saved { created, result } => match result {
                Ok(user) => {
                    let done = if created { "Added" } else { "Saved" };
                    toasts.add(ToastKind::Success, format!("{done} {}", user.user_name));
                    self.form = None;
                    self.send(service, toasts, UsersCommand::List);
                }
                Err(err) => {
                    if let Some(form) = self.form.as_mut() {
                        refused(form, err);
                    }
                }
            },
            UsersMessage::Deleted(result) => match result {
                Ok(user) => {
                    toasts.add(ToastKind::Success, format!("Removed {}", user.user_name));
                    self.send(service, toasts, UsersCommand::List);
                }
                Err(err) => self.error = Some(format!("Not removed: {}", words_of(&err))),
            },
        }
    }
}

/// The API's refusal in the form: beside the fields it names, or above them.
fn refused(form: &mut UserForm, err: ApiError) {
    match err {
        ApiError::Validation(errors) => {
            form.message = None;
            form.errors = errors;
        }
        other => {
            form.errors.clear();
            form.message = Some(format!("Not saved: {}", words_of(&other)));
        }
    }
}

/// An error in a person's words: a validation error says what to do, others what failed.
fn words_of(err: &ApiError) -> String {
    match err {
        ApiError::Validation(errors) => errors
            .iter()
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
        ApiError::Forbidden(_) => "only a user with every right can manage users".to_owned(),
        other => other.to_string(),
    }
}

/// Draws the view in a modal window; returns false once it is closed.
pub fn users_ui(
    ctx: &egui::Context,
    view: &mut UsersView,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) -> bool {
    let mut open = true;
    let mut command = None;
    let modal = egui::Modal::new(egui::Id::unique("users-view")).show(ctx, |ui| {
        ui.set_width(640.0);
        ui.heading("Users");
        ui.label("Everyone signed in can find and view customers; rights allow the rest.");
        if let Some(error) = &view.error {
            ui.label(RichText::new(error).color(style::error_color(ui.visuals())));
        }
        if let Some(name) = view.confirm_remove.clone() {
            ui.separator();
            ui.label(format!(
                "Remove {name}? They are signed out at once and cannot sign in again."
            ));
            ui.horizontal(|ui| {
                if ui.button(format!("Remove {name} now")).clicked() {
                    command = Some(UsersCommand::Delete {
                        user_name: name.clone(),
                    });
                    view.confirm_remove = None;
                }
                if ui.button("Keep").clicked() {
                    view.confirm_remove = None;
                }
            });
        } else if let Some(form) = view.form.as_mut() {
            ui.separator();
            match user_form_ui(ui, form) {
                Some(FormAction::Save(save)) => command = Some(save),
                Some(FormAction::Cancel) => view.form = None,
                None => {}
            }
        } else {
            user_list_ui(ui, view);
            ui.horizontal(|ui| {
                if ui.button("Add user").clicked() {
                    view.form = Some(UserForm::adding());
                }
                if ui.button("Close").clicked() {
                    open = false;
                }
            });
        }
        if view.busy {
            ui.add(egui::Spinner::new());
        }
    });
    if let Some(command) = command {
        view.send(service, toasts, command);
    }
    if modal.should_close() && view.form.is_none() && view.confirm_remove.is_none() {
        open = false;
    }
    open
}

/// The list of users, each with *Edit* and *Remove*.
fn user_list_ui(ui: &mut Ui, view: &mut UsersView) {
    egui::ScrollArea::vertical()
        .max_height(360.0)
        .show(ui, |ui| {
            egui::Grid::new("users-list")
                .striped(true)
                .num_columns(5)
                .show(ui, |ui| {
                    for heading in ["User name", "Name", "Rights", "Last signed in", ""] {
                        ui.strong(heading);
                    }
                    ui.end_row();
                    for user in &view.users {
                        if user.user_name.eq_ignore_ascii_case(&view.me) {
                            ui.label(format!("{} (you)", user.user_name));
                        } else {
                            ui.label(&user.user_name);
                        }
                        ui.label(&user.name);
                        ui.label(rights_summary(user.rights_set()));
                        ui.label(user.last_sign_in_time.map_or_else(
                            || "never".to_owned(),
                            |t| {
                                t.with_timezone(&chrono::Local)
                                    .format("%Y-%m-%d %H:%M")
                                    .to_string()
                            },
                        ));
                        ui.horizontal(|ui| {
                            if ui.button(format!("Edit {}", user.user_name)).clicked() {
                                view.form = Some(UserForm::editing(user));
                            }
                            if ui.button(format!("Remove {}", user.user_name)).clicked() {
                                view.confirm_remove = Some(user.user_name.clone());
                            }
                        });
                        ui.end_row();
                    }
                });
        });
}

/// What the form's buttons ask for.
enum FormAction {
    Save(UsersCommand),
    Cancel,
}

/// The add or change form. It is submitted by its button or by Enter in a field, and what
/// the fields show at that moment is what is sent.
fn user_form_ui(ui: &mut Ui, form: &mut UserForm) -> Option<FormAction> {
    let error_color = style::error_color(ui.visuals());
    let heading = match &form.editing {
        None => "Add a user".to_owned(),
        Some(name) => format!("Change {name}"),
    };
    ui.heading(heading);
    if let Some(message) = &form.message {
        ui.label(RichText::new(message).color(error_color));
    }
    let mut enter = false;
    egui::Grid::new("user-form").num_columns(2).show(ui, |ui| {
        if form.editing.is_none() {
            let label = ui.label("User name");
            let field = ui
                .text_edit_singleline(&mut form.user_name)
                .labelled_by(label.id);
            if std::mem::take(&mut form.focus_first) {
                field.request_focus();
            }
            enter |= field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            ui.end_row();
            field_error_ui(ui, form.error_of("UserName"), error_color);
        }
        let label = ui.label("Name");
        let field = ui
            .add(egui::TextEdit::singleline(&mut form.name).hint_text("as shown to people"))
            .labelled_by(label.id);
        if std::mem::take(&mut form.focus_first) {
            field.request_focus();
        }
        enter |= field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.end_row();
        field_error_ui(ui, form.error_of("Name"), error_color);
        let password_label = if form.editing.is_some() {
            "New password"
        } else {
            "Password"
        };
        let label = ui.label(password_label);
        let hint = if form.editing.is_some() {
            "leave empty to keep it"
        } else {
            "at least 6 characters"
        };
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut form.password)
                    .password(true)
                    .hint_text(hint),
            )
            .labelled_by(label.id);
        enter |= field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        ui.end_row();
        field_error_ui(ui, form.error_of("Password"), error_color);
    });
    ui.label(RichText::new("Rights").strong());
    rights_ui(ui, &mut form.rights);
    if let Some(error) = form.error_of("Rights") {
        ui.label(RichText::new(error).color(error_color));
    }
    let save = match &form.editing {
        None => "Add this user",
        Some(_) => "Save changes",
    };
    ui.horizontal(|ui| {
        if ui.button(save).clicked() || enter {
            Some(FormAction::Save(form.command()))
        } else if ui.button("Cancel").clicked() {
            Some(FormAction::Cancel)
        } else {
            None
        }
    })
    .inner
}

/// One checkbox per right, each with what it allows; every right includes the others.
fn rights_ui(ui: &mut Ui, rights: &mut Rights) {
    let every = rights.has(Right::Admin);
    for right in Right::ALL {
        let mut granted = rights.has(right);
        let enabled = right == Right::Admin || !every;
        let changed = ui
            .add_enabled(
                enabled,
                egui::Checkbox::new(&mut granted, right_description(right)),
            )
            .changed();
        if changed {
            *rights = if granted {
                rights.with(right)
            } else {
                rights.without(right)
            };
        }
    }
}

fn field_error_ui(ui: &mut Ui, error: Option<&str>, color: egui::Color32) {
    if let Some(error) = error {
        ui.label("");
        ui.label(RichText::new(error).color(color));
        ui.end_row();
    }
}
