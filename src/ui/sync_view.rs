//! What a desk on a shop server shows of its replica: where the sync stands in the status
//! bar, the first sync's progress, the rows and the customer not yet on the server, and the
//! lists of conflicts and parked changes a person decides. The engine decides; this asks it
//! and draws what it says.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};

use super::money::count_text;
use super::style;
use super::toasts::{ToastKind, Toasts};
use crate::service::{
    ConflictView, ServiceHandle, SyncCommand, SyncMessage, SyncState, SyncStatus, Take,
    WaitingChange,
};

/// What the editor says of a customer changed on this desk and not yet on the server.
pub const NOT_ON_SERVER: &str = "Saved on this desk, not yet on the server";

/// Which list is open, with its rows once they arrived.
#[derive(Debug, Clone)]
pub enum SyncList {
    Conflicts(Option<Vec<ConflictView>>),
    /// The changes not on the server: the parked ones, or those waiting to go.
    Waiting {
        parked: bool,
        rows: Option<Vec<WaitingChange>>,
    },
}

/// The replica's state as the window knows it (nothing on this computer's store).
#[derive(Debug, Default)]
pub struct SyncPanel {
    pub status: Option<SyncStatus>,
    /// The customers with changes not on the server yet.
    pending: HashSet<String>,
    pub list: Option<SyncList>,
    /// When (egui time) and at how many applied changes the first sync's progress began,
    /// for its time left.
    pull_began: Option<(f64, u64)>,
    /// A person decision in flight.
    pub busy: bool,
    /// The list asked to open a customer.
    pub open_customer: Option<String>,
    /// The parked change whose discard waits for a confirmation.
    confirm_discard: Option<i64>,
    /// Per conflict and field, whether the person chose the server's value (else this
    /// desk's).
    from_server: std::collections::HashMap<(String, String), bool>,
}

/// Asks the service; a failure to send is a toast.
fn send(service: &ServiceHandle, toasts: &mut Toasts, command: SyncCommand) -> bool {
    match service.send(command) {
        Ok(()) => true,
        Err(err) => {
            toasts.add(ToastKind::Error, super::words::service_failure(&err));
            false
        }
    }
}

impl SyncPanel {
    /// Takes the replica's new state at `now` (egui time).
    pub fn set_status(&mut self, status: SyncStatus, now: f64) {
        self.pending = status.pending_ids.iter().cloned().collect();
        match status.pulling {
            Some((done, _)) if self.pull_began.is_none() => self.pull_began = Some((now, done)),
            Some(_) => {}
            None => self.pull_began = None,
        }
        self.status = Some(status);
    }

    /// Whether the customer `id` has changes this desk made that the server has not taken.
    pub fn is_pending(&self, id: &str) -> bool {
        self.pending.contains(id)
    }

    /// The customers not yet on the server.
    pub fn pending(&self) -> &HashSet<String> {
        &self.pending
    }

