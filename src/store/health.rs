//! What the store can tell about its own state: SQLite's integrity check and whether every
//! index it keeps is there and current. Tests use it after bulk work; so will a `doctor`.

use super::{Result, SORT_INDEXES, Store, schema};

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
