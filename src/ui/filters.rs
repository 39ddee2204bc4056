//! The filter panel (one field per filter member of the contract) and the chips that show
//! the active filters and clear them one by one.

use egui::{RichText, Ui};

use super::query::{Chip, FilterField, Filters, TriState};
use super::style;

/// Draws the filter panel; returns true when a filter changed.
pub fn filter_panel_ui(ui: &mut Ui, filters: &mut Filters) -> bool {
    let mut changed = false;
    ui.heading("Filters");
    egui::Grid::new("filters")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            changed |= text_row_ui(ui, "Card serial", "contains", &mut filters.card_serial);
            changed |= text_row_ui(ui, "External id", "contains", &mut filters.external_id);
            changed |= text_row_ui(
                ui,
                "Credit rate from",
                "e.g. 1.5",
                &mut filters.credit_rate_min,
            );
            changed |= text_row_ui(ui, "Credit rate to", "", &mut filters.credit_rate_max);
            changed |= text_row_ui(
                ui,
                "Credit balance from",
                "e.g. 10,00",
                &mut filters.credit_min,
            );
            changed |= text_row_ui(ui, "Credit balance to", "", &mut filters.credit_max);
            changed |= text_row_ui(
                ui,
                "Discount rate from",
                "percent",
                &mut filters.discount_rate_min,
            );
            changed |= text_row_ui(
                ui,
                "Discount rate to",
                "percent",
                &mut filters.discount_rate_max,
            );
            changed |= text_row_ui(
                ui,
                "Expires from",
                "YYYY-MM-DD",
                &mut filters.expiration_from,
            );
            changed |= text_row_ui(
                ui,
                "Expires until",
                "YYYY-MM-DD",
                &mut filters.expiration_to,
            );
            changed |= tri_row_ui(
                ui,
                "Active",
                ["Any", "Active", "Blocked"],
                &mut filters.active,
            );
            changed |= tri_row_ui(
                ui,
                "Expired",
                ["Any", "Expired", "Not expired"],
                &mut filters.expired,
            );
        });
    if *filters != Filters::default() && ui.button("Clear all filters").clicked() {
        *filters = Filters::default();
        changed = true;
    }
    changed
}

fn text_row_ui(ui: &mut Ui, caption: &str, hint: &str, value: &mut String) -> bool {
    let label = ui.label(caption);
    let changed = ui
        .add(
            egui::TextEdit::singleline(value)
                .hint_text(hint)
                .desired_width(140.0),
        )
        .labelled_by(label.id)
        .changed();
    ui.end_row();
    changed
}

fn tri_row_ui(ui: &mut Ui, caption: &str, names: [&str; 3], value: &mut TriState) -> bool {
    let label = ui.label(caption);
    let before = *value;
    let selected = match value {
        TriState::Any => names[0],
        TriState::Yes => names[1],
        TriState::No => names[2],
    };
    egui::ComboBox::from_id_salt(caption)
        .selected_text(selected)
        .show_ui(ui, |ui| {
            for (state, name) in [TriState::Any, TriState::Yes, TriState::No]
                .into_iter()
                .zip(names)
            {
                ui.selectable_value(value, state, name);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    before != *value
}

/// Draws a chip for each active filter; returns the field whose chip was cleared.
pub fn chips_ui(ui: &mut Ui, chips: &[Chip]) -> Option<FilterField> {
    let mut cleared = None;
    for chip in chips {
        egui::Frame::new()
            .fill(style::chip_fill(ui.visuals()))
            .corner_radius(10.0)
            .inner_margin(egui::Margin::symmetric(8, 2))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&chip.label).small());
                    let clear = ui
                        .add(egui::Button::new("×").frame(false).small())
                        .accessible_name(format!("Clear filter {}", chip.label))
                        .on_hover_text("Clear this filter");
                    if clear.clicked() {
                        cleared = Some(chip.field);
                    }
                });
            });
    }
    cleared
}
