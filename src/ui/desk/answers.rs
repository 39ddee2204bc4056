//! The desk takes the service's answers about customers: pages, scanned cards, saves,
//! credit adjustments, deletes and reads, each into the grid, the editor and a toast.

use super::super::toasts::{ToastKind, Toasts};
use super::Desk;
use crate::api::ApiError;
use crate::model::Customer;
use crate::service::CustomerMessage;
use crate::ui::editor::CustomerEditor;

impl Desk {
    /// Takes an answer of the service.
    pub fn handle(&mut self, message: CustomerMessage, toasts: &mut Toasts) {
        match message {
            CustomerMessage::Page { request, result } => {
                if request != self.latest_request {
                    return;
                }
                self.list_pending = false;
                let refresh = self.refresh_request.take() == Some(request);
                self.next_refresh = self.now + self.refresh_secs;
                match result {
                    Ok(result) if refresh => {
                        self.list_error = None;
                        self.follow_open_customer(&result);
                        self.page.refresh(result);
                    }
                    Ok(result) => {
                        self.list_error = None;
                        self.page.replace(result);
                        let pages = self.page.page_count(self.query.page_size);
                        if self.query.page >= pages {
                            // Rows were deleted under us: show the last page that exists.
                            self.query.page = pages - 1;
                            self.fetch_now();
                        }
                    }
                    // The rows shown are the same query's, only older: keep them, and say so.
                    Err(err) if refresh => {
                        self.list_error = Some(format!("Not up to date: {err}"));
                    }
                    // Rows of another search must not stand under this one as if they matched.
                    Err(err) => {
                        self.page.clear();
                        self.list_error = Some(format!("Could not load the customers: {err}"));
                    }
                }
            }
            CustomerMessage::CardFound { serial, result } => {
                self.writes_pending = self.writes_pending.saturating_sub(1);
                self.refocus_scan = true;
                match result {
                    Ok(Some(customer)) => {
                        self.scan_message = None;
                        self.card_warning = crate::ui::card_warning::card_warning(
                            &customer,
                            &serial,
                            chrono::Utc::now(),
                        );
                        self.open_customer(customer);
                    }
                    Ok(None) => {
                        self.card_warning = None;
                        let text = format!("No customer has card {serial}");
                        toasts.add(ToastKind::Info, text.clone());
                        self.scan_message = Some(text);
                    }
                    Err(err) => self.scan_message = Some(err.to_string()),
                }
            }
            CustomerMessage::Saved { created, result } => {
                self.writes_pending = self.writes_pending.saturating_sub(1);
                self.saved(created, result, toasts);
            }
            CustomerMessage::CreditAdjusted(result) => {
                self.writes_pending = self.writes_pending.saturating_sub(1);
                match result {
                    Ok(customer) => {
                        toasts.add(
                            ToastKind::Success,
                            format!("Credit of {} adjusted", customer.display_name()),
                        );
                        if let Some(editor) = self.editor_of(&customer.id) {
                            editor.set_saved(customer);
                        }
                        self.fetch_now();
                    }
                    Err(err) => self.credit_refused(err, toasts),
                }
            }
            CustomerMessage::Deleted(result) => {
                self.writes_pending = self.writes_pending.saturating_sub(1);
                match result {
                    Ok(customer) => {
                        if self.editor.as_ref().and_then(|e| e.customer_id())
                            == Some(customer.id.as_str())
                        {
                            self.editor = None;
                        }
                        toasts.add(
                            ToastKind::Success,
                            format!("Deleted {}", customer.display_name()),
                        );
                        self.fetch_now();
                    }
                    Err(err) => toasts.add(ToastKind::Error, format!("Not deleted: {err}")),
                }
            }
            CustomerMessage::Fetched { id, result } => {
                self.writes_pending = self.writes_pending.saturating_sub(1);
                match result {
                    Ok(customer) if self.open_when_fetched.as_deref() == Some(id.as_str()) => {
                        self.open_when_fetched = None;
                        self.open_customer(customer);
                    }
                    Ok(customer) => {
                        if let Some(editor) = self.editor_of(&id) {
                            editor.set_saved(customer);
                        }
                    }
                    Err(err) => {
                        let text = format!("Could not load the customer: {err}");
                        if let Some(editor) = self.editor_of(&id) {
                            editor.set_failed(text.clone());
                        }
                        toasts.add(ToastKind::Error, text);
                    }
                }
            }
        }
    }

    fn saved(&mut self, created: bool, result: Result<Customer, ApiError>, toasts: &mut Toasts) {
        match result {
            Ok(customer) => {
                let text = if created { "Created" } else { "Saved" };
                toasts.add(
                    ToastKind::Success,
                    format!("{text} {}", customer.display_name()),
                );
                if let Some(editor) = self.editor.as_mut() {
                    let same = editor.customer_id().is_none_or(|id| id == customer.id);
                    if same {
                        editor.set_saved(customer);
                    }
                }
                self.fetch_now();
            }
            Err(err) => self.refused("Not saved", err, toasts),
        }
    }

    /// The API refused a save or a credit adjustment: the editor shows why, beside the field
    /// when the error names one, and a toast says it too.
    fn refused(&mut self, what: &str, err: ApiError, toasts: &mut Toasts) {
        let editor = self.editor.as_mut();
        match err {
            ApiError::Conflict { stored_version, .. } => {
                toasts.add(
                    ToastKind::Error,
                    "Someone else changed this customer meanwhile.",
                );
                if let Some(editor) = editor {
                    editor.set_conflict(stored_version);
                }
            }
            ApiError::Validation(errors) => {
                toasts.add(
                    ToastKind::Error,
                    format!("{what}: some fields need attention."),
                );
                if let Some(editor) = editor {
                    editor.set_errors(errors);
                }
            }
            other => {
                let text = format!("{what}: {other}");
                if let Some(editor) = editor {
                    editor.set_failed(text.clone());
                }
                toasts.add(ToastKind::Error, text);
            }
        }
    }

    /// A refreshed page holds a newer version of the customer open in the editor: the
    /// editor shows it, unless it has unsaved edits (then its save meets a conflict).
    fn follow_open_customer(&mut self, result: &crate::model::QueryResult<Customer>) {
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        let newer = result.items.iter().flatten().find(|c| {
            editor.customer_id() == Some(c.id.as_str())
                && editor.stored_version() != Some(c.version)
        });
        if let Some(customer) = newer
            && !editor.is_dirty()
            && !editor.is_awaiting()
        {
            editor.set_saved(customer.clone());
        }
    }

    /// The API refused a credit adjustment: the form says why and may be sent again, and the
    /// customer is read again, since a refusal often means the balance shown was not the
    /// stored one any more.
    fn credit_refused(&mut self, err: ApiError, toasts: &mut Toasts) {
        let why = match &err {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        let text = format!("Credit not adjusted: {why}");
        if let Some(editor) = self.editor.as_mut() {
            editor.set_adjust_refused(text.clone());
            self.refresh_opened = editor.customer_id().map(str::to_owned);
        }
        toasts.add(ToastKind::Error, text);
    }

    /// The open editor, if it edits the customer `id`.
    fn editor_of(&mut self, id: &str) -> Option<&mut CustomerEditor> {
        self.editor.as_mut().filter(|e| e.customer_id() == Some(id))
    }
}
