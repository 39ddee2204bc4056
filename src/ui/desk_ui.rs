//! Drawing the desk: toolbar, chips, filter panel, editor panel, grid, pager, status bar and
//! dialogs, plus the grid's keyboard. Everything here only draws and sends commands.

use egui::{Event, Key, RichText, ThemePreference, Ui};

use super::desk::{AfterDiscard, Desk, DeskOutcome, Dialog};
use super::filters;
use super::grid;
use super::settings::Settings;
use super::shortcuts;
use super::style;
use super::sync_view::{NOT_ON_SERVER, first_sync_ui, sync_list_ui, sync_status_ui};
use super::toasts::Toasts;
use super::transfer::{Transfer, transfer_ui};
use super::users::{UsersView, users_ui};
use crate::model::Right;
use crate::service::{CustomerCommand, ServiceHandle};

/// Draws the desk.
/// The narrowest window (in points) in which the editor opens beside the grid.
const EDITOR_BESIDE_MIN_WIDTH: f32 = 1100.0;

/// The banner over the desk saying what is wrong with the card just scanned.
fn card_warning_ui(ui: &mut Ui, desk: &mut Desk) {
    let Some(warning) = desk.card_warning.clone() else {
        return;
    };
    let visuals = ui.visuals().clone();
    egui::Frame::new()
        .fill(visuals.error_fg_color)
        .inner_margin(egui::Margin::symmetric(12, 8))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(&warning)
                        .strong()
                        .size(18.0)
                        .color(egui::Color32::WHITE),
                );
                if ui.button("Dismiss").clicked() {
                    desk.card_warning = None;
                }
            });
        });
}

pub fn desk_ui(
    ui: &mut Ui,
    desk: &mut Desk,
    settings: &mut Settings,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) -> Option<DeskOutcome> {
    let mut outcome = None;
    if desk.fresh {
        desk.fresh = false;
        ui.ctx().memory_mut(|m| m.stop_text_input());
    }
    let typing = ui.ctx().text_edit_focused();
    shortcut_keys(ui, desk);
    let closing = ui.input(|i| i.viewport().close_requested());
    if closing && desk.editor.as_ref().is_some_and(|e| e.is_dirty()) {
        // Closing the window must not lose a half-edited customer silently.
        ui.ctx()
            .send_viewport_cmd(egui::ViewportCommand::CancelClose);
        desk.dialog = Some(Dialog::ConfirmDiscard {
            then: AfterDiscard::Quit,
        });
    }

    egui::Panel::bottom("status-bar").show(ui, |ui| {
        match status_bar_ui(ui, desk, settings, service, toasts) {
            Some(StatusAction::SwitchUser) => match desk.sync.left_behind() {
                // Nothing is lost by signing out, but the person should know what waits.
                Some(left) => desk.dialog = Some(Dialog::ConfirmSignOut { left }),
                None => outcome = desk.leave_editor(AfterDiscard::SignOut),
            },
            Some(StatusAction::OpenUsers) => {
                desk.users = Some(UsersView::open(&desk.user.user_name, service, toasts));
            }
            None => {}
        }
    });
    egui::Panel::top("toolbar").show(ui, |ui| toolbar_ui(ui, desk, service, toasts));
    if desk.card_warning.is_some() {
        egui::Panel::top("card-warning").show(ui, |ui| card_warning_ui(ui, desk));
    }
    if desk
        .sync
        .status
        .as_ref()
        .is_some_and(|s| s.pulling.is_some())
    {
        let now = ui.input(|i| i.time);
        egui::Panel::top("first-sync")
            .show(ui, |ui| first_sync_ui(ui, &desk.sync, now, service, toasts));
    }
    if desk.show_filters {
        egui::Panel::left("filter-panel")
            .resizable(false)
            .show(ui, |ui| {
                if filters::filter_panel_ui(ui, &mut desk.query.filters) {
                    let now = ui.input(|i| i.time);
                    desk.fetch_soon(now);
                }
            });
    }
    // Below this width (the window opens 1,200 wide) the editor beside the grid would leave
    // it three columns: it opens over the grid instead, and closing it shows the grid again.
    let editor_over_grid = desk.editor.is_some() && ui.available_width() < EDITOR_BESIDE_MIN_WIDTH;
    if editor_over_grid {
        egui::CentralPanel::default().show(ui, |ui| {
            not_on_server_ui(ui, desk);
            let action = desk.editor.as_mut().and_then(|editor| editor.ui(ui));
            if let Some(action) = action {
                desk.editor_action(action, service, toasts);
            }
        });
    } else if desk.editor.is_some() {
        egui::Panel::right("editor-panel")
            .resizable(true)
            .default_size(460.0)
            .show(ui, |ui| {
                not_on_server_ui(ui, desk);
                // The editor scrolls its own sections.
                let action = desk.editor.as_mut().and_then(|editor| editor.ui(ui));
                if let Some(action) = action {
                    desk.editor_action(action, service, toasts);
                }
            });
    }
    if !editor_over_grid {
        grid_panels_ui(ui, desk);
        let modal_open = desk.dialog.is_some()
            || desk.transfer.is_some()
            || desk.users.is_some()
            || desk.sync.list.is_some();
        if !typing && !modal_open {
            grid_keys(ui, desk);
        }
    }
    desk.store_settings(settings);
    if let Some(then) = dialog_ui(ui, desk, service, toasts) {
        outcome = Some(then);
    }
    transfer_ui(
        ui,
        &mut desk.transfer,
        desk.picker.as_ref(),
        service,
        toasts,
    );
    if let Some(view) = desk.users.as_mut()
        && !users_ui(ui.ctx(), view, service, toasts)
    {
        desk.users = None;
    }
    if desk.sync.list.is_some() {
        let may_discard = desk.can(Right::Admin);
        sync_list_ui(ui.ctx(), &mut desk.sync, may_discard, service, toasts);
        if let Some(id) = desk.sync.open_customer.take() {
            desk.open_by_id(service, toasts, id);
        }
    }
    outcome
}

