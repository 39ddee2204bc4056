//! The desk: the customer grid with its search, filters and pager, the card scan field,
//! and the editor in a side panel. This file keeps the state, `desk/answers.rs` takes the
//! service's answers, and `desk_ui.rs` draws it.

mod answers;

use egui::Context;

use std::sync::Arc;

use super::editor::{CustomerEditor, EditorAction};
use super::files::FilePicker;
use super::grid::Page;
use super::query::{Chip, Filters, GridQuery};
use super::settings::Settings;
use super::sync_view::SyncPanel;
use super::toasts::{ToastKind, Toasts};
use super::transfer::{Transfer, transfer_logic, transfer_message};
use super::users::UsersView;
use super::words;
use crate::model::{Customer, Right, Rights, UserInfo};
use crate::service::{CustomerCommand, ServiceHandle, SessionCommand, TransferMessage};

/// How long the search waits after a keystroke made while a query is still running before
/// it asks the store, so fast typing does not stack up queries. With none running it asks
/// at the key: the answer then comes in the store's time alone (2–5 ms at 1,000,000
/// customers, 5–70 ms while a first sync is still copying them), not that plus a pause. A
/// query that is still running when a newer one goes out is not waited for: its answer is
/// dropped (a one-letter search of a million customers takes seconds; the selective term
/// typed after it must not queue behind it).
pub const SEARCH_DEBOUNCE_SECS: f64 = 0.06;

/// How often the page is read again to show changes made elsewhere, in seconds.
pub const REFRESH_SECS: f64 = 3.0;

/// The store's search index works on three letters and more; a shorter term scans every
/// customer (seconds with a million), so it is only asked for after a real pause, not while
/// the first letters of a longer name are being typed.
const INDEXED_SEARCH_CHARS: usize = 3;
const SHORT_SEARCH_DEBOUNCE_SECS: f64 = 0.6;

/// A question the desk is asking in a modal dialog.
#[derive(Debug, Clone)]
pub enum Dialog {
    ConfirmDelete {
        id: String,
        name: String,
    },
    /// The editor has unsaved changes; `then` happens if the user discards them.
    ConfirmDiscard {
        then: AfterDiscard,
    },
    Shortcuts,
    /// Signing out of a shop server leaves changes on this desk (`left` says which).
    ConfirmSignOut {
        left: String,
    },
}

/// What to do once unsaved changes are discarded.
#[derive(Debug, Clone)]
pub enum AfterDiscard {
    Close,
    Open(Box<Customer>),
    New,
    SignOut,
    /// The window is closing.
    Quit,
}

/// What the desk asks the app to do once the editor is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskOutcome {
    SignOut,
    Quit,
}

