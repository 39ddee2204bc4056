//! *Import…* and *Export…*: choosing the file, the import's preview (a dry run) that asks
//! before anything is written, a progress bar with Cancel while the service works, and a
//! toast with the result.

use super::money::count_text;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;

use egui::{RichText, Ui};

use super::files::{FilePicker, FileRequest};
use super::style;
use super::toasts::{ToastKind, Toasts};
use crate::ndata::ListParams;
use crate::service::{
    Format, ImportRequest, ImportSummary, ServiceHandle, TransferCommand, TransferError,
    TransferMessage,
};

/// The most refused rows the preview lists (the count says how many there are).
const SHOWN_REFUSALS: usize = 200;

/// What a file is being chosen for.
#[derive(Debug)]
pub enum Purpose {
    Import,
    Export { params: ListParams, format: Format },
}

/// Where an import or export is.
#[derive(Debug)]
pub enum Transfer {
    /// The export's choices: the current view or everything, and the format.
    ExportChoice {
        everything: bool,
        format: Format,
        /// The current view's parameters and how many it shows.
        view: ListParams,
        view_count: u64,
    },
    /// The file dialog is open.
    Picking {
        purpose: Purpose,
        answer: Receiver<Option<PathBuf>>,
    },
    /// The service reads the file (the preview), imports or exports.
    Working {
        what: String,
        done: u64,
        total: u64,
        cancel: Arc<AtomicBool>,
    },
    /// The preview, asking before the import writes.
    Confirm {
        path: PathBuf,
        summary: ImportSummary,
        skip_refused: bool,
    },
}

impl Transfer {
    /// Whether it waits for the dialog or the service (tests step until it does not).
    pub fn is_busy(&self) -> bool {
        matches!(self, Transfer::Picking { .. } | Transfer::Working { .. })
    }

    /// *Import…*: asks for the file.
    pub fn start_import(picker: &dyn FilePicker, ctx: &egui::Context) -> Self {
        Transfer::Picking {
            purpose: Purpose::Import,
            answer: picker.pick(FileRequest::Open, waker(ctx)),
        }
    }

    /// *Export…*: asks what to export first.
    pub fn start_export(view: ListParams, view_count: u64, narrowed: bool) -> Self {
        Transfer::ExportChoice {
            everything: !narrowed,
            format: Format::Csv,
            view,
            view_count,
        }
    }
}