/// Over the editor: the customer has changes this desk holds and the server does not yet.
fn not_on_server_ui(ui: &mut Ui, desk: &Desk) {
    let pending = desk
        .editor
        .as_ref()
        .and_then(|e| e.customer_id())
        .is_some_and(|id| desk.sync.is_pending(id));
    if pending {
        ui.label(
            RichText::new(NOT_ON_SERVER)
                .strong()
                .color(style::warn_color(ui.visuals())),
        )
        .on_hover_text(
            "It goes to the server as soon as the server answers. A balance with credit \
                 adjustments not yet confirmed by the server may still change.",
        );
    }
}

/// The pager and the grid.
fn grid_panels_ui(ui: &mut Ui, desk: &mut Desk) {
    egui::Panel::bottom("pager").show(ui, |ui| {
        if grid::pager_ui(ui, &desk.page, &mut desk.query, &mut desk.jump_text) {
            desk.page.start_fresh();
            desk.fetch_now();
        }
    });
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(err) = &desk.list_error {
            ui.label(RichText::new(err).color(style::error_color(ui.visuals())));
        } else if desk.page.rows.is_empty() && !desk.is_busy() {
            let text = if desk.query.is_narrowed() {
                "No customer matches."
            } else {
                "No customers yet."
            };
            ui.label(RichText::new(text).color(style::weak_color(ui.visuals())));
        }
        let out = grid::table_ui(ui, &mut desk.page, &mut desk.query, desk.sync.pending());
        if out.query_changed {
            desk.page.start_fresh();
            desk.fetch_now();
        }
        if let Some(index) = out.open.and_then(|i| desk.page.customer(i).cloned()) {
            desk.open_customer(index);
        }
    });
}

