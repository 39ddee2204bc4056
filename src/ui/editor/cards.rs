//! Cards: the customer's loyalty cards; add, edit, remove, change status with a reason, and
//! issue a replacement card (the old one becomes `Replaced`).

use egui::{RichText, TextEdit, Ui};

use super::errors::FieldErrors;
use super::widgets::{
    FIELD_WIDTH, check_row_ui, error_text_ui, form_grid, note_row_ui, row_ui, text_row_ui, time_ui,
};
use crate::model::{Card, CardStatus};

/// The reason written on a card that a replacement card takes over from.
pub(super) const REPLACED_REASON: &str = "Replaced";

/// A replacement being issued for one card: the new card's serial number as typed.
#[derive(Debug, Default)]
struct Replacement {
    index: usize,
    serial: String,
    error: Option<String>,
}

/// The state of the cards section beyond the cards themselves.
#[derive(Debug, Default)]
pub(super) struct CardsForm {
    replacing: Option<Replacement>,
}

/// What the user did to the list (as opposed to a field of one card).
enum ListEdit {
    Remove(usize),
    StartReplacing(usize),
    Replace,
    CancelReplacing,
}

impl CardsForm {
    /// Draws every card; returns whether the cards changed.
    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        cards: &mut Vec<Card>,
        errors: &mut FieldErrors,
    ) -> bool {
        let mut changed = false;
        let mut list_edit = None;
        if cards.is_empty() {
            ui.weak("No cards.");
        }
        for (index, card) in cards.iter_mut().enumerate() {
            ui.push_id(("card", index), |ui| {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_min_width(ui.available_width());
                    if let Some(edit) = card_title_ui(ui, index, card) {
                        list_edit = Some(edit);
                    }
                    changed |= card_fields_ui(ui, index, card, errors);
                    if let Some(replacement) = self.replacing.as_mut().filter(|r| r.index == index)
                        && let Some(edit) = replacement_ui(ui, replacement)
                    {
                        list_edit = Some(edit);
                    }
                });
            });
        }
        if ui.button("Add card").clicked() {
            cards.push(Card::default());
            errors.clear_cards();
            changed = true;
        }
        match list_edit {
            Some(ListEdit::Remove(index)) if index < cards.len() => {
                cards.remove(index);
                errors.clear_cards();
                self.replacing = None;
                changed = true;
            }
            Some(ListEdit::StartReplacing(index)) => {
                self.replacing = Some(Replacement {
                    index,
                    ..Replacement::default()
                });
            }
            Some(ListEdit::CancelReplacing) => self.replacing = None,
            Some(ListEdit::Replace) => {
                if let Some(replacement) = self.replacing.take() {
                    match issue_replacement(cards, replacement.index, &replacement.serial) {
                        Ok(()) => {
                            errors.clear_cards();
                            changed = true;
                        }
                        Err(message) => {
                            self.replacing = Some(Replacement {
                                error: Some(message),
                                ..replacement
                            });
                        }
                    }
                }
            }
            _ => {}
        }
        changed
    }
}

/// "Card 2: 1234 (Blocked)" with the card's actions.
fn card_title_ui(ui: &mut Ui, index: usize, card: &Card) -> Option<ListEdit> {
    let mut edit = None;
    ui.horizontal(|ui| {
        let serial = card.serial_number.as_deref().unwrap_or("no serial number");
        ui.label(RichText::new(format!("Card {}: {serial}", index + 1)).strong());
        if card.status != CardStatus::Valid {
            ui.label(RichText::new(card.status.as_str()).color(ui.visuals().warn_fg_color));
        }
        if card.is_virtual {
            ui.weak("virtual");
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Remove card").clicked() {
                edit = Some(ListEdit::Remove(index));
            }
            if card.status != CardStatus::Replaced && ui.button("Replace card").clicked() {
                edit = Some(ListEdit::StartReplacing(index));
            }
        });
    });
    edit
}

