//! The look of the window: one setup function that the app and the tests both call, so the
//! tests see what users see. Colours come from here, never from drawing code.

use egui::{Color32, Context, ThemePreference, Visuals};

/// Sets fonts, spacing, theme and zoom. egui's bundled Ubuntu font covers the Latin
/// Extended-A letters of Slovak, Czech and Hungarian (č ď ľ ĺ ň ř ť ž ő ű), so no extra font
/// is loaded; `tests/ui/app.rs` draws them to prove it.
pub fn apply_style(ctx: &Context, theme: ThemePreference, zoom: f32) {
    ctx.set_theme(theme);
    ctx.set_zoom_factor(zoom);
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 5.0);
        style.spacing.button_padding = egui::vec2(8.0, 3.0);
        style.spacing.interact_size.y = 22.0;
        style.interaction.selectable_labels = false;
    });
}

/// Colour of text that reports a problem.
pub fn error_color(visuals: &Visuals) -> Color32 {
    visuals.error_fg_color
}

/// Colour of text that reports success.
pub fn success_color(visuals: &Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_rgb(120, 200, 120)
    } else {
        Color32::from_rgb(20, 120, 40)
    }
}

/// Colour of text that asks for attention without reporting a failure (not yet on the
/// server).
pub fn warn_color(visuals: &Visuals) -> Color32 {
    visuals.warn_fg_color
}

/// Colour of secondary text (counts, hints).
pub fn weak_color(visuals: &Visuals) -> Color32 {
    visuals.weak_text_color()
}

/// Background of a filter chip.
pub fn chip_fill(visuals: &Visuals) -> Color32 {
    visuals.selection.bg_fill.gamma_multiply(0.35)
}
