//! Who has a store open: an advisory lock on a file beside the database (`customers.db-lock`).
//!
//! Every [`Store`](super::Store) opened on a file, and every backup, holds a shared lock on
//! it for as long as it lives: a server, a desk's window and `sync` all do, and they do not
//! stand in each other's way. A restore takes the lock exclusively, and only if it gets it
//! at once: while anything holds the store, it refuses instead of changing the database
//! under a running server ([`Error::InUse`]). The lock is `flock(2)`, which the kernel drops
//! with the process, so a server killed with `kill -9` leaves nothing behind that would
//! block a restore. SQLite's own locks cannot tell this: a server between two requests holds
//! none of them.
//!
//! The lock file is a file of its own, not the database: SQLite's POSIX locks on the
//! database would be released by closing any other descriptor of it in the process.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use super::{Error, Result};

/// A lock held on a store's lock file; released when dropped.
#[derive(Debug)]
pub(super) struct StoreLock {
    _file: File,
}

/// The lock file of the database `db`: its name with `-lock` appended, like SQLite's `-wal`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-lock");
    PathBuf::from(name)
}

/// Opens (making if needed) the lock file. One that another user made (root running a
/// command on the server's store) is opened for reading: `flock` needs no more.
fn open(db: &Path) -> Result<File> {
    let path = lock_path(db);
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .or_else(|err| match err.kind() {
            std::io::ErrorKind::PermissionDenied => File::open(&path),
            _ => Err(err),
        })
        .map_err(|source| Error::File { path, source })
}

/// Takes a shared lock on the store `db`, waiting while a restore holds it. On a file
/// system without locks the store opens all the same (and a restore there refuses).
pub(super) fn shared(db: &Path) -> Result<StoreLock> {
    let file = open(db)?;
    match file.lock_shared() {
        Ok(()) => Ok(StoreLock { _file: file }),
        Err(err) if err.kind() == std::io::ErrorKind::Unsupported => Ok(StoreLock { _file: file }),
        Err(source) => Err(Error::File {
            path: lock_path(db),
            source,
        }),
    }
}

/// Takes the lock on the store `db` for itself alone, or says who may hold it.
pub(super) fn exclusive(db: &Path) -> Result<StoreLock> {
    let file = open(db)?;
    match file.try_lock() {
        Ok(()) => Ok(StoreLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(Error::InUse {
            path: db.to_owned(),
        }),
        Err(TryLockError::Error(source)) => Err(Error::File {
            path: lock_path(db),
            source,
        }),
    }
}