/// Shortcuts that work wherever the focus is.
fn shortcut_keys(ui: &mut Ui, desk: &mut Desk) {
    let ctx = ui.ctx().clone();
    let (search, scan, new, refresh) = ctx.input_mut(|i| {
        (
            i.consume_shortcut(&shortcuts::FOCUS_SEARCH.chord),
            i.consume_shortcut(&shortcuts::SCAN_CARD.chord),
            i.consume_shortcut(&shortcuts::NEW_CUSTOMER.chord),
            i.consume_shortcut(&shortcuts::REFRESH.chord),
        )
    });
    if refresh {
        desk.refresh_now();
    }
    if let (true, Some(id)) = (search, desk.search_id) {
        ctx.memory_mut(|m| m.request_focus(id));
    }
    if let (true, Some(id)) = (scan || desk.refocus_scan, desk.scan_id) {
        ctx.memory_mut(|m| m.request_focus(id));
        desk.refocus_scan = false;
    }
    if new && desk.dialog.is_none() && desk.transfer.is_none() {
        desk.new_customer();
    }
}

/// The grid's own keys, while no text field has the keyboard.
fn grid_keys(ui: &mut Ui, desk: &mut Desk) {
    let rows = desk.page.rows.len();
    let visible_rows = ((ui.ctx().content_rect().height() / 24.0) as usize)
        .saturating_sub(8)
        .max(1);
    let (moves, copy, enter, delete, select_all) = ui.input_mut(|i| {
        let shift = i.modifiers.shift;
        let mut moves = Vec::new();
        for (key, step) in [
            (Key::ArrowDown, 1i64),
            (Key::ArrowUp, -1),
            (Key::PageDown, visible_rows as i64),
            (Key::PageUp, -(visible_rows as i64)),
            (Key::Home, i64::MIN),
            (Key::End, i64::MAX),
        ] {
            if i.key_pressed(key) {
                moves.push((step, shift));
            }
        }
        let copy = i.events.iter().any(|e| matches!(e, Event::Copy));
        (
            moves,
            copy,
            i.key_pressed(Key::Enter),
            i.consume_shortcut(&shortcuts::DELETE_CUSTOMER.chord),
            i.consume_shortcut(&shortcuts::SELECT_ALL.chord),
        )
    });
    if !moves.is_empty() {
        // Arrows belong to the grid here, not to egui's move-focus-between-buttons.
        ui.ctx().memory_mut(|m| {
            if let Some(id) = m.focused() {
                m.surrender_focus(id);
            }
            m.move_focus(egui::FocusDirection::None);
        });
    }
    for (step, extend) in moves {
        let current = desk.page.cursor.map_or(-1, |c| c as i64);
        let target = match step {
            i64::MIN => 0,
            i64::MAX => rows as i64 - 1,
            step => current.saturating_add(step),
        };
        let last_page = desk.page.page_count(desk.query.page_size) - 1;
        if target >= rows as i64 && step > 1 && desk.query.page < last_page {
            desk.query.page += 1;
            desk.page.cursor_on_next_page = Some(0);
            desk.fetch_now();
        } else if target < 0 && step < -1 && desk.query.page > 0 {
            desk.query.page -= 1;
            desk.page.cursor_on_next_page = Some(usize::MAX);
            desk.fetch_now();
        } else if rows > 0 {
            desk.page
                .select(target.clamp(0, rows as i64 - 1) as usize, extend, false);
            desk.page.scroll_to_cursor = true;
            desk.page.center_cursor = step.abs() > 1;
        }
    }
    if select_all {
        desk.page.select_all();
    }
    if copy {
        copy_selection(ui, desk);
    }
    if enter && let Some(customer) = desk.page.current().cloned() {
        desk.open_customer(customer);
    }
    if delete {
        ask_delete_current(desk);
    }
}

fn copy_selection(ui: &Ui, desk: &Desk) {
    if let Some(tsv) = desk.page.selection_tsv() {
        ui.ctx().copy_text(tsv);
    }
}

fn ask_delete_current(desk: &mut Desk) {
    if let Some(customer) = desk.page.current() {
        let (id, name) = (customer.id.clone(), customer.display_name());
        desk.ask_delete(id, name);
    }
}

