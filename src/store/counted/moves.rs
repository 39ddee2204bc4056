//! The moves not yet folded into the blocks: a write appends one row per entry it moves
//! (the block and `+1` or `-1`) to `count_moves` instead of updating each key's block.
//!
//! A create moves an entry of every counted key, and the blocks of different keys lie on
//! different pages: updating them in place wrote about 20 pages of the log per create (a
//! fifth of its log) and 9 per edit. Appended rows share the table's last page or two. Once
//! [`FOLD_AT`] moves are waiting, the write that passes it adds them all to their blocks in
//! its own transaction, and splits or joins the blocks that left their bounds: one write
//! in about 50 creates (or 85 edits) pays for the rest, and touches each block page once
//! for all of them.
//!
//! Every read of a block's count adds the moves waiting for it, so counts stay exact at
//! every moment: a count, a page or a walk of the zones reads the moves of its key once
//! ([`Waiting`]: one scan of at most [`FOLD_AT`] short rows, summed by block) and adds
//! them to each block it reads. A move names its block by the block's start, and blocks
//! change only in a fold (after its moves are cleared) or a rebuild (which clears them), so
//! a waiting move's block always exists. The table has no index: one on `key` cost a
//! create three more pages of the log (of some 55) and the reads nothing measurable, as
//! the README's figures show.

use std::collections::BTreeMap;
use std::ops::Bound::{Excluded, Included, Unbounded};

use rusqlite::{Connection, params};

use super::write::rebalance;

/// How many waiting moves make the next write fold them (a few dozen in unit tests, so
/// that random writes both fold and leave moves waiting).
pub(super) const FOLD_AT: i64 = if cfg!(test) { 48 } else { 1024 };

/// The moves waiting for one key's blocks, summed by the start of their block: what a read
/// adds to the counts it reads from `count_blocks`.
#[derive(Debug)]
pub(in crate::store) struct Waiting(BTreeMap<Vec<u8>, i64>);

impl Waiting {
    /// The moves waiting for the blocks of `key`.
    pub(super) fn of(conn: &Connection, key: usize) -> rusqlite::Result<Waiting> {
        let mut by_block: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
        let mut stmt = conn.prepare_cached("SELECT start, d FROM count_moves WHERE key = ?1")?;
        let mut rows = stmt.query([key as i64])?;
        while let Some(row) = rows.next()? {
            let start = row.get_ref(0)?.as_blob()?;
            let d: i64 = row.get(1)?;
            match by_block.get_mut(start) {
                Some(sum) => *sum += d,
                None => {
                    by_block.insert(start.to_vec(), d);
                }
            }
        }
        Ok(Waiting(by_block))
    }

    /// What the moves add to the block starting at `start`.
    pub(super) fn at(&self, start: &[u8]) -> i64 {
        self.0.get(start).copied().unwrap_or(0)
    }

    /// What the moves add to all the key's blocks.
    pub(super) fn total(&self) -> i64 {
        self.0.values().sum()
    }

    /// What the moves add to the blocks starting from `from` on, up to `to` (excluded;
    /// none: the last block).
    pub(super) fn from(&self, from: &[u8], to: Option<&[u8]>) -> i64 {
        let upper = to.map_or(Unbounded, Excluded);
        self.0
            .range::<[u8], _>((Included(from), upper))
            .map(|(_, d)| d)
            .sum()
    }
}

/// Records that the block of `key` holding `entry` gains `delta` entries.
pub(super) fn record(
    conn: &Connection,
    key: usize,
    entry: &[u8],
    delta: i64,
) -> rusqlite::Result<()> {
    // A key never built (a store being loaded) has no block: the rebuild counts everything.
    conn.prepare_cached(
        "INSERT INTO count_moves (key, start, d) \
         SELECT ?1, start, ?3 FROM count_blocks WHERE key = +?1 AND start <= ?2 \
         ORDER BY start DESC LIMIT 1",
    )?
    .execute(params![key as i64, entry, delta])?;
    Ok(())
}

/// Folds the waiting moves if [`FOLD_AT`] or more are waiting: run by every write
/// transaction just before it commits, when each index and its moves agree (in the middle
/// of a write, a row may be written and its moves not yet recorded, and a split would walk
/// an index the counts do not describe). Moves are only appended and all removed at once,
/// so the largest row id is how many wait. Not while the blocks are stale: a bulk load may
/// have dropped the indexes, and the rebuild at its end forgets the moves.
pub(in crate::store) fn fold_when_due(conn: &Connection) -> rusqlite::Result<()> {
    let waiting: i64 = conn
        .prepare_cached("SELECT coalesce(max(rowid), 0) FROM count_moves")?
        .query_row([], |r| r.get(0))?;
    if waiting >= FOLD_AT && !super::is_stale(conn)? {
        fold(conn)?;
    }
    Ok(())
}

/// Adds every waiting move to its block, clears them, then splits or joins each block that
/// changed and left its bounds (a split walks the index, which the moves describe).
pub(super) fn fold(conn: &Connection) -> rusqlite::Result<()> {
    let changed: Vec<(i64, Vec<u8>, i64)> = conn
        .prepare_cached(
            "SELECT key, start, sum(d) FROM count_moves GROUP BY key, start \
             HAVING sum(d) != 0 ORDER BY key, start",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut add =
        conn.prepare_cached("UPDATE count_blocks SET n = n + ?3 WHERE key = +?1 AND start = ?2")?;
    for (key, start, delta) in &changed {
        add.execute(params![key, start, delta])?;
    }
    clear(conn)?;
    for (key, start, _) in &changed {
        rebalance(conn, *key as usize, start)?;
    }
    Ok(())
}

/// Forgets every waiting move: for a rebuild, which counts the index itself.
pub(super) fn clear(conn: &Connection) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM count_moves")?
        .execute([])?;
    Ok(())
}

/// Whether every waiting move names a block that exists (an open's check).
pub(super) fn all_have_blocks(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT NOT EXISTS (SELECT 1 FROM count_moves m WHERE NOT EXISTS \
         (SELECT 1 FROM count_blocks b WHERE b.key = m.key AND b.start = m.start))",
    )?
    .query_row([], |r| r.get(0))
}
