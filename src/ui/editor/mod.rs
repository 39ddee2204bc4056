//! The customer editor: every section of a customer in one panel. It edits a copy and hands
//! the shell an [`EditorAction`]; it never talks to the store itself.
//!
//! The form is a [`Customer`] (`draft`) plus the text of the fields that must parse (rates,
//! meta numbers, the credit adjustment). The fields the API owns (`id`, `_v`, `status`,
//! `credit.amount`, the ledger) are always taken from the stored customer, so the form can
//! neither change the balance by accident nor lose the version a conflict is detected by.

mod addresses;
mod cards;
mod company;
mod credit;
mod errors;
mod general;
mod header;
mod meta;
mod rates;
mod widgets;

use egui::Ui;

use super::shortcuts;
use crate::model::{CreditTransaction, Customer, FieldError, Right, Rights, derived_full_name};
use errors::{FieldErrors, Section};

/// What the user asked the editor to do; the shell carries it out through the service.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorAction {
    /// Save the form: `PUT /customers/{id}` when `id` is `Some` (the body carries `_v`),
    /// `POST /customers` when creating.
    Save {
        id: Option<String>,
        body: serde_json::Value,
    },
    /// `POST /customers/{id}/credit` with `{amount, note, operationId}`.
    AdjustCredit { id: String, body: serde_json::Value },
    /// The user pressed Delete; the shell asks for confirmation naming the customer.
    Delete { id: String, display_name: String },
    /// Fetch the stored customer again (after a version conflict).
    Reload { id: String },
    /// The user wants to close the editor (Esc or the close button); the shell asks first
    /// when [`CustomerEditor::is_dirty`].
    Close,
}

/// A request the editor sent and whose answer it waits for.
#[derive(Debug, Clone, PartialEq)]
enum Awaiting {
    Save,
    Reload,
}

/// The editor's state: the customer as stored and the form being edited.
#[derive(Debug)]
pub struct CustomerEditor {
    /// As the API last returned it, without its ledger (kept in `ledger`), so comparing and
    /// copying the customer stays cheap however long its credit history is.
    stored: Option<Customer>,
    /// The stored credit transactions in the API's order (oldest first).
    ledger: Vec<CreditTransaction>,
    rights: Rights,
    draft: Customer,
    rates: rates::RatesForm,
    meta: meta::MetaForm,
    cards: cards::CardsForm,
    addresses: addresses::AddressesForm,
    adjust: credit::AdjustForm,
    errors: FieldErrors,
    /// The stored version a save ran into, until the user reloads or saves again.
    conflict: Option<i64>,
    /// A failure the shell reported that names no field.
    failure: Option<String>,
    awaiting: Option<Awaiting>,
    /// Open the sections holding errors on the next frame.
    reveal_errors: bool,
    /// Save was asked for (Ctrl+S or the button) this frame: done once the fields are drawn.
    save_requested: bool,
    /// The form as the save in flight sent it: edits made after it stay when it is answered.
    sent: Option<Customer>,
    /// A customer just opened: its form starts at the top, wherever the last one was left.
    scroll_to_top: bool,
    /// A new customer: the keyboard goes to its first name on the next frame.
    focus_first_name: bool,
}

impl CustomerEditor {
    /// An editor for an existing customer, showing only what `rights` allow.
    pub fn open(customer: Customer, rights: Rights) -> Self {
        let mut editor = Self::blank(rights);
        editor.load(Some(customer));
        editor
    }

    /// An editor for a new customer.
    pub fn new_customer(rights: Rights) -> Self {
        let mut editor = Self::blank(rights);
        editor.load(None);
        editor.focus_first_name = true;
        editor
    }

    fn blank(rights: Rights) -> Self {
        Self {
            stored: None,
            ledger: Vec::new(),
            rights,
            draft: Customer::default(),
            rates: rates::RatesForm::default(),
            meta: meta::MetaForm::default(),
            cards: cards::CardsForm::default(),
            addresses: addresses::AddressesForm::default(),
            adjust: credit::AdjustForm::default(),
            errors: FieldErrors::default(),
            conflict: None,
            failure: None,
            awaiting: None,
            reveal_errors: false,
            save_requested: false,
            sent: None,
            scroll_to_top: true,
            focus_first_name: false,
        }
    }