fn toolbar_ui(ui: &mut Ui, desk: &mut Desk, service: &ServiceHandle, toasts: &mut Toasts) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        let label = ui.label("Search");
        let search = ui
            .add(
                egui::TextEdit::singleline(&mut desk.query.search)
                    .hint_text("name, company, VAT id, note")
                    .desired_width(260.0),
            )
            .labelled_by(label.id);
        desk.search_id = Some(search.id);
        if search.changed() {
            let now = ui.input(|i| i.time);
            desk.fetch_soon(now);
        }
        let filters_text = if desk.show_filters {
            "Hide filters"
        } else {
            "Filters"
        };
        if ui.button(filters_text).clicked() {
            desk.show_filters = !desk.show_filters;
        }
        ui.separator();
        let label = ui.label("Scan card");
        let scan = ui
            .add(
                egui::TextEdit::singleline(&mut desk.scan_text)
                    .hint_text("scan or type")
                    .desired_width(140.0),
            )
            .labelled_by(label.id);
        desk.scan_id = Some(scan.id);
        if scan.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            desk.scan(service, toasts);
        }
        if let Some(message) = &desk.scan_message {
            ui.label(RichText::new(message).color(style::error_color(ui.visuals())));
        }
        ui.separator();
        if desk.can(Right::CustomerCreate) && ui.button("New customer").clicked() {
            desk.new_customer();
        }
        if desk.can(Right::CustomerDelete)
            && desk.page.current().is_some()
            && ui.button("Delete").clicked()
        {
            ask_delete_current(desk);
        }
        if desk.page.selected.iter().any(|s| *s) && ui.button("Copy rows").clicked() {
            copy_selection(ui, desk);
        }
        if desk.transfer.is_none() {
            ui.separator();
            if desk.can_import() && ui.button("Import…").clicked() {
                desk.transfer = Some(Transfer::start_import(desk.picker.as_ref(), ui.ctx()));
            }
            if desk.can_export() && ui.button("Export…").clicked() {
                desk.transfer = Some(Transfer::start_export(
                    desk.query.selection_params(),
                    desk.page.total,
                    desk.query.is_narrowed(),
                ));
            }
        }
        if desk.list_pending || desk.writes_pending > 0 {
            ui.add(egui::Spinner::new());
        }
    });
    if let Some(field) = chips_row_ui(ui, desk) {
        desk.query.filters.clear(field);
        let now = ui.input(|i| i.time);
        desk.fetch_soon(now);
    }
    ui.add_space(2.0);
}

fn chips_row_ui(ui: &mut Ui, desk: &Desk) -> Option<super::query::FilterField> {
    if desk.chips.is_empty() {
        return None;
    }
    ui.horizontal_wrapped(|ui| filters::chips_ui(ui, &desk.chips))
        .inner
}

/// What the status bar's buttons ask for.
enum StatusAction {
    SwitchUser,
    OpenUsers,
}