fn waker(ctx: &egui::Context) -> Box<dyn Fn() + Send> {
    let ctx = ctx.clone();
    Box::new(move || ctx.request_repaint())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn working(what: String) -> (Transfer, Arc<AtomicBool>) {
    let cancel = Arc::new(AtomicBool::new(false));
    let state = Transfer::Working {
        what,
        done: 0,
        total: 0,
        cancel: cancel.clone(),
    };
    (state, cancel)
}

/// Runs before drawing: takes the dialog's answer and hands the file to the service.
pub fn transfer_logic(
    transfer: &mut Option<Transfer>,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) {
    let Some(Transfer::Picking { answer, .. }) = transfer else {
        return;
    };
    let picked = match answer.try_recv() {
        Ok(picked) => picked,
        Err(std::sync::mpsc::TryRecvError::Empty) => return,
        Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
    };
    let Some(Transfer::Picking { purpose, .. }) = transfer.take() else {
        return;
    };
    let Some(path) = picked else { return };
    let name = file_name(&path);
    let (state, command) = match purpose {
        Purpose::Import => {
            let (state, cancel) = working(format!("Reading {name}…"));
            let command = TransferCommand::Preview {
                path,
                request: ImportRequest::default(),
                cancel,
            };
            (state, command)
        }
        Purpose::Export { params, format } => {
            let (state, cancel) = working(format!("Exporting to {name}…"));
            let command = TransferCommand::Export {
                path,
                params,
                format,
                cancel,
            };
            (state, command)
        }
    };
    match service.send(command) {
        Ok(()) => *transfer = Some(state),
        Err(err) => toasts.add(ToastKind::Error, super::words::service_failure(&err)),
    }
}

/// Takes the service's answer; returns true when customers may have changed (the grid
/// reloads).
pub fn transfer_message(
    transfer: &mut Option<Transfer>,
    message: TransferMessage,
    toasts: &mut Toasts,
) -> bool {
    match message {
        TransferMessage::Progress { done, total } => {
            if let Some(Transfer::Working {
                done: d, total: t, ..
            }) = transfer
            {
                (*d, *t) = (done, total);
            }
            false
        }
        TransferMessage::Previewed { path, result } => {
            *transfer = None;
            match result {
                Ok(summary) => {
                    *transfer = Some(Transfer::Confirm {
                        path,
                        summary,
                        skip_refused: false,
                    })
                }
                Err(err) => failed(toasts, "Import", &path, &err),
            }
            false
        }
        TransferMessage::Imported { path, result } => {
            *transfer = None;
            match result {
                Ok(summary) if summary.report.written => {
                    let r = &summary.report;
                    let mut text = format!(
                        "Imported {}: {} created, {} updated, {} unchanged",
                        summary.file,
                        count_text(r.created),
                        count_text(r.updated),
                        count_text(r.unchanged)
                    );
                    if r.refused > 0 {
                        text.push_str(&format!(", {} refused rows skipped", count_text(r.refused)));
                    }
                    toasts.add(ToastKind::Success, text);
                    return true;
                }
                Ok(summary) => toasts.add(
                    ToastKind::Error,
                    format!(
                        "Nothing was imported: {} rows of {} were refused",
                        summary.report.refused, summary.file
                    ),
                ),
                Err(err) => failed(toasts, "Import", &path, &err),
            }
            false
        }
        TransferMessage::Exported { path, result } => {
            *transfer = None;
            match result {
                Ok(count) => toasts.add(
                    ToastKind::Success,
                    format!(
                        "Exported {} customers to {}",
                        count_text(count),
                        file_name(&path)
                    ),
                ),
                Err(err) => failed(toasts, "Export", &path, &err),
            }
            false
        }
    }
}

fn failed(toasts: &mut Toasts, what: &str, path: &Path, err: &TransferError) {
    let text = match err {
        TransferError::Cancelled => "Export cancelled; no file was written.".to_owned(),
        TransferError::Import(crate::api::ImportError::Cancelled) => {
            "Import cancelled; nothing was written.".to_owned()
        }
        other => format!("{what} of {} failed: {other}", file_name(path)),
    };
    let kind = if text.contains("cancelled") {
        ToastKind::Info
    } else {
        ToastKind::Error
    };
    toasts.add(kind, text);
}

/// Draws the open step (a modal), if any, and sends what the user decides.
pub fn transfer_ui(
    ui: &mut Ui,
    transfer: &mut Option<Transfer>,
    picker: &dyn FilePicker,
    service: &ServiceHandle,
    toasts: &mut Toasts,
) {
    let ctx = ui.ctx().clone();
    let Some(state) = transfer.as_mut() else {
        return;
    };
    let mut next: Option<Option<Transfer>> = None;
    let id = egui::Id::unique("transfer-dialog");
    match state {
        Transfer::Picking { .. } => {}
        Transfer::ExportChoice {
            everything,
            format,
            view,
            view_count,
        } => {
            egui::Modal::new(id).show(&ctx, |ui| {
                ui.set_max_width(420.0);
                ui.heading("Export customers");
                ui.radio_value(
                    everything,
                    false,
                    format!(
                        "The current search and filters ({} customers)",
                        count_text(*view_count)
                    ),
                );
                ui.radio_value(everything, true, "Every customer");
                ui.horizontal(|ui| {
                    ui.label("Format");
                    ui.radio_value(format, Format::Csv, "CSV");
                    ui.radio_value(format, Format::Jsonl, "JSON Lines");
                });
                ui.horizontal(|ui| {
                    if ui.button("Choose file…").clicked() {
                        let params = if *everything {
                            ListParams::new()
                        } else {
                            view.clone()
                        };
                        let file_name = match format {
                            Format::Csv => "customers.csv",
                            Format::Jsonl => "customers.jsonl",
                        };
                        let answer = picker.pick(
                            FileRequest::Save {
                                file_name: file_name.to_owned(),
                            },
                            waker(&ctx),
                        );
                        next = Some(Some(Transfer::Picking {
                            purpose: Purpose::Export {
                                params,
                                format: *format,
                            },
                            answer,
                        }));
                    }
                    if ui.button("Cancel").clicked() {
                        next = Some(None);
                    }
                });
            });
        }
        Transfer::Working {
            what,
            done,
            total,
            cancel,
        } => {
            egui::Modal::new(id).show(&ctx, |ui| {
                ui.set_min_width(360.0);
                ui.label(what.as_str());
                let fraction = if *total == 0 {
                    0.0
                } else {
                    *done as f32 / *total as f32
                };
                ui.add(egui::ProgressBar::new(fraction).show_percentage());
                let stopping = cancel.load(Ordering::Relaxed);
                if ui
                    .add_enabled(!stopping, egui::Button::new("Cancel"))
                    .clicked()
                {
                    cancel.store(true, Ordering::Relaxed);
                }
            });
        }
        Transfer::Confirm {
            path,
            summary,
            skip_refused,
        } => {
            egui::Modal::new(id).show(&ctx, |ui| {
                ui.set_max_width(520.0);
                if let Some(decision) = preview_ui(ui, summary, skip_refused) {
                    next = Some(None);
                    if decision {
                        let (state, cancel) = working(format!("Importing {}…", summary.file));
                        let command = TransferCommand::Import {
                            path: path.clone(),
                            request: ImportRequest {
                                skip_refused: *skip_refused,
                                ..ImportRequest::default()
                            },
                            cancel,
                        };
                        match service.send(command) {
                            Ok(()) => next = Some(Some(state)),
                            Err(err) => {
                                toasts.add(ToastKind::Error, super::words::service_failure(&err))
                            }
                        }
                    }
                }
            });
        }
    }
    if let Some(next) = next {
        *transfer = next;
    }
}

/// The dry run's report; returns `Some(true)` to import, `Some(false)` to cancel.
fn preview_ui(ui: &mut Ui, summary: &ImportSummary, skip_refused: &mut bool) -> Option<bool> {
    let r = &summary.report;
    ui.heading(format!("Import {}?", summary.file));
    ui.label(format!(
        "{} rows: {} to create, {} to update, {} unchanged, {} refused",
        r.rows, r.created, r.updated, r.unchanged, r.refused
    ));
    if !summary.ignored_columns.is_empty() {
        ui.label(
            RichText::new(format!(
                "Ignored columns (not ours): {}",
                summary.ignored_columns.join(", ")
            ))
            .color(style::weak_color(ui.visuals())),
        );
    }
    if r.refused > 0 {
        ui.label(RichText::new("Refused rows:").color(style::error_color(ui.visuals())));
        egui::ScrollArea::vertical()
            .max_height(200.0)
            .show(ui, |ui| {
                for refusal in r.refusals.iter().take(SHOWN_REFUSALS) {
                    let text = match &refusal.member {
                        Some(member) => {
                            format!("Line {}, {member}: {}", refusal.line, refusal.message)
                        }
                        None => format!("Line {}: {}", refusal.line, refusal.message),
                    };
                    ui.label(text);
                }
                if r.refusals.len() > SHOWN_REFUSALS {
                    ui.label(format!("… and {} more", r.refusals.len() - SHOWN_REFUSALS));
                }
            });
        ui.checkbox(skip_refused, "Skip refused rows and import the others");
    }
    let writes = r.created + r.updated;
    let mut decision = None;
    ui.horizontal(|ui| {
        if writes == 0 {
            ui.label("Nothing to import.");
        } else {
            let allowed = r.refused == 0 || *skip_refused;
            let label = format!("Import {writes} customers");
            if ui.add_enabled(allowed, egui::Button::new(label)).clicked() {
                decision = Some(true);
            }
        }
        if ui.button("Cancel").clicked() {
            decision = Some(false);
        }
    });
    decision
}
