//! The window↔service protocol: what the window asks ([`Command`]) and what the service
//! answers ([`Message`]). Each is split by concern, and every match on them is exhaustive,
//! so a new command or message that one side does not handle is a compile error.
//!
//! Errors travel typed ([`ApiError`], [`ServiceError`]); the window words them.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::Value;

use crate::api::{ApiError, NewUser, UserChange, UserSummary};
use crate::model::{Customer, QueryResult, UserInfo};
use crate::ndata::ListParams;
use crate::sync::conflicts::{ConflictView, Take};
use crate::sync::desk::WaitingChange;
use crate::transfer::{ImportRequest, ImportSummary, TransferError};

/// What the window asks the service to do.
#[derive(Debug)]
pub enum Command {
    /// Opening the store, signing in and out, demo data.
    Session(SessionCommand),
    /// A call of the Customers API as the signed-in user.
    Customers(CustomerCommand),
    /// Importing or exporting a file, on this computer's store.
    Transfer(TransferCommand),
    /// Managing users, wherever the signed-in user works (needs every right).
    Users(UsersCommand),
    /// The replica of a desk signed in to a shop server: conflicts and parked changes.
    Sync(SyncCommand),
}

/// What a person decides about the replica's changes the server did not take as they were.
#[derive(Debug)]
pub enum SyncCommand {
    /// Pause the sync (`true`) or go on (`false`); the desk works on its replica either way.
    Pause(bool),
    ListConflicts,
    /// Take one side of a conflict for every clashing field.
    Resolve {
        id: String,
        take: Take,
    },
    /// Take the server's value for the fields named, this desk's for the others.
    ResolveFields {
        id: String,
        from_server: Vec<String>,
    },
    /// The changes not on the server: the parked ones (`true`), or those waiting to go.
    ListWaiting {
        parked: bool,
    },
    RetryParked {
        seq: i64,
    },
    DiscardParked {
        seq: i64,
    },
}

impl From<SyncCommand> for Command {
    fn from(command: SyncCommand) -> Self {
        Command::Sync(command)
    }
}

/// Where a desk's replica stands with its server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    /// Signed in; the first exchange with the server has not ended yet.
    Connecting,
    /// Changes are being exchanged.
    Syncing,
    UpToDate,
    /// The server cannot be reached (why); the desk works on and tries again.
    Offline(String),
    Paused,
    /// The server ended the session: the desk works on, and syncs again after a sign-in.
    SignInAgain(String),
    /// The replica itself failed (why); tried again later.
    Failed(String),
}

/// The replica's state for the status bar, sent whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    pub state: SyncState,
    /// Local changes waiting to go to the server.
    pub pending: u64,
    pub conflicts: u64,
    pub parked: u64,
    pub last_sync: Option<chrono::DateTime<chrono::Utc>>,
    /// The customers with changes not on the server yet (the first thousand), to mark them.
    pub pending_ids: Vec<String>,
    /// A pull of many changes under way (the first sync): `(applied, total)`.
    pub pulling: Option<(u64, u64)>,
}

/// Answers to [`SyncCommand`]s.
#[derive(Debug)]
pub enum SyncMessage {
    Conflicts(Result<Vec<ConflictView>, String>),
    Waiting {
        parked: bool,
        result: Result<Vec<WaitingChange>, String>,
    },
    /// A decision was carried out (or why not).
    Decided(Result<(), String>),
}

impl From<SyncMessage> for Message {
    fn from(message: SyncMessage) -> Self {
        Message::Sync(message)
    }
}

/// The *Users* view's calls, on this computer's store or at the shop server.
#[derive(Debug)]
pub enum UsersCommand {
    List,
    Create(NewUser),
    Change {
        user_name: String,
        change: UserChange,
    },
    Delete {
        user_name: String,
    },
}

impl From<UsersCommand> for Command {
    fn from(command: UsersCommand) -> Self {
        Command::Users(command)
    }
}

/// Answers to [`UsersCommand`]s.
#[derive(Debug)]
pub enum UsersMessage {
    Listed(Result<Vec<UserSummary>, ApiError>),
    /// A user was added (`created`) or changed.
    Saved {
        created: bool,
        result: Result<UserSummary, ApiError>,
    },
    Deleted(Result<UserSummary, ApiError>),
}

impl From<UsersMessage> for Message {
    fn from(message: UsersMessage) -> Self {
        Message::Users(message)
    }
}

