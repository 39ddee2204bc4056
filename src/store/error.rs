//! What the store can fail with. It speaks of the database, never of HTTP: the API decides
//! what each of these means to a caller (a busy store is a `423`, the rest a `500`).

use std::path::PathBuf;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another connection held the database past the busy timeout (`SQLITE_BUSY` or
    /// `SQLITE_LOCKED`); the same call may succeed in a moment.
    #[error("the database is busy: {0}")]
    Busy(String),
    /// The disk (or the database's size limit) is full (`SQLITE_FULL`): the write was rolled
    /// back and nothing changed; reads go on working.
    #[error("the disk is full: {0}")]
    DiskFull(String),
    /// A stored row could not be read back (a damaged or unknown document format).
    #[error("{0}")]
    Corrupt(String),
    /// A value the store cannot hold exactly: an amount or rate with more than six decimal
    /// places or beyond the index columns' range. The API refuses such values before they
    /// get here; this is the store's own guard.
    #[error("{member} cannot be stored exactly (more than 6 decimal places or too large)")]
    OutOfRange { member: &'static str },
    /// A document could not be encoded or compressed.
    #[error("{0}")]
    Encode(String),
    /// The database file could not be opened or brought up to date.
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The file is not a store this program may open: another program's database, or a store
    /// of a newer schema. Nothing in it was changed.
    #[error("cannot open {path} as a store: {reason}")]
    NotOurs { path: PathBuf, reason: String },
    /// The folder for the database file could not be made.
    #[error("cannot create the folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Something else holds the store (a server, a desk's window, `sync`, a backup), so it
    /// may not be replaced now (`store::lock`).
    #[error(
        "{path} is in use by a running Customer Desk (a server, a window, a sync or a backup): stop it first"
    )]
    InUse { path: PathBuf },
    /// A file beside the store (its lock file, a backup, a backup folder) could not be
    /// read or written.
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file to restore from is not a whole Customer Desk backup: damaged, cut short,
    /// another program's file or a newer one. The store was not touched.
    #[error("cannot restore from {path}: {reason}")]
    BadBackup { path: PathBuf, reason: String },
    /// No data directory is known for this user (no home directory).
    #[error("no data directory could be found for this user")]
    NoDataDir,
    /// A background step of the store (a thread of a bulk load) stopped without its result.
    #[error("{0} failed")]
    Stopped(&'static str),
    /// Any other SQLite error.
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
}

impl Error {
    /// Whether trying the same call again in a moment may succeed.
    pub fn is_busy(&self) -> bool {
        matches!(self, Error::Busy(_))
    }

    /// Whether the write failed because the disk is full.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, Error::DiskFull(_))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Error::Busy(err.to_string())
            }
            Some(rusqlite::ErrorCode::DiskFull) => Error::DiskFull(err.to_string()),
            _ => Error::Sqlite(err),
        }
    }
}

/// A store result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
