//! Keeping the blocks: every write moves its entries in or out of them, splitting and
//! joining blocks as they grow and shrink; a rebuild cuts each index anew; an open checks
//! that they hold what they count.

use std::sync::LazyLock;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};

use super::{
    BLOCKS, BUILD_BLOCK, Block, CARDS, CUSTOMER_KEYS, EXTERNAL_ID, KEYS, MAX_BLOCK, MIN_BLOCK,
    PAIR_HIGH, PAIR_LOW, block_at, block_of, cards, encode_entry, is_stale, moves, nth_from,
    sql_of, zones,
};
use crate::text::fold;

/// The place of each customer key's column among the values [`on_write`] takes
/// ([`super::super::customers::COLUMNS`]).
static KEY_COLUMN: LazyLock<Vec<usize>> = LazyLock::new(|| {
    KEYS[..CUSTOMER_KEYS]
        .iter()
        .map(|k| {
            super::super::customers::COLUMNS
                .iter()
                .position(|c| *c == k.column)
                .unwrap_or(0)
        })
        .collect()
});

/// The entry bytes of `key` for a customer whose columns hold `values`, or none when
/// the key leaves it out (a null in a partial index).
fn entry_of(key: usize, values: &[ValueRef<'_>]) -> Option<Vec<u8>> {
    let value = values[KEY_COLUMN[key]];
    let id = match values[0] {
        ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or_default(),
        _ => "",
    };
    if KEYS[key].partial && value == ValueRef::Null {
        return None;
    }
    if KEYS[key].folded
        && let ValueRef::Text(t) = value
    {
        let text = String::from_utf8_lossy(t);
        let folded = fold(&text);
        return Some(encode_entry(key, ValueRef::Text(folded.as_bytes()), id));
    }
    Some(encode_entry(key, value, id))
}

/// Moves a customer's entries in the blocks (as moves that wait to be folded, [`moves`]):
/// `old` and `new` are its values of
/// [`super::super::customers::COLUMNS`]
/// before and after the write (none for a customer created or deleted). Called by every
/// write of `customers`, in its transaction, after the row is written (a fold that splits
/// a block walks the index).
pub(in crate::store) fn on_write(
    conn: &Connection,
    old: Option<&[ValueRef<'_>]>,
    new: Option<&[ValueRef<'_>]>,
) -> rusqlite::Result<()> {
    if is_stale(conn)? {
        return Ok(());
    }
    for key in 0..CUSTOMER_KEYS {
        let before = old.and_then(|v| entry_of(key, v));
        let after = new.and_then(|v| entry_of(key, v));
        if before == after {
            continue;
        }
        if let Some(entry) = &before {
            moves::record(conn, key, entry, -1)?;
        }
        if let Some(entry) = &after {
            moves::record(conn, key, entry, 1)?;
        }
    }
    // The zone of the customer's `id` block takes in its new values.
    if let Some(new) = new
        && old.is_none_or(|old| zones::touches(old, new))
        && let ValueRef::Text(id) = new[0]
    {
        zones::widen(conn, &String::from_utf8_lossy(id), Some(new), &[])?;
    }
    Ok(())
}

/// Splits or joins the block holding `entry` when it left its bounds.
pub(super) fn rebalance(conn: &Connection, key: usize, entry: &[u8]) -> rusqlite::Result<()> {
    let Some(block) = block_at(conn, key, entry, &moves::Waiting::of(conn, key)?)? else {
        return Ok(());
    };
    if block.n > MAX_BLOCK {
        split(conn, key, &block)?;
    } else if block.n < MIN_BLOCK && block.first.is_some() {
        join_previous(conn, key, &block)?;
    }
    Ok(())
}

/// Splits `block` at its middle entry.
fn split(conn: &Connection, key: usize, block: &Block) -> rusqlite::Result<()> {
    let half = block.n / 2;
    let Some((value, id)) = nth_from(conn, key, block, half)? else {
        return Ok(());
    };
    let start = encode_entry(key, (&value).into(), &id);
    conn.prepare_cached("UPDATE count_blocks SET n = ?3 WHERE key = +?1 AND start = ?2")?
        .execute(params![key as i64, block.start, half])?;
    conn.prepare_cached(
        "INSERT INTO count_blocks (key, start, start_key, start_id, n) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![key as i64, start, value, id, block.n - half])?;
    if key == 0 {
        let first = block.first.as_ref().map(|(_, id)| id.as_str());
        zones::on_split(conn, first, &id)?;
    }
    Ok(())
}

/// Joins `block` (not the first) to the block before it.
fn join_previous(conn: &Connection, key: usize, block: &Block) -> rusqlite::Result<()> {
    let zone = if key == 0 {
        zones::zone_bytes(conn, &block.start)?
    } else {
        None
    };
    conn.prepare_cached("DELETE FROM count_blocks WHERE key = +?1 AND start = ?2")?
        .execute(params![key as i64, block.start])?;
    let previous = conn
        .prepare_cached(
            "UPDATE count_blocks SET n = n + ?3 WHERE key = +?1 AND start = \
             (SELECT start FROM count_blocks WHERE key = +?1 AND start < ?2 \
              ORDER BY start DESC LIMIT 1) \
             RETURNING start, start_key, start_id, n",
        )?
        .query_row(params![key as i64, block.start, block.n], block_of)
        .optional()?;
    if key == 0
        && let Some(previous) = &previous
    {
        zones::on_join(conn, zone, &previous.start)?;
    }
    if let Some(previous) = previous
        && previous.n > MAX_BLOCK
    {
        split(conn, key, &previous)?;
    }
    Ok(())
}

/// Builds every key's blocks from its index in one pass each and clears the stale mark.
pub(in crate::store) fn rebuild(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("DELETE FROM count_blocks")?;
    moves::clear(conn)?;
    cards::rebuild_pairs(conn)?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO count_blocks (key, start, start_key, start_id, n) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (key, k) in KEYS.iter().enumerate() {
        let s = sql_of(key);
        let only = if k.partial {
            format!(" WHERE {} IS NOT NULL", s.expr)
        } else {
            String::new()
        };
        let total: i64 = conn.query_row(&format!("SELECT count(*) {}{only}", s.from), [], |r| {
            r.get(0)
        })?;
        // Every BUILD_BLOCK-th entry starts a block: each found by a seek to the one before
        // and a step of one block, so the whole index is walked once, inside SQLite.
        let mut firsts: Vec<(Value, String)> = Vec::new();
        let mut from = Block {
            start: Vec::new(),
            first: None,
            n: 0,
        };
        while let Some(next) = nth_from(conn, key, &from, BUILD_BLOCK)? {
            firsts.push(next.clone());
            from.first = Some(next);
        }
        let mut left = total;
        insert.execute(params![
            key as i64,
            Vec::<u8>::new(),
            Value::Null,
            Option::<String>::None,
            left.min(BUILD_BLOCK)
        ])?;
        left -= left.min(BUILD_BLOCK);
        for (value, id) in firsts {
            let start = encode_entry(key, (&value).into(), &id);
            insert.execute(params![key as i64, start, value, id, left.min(BUILD_BLOCK)])?;
            left -= left.min(BUILD_BLOCK);
        }
    }
    zones::rebuild(conn)?;
    conn.execute_batch("DELETE FROM counters WHERE name = 'counted_stale'")
}

/// Whether every key's blocks add up to the entries of its index, and a few of them hold
/// the entries they count: what an open checks.
pub(in crate::store) fn add_up(conn: &Connection) -> rusqlite::Result<bool> {
    let customers: i64 = conn.query_row(
        "SELECT value FROM counters WHERE name = 'customers'",
        [],
        |r| r.get(0),
    )?;
    let with_external_id: i64 = conn.query_row(
        "SELECT count(*) FROM customers INDEXED BY customers_external_id \
         WHERE external_id IS NOT NULL",
        [],
        |r| r.get(0),
    )?;
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    let (cards_held, pairs) = (
        count("SELECT count(*) FROM cards")?,
        count("SELECT count(*) FROM card_pairs")?,
    );
    if !cards::pairs_add_up(conn)? {
        return Ok(false);
    }
    let mut stmt =
        conn.prepare("SELECT key, sum(n), count(*) FROM count_blocks GROUP BY key ORDER BY key")?;
    let mut sums: Vec<(i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if sums.len() != KEYS.len() || !moves::all_have_blocks(conn)? {
        return Ok(false);
    }
    let waiting: Vec<moves::Waiting> = (0..KEYS.len())
        .map(|key| moves::Waiting::of(conn, key))
        .collect::<rusqlite::Result<_>>()?;
    for (key, sum) in sums.iter_mut() {
        if let Some(moves) = usize::try_from(*key).ok().and_then(|k| waiting.get(k)) {
            *sum += moves.total();
        }
    }
    let sums_hold = sums.iter().all(|&(key, sum)| {
        let expected = match key as usize {
            EXTERNAL_ID => with_external_id,
            CARDS => cards_held,
            PAIR_LOW | PAIR_HIGH => pairs,
            _ => customers,
        };
        sum == expected
    });
    if !sums_hold {
        return Ok(false);
    }
    // And a few blocks of each key hold what they say: their first, their last and one
    // picked by the clock, so that opens over time look at different ones.
    let pick = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as usize);
    for (key, waiting) in waiting.iter().enumerate() {
        let blocks: Vec<Block> = conn
            .prepare_cached(BLOCKS)?
            .query_map([key as i64], |row| Ok(block_of(row)?.with(waiting)))?
            .collect::<rusqlite::Result<_>>()?;
        let last = blocks.len().saturating_sub(1);
        for at in [0, pick % blocks.len().max(1), last] {
            if !block_holds(conn, key, &blocks, at)? || (key == 0 && !zones::holds(conn, at)?) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// Whether block `at` of `blocks` (one key's, in order) holds as many entries as it says:
/// its last one lies before the next block's start, and the one after it does not.
fn block_holds(
    conn: &Connection,
    key: usize,
    blocks: &[Block],
    at: usize,
) -> rusqlite::Result<bool> {
    let Some(block) = blocks.get(at) else {
        return Ok(true);
    };
    let next = blocks.get(at + 1).map(|b| &b.start);
    let encoded = |entry: &(Value, String)| encode_entry(key, (&entry.0).into(), &entry.1);
    let before_next = |entry: &(Value, String)| next.is_none_or(|n| encoded(entry) < *n);
    if block.n > 0 {
        match nth_from(conn, key, block, block.n - 1)? {
            Some(last) if before_next(&last) => {}
            _ => return Ok(false),
        }
    }
    Ok(match nth_from(conn, key, block, block.n)? {
        Some(after) => !before_next(&after),
        None => next.is_none(),
    })
}