/// The status bar: who is signed in where, the replica's state, the user's buttons, theme
/// and zoom.
fn status_bar_ui(
    ui: &mut Ui,
    desk: &mut Desk,
    settings: &mut Settings,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) -> Option<StatusAction> {
    let mut action = None;
    // Wrapped: on a narrow window the sync's part goes to a second line rather than off screen.
    ui.horizontal_wrapped(|ui| {
        match &desk.server {
            Some(server) => ui.label(format!("Signed in as {} at {server}", desk.user.user_name)),
            None => ui.label(format!("Signed in as {}", desk.user.user_name)),
        };
        if ui.button("Switch user").clicked() {
            action = Some(StatusAction::SwitchUser);
        }
        if desk.can(Right::Admin) && desk.users.is_none() && ui.button("Users").clicked() {
            action = Some(StatusAction::OpenUsers);
        }
        ui.separator();
        let label = ui.label("Theme");
        let before = settings.theme;
        egui::ComboBox::from_id_salt("theme")
            .selected_text(theme_name(settings.theme))
            .show_ui(ui, |ui| {
                for theme in [
                    ThemePreference::Light,
                    ThemePreference::Dark,
                    ThemePreference::System,
                ] {
                    ui.selectable_value(&mut settings.theme, theme, theme_name(theme));
                }
            })
            .response
            .labelled_by(label.id);
        if before != settings.theme {
            ui.ctx().set_theme(settings.theme);
        }
        let label = ui.label("Zoom");
        let mut percent = (settings.zoom * 100.0).round() as u32;
        let changed = ui
            .add(
                egui::DragValue::new(&mut percent)
                    .range(50..=300)
                    .speed(1.0)
                    .suffix(" %"),
            )
            .labelled_by(label.id)
            .changed();
        if changed {
            settings.zoom = percent as f32 / 100.0;
            ui.ctx().set_zoom_factor(settings.zoom);
        }
        ui.separator();
        if ui.button("Keyboard shortcuts").clicked() {
            desk.dialog = Some(Dialog::Shortcuts);
        }
        // Last, so that its changing words never move the buttons before it.
        sync_status_ui(ui, &mut desk.sync, service, toasts);
    });
    action
}

fn theme_name(theme: ThemePreference) -> &'static str {
    match theme {
        ThemePreference::Light => "Light",
        ThemePreference::Dark => "Dark",
        ThemePreference::System => "Follow system",
    }
}

/// Draws the open dialog, if any.
fn dialog_ui(
    ui: &mut Ui,
    desk: &mut Desk,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) -> Option<DeskOutcome> {
    let ctx = ui.ctx().clone();
    let dialog = desk.dialog.clone()?;
    let mut close = false;
    let mut outcome = None;
    let modal = egui::Modal::new(egui::Id::unique("desk-dialog")).show(&ctx, |ui| {
        ui.set_max_width(420.0);
        match &dialog {
            Dialog::ConfirmDelete { id, name } => {
                ui.heading("Delete customer?");
                ui.label(format!("Delete {name}? This cannot be undone."));
                ui.horizontal(|ui| {
                    if ui.button(format!("Delete {name}")).clicked() {
                        desk.send(service, toasts, CustomerCommand::Delete { id: id.clone() });
                        close = true;
                    }
                    if ui.button("Keep").clicked() {
                        close = true;
                    }
                });
            }
            Dialog::ConfirmDiscard { then } => {
                ui.heading("Discard changes?");
                ui.label("The customer has unsaved changes.");
                ui.horizontal(|ui| {
                    if ui.button("Discard changes").clicked() {
                        close = true;
                        outcome = desk.after_discard(then.clone());
                    }
                    if ui.button("Keep editing").clicked() {
                        close = true;
                    }
                });
            }
            Dialog::ConfirmSignOut { left } => {
                ui.heading("Sign out with changes on this desk?");
                ui.label(format!(
                    "{left}. They stay on this desk and go to the server after {}'s next sign-in here.",
                    desk.user.user_name
                ));
                ui.horizontal(|ui| {
                    if ui.button("Sign out, keep them for later").clicked() {
                        close = true;
                        outcome = desk.leave_editor(AfterDiscard::SignOut);
                    }
                    if ui.button("Stay signed in").clicked() {
                        close = true;
                    }
                });
            }
            Dialog::Shortcuts => {
                ui.heading("Keyboard shortcuts");
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for (keys, what) in shortcuts::help_rows(ui.ctx()) {
                        ui.strong(keys);
                        ui.label(what);
                        ui.end_row();
                    }
                });
                if ui.button("Close").clicked() {
                    close = true;
                }
            }
        }
    });
    if close || modal.should_close() {
        // Only clear the dialog we drew: "Discard" may have opened another one.
        if desk
            .dialog
            .as_ref()
            .is_some_and(|d| std::mem::discriminant(d) == std::mem::discriminant(&dialog))
        {
            desk.dialog = None;
        }
    }
    outcome
}