/// The desk's state; the service holds the data, this holds one page and the form.
#[derive(Debug)]
pub struct Desk {
    pub user: UserInfo,
    /// The shop server this desk works on; `None` on this computer's store.
    pub server: Option<String>,
    pub rights: Rights,
    pub query: GridQuery,
    pub page: Page,
    /// The id of the newest list request; older answers are dropped.
    latest_request: u64,
    /// A list request is in flight.
    pub list_pending: bool,
    /// When (egui time) to fetch the page; set by typing (debounced) or by a click (now).
    fetch_due: Option<f64>,
    pub list_error: Option<String>,
    /// Whether the page shown answers the search box's number as names, no phone number
    /// having it (`CustomerCommand::List`'s fallback): an export writes the same.
    pub fell_back: bool,
    pub jump_text: String,
    pub show_filters: bool,
    pub scan_text: String,
    pub scan_message: Option<String>,
    /// What is wrong with the card scanned last (lost, stolen, blocked, expired, replaced),
    /// shown in a banner over the desk until the next scan or a dismissal.
    pub card_warning: Option<String>,
    /// The customer just opened in the editor, to be read again from the store.
    refresh_opened: Option<String>,
    /// When (egui time) the page is read again to show changes made elsewhere.
    next_refresh: f64,
    /// The egui time of the last frame's logic, for answers that set the next refresh.
    now: f64,
    /// Seconds between refreshes ([`REFRESH_SECS`]; infinite for none, as most tests want).
    pub refresh_secs: f64,
    /// The list request in flight that is such a refresh (its answer keeps the selection
    /// and the scroll position, and a failure keeps the rows, marked as not up to date).
    refresh_request: Option<u64>,
    pub editor: Option<CustomerEditor>,
    pub dialog: Option<Dialog>,
    /// Saves, deletes and lookups in flight.
    pub writes_pending: u32,
    pub search_id: Option<egui::Id>,
    pub scan_id: Option<egui::Id>,
    /// Set after a scan so the scan field takes the next card at once.
    pub refocus_scan: bool,
    /// The chips of the filters the grid was last asked with (built here, not per frame).
    pub chips: Vec<Chip>,
    /// True until the first frame is drawn, which drops the sign-in form's leftover focus.
    pub fresh: bool,
    /// An import or export under way.
    pub transfer: Option<Transfer>,
    /// Where *Import…* and *Export…* get their files from.
    pub picker: Arc<dyn FilePicker>,
    /// The *Users* view, when open.
    pub users: Option<UsersView>,
    /// F5 asked to read the signed-in user (and so their rights) again.
    check_user_due: bool,
    /// A desk on a shop server: its replica's state and lists.
    pub sync: SyncPanel,
    /// A customer to open in the editor once it is read (from the parked list).
    open_when_fetched: Option<String>,
}

impl Desk {
    /// The desk of a signed-in user, with the grid as it was left last time.
    pub fn new(
        user: UserInfo,
        server: Option<String>,
        settings: &Settings,
        picker: Arc<dyn FilePicker>,
    ) -> Self {
        let rights = user.rights_set();
        Self {
            user,
            server,
            rights,
            query: GridQuery {
                search: String::new(),
                filters: Filters::default(),
                sort: settings.sort_keys(),
                page: 0,
                page_size: settings.page_size,
            },
            page: Page::default(),
            latest_request: 0,
            list_pending: false,
            fetch_due: Some(0.0),
            list_error: None,
            fell_back: false,
            jump_text: String::new(),
            show_filters: false,
            scan_text: String::new(),
            scan_message: None,
            card_warning: None,
            refresh_opened: None,
            next_refresh: REFRESH_SECS,
            now: 0.0,
            refresh_secs: REFRESH_SECS,
            refresh_request: None,
            editor: None,
            dialog: None,
            writes_pending: 0,
            search_id: None,
            scan_id: None,
            refocus_scan: false,
            fresh: true,
            chips: Vec::new(),
            transfer: None,
            picker,
            users: None,
            check_user_due: false,
            sync: SyncPanel::default(),
            open_when_fetched: None,
        }
    }

    /// The egui time of the last frame's logic.
    pub fn now(&self) -> f64 {
        self.now
    }

    /// Reads the page again at the next frame, quietly (the replica took server changes).
    pub fn refresh_soon(&mut self) {
        self.next_refresh = self.now;
    }

    /// Reads the customer `id` and opens it in the editor.
    pub fn open_by_id(&mut self, service: &ServiceHandle, toasts: &mut Toasts, id: String) {
        self.open_when_fetched = Some(id.clone());
        self.send(service, toasts, CustomerCommand::Get { id });
    }

    /// The signed-in user as stored now: the controls follow their rights at once (an open
    /// editor too), and the *Users* view closes for a user who lost every right.
    pub fn set_user(&mut self, user: UserInfo) {
        self.rights = user.rights_set();
        self.user = user;
        if let Some(editor) = self.editor.as_mut() {
            editor.set_rights(self.rights);
        }
        if !self.can(Right::Admin) {
            self.users = None;
        }
    }

    /// Whether anything waits for the service, or a debounced fetch is still due.
    pub fn is_busy(&self) -> bool {
        self.list_pending
            || self.writes_pending > 0
            || self.fetch_due.is_some()
            || self.transfer.as_ref().is_some_and(Transfer::is_busy)
            || self.users.as_ref().is_some_and(|u| u.busy)
            || self.sync.is_busy()
    }