    /// Resets the form to `customer` (or to a new one), forgetting edits and messages.
    fn load(&mut self, customer: Option<Customer>) {
        let (stored, ledger) = match customer {
            Some(mut c) => {
                let ledger = std::mem::take(&mut c.credit_transactions);
                (Some(c), ledger)
            }
            None => (None, Vec::new()),
        };
        self.draft = stored.clone().unwrap_or_default();
        self.rates = rates::RatesForm::new(&self.draft);
        self.meta = meta::MetaForm::new(&self.draft.meta);
        self.cards = cards::CardsForm::default();
        self.addresses = addresses::AddressesForm::new(&self.draft);
        self.stored = stored;
        self.ledger = ledger;
        self.errors.clear();
        self.conflict = None;
        self.failure = None;
        self.awaiting = None;
    }

    /// The id of the customer being edited, `None` while creating.
    pub fn customer_id(&self) -> Option<&str> {
        self.stored.as_ref().map(|c| c.id.as_str())
    }

    /// The version of the customer as the editor last had it from the API.
    pub fn stored_version(&self) -> Option<i64> {
        self.stored.as_ref().map(|c| c.version)
    }

    /// Whether the editor waits for an answer of its own (a save, a reload).
    pub fn is_awaiting(&self) -> bool {
        self.awaiting.is_some()
    }

    /// Draws the controls for `rights` from now on (the user's rights changed meanwhile).
    pub fn set_rights(&mut self, rights: Rights) {
        self.rights = rights;
    }

    /// The rights the editor draws its controls for.
    pub fn rights(&self) -> Rights {
        self.rights
    }

    /// The name to show for the customer: the stored one, or the form's for a new customer.
    pub fn display_name(&self) -> String {
        match &self.stored {
            Some(c) => c.display_name(),
            None => crate::model::derived_full_name(&self.draft)
                .or_else(|| self.draft.full_name.clone())
                .unwrap_or_else(|| "New customer".to_owned()),
        }
    }

    /// Whether the form differs from the stored customer (or, while creating, from an empty
    /// one). A field that does not parse counts as a difference.
    pub fn is_dirty(&self) -> bool {
        self.has_local_errors() || self.form_customer() != self.base()
    }

    /// The API stored the customer (save, credit adjustment, reload): show it as it is now.
    ///
    /// After a credit adjustment made while the form has unsaved edits, the edits stay and
    /// only the fields the API owns (balance, ledger, version, status) are taken.
    pub fn set_saved(&mut self, customer: Customer) {
        self.adjust.confirm(&customer.credit_transactions);
        let expected = self.awaiting.is_some();
        // Keys typed after the save went out are not in its answer: they stay in the form.
        let edited_since = self
            .sent
            .take()
            .is_some_and(|sent| sent != self.form_customer());
        if edited_since {
            self.awaiting = None;
        }
        if (!expected || edited_since) && self.is_dirty() {
            let mut customer = customer;
            self.ledger = std::mem::take(&mut customer.credit_transactions);
            self.draft.credit.amount = customer.credit.amount;
            self.draft.version = customer.version;
            self.draft.status = customer.status;
            self.stored = Some(customer);
        } else {
            self.load(Some(customer));
        }
    }

    /// The API refused the save: show each error beside the field it names.
    pub fn set_errors(&mut self, errors: Vec<FieldError>) {
        self.errors.set(errors);
        self.awaiting = None;
        self.sent = None;
        self.failure = None;
        self.reveal_errors = true;
    }

    /// The save met a stale `_v`: say so and offer to reload.
    pub fn set_conflict(&mut self, stored_version: i64) {
        self.conflict = Some(stored_version);
        self.awaiting = None;
        self.sent = None;
    }

    /// The API refused the credit adjustment: the form shows `message` and may be sent again;
    /// the rest of the editor is untouched.
    pub fn set_adjust_refused(&mut self, message: impl Into<String>) {
        self.adjust.refused(message.into());
    }

