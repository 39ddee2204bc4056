//! The top of the editor: who the customer is, the actions, and the messages about the last
//! save (a version conflict, a failure, errors the form has no field for).

use egui::{RichText, Ui};

use super::{Awaiting, CustomerEditor, EditorAction};
use crate::model::{CustomerStatus, Right};
use crate::ui::shortcuts;

impl CustomerEditor {
    pub(super) fn header_ui(&mut self, ui: &mut Ui) -> Option<EditorAction> {
        let mut action = None;
        ui.heading(self.display_name());
        ui.horizontal_wrapped(|ui| self.status_line_ui(ui));
        ui.horizontal(|ui| {
            if let Some(a) = self.buttons_ui(ui) {
                action = Some(a);
            }
        });
        if let Some(a) = self.messages_ui(ui) {
            action = Some(a);
        }
        action
    }

    fn status_line_ui(&self, ui: &mut Ui) {
        let Some(stored) = &self.stored else {
            ui.label(RichText::new("New customer").strong());
            return;
        };
        let visuals = ui.visuals();
        let (status, color) = match stored.status {
            CustomerStatus::Valid => ("Valid", visuals.text_color()),
            CustomerStatus::Expired => ("Expired", visuals.warn_fg_color),
            CustomerStatus::NotYetValid => ("Not yet valid", visuals.warn_fg_color),
            CustomerStatus::Unknown => ("Unknown status", visuals.weak_text_color()),
        };
        let active = if stored.is_active {
            "Active"
        } else {
            "Blocked"
        };
        let active_color = if stored.is_active {
            visuals.text_color()
        } else {
            visuals.error_fg_color
        };
        ui.label(RichText::new(status).color(color).strong());
        ui.label(RichText::new(active).color(active_color).strong());
        if stored.is_company {
            ui.label("Company");
        }
        ui.weak(format!("version {}", stored.version));
        ui.weak(format!("id {}", stored.id));
    }

    fn buttons_ui(&mut self, ui: &mut Ui) -> Option<EditorAction> {
        let mut action = None;
        let dirty = self.is_dirty();
        if self.can_save() {
            let blocked = self.has_local_errors();
            let saving = self.awaiting == Some(Awaiting::Save);
            let button = egui::Button::new("Save")
                .shortcut_text(ui.ctx().format_shortcut(&shortcuts::SAVE.chord));
            let response = ui
                .add_enabled(
                    !blocked && !saving && (dirty || self.stored.is_none()),
                    button,
                )
                .accessible_name("Save");
            let response = if blocked {
                response.on_disabled_hover_text("Correct the fields marked in red first.")
            } else {
                response
            };
            if response.clicked() {
                self.save_requested = true;
            }
            if saving {
                ui.spinner();
            }
        }
        if let Some(id) = self.customer_id()
            && self.rights.has(Right::CustomerDelete)
            && ui.button("Delete").clicked()
        {
            action = Some(EditorAction::Delete {
                id: id.to_owned(),
                display_name: self.display_name(),
            });
        }
        let close = egui::Button::new("Close")
            .shortcut_text(ui.ctx().format_shortcut(&shortcuts::CLOSE_EDITOR.chord));
        if ui.add(close).accessible_name("Close").clicked() {
            action = Some(EditorAction::Close);
        }
        if dirty {
            ui.label(RichText::new("Unsaved changes").color(ui.visuals().warn_fg_color));
        } else if !self.can_save() {
            ui.weak("Read only: you may not change this customer.");
        }
        action
    }

    fn messages_ui(&mut self, ui: &mut Ui) -> Option<EditorAction> {
        let mut action = None;
        let error_color = ui.visuals().error_fg_color;
        if let (Some(version), Some(id)) = (self.conflict, self.customer_id()) {
            let id = id.to_owned();
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(format!(
                        "Not saved: this customer was changed by someone else, now version {version}. \
                         Reload to see their changes (your edits here will be lost)."
                    ))
                    .color(error_color),
                );
                if ui.button("Reload").clicked() {
                    self.awaiting = Some(Awaiting::Reload);
                    action = Some(EditorAction::Reload { id });
                }
            });
        }
        if let Some(failure) = &self.failure {
            ui.label(RichText::new(failure).color(error_color));
        }
        if !self.errors.is_empty() {
            let count = self.errors.len();
            let noun = if count == 1 { "problem" } else { "problems" };
            ui.label(
                RichText::new(format!(
                    "Not saved: {count} {noun}, marked beside the fields."
                ))
                .color(error_color),
            );
            for error in self.errors.unplaced() {
                ui.label(
                    RichText::new(format!("{}: {}", error.member_name, error.message))
                        .color(error_color),
                );
            }
        }
        action
    }
}
