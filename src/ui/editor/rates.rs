//! The discount rate and the credit rate, typed as exact decimals.

use egui::Ui;

use super::errors::FieldErrors;
use super::widgets::{DecimalText, decimal_field_ui, error_text_ui, form_grid, member_error_ui};
use crate::model::Customer;

/// The rates as typed; the customer takes a rate only when its text parses.
#[derive(Debug, Default)]
pub(super) struct RatesForm {
    discount: DecimalText,
    credit_rate: DecimalText,
}

impl RatesForm {
    pub(super) fn new(c: &Customer) -> Self {
        Self {
            discount: DecimalText::new(c.discount_rate),
            credit_rate: DecimalText::new(c.credit_rate),
        }
    }

    /// A rate does not parse: the form cannot be saved.
    pub(super) fn has_errors(&self) -> bool {
        self.discount.error.is_some() || self.credit_rate.error.is_some()
    }

    /// Draws both rates; the discount is a plain label unless `may_set_discount`.
    pub(super) fn ui(
        &mut self,
        ui: &mut Ui,
        c: &mut Customer,
        errors: &FieldErrors,
        may_set_discount: bool,
    ) -> bool {
        form_grid("rates")
            .show(ui, |ui| {
                let mut changed = false;
                if may_set_discount {
                    let label = ui.label("Discount rate");
                    ui.vertical(|ui| {
                        if decimal_field_ui(ui, label.id, &mut self.discount, "%") {
                            if let Some(value) = self.discount.parse() {
                                c.discount_rate = value;
                            }
                            changed = true;
                        }
                        if let Some(error) = &self.discount.error {
                            error_text_ui(ui, error);
                        }
                        member_error_ui(ui, errors, "DiscountRate");
                    });
                } else {
                    // Not a control, and named so nothing answers to "Discount rate" as if it
                    // could be typed into.
                    ui.label("Discount rate (read only)");
                    ui.label(format!("{} %", c.discount_rate)).on_hover_text(
                        "Changing the discount needs the customerSetDiscount right.",
                    );
                }
                ui.end_row();

                let label = ui.label("Credit rate");
                ui.vertical(|ui| {
                    if decimal_field_ui(ui, label.id, &mut self.credit_rate, "") {
                        if let Some(value) = self.credit_rate.parse() {
                            c.credit_rate = value;
                        }
                        changed = true;
                    }
                    if let Some(error) = &self.credit_rate.error {
                        error_text_ui(ui, error);
                    }
                    member_error_ui(ui, errors, "CreditRate");
                });
                ui.end_row();
                changed
            })
            .inner
    }
}