    /// Whether this user may import: files go into this computer's store only, and
    /// importing creates and updates customers.
    pub fn can_import(&self) -> bool {
        self.server.is_none()
            && (self.can(Right::CustomerCreate) || self.can(Right::CustomerUpdate))
    }

    /// Whether this user may export (anyone signed in to this computer's store).
    pub fn can_export(&self) -> bool {
        self.server.is_none()
    }

    /// Takes an answer about an import or export.
    pub fn handle_transfer(&mut self, message: TransferMessage, toasts: &mut Toasts) {
        if transfer_message(&mut self.transfer, message, toasts) {
            self.fetch_now();
        }
    }

    /// May the user do this?
    pub fn can(&self, right: Right) -> bool {
        self.rights.has(right)
    }

    /// Fetch the page after the debounce delay (typing).
    pub fn fetch_soon(&mut self, now: f64) {
        self.query.page = 0;
        self.page.start_fresh();
        let chars = self.query.search.trim().chars().count();
        let delay = if (1..INDEXED_SEARCH_CHARS).contains(&chars) {
            SHORT_SEARCH_DEBOUNCE_SECS
        } else if self.list_pending {
            SEARCH_DEBOUNCE_SECS
        } else {
            0.0
        };
        self.fetch_due = Some(now + delay);
    }

    /// Fetch the page in this frame's logic (a click).
    pub fn fetch_now(&mut self) {
        self.fetch_due = Some(0.0);
    }

