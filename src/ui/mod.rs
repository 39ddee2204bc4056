//! Everything that draws: the egui back-office window. The only module that knows egui.

pub mod editor;
