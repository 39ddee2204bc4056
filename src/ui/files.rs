//! Asking the user for a file: the system's dialog (rfd's asynchronous one, on a thread of
//! its own, so the window keeps drawing), or in tests a picker that answers with paths it
//! was given (kittest cannot click in a system dialog).

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};

/// What the dialog is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRequest {
    /// A file to import.
    Open,
    /// Where to export; the dialog proposes `file_name`.
    Save { file_name: String },
}

/// Wakes the window when the answer is there.
pub type Wake = Box<dyn Fn() + Send>;

/// Where the desk gets file paths from.
pub trait FilePicker: Send + Sync {
    /// Asks for a file. The answer arrives on the returned channel: the path, or `None` when
    /// the user closed the dialog; `wake` is called once it is sent.
    fn pick(&self, request: FileRequest, wake: Wake) -> Receiver<Option<PathBuf>>;
}

impl std::fmt::Debug for dyn FilePicker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FilePicker")
    }
}

/// The system's file dialogs.
#[derive(Debug, Default)]
pub struct SystemFilePicker;

impl FilePicker for SystemFilePicker {
    fn pick(&self, request: FileRequest, wake: Wake) -> Receiver<Option<PathBuf>> {
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let picked = run_dialog(request);
                let _ = tx.send(picked);
                wake();
            });
        if let Err(err) = spawned {
            tracing::error!("the file dialog could not start: {err}");
        }
        rx
    }
}

/// Shows the dialog and waits for it, on the calling thread.
fn run_dialog(request: FileRequest) -> Option<PathBuf> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("the file dialog could not start: {err}");
            return None;
        }
    };
    let dialog = rfd::AsyncFileDialog::new()
        .add_filter("Customers (CSV, JSON Lines)", &["csv", "jsonl", "ndjson"])
        .add_filter("CSV", &["csv"])
        .add_filter("JSON Lines", &["jsonl", "ndjson"]);
    let handle = match request {
        FileRequest::Open => runtime.block_on(dialog.set_title("Import customers").pick_file()),
        FileRequest::Save { file_name } => runtime.block_on(
            dialog
                .set_title("Export customers")
                .set_file_name(file_name)
                .save_file(),
        ),
    };
    handle.map(|h| h.path().to_owned())
}
