//! The SQLite store: schema, connections and the queries behind the API. Nothing here knows
//! about HTTP or egui, and nothing here decides a rule of the contract (that is `api`).

pub mod backup;
pub mod bulk;
pub mod changelog;
mod checkpoint;
mod codes;
mod contacts;
mod counted;
pub mod customers;
pub mod decimal;
pub mod doc;
mod error;
pub mod feed;
mod health;
pub mod idempotency;
mod ledger;
mod list;
mod lock;
pub mod naive;
mod postings;
pub mod replica;
mod rids;
mod schema;
mod search;
pub mod sessions;
pub mod users;
mod words;

pub use changelog::ChangeEntry;
pub use customers::search_text;
pub use error::{Error, Result};
pub use health::{IndexHealth, Integrity, OPEN_CHECK_BUDGET};
pub use list::{ListPlan, Selection};
pub use lock::lock_path;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION, SORT_INDEXES, mark_search_index_stale};

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};

use crate::text::fold;
use checkpoint::Checkpointer;

/// A consistent read of the store: one SQLite read transaction, handed to the closure of
/// [`Store::read`]. The layers above pass it to the store's functions; only the store runs
/// SQL on it.
pub struct Snapshot<'c>(&'c Connection);

impl Snapshot<'_> {
    /// The connection underneath, for the store's own queries.
    pub(in crate::store) fn conn(&self) -> &Connection {
        self.0
    }
}

/// One write transaction, handed to the closure of [`Store::write`]: committed when the
/// closure succeeds, rolled back otherwise. Everything a [`Snapshot`] reads, it reads too,
/// and it sees its own writes.
pub struct Tx<'c>(Snapshot<'c>);

impl<'c> std::ops::Deref for Tx<'c> {
    type Target = Snapshot<'c>;

    fn deref(&self) -> &Snapshot<'c> {
        &self.0
    }
}

impl Tx<'_> {
    /// Runs `f` inside a savepoint of this transaction: what it wrote is kept when it
    /// returns `Ok` and undone when it fails, and the transaction goes on either way. A batch
    /// (an import) refuses one row without losing the rows before it.
    pub fn savepoint<T, E>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
    {
        let run = |sql: &str| -> Result<(), Error> {
            self.conn().prepare_cached(sql)?.execute([])?;
            Ok(())
        };
        run("SAVEPOINT batch_row")?;
        match f(self) {
            Ok(value) => {
                run("RELEASE batch_row")?;
                Ok(value)
            }
            Err(err) => {
                run("ROLLBACK TO batch_row")?;
                run("RELEASE batch_row")?;
                Err(err)
            }
        }
    }
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
    /// What the integrity check made on opening found (none in memory).
    integrity: Option<health::IntegrityCell>,
    /// The shared lock that tells a restore this store is in use (`store::lock`); dropped
    /// last, after the connections.
    _lock: Option<lock::StoreLock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// How much memory SQLite may use for caching, per connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryProfile {
    /// A desk on an old laptop: a 16 MiB page cache for the writer, 4 MiB for each reader,
    /// and no memory map (each connection's map would count again in the window's resident
    /// memory); the operating system's file cache serves the rest. The readers' caches were
    /// 16 MiB too, and a replica's first sync of 1,000,000 customers, which the window reads
    /// while it runs, filled them to 340 MB of resident memory.
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

    /// What a read connection changes of [`MemoryProfile::pragmas`].
    fn reader_pragmas(self) -> &'static str {
        match self {
            MemoryProfile::Desk => "PRAGMA cache_size = -4096;",
            MemoryProfile::Server => "",
        }
    }
}

/// The database file used when none is named: `customers.db` in the user's data directory.
pub fn default_db_path() -> Result<PathBuf> {
    let dirs =
        directories::ProjectDirs::from("sk", "PORTOS", "Customer Desk").ok_or(Error::NoDataDir)?;
    Ok(dirs.data_dir().join("customers.db"))
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date,
    /// with the memory budget of a desk.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, MemoryProfile::Desk)
    }

    /// Opens the database for a server or a benchmark, which may use more memory.
    pub fn open_for_server(path: &Path) -> Result<Self> {
        Self::open_with(path, MemoryProfile::Server)
    }

    /// Opens (creating if needed) the database at `path` with the given memory budget.
    pub fn open_with(path: &Path, memory: MemoryProfile) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let open_err = |source| Error::Open {
            path: path.to_owned(),
            source,
        };
        let lock = lock::shared(path)?;
        // Look before changing anything: opening switches the file to WAL and migrates it.
        if path.exists() {
            let look = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(open_err)?;
            if let Some(reason) = schema::refusal(&look).map_err(open_err)? {
                return Err(Error::NotOurs {
                    path: path.to_owned(),
                    reason,
                });
            }
        }
        let mut writer = open_connection(Some(path), memory).map_err(open_err)?;
        schema::migrate(&mut writer).map_err(open_err)?;
        let own = open_connection(Some(path), memory).map_err(open_err)?;
        let checkpointer = Checkpointer::start(&mut writer, own).map_err(open_err)?;
        let integrity = health::check_on_open(path, memory);
        Ok(Self {
            path: Some(path.to_owned()),
            memory,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            checkpointer: Some(checkpointer),
            integrity: Some(integrity),
            _lock: Some(lock),
        })
    }

    /// A private in-memory database (one connection), for tests and throw-away runs.
    pub fn open_in_memory() -> Result<Self> {
        let open_err = |source| Error::Open {
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
            integrity: None,
            _lock: None,
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
    /// otherwise, so a failed request changes nothing. Before it commits, the counted keys'
    /// waiting moves are folded if enough wait ([`counted::fold_when_due`]).
    pub fn write<T, E>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
    {
        self.in_write(
            |tx| {
                let value = f(&Tx(Snapshot(tx)))?;
                counted::fold_when_due(tx).map_err(Error::from)?;
                Ok(value)
            },
            |e| Error::from(e).into(),
        )
    }

    /// Runs `f` on a read connection inside one read transaction (a consistent snapshot).
    pub fn read<T, E>(&self, f: impl FnOnce(&Snapshot<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
    {
        self.in_read(|conn| f(&Snapshot(conn)), |e| Error::from(e).into())
    }

    /// [`Store::write`] with the transaction's SQLite connection, for the store's own
    /// modules and for tests that set up a database by hand.
    pub fn write_sql<T, E>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        self.in_write(f, E::from)
    }

    /// [`Store::read`] with the snapshot's SQLite connection, for the store's own modules and
    /// for tests that inspect a database by hand.
    pub fn read_sql<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error>,
    {
        self.in_read(f, E::from)
    }

    fn in_write<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
        sql_error: impl Fn(rusqlite::Error) -> E,
    ) -> Result<T, E> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sql_error)?;
        let value = f(&tx)?;
        tx.commit().map_err(&sql_error)?;
        Ok(value)
    }

    fn in_read<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
        sql_error: impl Fn(rusqlite::Error) -> E,
    ) -> Result<T, E> {
        if self.path.is_none() {
            let conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            return f(&conn);
        }
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(self.path.as_deref(), self.memory)
                .and_then(|conn| {
                    conn.execute_batch(self.memory.reader_pragmas())?;
                    Ok(conn)
                })
                .map_err(&sql_error)?,
        };
        conn.prepare_cached("BEGIN")
            .and_then(|mut s| s.execute([]))
            .map_err(&sql_error)?;
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

    /// Runs `f` with the writer connection outside any transaction, for work that manages
    /// its own transactions ([`bulk`]) and for tests.
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
