//! Every keyboard shortcut of the window, in one table: the handlers consume these, the
//! buttons show them, and the help dialog walks [`ALL`], so they cannot drift apart.

use egui::{Key, KeyboardShortcut, Modifiers};

/// A key chord and what it does, in the words of the help dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortcut {
    pub chord: KeyboardShortcut,
    pub does: &'static str,
}

const fn shortcut(modifiers: Modifiers, key: Key, does: &'static str) -> Shortcut {
    Shortcut {
        chord: KeyboardShortcut::new(modifiers, key),
        does,
    }
}

/// Focus the search field.
pub const FOCUS_SEARCH: Shortcut = shortcut(Modifiers::COMMAND, Key::F, "Search");
/// Focus the card scan field (a barcode reader then types the serial and Enter).
pub const SCAN_CARD: Shortcut = shortcut(Modifiers::COMMAND, Key::K, "Scan or type a card number");
/// Create a new customer.
pub const NEW_CUSTOMER: Shortcut = shortcut(Modifiers::COMMAND, Key::N, "New customer");
/// Save the customer in the editor.
pub const SAVE: Shortcut = shortcut(Modifiers::COMMAND, Key::S, "Save the open customer");
/// Close the editor.
pub const CLOSE_EDITOR: Shortcut = shortcut(
    Modifiers::NONE,
    Key::Escape,
    "Close the editor (asks when there are unsaved changes)",
);
/// Delete the selected customer (asks first).
pub const DELETE_CUSTOMER: Shortcut =
    shortcut(Modifiers::NONE, Key::Delete, "Delete the selected customer");
/// Select every row of the page.
pub const SELECT_ALL: Shortcut =
    shortcut(Modifiers::COMMAND, Key::A, "Select every row on the page");
/// Read the page (and the open customer) again now, instead of at the next refresh.
pub const REFRESH: Shortcut = shortcut(
    Modifiers::NONE,
    Key::F5,
    "Refresh the grid now (it also refreshes itself every few seconds)",
);
/// Zoom in, out and back to 100 %.
pub const ZOOM_IN: Shortcut = shortcut(Modifiers::COMMAND, Key::Plus, "Zoom in");
pub const ZOOM_OUT: Shortcut = shortcut(Modifiers::COMMAND, Key::Minus, "Zoom out");
pub const ZOOM_RESET: Shortcut = shortcut(Modifiers::COMMAND, Key::Num0, "Zoom 100 %");

/// Every chord, in the order the help lists them.
pub const ALL: &[Shortcut] = &[
    FOCUS_SEARCH,
    SCAN_CARD,
    NEW_CUSTOMER,
    SAVE,
    DELETE_CUSTOMER,
    SELECT_ALL,
    REFRESH,
    CLOSE_EDITOR,
    ZOOM_IN,
    ZOOM_OUT,
    ZOOM_RESET,
];

/// Keys that are not chords of their own (arrows, Enter, and Ctrl+C, which egui delivers as
/// a copy event), as the help lists them.
pub const KEYS: &[(&str, &str)] = &[
    (
        "Up / Down",
        "Move in the grid (Shift extends the selection)",
    ),
    (
        "Page Up / Page Down",
        "Move a screen; past the end, to the next page",
    ),
    ("Home / End", "First / last row of the page"),
    ("Enter", "Open the selected customer"),
    ("Ctrl+C", "Copy the selected rows as tab-separated text"),
];

/// The rows of the help dialog: every chord of [`ALL`] as this platform writes it, then
/// [`KEYS`].
pub fn help_rows(ctx: &egui::Context) -> Vec<(String, &'static str)> {
    ALL.iter()
        .map(|s| (ctx.format_shortcut(&s.chord), s.does))
        .chain(KEYS.iter().map(|&(keys, does)| (keys.to_owned(), does)))
        .collect()
}

/// Takes from `events` what follows the first Tab (or Shift+Tab) pressed, to be given in
/// the next frame. egui moves the focus at the end of the frame that saw the Tab, so in one
/// batch "Tab, e, v, a" (fast typing, a password manager, a barcode reader with a Tab
/// suffix) would type "eva" into the field being left.
pub fn hold_after_focus_move(events: &mut Vec<egui::Event>) -> Vec<egui::Event> {
    let tab = events.iter().position(|e| {
        matches!(
            e,
            egui::Event::Key {
                key: Key::Tab,
                pressed: true,
                modifiers,
                ..
            } if !modifiers.command && !modifiers.alt
        )
    });
    match tab {
        Some(at) if at + 1 < events.len() => events.split_off(at + 1),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shortcut defined here but left out of [`ALL`] would work and be missing from the
    /// help: every `Shortcut` constant of this file must be in the table.
    #[test]
    fn every_shortcut_is_in_the_help() {
        let source = include_str!("shortcuts.rs");
        let defined: Vec<&str> = source
            .lines()
            .filter_map(|line| line.strip_prefix("pub const "))
            .filter_map(|rest| rest.split_once(": Shortcut"))
            .map(|(name, _)| name)
            .collect();
        assert!(defined.len() >= 10, "found only {defined:?}");
        let table = source
            .split_once("pub const ALL: &[Shortcut] = &[")
            .and_then(|(_, rest)| rest.split_once("];"))
            .map(|(table, _)| table)
            .expect("the table");
        for name in &defined {
            assert!(
                table.split(',').any(|entry| entry.trim() == *name),
                "{name} is not in ALL"
            );
        }
        assert_eq!(ALL.len(), defined.len());
        let ctx = egui::Context::default();
        let rows = help_rows(&ctx);
        assert!(
            rows.iter()
                .any(|(keys, does)| keys == "Ctrl+S" && *does == SAVE.does)
        );
        assert_eq!(rows.len(), ALL.len() + KEYS.len());
    }

    /// The README's table lists every shortcut the help dialog shows.
    #[test]
    fn the_readme_lists_every_shortcut() {
        let readme = include_str!("../../README.md");
        let listed: Vec<&str> = readme
            .lines()
            .filter_map(|line| line.strip_prefix('|'))
            .filter_map(|row| row.split('|').next())
            .map(str::trim)
            .collect();
        let ctx = egui::Context::default();
        for (keys, _) in help_rows(&ctx) {
            let written = keys.replace("Escape", "Esc");
            assert!(
                listed
                    .iter()
                    .any(|cell| *cell == written || cell.split(" / ").any(|k| k == written)),
                "the README's shortcut table does not list {keys}"
            );
        }
    }
}