    /// Runs before drawing: sends the due list request.
    pub fn logic(&mut self, ctx: &Context, service: &ServiceHandle, toasts: &mut Toasts) {
        transfer_logic(&mut self.transfer, service, toasts);
        if std::mem::take(&mut self.check_user_due)
            && let Err(err) = service.send(SessionCommand::CheckUser)
        {
            toasts.add(ToastKind::Error, words::service_failure(&err));
        }
        // A customer opened from the grid shows the grid's copy at once, and the stored one as
        // soon as it is read: the row may be older than a change made elsewhere.
        if let Some(id) = self.refresh_opened.take() {
            self.send(service, toasts, CustomerCommand::Get { id });
        }
        let now = ctx.input(|i| i.time);
        self.now = now;
        let Some(due) = self.fetch_due else {
            // Changes made elsewhere (another desk, the command line) show within a few
            // seconds: the page is read again, quietly.
            if !self.list_pending && now >= self.next_refresh {
                self.request_page(service, toasts);
                self.refresh_request = Some(self.latest_request);
            }
            if !self.list_pending && self.next_refresh.is_finite() {
                ctx.request_repaint_after(std::time::Duration::from_secs_f64(
                    (self.next_refresh - now).max(0.1),
                ));
            }
            return;
        };
        if now < due {
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(due - now));
            return;
        }
        self.fetch_due = None;
        self.chips = self.query.filters.chips();
        self.request_page(service, toasts);
        self.refresh_request = None;
    }

    /// Sends the list request for the page the query names.
    fn request_page(&mut self, service: &ServiceHandle, toasts: &mut Toasts) {
        self.latest_request += 1;
        self.next_refresh = f64::INFINITY;
        if let Some(problem) = self.query.filters.problem() {
            // Checked here, in the panel's words; the API's 400 would name the parameter.
            self.list_pending = false;
            self.page.clear();
            self.list_error = Some(problem);
            return;
        }
        let command = CustomerCommand::List {
            request: self.latest_request,
            params: self.query.params(),
            fallback: self.query.fallback_params(),
        };
        match service.send(command) {
            Ok(()) => self.list_pending = true,
            Err(err) => {
                self.next_refresh = self.now + self.refresh_secs;
                toasts.add(ToastKind::Error, words::service_failure(&err));
            }
        }
    }

    /// Schedules the next refresh `refresh_secs` after `now` (egui time).
    pub fn refresh_after(&mut self, now: f64) {
        self.next_refresh = now + self.refresh_secs;
    }

    /// F5: reads the page, and the customer open in the editor, again now.
    pub fn refresh_now(&mut self) {
        self.fetch_due = Some(0.0);
        self.check_user_due = true;
        if let Some(editor) = &self.editor
            && !editor.is_dirty()
        {
            self.refresh_opened = editor.customer_id().map(str::to_owned);
        }
    }

    /// Sends a command the user asked for, counting it as pending.
    pub fn send(&mut self, service: &ServiceHandle, toasts: &mut Toasts, command: CustomerCommand) {
        match service.send(command) {
            Ok(()) => self.writes_pending += 1,
            Err(err) => toasts.add(ToastKind::Error, words::service_failure(&err)),
        }
    }

    /// Opens a customer in the editor, asking first when the open form has unsaved changes.
    pub fn open_customer(&mut self, customer: Customer) {
        if self
            .editor
            .as_ref()
            .is_some_and(|e| e.customer_id() == Some(customer.id.as_str()))
        {
            return;
        }
        self.leave_editor(AfterDiscard::Open(Box::new(customer)));
    }

    /// Opens an empty editor for a new customer.
    pub fn new_customer(&mut self) {
        if self.can(Right::CustomerCreate) {
            self.leave_editor(AfterDiscard::New);
        }
    }

    /// Leaves the editor for `then`, asking first when it has unsaved changes.
    pub fn leave_editor(&mut self, then: AfterDiscard) -> Option<DeskOutcome> {
        if self.editor.as_ref().is_some_and(CustomerEditor::is_dirty) {
            self.dialog = Some(Dialog::ConfirmDiscard { then });
            None
        } else {
            self.after_discard(then)
        }
    }

    /// Carries out what waited for the discard; says when the app must act (sign out, quit).
    pub fn after_discard(&mut self, then: AfterDiscard) -> Option<DeskOutcome> {
        match then {
            AfterDiscard::Close => self.editor = None,
            AfterDiscard::Open(customer) => {
                self.refresh_opened = Some(customer.id.clone());
                self.editor = Some(CustomerEditor::open(*customer, self.rights));
            }
            AfterDiscard::New => self.editor = Some(CustomerEditor::new_customer(self.rights)),
            AfterDiscard::SignOut => {
                self.editor = None;
                return Some(DeskOutcome::SignOut);
            }
            AfterDiscard::Quit => {
                self.editor = None;
                return Some(DeskOutcome::Quit);
            }
        }
        None
    }

    /// Asks to delete a customer (the dialog names them).
    pub fn ask_delete(&mut self, id: String, name: String) {
        if self.can(Right::CustomerDelete) {
            self.dialog = Some(Dialog::ConfirmDelete { id, name });
        }
    }

    /// Carries out what the editor asked, through the service.
    pub fn editor_action(
        &mut self,
        action: EditorAction,
        service: &ServiceHandle,
        toasts: &mut Toasts,
    ) {
        match action {
            EditorAction::Save { id, body } => {
                self.send(service, toasts, CustomerCommand::Save { id, body })
            }
            EditorAction::AdjustCredit { id, body } => {
                self.send(service, toasts, CustomerCommand::AdjustCredit { id, body })
            }
            EditorAction::Delete { id, display_name } => self.ask_delete(id, display_name),
            EditorAction::Reload { id } => self.send(service, toasts, CustomerCommand::Get { id }),
            EditorAction::Close => {
                self.leave_editor(AfterDiscard::Close);
            }
        }
    }

    /// Sends the scanned serial to the service.
    pub fn scan(&mut self, service: &ServiceHandle, toasts: &mut Toasts) {
        let serial = self.scan_text.trim().to_owned();
        self.scan_text.clear();
        if serial.is_empty() {
            return;
        }
        self.scan_message = None;
        self.send(service, toasts, CustomerCommand::FindCard { serial });
    }

    /// Remembers sort and page size for the next run.
    pub fn store_settings(&self, settings: &mut Settings) {
        settings.set_sort_keys(&self.query.sort);
        settings.page_size = self.query.page_size;
    }
}
