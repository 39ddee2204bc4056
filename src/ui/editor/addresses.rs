//! The address and the delivery address, with "same as address" for deliveries.

use egui::Ui;

use super::errors::FieldErrors;
use super::widgets::{form_grid, note_row_ui, text_row_ui};
use crate::model::{Address, Customer};

/// The state of the address section beyond the customer itself.
#[derive(Debug, Default)]
pub(super) struct AddressesForm {
    /// The delivery address follows the address: every edit of one is copied to the other.
    delivery_same: bool,
}

impl AddressesForm {
    /// Ticks "same as address" only when both are given and equal, so opening a customer
    /// never changes its delivery address by itself.
    pub(super) fn new(c: &Customer) -> Self {
        Self {
            delivery_same: c.address.is_some() && c.address == c.delivery_address,
        }
    }

    /// Draws both addresses; returns whether the customer changed.
    pub(super) fn ui(&mut self, ui: &mut Ui, c: &mut Customer, errors: &FieldErrors) -> bool {
        let mut changed = false;
        ui.label(egui::RichText::new("Address").strong());
        changed |= address_ui(ui, "address", "Address", &mut c.address, errors);

        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new("Delivery address").strong());
            if ui
                .checkbox(&mut self.delivery_same, "Same as address")
                .changed()
            {
                changed = true;
            }
        });
        if self.delivery_same {
            if c.delivery_address != c.address {
                c.delivery_address = c.address.clone();
                changed = true;
            }
        } else {
            changed |= address_ui(
                ui,
                "delivery",
                "DeliveryAddress",
                &mut c.delivery_address,
                errors,
            );
        }
        changed
    }
}

/// One address as a grid; a cleared address becomes `null`.
fn address_ui(
    ui: &mut Ui,
    id_salt: &str,
    member: &str,
    address: &mut Option<Address>,
    errors: &FieldErrors,
) -> bool {
    form_grid(id_salt)
        .show(ui, |ui| {
            let mut edit = address.clone().unwrap_or_default();
            let mut changed = false;
            changed |= text_row_ui(
                ui,
                "Street",
                &mut edit.street,
                errors,
                &format!("{member}.Street"),
            );
            changed |= text_row_ui(
                ui,
                "City",
                &mut edit.city,
                errors,
                &format!("{member}.City"),
            );
            changed |= text_row_ui(
                ui,
                "Postal code",
                &mut edit.postal_code,
                errors,
                &format!("{member}.PostalCode"),
            );
            changed |= text_row_ui(
                ui,
                "Country",
                &mut edit.country,
                errors,
                &format!("{member}.Country"),
            );
            changed |= note_row_ui(
                ui,
                "Address note",
                &mut edit.note,
                errors,
                &format!("{member}.Note"),
            );
            if changed {
                *address = (edit != Address::default()).then_some(edit);
            }
            changed
        })
        .inner
}