    /// A request failed for a reason that names no field (no right, the store is locked, the
    /// server is unreachable): show `message` and let the user try again.
    pub fn set_failed(&mut self, message: impl Into<String>) {
        self.failure = Some(message.into());
        self.awaiting = None;
        self.sent = None;
        self.adjust.failed();
    }

    /// The customer as stored, or an empty one while creating.
    fn base(&self) -> Customer {
        self.stored.clone().unwrap_or_default()
    }

    /// The form as a customer, with the fields the API owns taken from the stored customer.
    fn form_customer(&self) -> Customer {
        let base = self.stored.as_ref();
        let mut c = self.draft.clone();
        c.id = base.map(|b| b.id.clone()).unwrap_or_default();
        c.version = base.map_or(0, |b| b.version);
        c.status = base.map(|b| b.status).unwrap_or_default();
        c.credit.amount = base.map(|b| b.credit.amount).unwrap_or_default();
        c
    }

    /// A field of the form does not parse; the API would never see it, so Save waits.
    fn has_local_errors(&self) -> bool {
        self.rates.has_errors() || self.meta.has_errors()
    }

    fn can_save(&self) -> bool {
        let right = if self.stored.is_some() {
            Right::CustomerUpdate
        } else {
            Right::CustomerCreate
        };
        self.rights.has(right)
    }

    /// The body of the save: the customer, `_v` the stored version so a stale form is
    /// refused; without `id` and `_v` when creating. Without the ledger: the API keeps the
    /// one it has whatever a save sends, and years of it would make the body too large.
    fn save_action(&mut self) -> Option<EditorAction> {
        if !self.can_save() || self.has_local_errors() || self.awaiting == Some(Awaiting::Save) {
            return None;
        }
        let customer = self.form_customer();
        let mut body = match serde_json::to_value(&customer) {
            Ok(body) => body,
            Err(e) => {
                self.failure = Some(format!("The form could not be turned into JSON: {e}"));
                return None;
            }
        };
        let id = self.customer_id().map(str::to_owned);
        if let Some(object) = body.as_object_mut() {
            object.remove("creditTransactions");
            if id.is_none() {
                object.remove("id");
                object.remove("_v");
            }
        }
        self.awaiting = Some(Awaiting::Save);
        self.sent = Some(customer);
        self.conflict = None;
        self.failure = None;
        Some(EditorAction::Save { id, body })
    }

    /// Draws the editor and returns what the user asked for this frame.
    pub fn ui(&mut self, ui: &mut Ui) -> Option<EditorAction> {
        let mut action = None;
        // Taken now, so that no field sees the chord, but carried out after the fields have
        // taken this frame's keys: typed fast, the last letters come in the same frame as
        // Ctrl+S, and the save must send what the fields show.
        if ui.input_mut(|i| i.consume_shortcut(&shortcuts::SAVE.chord)) {
            self.save_requested = true;
        }
        // An open menu or combo box takes Esc for itself.
        if !ui.ctx().any_popup_open()
            && ui.input_mut(|i| i.consume_shortcut(&shortcuts::CLOSE_EDITOR.chord))
        {
            action = Some(EditorAction::Close);
        }

        if let Some(a) = self.header_ui(ui) {
            action = Some(a);
        }
        ui.separator();
        let mut scroll = egui::ScrollArea::vertical().auto_shrink([false, false]);
        if std::mem::take(&mut self.scroll_to_top) {
            scroll = scroll.vertical_scroll_offset(0.0);
        }
        scroll.show(ui, |ui| {
            if let Some(a) = self.sections_ui(ui) {
                action = Some(a);
            }
        });
        self.reveal_errors = false;
        if std::mem::take(&mut self.save_requested)
            && let Some(save) = self.save_action()
        {
            action = Some(save);
        }
        action
    }

