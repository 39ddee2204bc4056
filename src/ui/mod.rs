//! Everything that draws: the egui back-office window. The only module that knows egui.
//!
//! The window ([`app::App`]) only draws and sends [`crate::service::Command`]s; the service
//! thread owns the store and answers with [`crate::service::Message`]s, which the window
//! words for people ([`words`]).

mod app;
mod card_warning;
mod desk;
mod desk_ui;
pub mod editor;
pub mod files;
mod filters;
mod grid;
mod money;
mod query;
mod settings;
pub mod shortcuts;
mod sign_in;
pub mod style;
mod sync_view;
mod toasts;
mod transfer;
mod users;
mod words;

use std::path::PathBuf;
use std::sync::Arc;

pub use app::App;
pub use desk::SEARCH_DEBOUNCE_SECS;

/// The window's title, also what the screenshot script looks for.
pub const WINDOW_TITLE: &str = "Customer Desk";

const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// Opens the window on the store at `db_path` and runs until it is closed.
pub fn run(db_path: PathBuf) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(WINDOW_TITLE)
        .with_app_id("customer-desk")
        .with_inner_size([1200.0, 760.0])
        .with_min_inner_size([720.0, 480.0]);
    match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport = viewport.with_icon(Arc::new(icon)),
        Err(err) => tracing::warn!("the window icon could not be read: {err}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        WINDOW_TITLE,
        options,
        Box::new(move |cc| Ok(Box::new(App::new(cc, db_path)))),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))
}
