//! The change feed of a server (`GET /sync/customers`): every customer ever stored has one
//! row in `sync_feed` with the `seq` of its last change, assigned in the write's own
//! transaction from one counter, so seqs only grow and a reader's snapshot never misses a
//! commit. A deleted customer keeps its row as a tombstone. Every path that writes customers
//! (the API, bulk loads, a replica applying the server's changes) goes through the functions
//! of `store::customers`, which call [`record`].

use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, Snapshot};

/// Takes the next seq from the counter.
pub(super) fn next_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "UPDATE counters SET value = value + 1 WHERE name = 'feed_seq' RETURNING value",
        )?
        .query_row([], |r| r.get(0))?)
}

/// The last seq handed out.
pub(super) fn head_seq(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT value FROM counters WHERE name = 'feed_seq'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Sets the counter (after a bulk load handed out seqs from memory).
pub(super) fn set_head_seq(conn: &Connection, seq: i64) -> Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO counters (name, value) VALUES ('feed_seq', ?1)")?
        .execute([seq])?;
    Ok(())
}

/// Records that the customer `id` is now at `version` (or deleted), as change `seq`.
pub(super) fn record(
    conn: &Connection,
    seq: i64,
    id: &str,
    version: i64,
    deleted: bool,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_feed (customer_id, seq, version, deleted) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (customer_id) DO UPDATE
         SET seq = excluded.seq, version = excluded.version, deleted = excluded.deleted",
    )?
    .execute(params![id, seq, version, deleted])?;
    Ok(())
}

/// Marks the feed as missing customers, before a bulk load that leaves it for the end
/// (`store::bulk`); every open fills a marked feed, so a load cut short still lists every
/// customer.
pub(super) fn mark_stale(conn: &Connection) -> Result<()> {
    conn.execute_batch("INSERT OR REPLACE INTO counters (name, value) VALUES ('feed_stale', 1)")?;
    Ok(())
}

/// Gives every live customer without a live entry one, in row order, and clears the mark:
/// one pass, several times faster than an entry per insert.
///
/// The pass runs in slices of [`FILL_SLICE`] rows: SQLite numbers the rows of a window in
/// an ephemeral table, which connections keep in memory, and numbering 1,000,000 customers
/// at once took 39 MB of a desk's memory at the end of its first sync.
pub(super) fn fill(conn: &Connection) -> Result<()> {
    let mut head = head_seq(conn)?;
    let mut slice_end = conn
        .prepare("SELECT rid FROM customers WHERE rid > ?1 ORDER BY rid LIMIT 1 OFFSET ?2 - 1")?;
    let mut add = conn.prepare(
        "INSERT OR REPLACE INTO sync_feed (customer_id, seq, version, deleted)
         SELECT c.id, ?1 + row_number() OVER (ORDER BY c.rid), c.version, 0 FROM customers c
         WHERE c.rid > ?2 AND c.rid <= ?3
           AND NOT EXISTS (SELECT 1 FROM sync_feed f WHERE f.customer_id = c.id AND NOT f.deleted)
         ORDER BY c.rid",
    )?;
    let mut after = i64::MIN;
    loop {
        let end: Option<i64> = slice_end
            .query_row(params![after, FILL_SLICE], |r| r.get(0))
            .optional()?;
        let added = add.execute(params![head, after, end.unwrap_or(i64::MAX)])?;
        head += added as i64;
        match end {
            Some(end) => after = end,
            None => break,
        }
    }
    set_head_seq(conn, head)?;
    conn.execute_batch("DELETE FROM counters WHERE name = 'feed_stale'")?;
    Ok(())
}

/// How many customers [`fill`] numbers at a time.
const FILL_SLICE: i64 = if cfg!(test) { 7 } else { 50_000 };

/// One entry of a feed page: a customer's latest state as of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub seq: i64,
    pub customer_id: String,
    pub version: i64,
    /// The row of the live customer (for its document); `None` for a tombstone.
    pub rid: Option<i64>,
}

/// The entries after `since`, in seq order, at most `limit`.
pub fn page(snapshot: &Snapshot<'_>, since: i64, limit: usize) -> Result<Vec<FeedEntry>> {
    let mut stmt = snapshot.conn().prepare_cached(
        "SELECT f.seq, f.customer_id, f.version, CASE WHEN f.deleted THEN NULL ELSE c.rid END
         FROM sync_feed f LEFT JOIN customers c ON c.id = f.customer_id
         WHERE f.seq > ?1 ORDER BY f.seq LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![since, limit as i64], |r| {
        Ok(FeedEntry {
            seq: r.get(0)?,
            customer_id: r.get(1)?,
            version: r.get(2)?,
            rid: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many entries come after `seq`. Counting index entries one by one costs what it
/// counts, so this counts the smaller side: the entries after `seq`, or (early in the
/// feed, as in a first sync) the entries up to it, taken from the feed's size (the live
/// customers' counter and the tombstones).
pub fn count_after(snapshot: &Snapshot<'_>, seq: i64) -> Result<u64> {
    let conn = snapshot.conn();
    let head = head_seq(conn)?;
    let count = |sql: &str, arg: i64| -> Result<i64> {
        Ok(conn.prepare_cached(sql)?.query_row([arg], |r| r.get(0))?)
    };
    let n = if seq < head / 2 {
        let live = super::customers::count_of(conn)? as i64;
        let tombstones = count(
            "SELECT count(*) FROM sync_feed WHERE deleted AND seq > ?1",
            i64::MIN,
        )?;
        let up_to = count("SELECT count(*) FROM sync_feed WHERE seq <= ?1", seq)?;
        live + tombstones - up_to
    } else {
        count("SELECT count(*) FROM sync_feed WHERE seq > ?1", seq)?
    };
    Ok(n.max(0) as u64)
}

/// The newest seq of the feed (0 for a store that never changed).
pub fn head(snapshot: &Snapshot<'_>) -> Result<i64> {
    head_seq(snapshot.conn())
}

/// This database's server id: random, made when the database was created, and new after a
/// restore, so a replica can tell it is talking to another history.
pub fn server_id(snapshot: &Snapshot<'_>) -> Result<String> {
    Ok(snapshot
        .conn()
        .prepare_cached("SELECT value FROM store_meta WHERE name = 'server_id'")?
        .query_row([], |r| r.get(0))?)
}

/// Gives the database a new server id, as a restore does: the restored store is another
/// history, and desks that follow it must read it again. `None` for a store older than the
/// sync schema (its migration makes one).
pub(super) fn renew_server_id(conn: &Connection) -> Result<Option<String>> {
    let has_meta: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'store_meta')",
        [],
        |r| r.get(0),
    )?;
    if !has_meta {
        return Ok(None);
    }
    Ok(Some(conn.query_row(
        "INSERT OR REPLACE INTO store_meta (name, value) VALUES ('server_id', lower(hex(randomblob(12))))
         RETURNING value",
        [],
        |r| r.get(0),
    )?))
}
