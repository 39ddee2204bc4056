//! Credit: the balance (read only: only an adjustment changes it), the adjustment form, and
//! the ledger of every change, newest first.

use egui::{RichText, TextEdit, Ui};
use egui_extras::{Column, TableBuilder};
use rust_decimal::Decimal;

use super::EditorAction;
use super::errors::FieldErrors;
use super::widgets::{FIELD_WIDTH, error_text_ui, form_grid, parse_decimal, row_ui, text_row_ui};
use crate::model::{CreditAdjustment, CreditTransaction, Customer};
use crate::ui::money::{amount_text, money_text};

/// The balance and the currency label.
pub(super) fn currency_ui(ui: &mut Ui, c: &mut Customer, balance: Decimal, errors: &FieldErrors) {
    form_grid("credit").show(ui, |ui| {
        ui.label("Balance");
        ui.label(
            RichText::new(money_text(balance, c.credit.currency_label.as_deref()))
                .strong()
                .size(16.0),
        );
        ui.end_row();
        text_row_ui(
            ui,
            "Currency label",
            &mut c.credit.currency_label,
            errors,
            "Credit.CurrencyLabel",
        );
    });
}

/// The "adjust credit" form. Its operation id lives as long as the amount and note stay the
/// same, so sending the same adjustment twice (a double click, a retry after a lost answer)
/// applies it once; the API ignores a repeated id.
#[derive(Debug)]
pub(super) struct AdjustForm {
    amount: String,
    note: String,
    error: Option<String>,
    operation_id: String,
    /// The adjustment was sent and no answer has come yet.
    pending: bool,
}

impl Default for AdjustForm {
    fn default() -> Self {
        Self {
            amount: String::new(),
            note: String::new(),
            error: None,
            operation_id: new_operation_id(),
            pending: false,
        }
    }
}

impl AdjustForm {
    /// The stored customer came back: when its ledger holds this form's operation, the
    /// adjustment is done and the form starts afresh.
    pub(super) fn confirm(&mut self, ledger: &[CreditTransaction]) {
        if ledger
            .iter()
            .any(|t| t.operation_id.as_deref() == Some(self.operation_id.as_str()))
        {
            *self = Self::default();
        }
    }

    /// The adjustment (or another request) failed: let the user send it again.
    pub(super) fn failed(&mut self) {
        self.pending = false;
    }

    /// The API refused this adjustment: say why beside the form, and let it be sent again.
    pub(super) fn refused(&mut self, message: String) {
        self.pending = false;
        self.error = Some(message);
    }

    pub(super) fn ui(&mut self, ui: &mut Ui, customer_id: &str) -> Option<EditorAction> {
        let mut action = None;
        ui.add_space(4.0);
        ui.label(RichText::new("Adjust credit").strong());
        form_grid("adjust").show(ui, |ui| {
            let no_errors = FieldErrors::default();
            let mut edited = false;
            row_ui(ui, "Amount", &no_errors, "", |ui, id| {
                edited |= ui
                    .add(
                        TextEdit::singleline(&mut self.amount)
                            .desired_width(120.0)
                            .hint_text("+10.00 or -5.00"),
                    )
                    .labelled_by(id)
                    .changed();
                if let Some(error) = &self.error {
                    error_text_ui(ui, error);
                }
            });
            row_ui(ui, "Reason", &no_errors, "", |ui, id| {
                edited |= ui
                    .add(
                        TextEdit::singleline(&mut self.note)
                            .desired_width(FIELD_WIDTH)
                            .hint_text("why the credit changes"),
                    )
                    .labelled_by(id)
                    .changed();
            });
            if edited {
                // A different adjustment is a different operation.
                self.operation_id = new_operation_id();
                self.error = None;
                self.pending = false;
            }
            ui.label("");
            ui.horizontal(|ui| {
                if ui.button("Adjust").clicked() {
                    action = self.submit(customer_id);
                }
                if self.pending {
                    ui.spinner();
                }
            });
            ui.end_row();
        });
        action
    }

    fn submit(&mut self, customer_id: &str) -> Option<EditorAction> {
        let amount = match parse_decimal(&self.amount) {
            Ok(amount) if amount.is_zero() => {
                self.error = Some("enter a change other than zero".to_owned());
                return None;
            }
            Ok(amount) => amount,
            Err(message) => {
                self.error = Some(message);
                return None;
            }
        };
        let note = self.note.trim();
        let adjustment = CreditAdjustment {
            amount,
            note: (!note.is_empty()).then(|| note.to_owned()),
            operation_id: Some(self.operation_id.clone()),
        };
        let body = match serde_json::to_value(&adjustment) {
            Ok(body) => body,
            Err(e) => {
                self.error = Some(format!("could not write the adjustment: {e}"));
                return None;
            }
        };
        self.pending = true;
        Some(EditorAction::AdjustCredit {
            id: customer_id.to_owned(),
            body,
        })
    }
}

/// A fresh random operation id: 32 hex digits.
fn new_operation_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The ledger, newest first; only the visible rows are laid out, so a long history costs
/// nothing while scrolling the editor.
pub(super) fn ledger_ui(ui: &mut Ui, ledger: &[CreditTransaction], currency: Option<&str>) {
    ui.add_space(6.0);
    ui.label(RichText::new(format!("Transactions ({})", ledger.len())).strong());
    if ledger.is_empty() {
        ui.weak("No credit changes yet.");
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    TableBuilder::new(ui)
        .id_salt("ledger")
        .striped(true)
        .max_scroll_height(220.0)
        .column(Column::auto().at_least(120.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::remainder().at_least(100.0).clip(true))
        .column(Column::auto().at_least(60.0))
        .header(row_height, |mut header| {
            for title in ["Time", "Change", "Balance after", "Note", "User"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            // The API appends, so the newest transaction is the last one.
            body.rows(row_height, ledger.len(), |mut row| {
                let Some(t) = ledger
                    .len()
                    .checked_sub(row.index() + 1)
                    .and_then(|i| ledger.get(i))
                else {
                    return;
                };
                row.col(|ui| {
                    let time = t.time.map(|t| {
                        t.with_timezone(&chrono::Local)
                            .format("%Y-%m-%d %H:%M")
                            .to_string()
                    });
                    ui.label(time.unwrap_or_default());
                });
                row.col(|ui| {
                    let sign = if t.amount.is_sign_positive() && !t.amount.is_zero() {
                        "+"
                    } else {
                        ""
                    };
                    ui.label(format!("{sign}{}", amount_text(t.amount)));
                });
                row.col(|ui| {
                    ui.label(money_text(t.balance, currency));
                });
                row.col(|ui| {
                    ui.label(t.note.as_deref().unwrap_or(""));
                });
                row.col(|ui| {
                    ui.label(t.user_name.as_deref().unwrap_or(""));
                });
            });
        });
}