/// Imports and exports of files. Each runs on the store as the signed-in user, reports
/// [`TransferMessage::Progress`] as it goes, and stops (an import undone, an export's file
/// not written) once its `cancel` is set.
#[derive(Debug)]
pub enum TransferCommand {
    /// Read the file and say what importing it would do (a dry run: nothing is written).
    Preview {
        path: PathBuf,
        request: ImportRequest,
        cancel: Arc<AtomicBool>,
    },
    /// Import the file, in one transaction.
    Import {
        path: PathBuf,
        request: ImportRequest,
        cancel: Arc<AtomicBool>,
    },
    /// Write the customers `params` selects (search, filters, sort) to the file.
    Export {
        path: PathBuf,
        params: ListParams,
        format: crate::transfer::Format,
        cancel: Arc<AtomicBool>,
    },
}

impl From<TransferCommand> for Command {
    fn from(command: TransferCommand) -> Self {
        Command::Transfer(command)
    }
}

/// Answers to [`TransferCommand`]s.
#[derive(Debug)]
pub enum TransferMessage {
    /// How far the import (bytes of the file) or export (customers) is.
    Progress { done: u64, total: u64 },
    Previewed {
        path: PathBuf,
        result: Result<ImportSummary, TransferError>,
    },
    Imported {
        path: PathBuf,
        result: Result<ImportSummary, TransferError>,
    },
    /// How many customers were written, or why none were.
    Exported {
        path: PathBuf,
        result: Result<u64, TransferError>,
    },
}

impl From<TransferMessage> for Message {
    fn from(message: TransferMessage) -> Self {
        Message::Transfer(message)
    }
}

/// The commands that need nobody signed in, or change who is.
#[derive(Debug)]
pub enum SessionCommand {
    /// Open the store and report whether it has users yet.
    Start,
    /// First start: create the owner account (holding `admin`) and sign in as it.
    CreateOwner {
        user_name: String,
        password: String,
    },
    /// Sign in on this computer's store, or at the shop server `server` (an address such as
    /// `http://192.168.1.10:8080`).
    SignIn {
        user_name: String,
        password: String,
        server: Option<String>,
    },
    SignOut,
    /// Read the signed-in user again now (F5), as the service does every minute.
    CheckUser,
    /// Fill the store with `count` demo customers; `cancel` stops it between batches.
    LoadDemo {
        count: u64,
        cancel: Arc<AtomicBool>,
    },
}

/// The Customers API calls of the signed-in user.
#[derive(Debug)]
pub enum CustomerCommand {
    /// One page of the grid; `request` lets the window drop answers it no longer wants.
    /// `fallback`: asked instead when `params` match no customer at all (the search box's
    /// phone number that is no customer's phone: its names, tax ids and notes are searched).
    List {
        request: u64,
        params: ListParams,
        fallback: Option<ListParams>,
    },
    /// A scanned or typed card serial number.
    FindCard {
        serial: String,
    },
    /// Create (`id` is `None`) or update a customer.
    Save {
        id: Option<String>,
        body: Value,
    },
    AdjustCredit {
        id: String,
        body: Value,
    },
    Delete {
        id: String,
    },
    /// Fetch one customer (open from the grid, or reload after a conflict).
    Get {
        id: String,
    },
}

impl From<SessionCommand> for Command {
    fn from(command: SessionCommand) -> Self {
        Command::Session(command)
    }
}

impl From<CustomerCommand> for Command {
    fn from(command: CustomerCommand) -> Self {
        Command::Customers(command)
    }
}

/// What the service answers.
#[derive(Debug)]
pub enum Message {
    Session(SessionMessage),
    /// Boxed: a customer is some 900 bytes, and most messages are far smaller.
    Customers(Box<CustomerMessage>),
    Transfer(TransferMessage),
    Users(UsersMessage),
    Sync(SyncMessage),
    /// A command arrived that needs someone signed in (on this computer's store, for demo
    /// data), and nobody was.
    NotSignedIn,
}