    /// What signing out would leave behind for the next sign-in: changes not on the
    /// server, conflicts and parked changes. `None` when there is nothing.
    pub fn left_behind(&self) -> Option<String> {
        let status = self.status.as_ref()?;
        let mut parts = Vec::new();
        if status.pending > 0 {
            parts.push(plural(
                status.pending,
                "change not on the server yet",
                "changes not on the server yet",
            ));
        }
        if status.conflicts > 0 {
            parts.push(plural(
                status.conflicts,
                "conflict to decide",
                "conflicts to decide",
            ));
        }
        if status.parked > 0 {
            parts.push(plural(status.parked, "parked change", "parked changes"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }

    /// Whether the window waits for an answer about the lists.
    pub fn is_busy(&self) -> bool {
        self.busy
            || matches!(
                self.list,
                Some(SyncList::Conflicts(None) | SyncList::Waiting { rows: None, .. })
            )
    }

    fn open(&mut self, list: SyncList, service: &ServiceHandle, toasts: &mut Toasts) {
        let command = match &list {
            SyncList::Conflicts(_) => SyncCommand::ListConflicts,
            SyncList::Waiting { parked, .. } => SyncCommand::ListWaiting { parked: *parked },
        };
        if send(service, toasts, command) {
            self.list = Some(list);
        }
    }

    fn decide(&mut self, command: SyncCommand, service: &ServiceHandle, toasts: &mut Toasts) {
        if send(service, toasts, command) {
            self.busy = true;
        }
    }

    /// Takes an answer of the service about the lists; a decision reads its list again.
    pub fn handle(&mut self, message: SyncMessage, service: &ServiceHandle, toasts: &mut Toasts) {
        match message {
            SyncMessage::Conflicts(result) => match result {
                Ok(rows) => self.list = Some(SyncList::Conflicts(Some(rows))),
                Err(why) => {
                    self.list = None;
                    toasts.add(
                        ToastKind::Error,
                        format!("The conflicts could not be read: {why}"),
                    );
                }
            },
            SyncMessage::Waiting { parked, result } => match result {
                Ok(rows) => {
                    self.list = Some(SyncList::Waiting {
                        parked,
                        rows: Some(rows),
                    });
                }
                Err(why) => {
                    self.list = None;
                    toasts.add(
                        ToastKind::Error,
                        format!("The changes not on the server could not be read: {why}"),
                    );
                }
            },
            SyncMessage::Decided(result) => {
                self.busy = false;
                match result {
                    Ok(()) => toasts.add(ToastKind::Success, "Done: the sync takes it from here."),
                    Err(why) => toasts.add(ToastKind::Error, format!("Not done: {why}")),
                }
                match &self.list {
                    Some(SyncList::Conflicts(_)) => {
                        self.open(SyncList::Conflicts(None), service, toasts);
                    }
                    Some(SyncList::Waiting { parked, .. }) => {
                        let list = SyncList::Waiting {
                            parked: *parked,
                            rows: None,
                        };
                        self.open(list, service, toasts);
                    }
                    None => {}
                }
            }
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count_text(n), if n == 1 { one } else { many })
}

/// "just now", "5 min ago", "3 h ago", or the date.
pub fn ago(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - time).num_seconds().max(0);
    match secs {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => time
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
    }
}

/// The status bar's words for the replica's state.
pub fn status_text(status: &SyncStatus, now: DateTime<Utc>) -> String {
    let when = status.last_sync.map(|t| ago(t, now));
    let synced = when
        .as_ref()
        .map_or_else(|| "never synced".to_owned(), |w| format!("synced {w}"));
    let last = when
        .as_ref()
        .map_or_else(|| "never synced".to_owned(), |w| format!("last synced {w}"));
    match &status.state {
        SyncState::Connecting => "Connecting to the server…".to_owned(),
        SyncState::Syncing if status.pending > 0 => {
            format!("Syncing {}", plural(status.pending, "change", "changes"))
        }
        SyncState::Syncing => "Syncing…".to_owned(),
        // Changes wait for a person (a conflict, a parked change): not "up to date".
        SyncState::UpToDate if status.pending + status.conflicts + status.parked > 0 => match &when
        {
            Some(w) => format!("Synced {w}"),
            None => "Never synced".to_owned(),
        },
        SyncState::UpToDate => format!("Up to date · {synced}"),
        SyncState::Offline(_) => format!("Offline · {last}"),
        SyncState::Paused => format!("Sync paused · {last}"),
        SyncState::SignInAgain(_) => "Sign in again to sync".to_owned(),
        SyncState::Failed(_) => format!("Sync failed · {last}"),
    }
}

/// The replica's part of the status bar: its state, what waits, and the buttons that open
/// the conflicts and the parked changes.
pub fn sync_status_ui(
    ui: &mut Ui,
    panel: &mut SyncPanel,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) {
    let Some(status) = panel.status.clone() else {
        return;
    };
    ui.separator();
    // Buttons first: the words after them change as the sync goes, the buttons stay put.
    if status.conflicts > 0
        && ui
            .button(plural(status.conflicts, "conflict", "conflicts"))
            .clicked()
    {
        panel.open(SyncList::Conflicts(None), service, toasts);
    }
    if status.parked > 0
        && ui
            .button(format!("{} parked", count_text(status.parked)))
            .clicked()
    {
        let list = SyncList::Waiting {
            parked: true,
            rows: None,
        };
        panel.open(list, service, toasts);
    }
    let paused = status.state == SyncState::Paused;
    let pause = if paused { "Resume sync" } else { "Pause sync" };
    if ui.button(pause).clicked() {
        send(service, toasts, SyncCommand::Pause(!paused));
    }
    if matches!(status.state, SyncState::Offline(_) | SyncState::Failed(_))
        && ui.button("Try now").clicked()
    {
        // Going on wakes the sync at once instead of after its backoff.
        send(service, toasts, SyncCommand::Pause(false));
    }
    let text = status_text(&status, Utc::now());
    let color = match status.state {
        SyncState::Offline(_) | SyncState::Failed(_) | SyncState::SignInAgain(_) => {
            style::error_color(ui.visuals())
        }
        _ => ui.visuals().text_color(),
    };
    let label = ui.label(RichText::new(text).color(color));
    match &status.state {
        SyncState::Offline(why) | SyncState::Failed(why) | SyncState::SignInAgain(why) => {
            label.on_hover_text(format!(
                "{why}. This desk works on; what you save here goes to the server when it is back."
            ));
        }
        _ => {}
    }
    if status.pending > 0
        && ui
            .button(format!("{} pending", count_text(status.pending)))
            .clicked()
    {
        let list = SyncList::Waiting {
            parked: false,
            rows: None,
        };
        panel.open(list, service, toasts);
    }
}

/// The first sync's progress over the grid (the grid works on what has arrived already).
pub fn first_sync_ui(
    ui: &mut Ui,
    panel: &SyncPanel,
    now: f64,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) {
    let Some((done, total)) = panel.status.as_ref().and_then(|s| s.pulling) else {
        return;
    };
    let left = panel.pull_began.and_then(|(began, at)| {
        let rate = done.saturating_sub(at) as f64 / (now - began).max(0.001);
        (rate > 0.0 && now - began > 1.0)
            .then(|| (total.saturating_sub(done) as f64 / rate).ceil() as u64)
    });
    let text = progress_text(done, total, left);
    ui.horizontal(|ui| {
        ui.label("Copying the server's customers to this desk");
        ui.add(
            egui::ProgressBar::new(done as f32 / total.max(1) as f32)
                .text(text)
                .desired_width(420.0),
        );
        if ui.button("Pause sync").clicked() {
            send(service, toasts, SyncCommand::Pause(true));
        }
    });
}

/// The words on the first sync's bar: how many customers are in, and how long the rest
/// will take (`left`, in seconds, once a rate is known).
fn progress_text(done: u64, total: u64, left: Option<u64>) -> String {
    let mut text = format!("{} of {} customers", count_text(done), count_text(total));
    if done >= total {
        // A large first sync builds the sort indexes once everything is in (a minute at
        // 1,000,000 customers on an old laptop): say so rather than "0 s left".
        text.push_str(", sorting them for the grid");
    } else if let Some(secs) = left {
        text.push_str(&match secs {
            0..90 => format!(", about {secs} s left"),
            _ => format!(", about {} min left", secs.div_ceil(60)),
        });
    }
    text
}

/// The open list of conflicts or parked changes, in a modal window; returns false once it is
/// closed. `may_discard`: the user holds every right (giving up a change is theirs).
pub fn sync_list_ui(
    ctx: &egui::Context,
    panel: &mut SyncPanel,
    may_discard: bool,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) -> bool {
    let Some(list) = panel.list.clone() else {
        return false;
    };
    let mut open = true;
    let mut command = None;
    let modal = egui::Modal::new(egui::Id::unique("sync-list")).show(ctx, |ui| {
        ui.set_width(680.0);
        // No scroll area: at most LIST_AT_ONCE rows are shown, the rest after those are
        // decided, so the window never needs scrolling to reach a button.
        ui.vertical(|ui| match &list {
            SyncList::Conflicts(rows) => {
                ui.heading("Conflicts");
                ui.label("The same field was changed here and on the server. Nothing is lost until you decide.");
                match rows {
                    None => {
                        ui.spinner();
                    }
                    Some(rows) if rows.is_empty() => {
                        ui.label("No conflicts left.");
                    }
                    Some(rows) => {
                        for conflict in rows.iter().take(LIST_AT_ONCE) {
                            match conflict_ui(ui, conflict, &mut panel.from_server) {
                                Some(ConflictAction::Decide(decided)) => command = Some(decided),
                                Some(ConflictAction::Edit) => {
                                    panel.open_customer = Some(conflict.id.clone());
                                    open = false;
                                }
                                None => {}
                            }
                        }
                        more_ui(ui, rows.len());
                    }
                }
            }
            SyncList::Waiting { parked: waits_for_a_person, rows } => {
                if *waits_for_a_person {
                    ui.heading("Parked changes");
                    ui.label("The server refused these changes. They wait here until someone decides.");
                } else {
                    ui.heading("Not yet on the server");
                    ui.label("Saved on this desk. They go to the server by themselves as soon as it answers.");
                }
                match rows {
                    None => {
                        ui.spinner();
                    }
                    Some(rows) if rows.is_empty() => {
                        ui.label("Nothing waits any more.");
                    }
                    Some(rows) => {
                        for parked in rows.iter().take(LIST_AT_ONCE) {
                            let confirming = panel.confirm_discard == Some(parked.seq);
                            match waiting_ui(ui, parked, may_discard, confirming) {
                                Some(WaitingAction::Open) => {
                                    panel.open_customer = Some(parked.customer_id.clone());
                                    open = false;
                                }
                                Some(WaitingAction::Send(c)) => {
                                    panel.confirm_discard = None;
                                    command = Some(c);
                                }
                                Some(WaitingAction::AskDiscard) => {
                                    panel.confirm_discard = Some(parked.seq);
                                }
                                Some(WaitingAction::KeepIt) => panel.confirm_discard = None,
                                None => {}
                            }
                        }
                        more_ui(ui, rows.len());
                    }
                }
            }
        });
        if ui.button("Close the list").clicked() {
            open = false;
        }
    });
    if let Some(command) = command {
        panel.decide(command, service, toasts);
    }
    if modal.should_close() || !open {
        panel.list = None;
        return false;
    }
    true
}

/// How many rows of a list are shown at once.
const LIST_AT_ONCE: usize = 5;

/// Says how many rows wait beyond those shown.
fn more_ui(ui: &mut Ui, rows: usize) {
    if rows > LIST_AT_ONCE {
        ui.label(
            RichText::new(format!(
                "{} more after these.",
                count_text((rows - LIST_AT_ONCE) as u64)
            ))
            .color(style::weak_color(ui.visuals())),
        );
    }
}

/// What a person does about a conflict.
enum ConflictAction {
    Decide(SyncCommand),
    /// Open the customer (this desk's version) to edit it before deciding.
    Edit,
}

/// One conflict: the customer, each clashing field with the value before, this desk's and
/// the server's (and, with several, a choice per field), and the ways to decide.
fn conflict_ui(
    ui: &mut Ui,
    conflict: &ConflictView,
    from_server: &mut std::collections::HashMap<(String, String), bool>,
) -> Option<ConflictAction> {
    let mut action = None;
    ui.separator();
    ui.strong(&conflict.customer);
    let seen = DateTime::parse_from_rfc3339(&conflict.detected)
        .map(|t| ago(t.with_timezone(&Utc), Utc::now()))
        .unwrap_or_default();
    let who = conflict.desk_user.as_deref().unwrap_or("this desk");
    ui.label(
        RichText::new(format!(
            "Changed on this desk by {who}; the clash was seen {seen}"
        ))
        .color(style::weak_color(ui.visuals())),
    );
    let deleted = conflict.fields.iter().any(|f| f.field == "deleted");
    let per_field = !deleted && conflict.fields.len() > 1;
    egui::Grid::new(("conflict", &conflict.id))
        .striped(true)
        .num_columns(if per_field { 5 } else { 4 })
        .show(ui, |ui| {
            for heading in ["Field", "Before", "This desk", "Server"] {
                ui.strong(heading);
            }
            if per_field {
                ui.strong("Keep");
            }
            ui.end_row();
            for clash in &conflict.fields {
                if clash.field == "deleted" {
                    ui.label("The customer");
                    ui.label("existed");
                    ui.label(deleted_or_kept(&clash.desk));
                    ui.label(deleted_or_kept(&clash.server));
                } else {
                    ui.label(&clash.field);
                    ui.label(value_text(&clash.base));
                    ui.label(value_text(&clash.desk));
                    ui.label(value_text(&clash.server));
                }
                if per_field {
                    let key = (conflict.id.clone(), clash.field.clone());
                    let server = from_server.entry(key).or_insert(false);
                    ui.horizontal(|ui| {
                        choice_ui(ui, server, false, "This desk", &clash.field);
                        choice_ui(ui, server, true, "Server", &clash.field);
                    });
                }
                ui.end_row();
            }
        });
    if !conflict.merged.is_empty() {
        egui::CollapsingHeader::new(format!(
            "{} merged by themselves",
            plural(conflict.merged.len() as u64, "field", "fields")
        ))
        .id_salt(("merged", &conflict.id))
        .show(ui, |ui| ui.label(conflict.merged.join(", ")));
    }
    let (desk, server) = if deleted {
        (
            "Keep this desk's (restore or delete as here)",
            "Keep the server's",
        )
    } else {
        ("Keep this desk's", "Keep the server's")
    };
    let decide = |take| {
        Some(ConflictAction::Decide(SyncCommand::Resolve {
            id: conflict.id.clone(),
            take,
        }))
    };
    ui.horizontal(|ui| {
        if ui
            .button(format!("{desk}: {}", conflict.customer))
            .clicked()
        {
            action = decide(Take::Desk);
        }
        if ui
            .button(format!("{server}: {}", conflict.customer))
            .clicked()
        {
            action = decide(Take::Server);
        }
        if per_field
            && ui
                .button(format!("Keep the values chosen: {}", conflict.customer))
                .clicked()
        {
            let fields = conflict
                .fields
                .iter()
                .filter(|f| from_server.get(&(conflict.id.clone(), f.field.clone())) == Some(&true))
                .map(|f| f.field.clone())
                .collect();
            action = Some(ConflictAction::Decide(SyncCommand::ResolveFields {
                id: conflict.id.clone(),
                from_server: fields,
            }));
        }
        if !deleted
            && ui
                .button(format!("Edit {} first", conflict.customer))
                .clicked()
        {
            action = Some(ConflictAction::Edit);
        }
    });
    action
}

/// One side of a field's choice, named for screen readers with the field it is for.
fn choice_ui(ui: &mut Ui, server: &mut bool, side: bool, text: &str, field: &str) {
    let selected = *server == side;
    let response = ui.radio(selected, text);
    let name = format!("{field}: {text}");
    response.widget_info(|| {
        egui::WidgetInfo::selected(egui::Role::RadioButton, true, selected, name.clone())
    });
    if response.clicked() {
        *server = side;
    }
}

fn deleted_or_kept(value: &serde_json::Value) -> &'static str {
    if value.as_bool() == Some(true) {
        "deleted"
    } else {
        "changed"
    }
}

/// A field's value as a person reads it: text without quotes, nothing as "(empty)".
fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "(empty)".to_owned(),
        serde_json::Value::String(s) if s.is_empty() => "(empty)".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The server's reason for refusing a change, in a person's words where it names a right.
fn plain_reason(parked: &WaitingChange, reason: &str) -> String {
    let right = reason
        .strip_prefix("you do not have the right ")
        .and_then(|name| name.trim().parse::<crate::model::Right>().ok());
    match right {
        Some(right) => format!(
            "The server refused it: {} may not {} there (the right {} is missing). Ask for \
             the right, then Retry.",
            parked.user_name,
            super::users::right_description(right).to_lowercase(),
            right.as_str()
        ),
        None => format!("The server refused it: {reason}"),
    }
}

enum WaitingAction {
    Open,
    Send(SyncCommand),
    /// Discard was clicked: ask first.
    AskDiscard,
    KeepIt,
}

/// One change not on the server: with the server's reason and what can be done about it
/// when it was refused (parked).
fn waiting_ui(
    ui: &mut Ui,
    parked: &WaitingChange,
    may_discard: bool,
    confirming: bool,
) -> Option<WaitingAction> {
    let mut action = None;
    ui.separator();
    ui.strong(format!("{}: {}", parked.customer, parked.what));
    if let Some(reason) = &parked.reason {
        ui.label(
            RichText::new(plain_reason(parked, reason)).color(style::error_color(ui.visuals())),
        );
    }
    if let Some(time) = parked.time {
        ui.label(
            RichText::new(format!(
                "by {}, {}",
                parked.user_name,
                ago(time, Utc::now())
            ))
            .color(style::weak_color(ui.visuals())),
        );
    }
    ui.horizontal(|ui| {
        if ui.button(format!("Open {}", parked.customer)).clicked() {
            action = Some(WaitingAction::Open);
        }
        let refused = parked.reason.is_some();
        if refused && ui.button(format!("Retry {}", parked.customer)).clicked() {
            action = Some(WaitingAction::Send(SyncCommand::RetryParked {
                seq: parked.seq,
            }));
        }
        if refused
            && may_discard
            && !confirming
            && ui.button(format!("Discard {}", parked.customer)).clicked()
        {
            action = Some(WaitingAction::AskDiscard);
        }
    });
    if confirming {
        ui.label("Give this change up? The customer becomes the server's version again.");
        ui.horizontal(|ui| {
            if ui.button("Discard the change").clicked() {
                action = Some(WaitingAction::Send(SyncCommand::DiscardParked {
                    seq: parked.seq,
                }));
            }
            if ui.button("Keep it").clicked() {
                action = Some(WaitingAction::KeepIt);
            }
        });
    }
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: SyncState, pending: u64, minutes_ago: Option<i64>) -> SyncStatus {
        let now = fixed_now();
        SyncStatus {
            state,
            pending,
            conflicts: 0,
            parked: 0,
            last_sync: minutes_ago.map(|m| now - chrono::Duration::minutes(m)),
            pending_ids: Vec::new(),
            pulling: None,
        }
    }

    fn fixed_now() -> DateTime<Utc> {
        "2026-12-01T12:00:00Z".parse().expect("time")
    }

    #[test]
    fn the_first_sync_says_what_is_left_and_then_that_it_sorts() {
        assert_eq!(
            progress_text(412_000, 1_000_000, Some(40)),
            "412,000 of 1,000,000 customers, about 40 s left"
        );
        assert_eq!(
            progress_text(2_000, 1_000_000, Some(500)),
            "2,000 of 1,000,000 customers, about 9 min left"
        );
        assert_eq!(progress_text(0, 20_000, None), "0 of 20,000 customers");
        assert_eq!(
            progress_text(1_000_000, 1_000_000, Some(0)),
            "1,000,000 of 1,000,000 customers, sorting them for the grid"
        );
    }

    #[test]
    fn the_status_bar_says_where_the_replica_stands_in_words() {
        let now = fixed_now();
        let text = |s: &SyncStatus| status_text(s, now);
        assert_eq!(
            text(&status(SyncState::UpToDate, 0, Some(0))),
            "Up to date · synced just now"
        );
        assert_eq!(
            text(&status(SyncState::Offline("refused".into()), 1, Some(5))),
            "Offline · last synced 5 min ago"
        );
        assert_eq!(
            text(&status(SyncState::Syncing, 3, Some(1))),
            "Syncing 3 changes"
        );
        assert_eq!(
            text(&status(SyncState::UpToDate, 1, Some(120))),
            "Synced 2 h ago",
            "a change waiting for a person is not up to date"
        );
        assert_eq!(
            text(&status(SyncState::Offline("refused".into()), 0, None)),
            "Offline · never synced"
        );
    }
}