    fn sections_ui(&mut self, ui: &mut Ui) -> Option<EditorAction> {
        let editable = self.can_save();
        let mut action = None;
        let mut changed = false;
        // The full name follows the names (and a company's name) for as long as nobody
        // typed one of their own: it is empty or what the names made of it.
        let full_name_before = self.draft.full_name.clone();
        let full_name_follows = full_name_before.as_deref().is_none_or(|f| {
            f.trim().is_empty() || Some(f) == derived_full_name(&self.draft).as_deref()
        });
        if self.section(ui, Section::General, "General", true, |ed, ui| {
            let focus = std::mem::take(&mut ed.focus_first_name);
            ui.add_enabled_ui(editable, |ui| {
                general::general_ui(ui, &mut ed.draft, &ed.errors, focus)
            })
            .inner
        }) {
            changed = true;
        }
        changed |= self.section(ui, Section::Company, "Company", true, |ed, ui| {
            ui.add_enabled_ui(editable, |ui| {
                company::company_ui(ui, &mut ed.draft, &ed.errors)
            })
            .inner
        });
        changed |= self.section(
            ui,
            Section::Addresses,
            "Address and delivery address",
            true,
            |ed, ui| {
                ui.add_enabled_ui(editable, |ui| {
                    ed.addresses.ui(ui, &mut ed.draft, &ed.errors)
                })
                .inner
            },
        );
        changed |= self.section(ui, Section::Cards, "Cards", true, |ed, ui| {
            ui.add_enabled_ui(editable, |ui| {
                ed.cards.ui(ui, &mut ed.draft.cards, &mut ed.errors)
            })
            .inner
        });
        self.section(ui, Section::Credit, "Credit", true, |ed, ui| {
            action = ed.credit_ui(ui, editable);
            false
        });
        let may_set_discount = self.rights.has(Right::CustomerSetDiscount);
        changed |= self.section(
            ui,
            Section::Rates,
            "Discount and credit rate",
            true,
            |ed, ui| {
                ui.add_enabled_ui(editable, |ui| {
                    ed.rates
                        .ui(ui, &mut ed.draft, &ed.errors, editable && may_set_discount)
                })
                .inner
            },
        );
        changed |= self.section(ui, Section::Meta, "Meta", false, |ed, ui| {
            ui.add_enabled_ui(editable, |ui| {
                ed.meta.ui(ui, &mut ed.draft.meta, &ed.errors)
            })
            .inner
        });
        if full_name_follows && self.draft.full_name == full_name_before {
            let derived = derived_full_name(&self.draft);
            if self.draft.full_name.is_some() && self.draft.full_name != derived {
                self.draft.full_name = derived;
            }
        }
        if changed {
            // An edit answers a "changed by someone else" no more than it answers an error;
            // but a failure message is stale once the user changes something.
            self.failure = None;
        }
        action
    }

    /// One collapsing section; opens itself when a new error lands in it.
    fn section(
        &mut self,
        ui: &mut Ui,
        section: Section,
        title: &str,
        default_open: bool,
        body: impl FnOnce(&mut Self, &mut Ui) -> bool,
    ) -> bool {
        let open = (self.reveal_errors && self.errors.touches(section)).then_some(true);
        egui::CollapsingHeader::new(egui::RichText::new(title).strong())
            .id_salt(section)
            .default_open(default_open)
            .open(open)
            .show(ui, |ui| body(self, ui))
            .body_returned
            .unwrap_or(false)
    }

    fn credit_ui(&mut self, ui: &mut Ui, editable: bool) -> Option<EditorAction> {
        let id = self.customer_id().map(str::to_owned);
        let may_adjust = self.rights.has(Right::CustomerSetCredit);
        let balance = self
            .stored
            .as_ref()
            .map(|c| c.credit.amount)
            .unwrap_or_default();
        ui.add_enabled_ui(editable, |ui| {
            credit::currency_ui(ui, &mut self.draft, balance, &self.errors)
        });
        let action = match (&id, may_adjust) {
            (Some(id), true) => self.adjust.ui(ui, id),
            (None, true) => {
                ui.weak("Save the new customer before adjusting its credit.");
                None
            }
            (_, false) => None,
        };
        credit::ledger_ui(
            ui,
            &self.ledger,
            self.draft.credit.currency_label.as_deref(),
        );
        action
    }
}
