//! The customer editor: every section of a customer in one panel. It edits a copy and hands
//! the shell an [`EditorAction`]; it never talks to the store itself.

use crate::model::{Customer, FieldError, Rights};

/// What the user asked the editor to do; the shell carries it out through the service.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorAction {
    /// Save the form: `PUT /customers/{id}` when `id` is `Some` (the body carries `_v`),
    /// `POST /customers` when creating.
    Save { id: Option<String>, body: serde_json::Value },
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

/// The editor's state: the customer as stored and the form being edited.
#[derive(Debug)]
pub struct CustomerEditor {
    stored: Option<Customer>,
    rights: Rights,
}

impl CustomerEditor {
    /// An editor for an existing customer, showing only what `rights` allow.
    pub fn open(customer: Customer, rights: Rights) -> Self {
        Self { stored: Some(customer), rights }
    }

    /// An editor for a new customer.
    pub fn new_customer(rights: Rights) -> Self {
        Self { stored: None, rights }
    }

    /// The id of the customer being edited, `None` while creating.
    pub fn customer_id(&self) -> Option<&str> {
        self.stored.as_ref().map(|c| c.id.as_str())
    }

    /// Whether the form differs from the stored customer.
    pub fn is_dirty(&self) -> bool {
        false
    }

    /// The API stored the customer (save, credit adjustment, reload): show it as it is now.
    pub fn set_saved(&mut self, customer: Customer) {
        self.stored = Some(customer);
    }

    /// The API refused the save: show each error beside the field it names.
    pub fn set_errors(&mut self, errors: Vec<FieldError>) {
        let _ = errors;
    }

    /// The save met a stale `_v`: say so and offer to reload.
    pub fn set_conflict(&mut self, stored_version: i64) {
        let _ = stored_version;
    }

    /// Draws the editor and returns what the user asked for this frame.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<EditorAction> {
        let _ = self.rights;
        ui.label("Customer editor");
        None
    }
}
