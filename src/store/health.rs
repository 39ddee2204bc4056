//! What the store can tell about its own state: SQLite's integrity check and whether every
//! index it keeps is there and current. Opening a store checks it within a time budget and
//! finishes the check in the background; `customer-desk doctor` runs the full check.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::{MemoryProfile, Result, SORT_INDEXES, Store, open_connection, schema};

/// How long opening a store may spend checking it before the rest goes to the background:
/// a desk's store of 50,000 customers is checked whole in it.
pub const OPEN_CHECK_BUDGET: Duration = Duration::from_millis(300);

/// What the quick integrity check of the store found so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Integrity {
    /// The check is still running in the background.
    Checking,
    /// SQLite's quick check found nothing wrong.
    Sound,
    /// What SQLite's quick check found wrong, one line each: the store may answer some
    /// requests with errors; `customer-desk doctor` says more and repairs what it can.
    Damaged(Vec<String>),
    /// The check itself could not run (the file went away, say).
    Unknown(String),
}

/// The integrity state shared between a store and its background check.
#[derive(Debug, Clone)]
pub(super) struct IntegrityCell(Arc<Mutex<Integrity>>);

impl IntegrityCell {
    fn new(state: Integrity) -> Self {
        Self(Arc::new(Mutex::new(state)))
    }

    pub(super) fn get(&self) -> Integrity {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, state: Integrity) {
        if let Integrity::Damaged(lines) = &state {
            tracing::error!(
                "the database is damaged ({}); run `customer-desk doctor`",
                lines.join("; ")
            );
        }
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = state;
    }
}

/// How the background check shares the machine: it rests as long as it works, so that on a
/// two-core laptop the desk's own queries keep most of a core.
const BACKGROUND_WORK: Duration = Duration::from_millis(10);

/// `PRAGMA quick_check` on `conn`: given up when `deadline` passes (then `None`), or, with no
/// deadline, run to the end at half a core.
fn quick_check(
    conn: &mut Connection,
    deadline: Option<Instant>,
) -> rusqlite::Result<Option<Integrity>> {
    match deadline {
        Some(deadline) => {
            conn.progress_handler(10_000, Some(move || Instant::now() >= deadline))?;
        }
        None => {
            let mut slice = Instant::now();
            conn.progress_handler(
                10_000,
                Some(move || {
                    if slice.elapsed() >= BACKGROUND_WORK {
                        std::thread::sleep(BACKGROUND_WORK);
                        slice = Instant::now();
                    }
                    false
                }),
            )?;
        }
    }
    let lines = conn
        .prepare("PRAGMA quick_check(100)")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        });
    conn.progress_handler(0, None::<fn() -> bool>)?;
    match lines {
        Ok(lines) if lines == ["ok"] => Ok(Some(Integrity::Sound)),
        Ok(lines) => Ok(Some(Integrity::Damaged(lines))),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) => {
            Ok(None)
        }
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            Ok(Some(Integrity::Damaged(vec![e.to_string()])))
        }
        Err(e) => Err(e),
    }
}

/// Checks the store at `path` for [`OPEN_CHECK_BUDGET`]; what is not done by then goes on
/// in a background thread, whose finding the returned cell shows when it is in.
pub(super) fn check_on_open(path: &Path, memory: MemoryProfile) -> IntegrityCell {
    let cell = IntegrityCell::new(Integrity::Checking);
    let first = open_connection(Some(path), memory)
        .and_then(|mut conn| quick_check(&mut conn, Some(Instant::now() + OPEN_CHECK_BUDGET)));
    match first {
        Ok(Some(found)) => cell.set(found),
        Ok(None) => {
            let (background, path): (IntegrityCell, PathBuf) = (cell.clone(), path.to_owned());
            let started = std::thread::Builder::new()
                .name("store-check".into())
                .spawn(move || {
                    let found = open_connection(Some(&path), memory)
                        .and_then(|mut conn| quick_check(&mut conn, None));
                    background.set(match found {
                        Ok(Some(found)) => found,
                        Ok(None) => Integrity::Unknown("the check was interrupted".into()),
                        Err(e) => Integrity::Unknown(e.to_string()),
                    });
                });
            if let Err(e) = started {
                cell.set(Integrity::Unknown(format!(
                    "the check could not start: {e}"
                )));
            }
        }
        Err(e) => cell.set(Integrity::Unknown(e.to_string())),
    }
    cell
}

/// The state of the indexes the store keeps beside its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHealth {
    /// How many of the [`SORT_INDEXES`] exist.
    pub sort_indexes: usize,
    /// How many sort indexes the store should have.
    pub sort_indexes_expected: usize,
    /// The word index is marked as behind the search texts (a bulk load cut short); the next
    /// open rebuilds it.
    pub search_index_stale: bool,
}

impl IndexHealth {
    /// Whether every index is there and current.
    pub fn is_whole(&self) -> bool {
        self.sort_indexes == self.sort_indexes_expected && !self.search_index_stale
    }
}

impl Store {
    /// What the integrity check made on opening found (in memory: always sound).
    pub fn integrity(&self) -> Integrity {
        self.integrity
            .as_ref()
            .map_or(Integrity::Sound, IntegrityCell::get)
    }

    /// Waits until the check made on opening is done, at most `timeout`, and says what it
    /// found (`Checking` if it is still running).
    pub fn wait_for_integrity(&self, timeout: Duration) -> Integrity {
        let until = Instant::now() + timeout;
        loop {
            let found = self.integrity();
            if found != Integrity::Checking || Instant::now() >= until {
                return found;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Rebuilds every index from its table: what repairs an index the integrity check found
    /// wrong (a damaged table is beyond it).
    pub fn reindex(&self) -> Result<()> {
        self.with_writer(|conn| {
            conn.execute_batch("REINDEX")?;
            schema::mark_counted_stale(conn)?;
            schema::ensure_counted(conn)
        })?;
        Ok(())
    }

    /// SQLite's full integrity check: `["ok"]`, or what it found wrong, one line each.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        self.read_sql(|conn| {
            let mut stmt = conn.prepare("PRAGMA integrity_check")?;
            let lines = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(lines)
        })
    }

    /// Which of the store's indexes exist and are current.
    pub fn index_health(&self) -> Result<IndexHealth> {
        self.read_sql(|conn| {
            let mut sort_indexes = 0;
            for (name, _) in SORT_INDEXES {
                if schema::index_exists(conn, name)? {
                    sort_indexes += 1;
                }
            }
            Ok(IndexHealth {
                sort_indexes,
                sort_indexes_expected: SORT_INDEXES.len(),
                search_index_stale: schema::search_index_marked_stale(conn)?,
            })
        })
    }
}

impl Store {
    /// How many entries the change log holds and the bytes its table and index take.
    pub fn change_log_size(&self) -> Result<(u64, u64)> {
        self.read_sql(|conn| {
            let entries: i64 = conn.query_row("SELECT count(*) FROM change_log", [], |r| r.get(0))?;
            let bytes: Option<i64> = conn.query_row(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN ('change_log', 'change_log_customer')",
                [],
                |r| r.get(0),
            )?;
            Ok((entries.max(0) as u64, bytes.unwrap_or(0).max(0) as u64))
        })
    }
}
