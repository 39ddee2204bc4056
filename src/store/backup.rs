//! Backups of a live store, and putting one back.
//!
//! A backup is SQLite's online backup of the store in one step: it reads one snapshot (a
//! read transaction, which in WAL mode holds up no writer), so the copy is consistent and
//! desks keep working while it is taken. It is written beside its final name, checked
//! (`PRAGMA quick_check`), switched to a rollback journal (a backup is one file, with no
//! `-wal` beside it) and only then renamed to `STEM-YYYYMMDDTHHMMSS.mmmZ.db`, so a backup
//! cut short never looks like one. Names sort by time; `keep` prunes the oldest of the
//! store's own backups and leaves every other file alone.
//!
//! A restore first checks the backup whole (a Customer Desk store, not newer than this
//! program, `quick_check` clean) and refuses a bad one by name without touching the store.
//! It needs the store's lock for itself (`store::lock`), so it refuses while a server, a
//! window or a sync has the store open. The backup is copied to a file beside the store,
//! given a **new server id** there (the restored server is another history: desks' cursors
//! get `410 Gone` and they read everything again, `../shared/spec/sync.md`), and copied
//! into the store in one SQLite transaction, after the store as it was is kept as
//! `STORE.before-restore`.

use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::{Error, Result, feed, lock, schema};

/// The time in a backup's name (UTC, to the millisecond): it sorts as it reads.
const STAMP_FORMAT: &str = "%Y%m%dT%H%M%S%.3fZ";

/// What [`backup`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupMade {
    /// The new backup file.
    pub file: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// Older backups of the store deleted to keep the newest `keep`.
    pub pruned: Vec<PathBuf>,
}

/// What [`restore`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The store's server id now (`None` for a backup older than the sync schema, which
    /// gets one when it is next opened).
    pub server_id: Option<String>,
    /// Where the store as it was before the restore was kept.
    pub previous: Option<PathBuf>,
}

/// The part of a backup's name that tells whose it is: the store file's name without `.db`.
fn stem(db: &Path) -> String {
    db.file_stem()
        .map_or_else(|| "customers".into(), |s| s.to_string_lossy().into_owned())
}

/// The time a backup of `db` was taken, read from its file name, if it is one.
fn backup_time(db: &Path, file_name: &str) -> Option<NaiveDateTime> {
    let stamp = file_name
        .strip_prefix(&format!("{}-", stem(db)))?
        .strip_suffix(".db")?;
    NaiveDateTime::parse_from_str(stamp, STAMP_FORMAT).ok()
}

/// The backups of `db` in `dir`, oldest first (files named as [`backup`] names them).
pub fn list(db: &Path, dir: &Path) -> Result<Vec<PathBuf>> {
    let file_err = |source| Error::File {
        path: dir.to_owned(),
        source,
    };
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(file_err)? {
        let entry = entry.map_err(file_err)?;
        let name = entry.file_name();
        if let Some(time) = name.to_str().and_then(|n| backup_time(db, n))
            && entry.file_type().map_err(file_err)?.is_file()
        {
            found.push((time, entry.path()));
        }
    }
    found.sort();
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

/// Takes a backup of the store `db` into `dir` (made if needed), named by `now`, while
/// the store may be in use, and then deletes all but the newest `keep` backups of it there.
pub fn backup(
    db: &Path,
    dir: &Path,
    keep: Option<NonZeroUsize>,
    now: DateTime<Utc>,
) -> Result<BackupMade> {
    fs::metadata(db).map_err(|source| Error::File {
        path: db.to_owned(),
        source,
    })?;
    let _lock = lock::shared(db)?;
    let source = open_read_only(db).map_err(|source| Error::Open {
        path: db.to_owned(),
        source,
    })?;
    if let Some(reason) = schema::refusal(&source).map_err(|source| Error::Open {
        path: db.to_owned(),
        source,
    })? {
        return Err(Error::NotOurs {
            path: db.to_owned(),
            reason,
        });
    }
    fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
        path: dir.to_owned(),
        source,
    })?;
    let (name, file) = free_name(db, dir, now);
    let partial = dir.join(format!(".{name}.partial"));
    let written = write_copy(&source, &partial, true).and_then(|()| {
        fs::rename(&partial, &file).map_err(|source| Error::File {
            path: file.clone(),
            source,
        })
    });
    if let Err(err) = written {
        let _ = fs::remove_file(&partial);
        return Err(err);
    }
    sync_dir(dir);
    let bytes = fs::metadata(&file)
        .map_err(|source| Error::File {
            path: file.clone(),
            source,
        })?
        .len();
    let pruned = match keep {
        Some(keep) => prune(db, dir, keep)?,
        None => Vec::new(),
    };
    Ok(BackupMade {
        file,
        bytes,
        pruned,
    })
}