fn card_fields_ui(ui: &mut Ui, index: usize, card: &mut Card, errors: &FieldErrors) -> bool {
    let member = |field: &str| format!("Cards[{index}].{field}");
    form_grid(("card_fields", index))
        .show(ui, |ui| {
            let mut changed = false;
            changed |= text_row_ui(
                ui,
                "Serial number",
                &mut card.serial_number,
                errors,
                &member("SerialNumber"),
            );
            changed |= row_ui(ui, "Status", errors, &member("Status"), |ui, id| {
                status_ui(ui, id, card)
            });
            changed |= text_row_ui(
                ui,
                "Status reason",
                &mut card.status_reason,
                errors,
                &member("StatusReason"),
            );
            if let Some(time) = card.status_time {
                ui.label("Status since");
                ui.label(
                    time.with_timezone(&chrono::Local)
                        .format("%Y-%m-%d %H:%M")
                        .to_string(),
                );
                ui.end_row();
            }
            changed |= check_row_ui(ui, "Active", "Card is active", &mut card.is_active);
            changed |= check_row_ui(
                ui,
                "Virtual",
                "Virtual card (no plastic)",
                &mut card.is_virtual,
            );
            changed |= row_ui(
                ui,
                "Activation time",
                errors,
                &member("ActivationTime"),
                |ui, id| {
                    time_ui(
                        ui,
                        id,
                        &format!("Card {} activation time", index + 1),
                        &mut card.activation_time,
                    )
                },
            );
            changed |= row_ui(
                ui,
                "Expiration time",
                errors,
                &member("ExpirationTime"),
                |ui, id| {
                    time_ui(
                        ui,
                        id,
                        &format!("Card {} expiration time", index + 1),
                        &mut card.expiration_time,
                    )
                },
            );
            changed |= text_row_ui(
                ui,
                "External id",
                &mut card.external_id,
                errors,
                &member("ExternalId"),
            );
            changed |= text_row_ui(
                ui,
                "Processor",
                &mut card.processor,
                errors,
                &member("Processor"),
            );
            changed |= note_row_ui(ui, "Card note", &mut card.note, errors, &member("Note"));
            changed
        })
        .inner
}

/// The status menu. A changed status clears `statusTime` so the API stamps it with now.
fn status_ui(ui: &mut Ui, label_id: egui::Id, card: &mut Card) -> bool {
    let mut picked = None;
    egui::ComboBox::from_id_salt("status")
        .selected_text(card.status.as_str())
        .show_ui(ui, |ui| {
            for status in CardStatus::KNOWN {
                if ui
                    .selectable_label(card.status == status, status.as_str())
                    .clicked()
                {
                    picked = Some(status);
                }
            }
        })
        .response
        .labelled_by(label_id);
    match picked {
        Some(status) if status != card.status => {
            if status == CardStatus::Valid {
                card.status_reason = None;
            }
            card.status = status;
            card.status_time = None;
            true
        }
        _ => false,
    }
}

fn replacement_ui(ui: &mut Ui, replacement: &mut Replacement) -> Option<ListEdit> {
    let mut edit = None;
    ui.separator();
    ui.horizontal(|ui| {
        let label = ui.label("New serial number");
        let response = ui
            .add(TextEdit::singleline(&mut replacement.serial).desired_width(FIELD_WIDTH * 0.6))
            .labelled_by(label.id);
        let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Issue replacement").clicked() || entered {
            edit = Some(ListEdit::Replace);
        }
        if ui.button("Cancel").clicked() {
            edit = Some(ListEdit::CancelReplacing);
        }
    });
    if let Some(error) = &replacement.error {
        error_text_ui(ui, error);
    }
    edit
}

/// Marks card `index` as replaced and adds a new card with `serial` that keeps the old card's
/// kind (virtual or not, processor) and expiration.
fn issue_replacement(cards: &mut Vec<Card>, index: usize, serial: &str) -> Result<(), String> {
    let serial = serial.trim();
    if serial.is_empty() {
        return Err("Enter the serial number of the new card.".to_owned());
    }
    if cards
        .iter()
        .any(|c| c.serial_number.as_deref() == Some(serial))
    {
        return Err(format!("Card {serial} is already on this customer."));
    }
    let old = cards
        .get_mut(index)
        .ok_or_else(|| "That card is no longer here.".to_owned())?;
    old.status = CardStatus::Replaced;
    old.status_reason = Some(format!("{REPLACED_REASON} by card {serial}"));
    old.status_time = None;
    old.is_active = false;
    let new = Card {
        serial_number: Some(serial.to_owned()),
        is_virtual: old.is_virtual,
        processor: old.processor.clone(),
        expiration_time: old.expiration_time,
        ..Card::default()
    };
    cards.push(new);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replacement_needs_a_new_serial() {
        let mut cards = vec![Card {
            serial_number: Some("100".into()),
            ..Card::default()
        }];
        assert!(issue_replacement(&mut cards, 0, " ").is_err());
        assert!(issue_replacement(&mut cards, 0, "100").is_err());
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].status, CardStatus::Valid);
        issue_replacement(&mut cards, 0, "101").unwrap();
        assert_eq!(cards[0].status, CardStatus::Replaced);
        assert_eq!(cards[1].serial_number.as_deref(), Some("101"));
    }
}
