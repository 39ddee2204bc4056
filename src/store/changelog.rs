//! The change log: one entry per write through the API, in the same transaction as the write.

use rusqlite::params;

use super::{Result, Snapshot, Tx};

/// One recorded change of one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEntry {
    pub seq: i64,
    pub customer_id: String,
    /// The `_v` the change started from; `None` for a create.
    pub base_version: Option<i64>,
    /// The stored document before (see [`super::doc::unpack`]); `None` for a create.
    pub before: Option<Vec<u8>>,
    /// The stored document after (see [`super::doc::unpack`]); `None` for a delete.
    pub after: Option<Vec<u8>>,
    pub user_name: String,
    /// Microseconds since 1970, UTC.
    pub time_micros: i64,
}

/// Appends an entry.
pub fn record(
    tx: &Tx<'_>,
    customer_id: &str,
    base_version: Option<i64>,
    before: Option<&[u8]>,
    after: Option<&[u8]>,
    user_name: &str,
    time_micros: i64,
) -> Result<()> {
    tx.conn().prepare_cached(
        "INSERT INTO change_log (customer_id, base_version, before_doc, after_doc, user_name, time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        customer_id,
        base_version,
        before,
        after,
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
        "SELECT seq, customer_id, base_version, before_doc, after_doc, user_name, time
         FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after_seq, limit as i64], |r| {
        Ok(ChangeEntry {
            seq: r.get(0)?,
            customer_id: r.get(1)?,
            base_version: r.get(2)?,
            before: r.get(3)?,
            after: r.get(4)?,
            user_name: r.get(5)?,
            time_micros: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