/// A name for a backup taken at `now` that no file in `dir` has yet (a millisecond later
/// for each one that does).
fn free_name(db: &Path, dir: &Path, now: DateTime<Utc>) -> (String, PathBuf) {
    let mut time = now;
    loop {
        let name = format!("{}-{}.db", stem(db), time.format(STAMP_FORMAT));
        let file = dir.join(&name);
        if !file.exists() {
            return (name, file);
        }
        time += TimeDelta::milliseconds(1);
    }
}

/// Copies the database of `source` into the new file `to`, checks it and makes it a file
/// that stands alone (rollback journal), synced to the disk. `checked`: refuse a copy that
/// `quick_check` finds damaged.
fn write_copy(source: &Connection, to: &Path, checked: bool) -> Result<()> {
    let _ = fs::remove_file(to);
    let sql_err = |source| Error::Open {
        path: to.to_owned(),
        source,
    };
    let mut target = Connection::open(to).map_err(sql_err)?;
    copy_all(source, &mut target).map_err(sql_err)?;
    let mode: String = target
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .map_err(sql_err)?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::Corrupt(format!(
            "the backup {} kept the journal mode {mode}",
            to.display()
        )));
    }
    if let Some(problem) = quick_check(&target).map_err(sql_err)?.filter(|_| checked) {
        return Err(Error::Corrupt(format!(
            "the backup {} did not check out: {problem}",
            to.display()
        )));
    }
    drop(target);
    fs::File::open(to)
        .and_then(|f| f.sync_all())
        .map_err(|source| Error::File {
            path: to.to_owned(),
            source,
        })
}

/// SQLite's online backup of all of `from` into `to`, in one step: one read snapshot of the
/// source, so writers elsewhere go on and the copy is of one moment. Waits out a busy
/// source or target (a few seconds at most).
fn copy_all(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    let copy = Backup::new(from, to)?;
    let mut waits = 0;
    loop {
        match copy.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            // Busy or locked (the enum may grow): wait and try again.
            _ if waits < 200 => {
                waits += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            _ => {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    Some("the database stayed busy during the backup".into()),
                ));
            }
        }
    }
}

/// `PRAGMA quick_check`: `None` when the file is sound, else its first complaint.
fn quick_check(conn: &Connection) -> rusqlite::Result<Option<String>> {
    let verdict: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))?;
    Ok((verdict != "ok").then_some(verdict))
}

fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

/// Makes a rename in `dir` last (best effort: not every file system can sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Deletes all but the newest `keep` backups of `db` in `dir`; returns what it deleted.
pub fn prune(db: &Path, dir: &Path, keep: NonZeroUsize) -> Result<Vec<PathBuf>> {
    let backups = list(db, dir)?;
    let excess = backups.len().saturating_sub(keep.get());
    let old: Vec<PathBuf> = backups.into_iter().take(excess).collect();
    for path in &old {
        fs::remove_file(path).map_err(|source| Error::File {
            path: path.clone(),
            source,
        })?;
    }
    Ok(old)
}

