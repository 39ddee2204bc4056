//! The desk's service thread: it owns the store and, when a user signs in to a shop server,
//! the remote client, and answers the window's [`Command`]s with [`Message`]s over bounded
//! channels. The window never waits on it; every message sent wakes the window through the
//! [`Waker`] it gave.
//!
//! Nothing here draws or words a message for people: errors go back typed, and the window
//! says what they mean.

mod customers;
mod protocol;
mod replica;
mod session;
mod transfer;
mod users;

/// The replica's types the window shows.
pub use crate::sync::conflicts::{ConflictView, FieldClash, Take};
pub use crate::sync::desk::WaitingChange;
/// The file types the window shows, from the layer that reads and writes the files.
pub use crate::transfer::{Format, ImportRequest, ImportSummary, TransferError};
pub use protocol::{
    Command, CustomerCommand, CustomerMessage, Message, ServiceError, SessionCommand,
    SessionMessage, SyncCommand, SyncMessage, SyncState, SyncStatus, TransferCommand,
    TransferMessage, UsersCommand, UsersMessage,
};

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

/// How many commands may wait; [`ServiceHandle::send`] refuses a command beyond that.
const COMMAND_CAPACITY: usize = 64;
/// How many answers may wait for the window to drain them.
const MESSAGE_CAPACITY: usize = 256;

/// Wakes the window after a message was sent (the window passes `request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The window's end of the service: send commands without waiting, drain messages.
#[derive(Debug)]
pub struct ServiceHandle {
    commands: mpsc::Sender<Command>,
    messages: mpsc::Receiver<Message>,
}

impl ServiceHandle {
    /// Starts the service thread on the store at `db_path`; `wake` is called after every
    /// message.
    pub fn spawn(db_path: PathBuf, wake: Waker) -> Result<Self, ServiceError> {
        let (command_tx, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        let (message_tx, message_rx) = mpsc::channel(MESSAGE_CAPACITY);
        let outbox = Outbox {
            tx: message_tx,
            wake,
        };
        let not_started = |e: std::io::Error| ServiceError::NotStarted(e.to_string());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(not_started)?;
        std::thread::Builder::new()
            .name("customer-desk-service".into())
            .spawn(move || runtime.block_on(session::serve(db_path, command_rx, outbox)))
            .map_err(not_started)?;
        Ok(Self {
            commands: command_tx,
            messages: message_rx,
        })
    }

    /// Sends a command without blocking; fails when the service is gone or swamped.
    pub fn send(&self, command: impl Into<Command>) -> Result<(), ServiceError> {
        self.commands.try_send(command.into()).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ServiceError::Busy,
            mpsc::error::TrySendError::Closed(_) => ServiceError::Stopped,
        })
    }

    /// The next waiting message, if any.
    pub fn try_recv(&mut self) -> Option<Message> {
        self.messages.try_recv().ok()
    }
}

/// The service's end of the message channel: sending also wakes the window.
#[derive(Clone)]
struct Outbox {
    tx: mpsc::Sender<Message>,
    wake: Waker,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    async fn send(&self, message: impl Into<Message>) {
        // A closed channel means the window is gone; there is nobody left to tell.
        if self.tx.send(message.into()).await.is_ok() {
            (self.wake)();
        }
    }

    /// For progress reports from blocking code: dropped when the window lags behind.
    fn offer(&self, message: impl Into<Message>) {
        if self.tx.try_send(message.into()).is_ok() {
            (self.wake)();
        }
    }
}
