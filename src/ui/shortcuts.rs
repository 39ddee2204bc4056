//! Every keyboard shortcut of the window, in one place, so the help text and the handlers
//! cannot drift apart.

use egui::{Key, KeyboardShortcut, Modifiers};

/// Focus the search field.
pub const FOCUS_SEARCH: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
/// Focus the card scan field (a barcode reader then types the serial and Enter).
pub const SCAN_CARD: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);
/// Create a new customer.
pub const NEW_CUSTOMER: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
/// Delete the selected customer (asks first).
pub const DELETE_CUSTOMER: KeyboardShortcut = KeyboardShortcut::new(Modifiers::NONE, Key::Delete);
/// Select every row of the page.
pub const SELECT_ALL: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::A);
/// Zoom in, out and back to 100 %.
pub const ZOOM_IN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Plus);
pub const ZOOM_OUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Minus);
pub const ZOOM_RESET: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Num0);

/// The shortcuts shown in the help menu and the README, with what they do. Keys that are
/// not chords (arrows, Enter, Esc, Ctrl+C, which egui delivers as a copy event) are listed
/// as text.
pub fn help_rows(ctx: &egui::Context) -> Vec<(String, &'static str)> {
    let mut rows: Vec<(String, &'static str)> = [
        (FOCUS_SEARCH, "Search"),
        (SCAN_CARD, "Scan or type a card number"),
        (NEW_CUSTOMER, "New customer"),
        (DELETE_CUSTOMER, "Delete the selected customer"),
        (SELECT_ALL, "Select every row on the page"),
        (ZOOM_IN, "Zoom in"),
        (ZOOM_OUT, "Zoom out"),
        (ZOOM_RESET, "Zoom 100 %"),
    ]
    .into_iter()
    .map(|(shortcut, what)| (ctx.format_shortcut(&shortcut), what))
    .collect();
    rows.extend([
        (
            "Up / Down".to_owned(),
            "Move in the grid (Shift extends the selection)",
        ),
        (
            "Page Up / Page Down".to_owned(),
            "Move a screen; past the end, to the next page",
        ),
        ("Home / End".to_owned(), "First / last row of the page"),
        ("Enter".to_owned(), "Open the selected customer"),
        (
            "Ctrl+C".to_owned(),
            "Copy the selected rows as tab-separated text",
        ),
        (
            "Esc".to_owned(),
            "Close the editor (asks when there are unsaved changes)",
        ),
    ]);
    rows
}
