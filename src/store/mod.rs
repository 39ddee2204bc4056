//! The SQLite store: schema, connections and the queries behind the API. Nothing here knows
//! about HTTP or egui, and nothing here decides a rule of the contract (that is `api`).

pub mod changelog;
mod checkpoint;
pub mod customers;
pub mod decimal;
pub mod doc;
mod list;
mod postings;
mod rids;
mod schema;
mod search;
pub mod users;
mod words;

pub use changelog::ChangeEntry;
pub use checkpoint::truncate_log;
pub use customers::search_text;
pub use list::ListPlan;
pub use schema::{
    SCHEMA_VERSION, SORT_INDEXES, compute_search_index, drop_sort_indexes, ensure_sort_indexes,
    mark_search_index_stale, rebuild_search_index, replace_search_index,
};
pub use words::WordIndex;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::text::fold;
use checkpoint::Checkpointer;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create the folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no data directory could be found for this user")]
    NoDataDir,
}

/// How many read connections stay open for reuse.
const MAX_IDLE_READERS: usize = 8;

/// The database: one writer connection and a pool of readers. SQLite in WAL mode lets the
/// readers go on while a write is under way, so reads never wait behind a write.
pub struct Store {
    path: Option<PathBuf>,
    memory: MemoryProfile,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Copies the log into the database file off the writer (none in memory).
    checkpointer: Option<Checkpointer>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// How much memory SQLite may use for caching, per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryProfile {
    /// A desk on an old laptop: a 16 MiB page cache per connection and no memory map (each
    /// connection's map would count again in the window's resident memory); the operating
    /// system's file cache serves the rest.
    Desk,
    /// A shop's server, which trades memory for speed: 64 MiB of page cache and up to
    /// 2 GiB of the file mapped.
    Server,
}

impl MemoryProfile {
    /// The PRAGMAs that set this budget on a connection.
    pub fn pragmas(self) -> &'static str {
        match self {
            MemoryProfile::Desk => "PRAGMA cache_size = -16384; PRAGMA mmap_size = 0;",
            MemoryProfile::Server => "PRAGMA cache_size = -65536; PRAGMA mmap_size = 2147483648;",
        }
    }
}

/// The database file used when none is named: `customers.db` in the user's data directory.
pub fn default_db_path() -> Result<PathBuf, StoreError> {
    let dirs = directories::ProjectDirs::from("sk", "PORTOS", "Customer Desk")
        .ok_or(StoreError::NoDataDir)?;
    Ok(dirs.data_dir().join("customers.db"))
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date,
    /// with the memory budget of a desk.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, MemoryProfile::Desk)
    }

    /// Opens the database for a server or a benchmark, which may use more memory.
    pub fn open_for_server(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, MemoryProfile::Server)
    }

    /// Opens (creating if needed) the database at `path` with the given memory budget.
    pub fn open_with(path: &Path, memory: MemoryProfile) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let mut writer = open_connection(Some(path), memory).map_err(open_err)?;
        schema::migrate(&mut writer).map_err(open_err)?;
        let own = open_connection(Some(path), memory).map_err(open_err)?;
        let checkpointer = Checkpointer::start(&mut writer, own).map_err(open_err)?;
        Ok(Self {
            path: Some(path.to_owned()),
            memory,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            checkpointer: Some(checkpointer),
        })
    }

    /// A private in-memory database (one connection), for tests and throw-away runs.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let open_err = |source| StoreError::Open {
            path: PathBuf::from(":memory:"),
            source,
        };
        let mut writer = open_connection(None, MemoryProfile::Desk).map_err(open_err)?;
        schema::migrate(&mut writer).map_err(open_err)?;
        Ok(Self {
            path: None,
            memory: MemoryProfile::Desk,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            checkpointer: None,
        })
    }

    /// How many checkpoints the background thread has made (see `store::checkpoint`).
    pub fn background_checkpoints(&self) -> u64 {
        self.checkpointer.as_ref().map_or(0, Checkpointer::done)
    }

    /// The memory budget of this store's connections.
    pub fn memory(&self) -> MemoryProfile {
        self.memory
    }

    /// The database file, if it is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Runs `f` in one write transaction: committed when `f` returns `Ok`, rolled back
    /// otherwise, so a failed request changes nothing.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on a read connection inside one read transaction (a consistent snapshot).
    pub fn read<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        if self.path.is_none() {
            let conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            return f(&conn);
        }
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(self.path.as_deref(), self.memory)?,
        };
        conn.prepare_cached("BEGIN")?.execute([])?;
        let result = f(&conn);
        // A read transaction has nothing to keep; ending it releases the snapshot.
        let _ = conn
            .prepare_cached("COMMIT")
            .and_then(|mut s| s.execute([]));
        let mut readers = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
        result
    }

    /// Runs `f` with the writer connection outside any transaction, for bulk work that
    /// manages its own transactions (the demo loader).
    pub fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut conn)
    }
}

/// Opens one connection with the settings every connection needs: WAL, foreign keys, the
/// `fold` function that the sort indexes are built on, and `rarray`.
fn open_connection(path: Option<&Path>, memory: MemoryProfile) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(path) => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?,
        None => Connection::open_in_memory()?,
    };
    conn.busy_timeout(Duration::from_secs(5))?;
    // `rarray(?)`: a page of search matches held in memory is sorted by joining them.
    rusqlite::vtab::array::load_module(&conn)?;
    conn.create_scalar_function(
        "fold",
        1,
        FunctionFlags::SQLITE_UTF8
            | FunctionFlags::SQLITE_DETERMINISTIC
            | FunctionFlags::SQLITE_INNOCUOUS,
        // Read in place: an index build calls this once per customer.
        |ctx| {
            Ok(ctx
                .get_raw(0)
                .as_str_or_null()?
                .map(|t| fold(t).into_owned()))
        },
    )?;
    // The stored document as JSON text, for SQL written by hand (and the naive bench scan).
    conn.create_scalar_function(
        "doc_json",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let stored: Vec<u8> = ctx.get(0)?;
            let json =
                doc::unpack(&stored).map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?;
            Ok(String::from_utf8_lossy(&json).into_owned())
        },
    )?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )?;
    conn.execute_batch(memory.pragmas())?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}
