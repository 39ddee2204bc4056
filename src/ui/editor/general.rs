//! General: names, gender, birth date, contacts, the active flag, validity and the note.

use egui::{TextEdit, Ui};

use super::errors::FieldErrors;
use super::widgets::{
    FIELD_WIDTH, check_row_ui, date_ui, form_grid, note_row_ui, opt_text_edit_ui, row_ui,
    text_row_ui, time_ui,
};
use crate::model::{Customer, derived_full_name};

/// The genders the contract names; any other text is kept as it came.
const GENDERS: [&str; 2] = ["Male", "Female"];

/// Draws the general fields; returns whether any changed. `focus_first_name`: put the
/// keyboard in the first name (a new customer, so Ctrl+N and typing make a customer).
pub(super) fn general_ui(
    ui: &mut Ui,
    c: &mut Customer,
    errors: &FieldErrors,
    focus_first_name: bool,
) -> bool {
    form_grid("general")
        .show(ui, |ui| {
            let mut changed = false;
            changed |= row_ui(ui, "First name", errors, "FirstName", |ui, id| {
                let response = opt_text_edit_ui(ui, id, &mut c.first_name, "");
                if focus_first_name {
                    response.request_focus();
                }
                response.changed()
            });
            changed |= text_row_ui(ui, "Last name", &mut c.last_name, errors, "LastName");
            let derived = derived_full_name(c).unwrap_or_default();
            changed |= row_ui(ui, "Full name", errors, "FullName", |ui, id| {
                let mut text = c.full_name.clone().unwrap_or_default();
                let hint = if derived.is_empty() {
                    "derived from the names".to_owned()
                } else {
                    derived
                };
                let response = ui
                    .add(
                        TextEdit::singleline(&mut text)
                            .desired_width(FIELD_WIDTH)
                            .hint_text(hint),
                    )
                    .labelled_by(id);
                if response.changed() {
                    c.full_name = (!text.is_empty()).then_some(text);
                }
                response.changed()
            });
            changed |= row_ui(ui, "Gender", errors, "Gender", |ui, id| {
                gender_ui(ui, id, &mut c.gender)
            });
            changed |= row_ui(ui, "Birth date", errors, "BirthDate", |ui, id| {
                date_ui(ui, id, "birth_date", &mut c.birth_date)
            });
            changed |= text_row_ui(ui, "Email", &mut c.email, errors, "Email");
            changed |= text_row_ui(ui, "Phone", &mut c.phone, errors, "Phone");
            changed |= text_row_ui(ui, "External id", &mut c.external_id, errors, "ExternalId");
            changed |= check_row_ui(
                ui,
                "Active",
                "Active (clear to block the customer)",
                &mut c.is_active,
            );
            changed |= row_ui(ui, "Activation time", errors, "ActivationTime", |ui, id| {
                time_ui(ui, id, "Activation time", &mut c.activation_time)
            });
            changed |= row_ui(ui, "Expiration time", errors, "ExpirationTime", |ui, id| {
                time_ui(ui, id, "Expiration time", &mut c.expiration_time)
            });
            changed |= note_row_ui(ui, "Note", &mut c.note, errors, "Note");
            changed
        })
        .inner
}

/// Male, Female, not given, or another text that is kept and can be edited.
fn gender_ui(ui: &mut Ui, label_id: egui::Id, gender: &mut Option<String>) -> bool {
    let is_other = gender.as_deref().is_some_and(|g| !GENDERS.contains(&g));
    let shown = match gender.as_deref() {
        None => "Not given".to_owned(),
        Some(_) if is_other => "Other".to_owned(),
        Some(g) => g.to_owned(),
    };
    let mut changed = false;
    ui.horizontal(|ui| {
        let response = egui::ComboBox::from_id_salt("gender")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                if ui.selectable_label(gender.is_none(), "Not given").clicked() {
                    *gender = None;
                    changed = true;
                }
                for g in GENDERS {
                    if ui
                        .selectable_label(gender.as_deref() == Some(g), g)
                        .clicked()
                    {
                        *gender = Some(g.to_owned());
                        changed = true;
                    }
                }
                if ui.selectable_label(is_other, "Other").clicked() && !is_other {
                    *gender = Some(String::new());
                    changed = true;
                }
            })
            .response;
        response.labelled_by(label_id);
        if is_other || gender.as_deref() == Some("") {
            let mut text = gender.clone().unwrap_or_default();
            let edit = ui
                .add(
                    TextEdit::singleline(&mut text)
                        .desired_width(120.0)
                        .hint_text("as the customer says"),
                )
                .accessible_name("Gender, other");
            if edit.changed() {
                *gender = Some(text);
                changed = true;
            }
        }
    });
    changed
}