/// Answers to [`SessionCommand`]s.
#[derive(Debug)]
pub enum SessionMessage {
    /// The store is open; `has_users` is false on a first start.
    Started {
        store: String,
        has_users: bool,
        /// Whether demo data is worth offering.
        has_customers: bool,
    },
    /// The store could not be opened or read; nothing else will work.
    StoreFailed(ServiceError),
    /// The integrity check made on opening found the database file damaged (SQLite's lines):
    /// the desk goes on with what can be read, and says so.
    StoreDamaged(Vec<String>),
    SignedIn {
        user: UserInfo,
        /// The shop server's address; `None` on this computer's store.
        server: Option<String>,
    },
    /// Signing in (or creating the owner) was refused.
    SignInFailed(ApiError),
    /// The signed-in user as stored now, read again every minute and after a refusal, so
    /// that a change of their rights shows without signing in again.
    UserRefreshed(UserInfo),
    /// The session ended on its own: the user was removed, their password was reset, or
    /// the server forgot the session.
    SessionEnded(ApiError),
    /// A desk on a shop server: where its replica stands.
    Sync(SyncStatus),
    /// Changes from the server were applied to the replica: the grid may read its page now.
    ReplicaChanged,
    SignedOut,
    DemoProgress {
        done: u64,
        total: u64,
    },
    /// The demo load ended: how many customers were loaded, or why it failed.
    DemoFinished(Result<u64, ApiError>),
}

/// Answers to [`CustomerCommand`]s.
#[derive(Debug)]
pub enum CustomerMessage {
    Page {
        request: u64,
        result: Result<QueryResult<Customer>, ApiError>,
        /// Whether the page is the answer of the command's `fallback`.
        fell_back: bool,
    },
    CardFound {
        serial: String,
        result: Result<Option<Customer>, ApiError>,
    },
    Saved {
        created: bool,
        result: Result<Customer, ApiError>,
    },
    CreditAdjusted(Result<Customer, ApiError>),
    Deleted(Result<Customer, ApiError>),
    Fetched {
        id: String,
        result: Result<Customer, ApiError>,
    },
}

impl CustomerCommand {
    /// Whether the command changes a customer.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            CustomerCommand::Save { .. }
                | CustomerCommand::AdjustCredit { .. }
                | CustomerCommand::Delete { .. }
        )
    }

    /// The answer to this command when it could not be carried out at all.
    pub fn refused(self, error: ApiError) -> CustomerMessage {
        match self {
            CustomerCommand::List { request, .. } => CustomerMessage::Page {
                request,
                result: Err(error),
                fell_back: false,
            },
            CustomerCommand::FindCard { serial } => CustomerMessage::CardFound {
                serial,
                result: Err(error),
            },
            CustomerCommand::Save { id, .. } => CustomerMessage::Saved {
                created: id.is_none(),
                result: Err(error),
            },
            CustomerCommand::AdjustCredit { .. } => CustomerMessage::CreditAdjusted(Err(error)),
            CustomerCommand::Delete { .. } => CustomerMessage::Deleted(Err(error)),
            CustomerCommand::Get { id } => CustomerMessage::Fetched {
                id,
                result: Err(error),
            },
        }
    }
}

impl CustomerMessage {
    /// Whether the API refused the call for a right the user lacks (403).
    pub fn refused_for_a_right(&self) -> bool {
        let forbidden = |e: &ApiError| matches!(e, ApiError::Forbidden(_));
        match self {
            CustomerMessage::Page { result, .. } => result.as_ref().err().is_some_and(forbidden),
            CustomerMessage::CardFound { result, .. } => {
                result.as_ref().err().is_some_and(forbidden)
            }
            CustomerMessage::Saved { result, .. }
            | CustomerMessage::CreditAdjusted(result)
            | CustomerMessage::Deleted(result)
            | CustomerMessage::Fetched { result, .. } => {
                result.as_ref().err().is_some_and(forbidden)
            }
        }
    }
}

impl From<SessionMessage> for Message {
    fn from(message: SessionMessage) -> Self {
        Message::Session(message)
    }
}

impl From<CustomerMessage> for Message {
    fn from(message: CustomerMessage) -> Self {
        Message::Customers(Box::new(message))
    }
}

/// Why the service could not take or carry out a command, apart from the API's own errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    /// The store could not be opened (the message names the file and the cause).
    #[error("the store could not be opened: {0}")]
    StoreUnavailable(String),
    /// Reading the store failed.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The service's thread could not be started.
    #[error("the store service could not start: {0}")]
    NotStarted(String),
    /// Too many commands are waiting; this one was dropped.
    #[error("the store is busy")]
    Busy,
    /// The service has stopped.
    #[error("the store service has stopped")]
    Stopped,
}
