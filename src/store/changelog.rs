//! The change log: one entry per write through the API, in the same transaction as the write:
//! who changed which customer from which version to which, and when. It keeps no documents
//! (the feed, `store::feed`, serves the customers' states).

use rusqlite::params;

use super::{Result, Snapshot, Tx};

/// One recorded change of one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEntry {
    pub seq: i64,
    pub customer_id: String,
    /// The `_v` the change started from; `None` for a create.
    pub base_version: Option<i64>,
    /// The `_v` it ended at; `None` for a delete.
    pub new_version: Option<i64>,
    pub user_name: String,
    /// Microseconds since 1970, UTC.
    pub time_micros: i64,
}

/// Appends an entry.
pub fn record(
    tx: &Tx<'_>,
    customer_id: &str,
    base_version: Option<i64>,
    new_version: Option<i64>,
    user_name: &str,
    time_micros: i64,
) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "INSERT INTO change_log (customer_id, base_version, new_version, user_name, time)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            customer_id,
            base_version,
            new_version,
            user_name,
            time_micros
        ])?;
    Ok(())
}

/// Entries after `after_seq`, oldest first, at most `limit`.
pub fn entries_since(
    snapshot: &Snapshot<'_>,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<ChangeEntry>> {
    let mut stmt = snapshot.conn().prepare_cached(
        "SELECT seq, customer_id, base_version, new_version, user_name, time
         FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after_seq, limit as i64], |r| {
        Ok(ChangeEntry {
            seq: r.get(0)?,
            customer_id: r.get(1)?,
            base_version: r.get(2)?,
            new_version: r.get(3)?,
            user_name: r.get(4)?,
            time_micros: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