/// Checks that `file` is a whole backup this program can restore: an SQLite file, a
/// Customer Desk store of a schema it knows, with no damage `quick_check` finds.
pub fn check(file: &Path) -> Result<()> {
    let bad = |reason: String| Error::BadBackup {
        path: file.to_owned(),
        reason,
    };
    let meta = fs::metadata(file).map_err(|e| bad(e.to_string()))?;
    if !meta.is_file() {
        return Err(bad("it is not a file".into()));
    }
    let conn = open_read_only(file).map_err(|e| bad(sqlite_reason(&e)))?;
    if let Some(reason) = schema::refusal(&conn).map_err(|e| bad(sqlite_reason(&e)))? {
        return Err(bad(reason));
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| bad(sqlite_reason(&e)))?;
    if version == 0 {
        return Err(bad(
            "it holds no Customer Desk store (an empty database)".into()
        ));
    }
    if let Some(problem) = quick_check(&conn).map_err(|e| bad(sqlite_reason(&e)))? {
        return Err(bad(format!("it is damaged ({problem})")));
    }
    Ok(())
}

/// What an SQLite error means for a file someone hoped was a backup.
fn sqlite_reason(err: &rusqlite::Error) -> String {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            "it is not an SQLite database (damaged, or not a backup)".into()
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => format!("it is damaged ({err})"),
        _ => err.to_string(),
    }
}

/// Puts the backup `from` back as the store `db` (made if it does not exist), with a new
/// server id. Refuses a bad backup, or a store that is in use, and then changes nothing.
pub fn restore(from: &Path, db: &Path) -> Result<Restored> {
    check(from)?;
    if let (Ok(a), Ok(b)) = (fs::canonicalize(from), fs::canonicalize(db))
        && a == b
    {
        return Err(Error::BadBackup {
            path: from.to_owned(),
            reason: "it is the store itself".into(),
        });
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let _lock = lock::exclusive(db)?;
    let staged = sibling(db, ".restoring");
    let result = stage_and_apply(from, db, &staged);
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = fs::remove_file(sibling(&staged, suffix));
    }
    result
}

fn stage_and_apply(from: &Path, db: &Path, staged: &Path) -> Result<Restored> {
    let source = open_read_only(from).map_err(|source| Error::Open {
        path: from.to_owned(),
        source,
    })?;
    write_copy(&source, staged, true)?;
    drop(source);
    let staged_err = |source| Error::Open {
        path: staged.to_owned(),
        source,
    };
    let staged_conn = Connection::open(staged).map_err(staged_err)?;
    let server_id = feed::renew_server_id(&staged_conn)?;

    let previous = if db.exists() {
        Some(keep_previous(db)?)
    } else {
        None
    };
    let mut live = Connection::open(db).map_err(|source| Error::Open {
        path: db.to_owned(),
        source,
    })?;
    live.busy_timeout(Duration::from_secs(5))
        .and_then(|()| copy_all(&staged_conn, &mut live))
        .map_err(|source| Error::Open {
            path: db.to_owned(),
            source,
        })?;
    Ok(Restored {
        server_id,
        previous,
    })
}

/// Keeps the store `db` as it is before a restore, as `STORE.before-restore`. A store
/// SQLite can no longer read (a reason to restore) is moved there whole, with its log;
/// another program's database, or a newer store, is refused.
fn keep_previous(db: &Path) -> Result<PathBuf> {
    let before = sibling(db, ".before-restore");
    let readable = open_read_only(db).and_then(|live| {
        let refusal = schema::refusal(&live)?;
        Ok((live, refusal))
    });
    match readable {
        Ok((_, Some(reason))) => Err(Error::NotOurs {
            path: db.to_owned(),
            reason,
        }),
        Ok((live, None)) => {
            write_copy(&live, &before, false)?;
            Ok(before)
        }
        Err(_) => {
            for suffix in ["", "-wal"] {
                let from = sibling(db, suffix);
                if from.exists() {
                    let to = sibling(&before, suffix);
                    fs::rename(&from, &to).map_err(|source| Error::File { path: to, source })?;
                }
            }
            let _ = fs::remove_file(sibling(db, "-shm"));
            Ok(before)
        }
    }
}

/// `path` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
