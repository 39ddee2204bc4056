//! Counting customers by their cards: `CardSerialNumber=gt:…` holds for a customer when
//! any of its cards is in the range, so a count of the cards in a range counts a customer
//! with two of them twice.
//!
//! A customer's cards in a range are a run of its cards in serial order, and a run of `r`
//! cards holds `r - 1` pairs of cards that follow each other among that customer's cards.
//! So the customers with a card in a range are the cards in it minus the pairs lying wholly
//! in it. `card_pairs` holds every such pair (low, high), with a counted key by each end
//! ([`PAIR_LOW`], [`PAIR_HIGH`]), and for a range from `lo` to `hi`
//!
//! `pairs within = pairs(high < hi) - pairs(low < lo) + pairs(low < lo and high >= hi)`,
//!
//! where the last term, the pairs that span the whole range, is zero unless both ends are
//! bounded and some pair straddles each; those few are found by walking the pairs from
//! `lo` down, and stopping once as many straddlers of `lo` were seen as the two counts say
//! there are. Every write of a customer's cards moves its pairs in the same transaction.

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, params};

use super::moves::{Waiting, record};
use super::read::count_range;
use super::{Bound, CARDS, PAIR_HIGH, PAIR_LOW, encode_bound, encode_value, is_stale};

/// The pairs of serial numbers that follow each other in `serials` sorted.
fn pairs_of(serials: &[&str]) -> Vec<(String, String)> {
    let mut sorted: Vec<&str> = serials.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    sorted
        .windows(2)
        .map(|w| (w[0].to_owned(), w[1].to_owned()))
        .collect()
}

fn entry(serial: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(serial.len() + 3);
    encode_value(&mut out, ValueRef::Text(serial.as_bytes()));
    out
}

/// Moves one customer's cards in the card keys and `card_pairs`: `old` and `new` are its
/// serial numbers before and after the write, `id` its id. Called by every write of
/// `cards`, in its transaction, after the rows are written.
pub(in crate::store) fn on_cards(
    conn: &Connection,
    id: &str,
    old: &[&str],
    new: &[&str],
) -> rusqlite::Result<()> {
    if old == new || is_stale(conn)? {
        return Ok(());
    }
    let gone: Vec<&str> = old.iter().filter(|s| !new.contains(s)).copied().collect();
    let added: Vec<&str> = new.iter().filter(|s| !old.contains(s)).copied().collect();
    if !added.is_empty() {
        super::zones::widen(conn, id, None, &added)?;
    }
    for serial in &gone {
        record(conn, CARDS, &entry(serial), -1)?;
    }
    for serial in &added {
        record(conn, CARDS, &entry(serial), 1)?;
    }
    let (before, after) = (pairs_of(old), pairs_of(new));
    for pair in before.iter().filter(|p| !after.contains(p)) {
        conn.prepare_cached("DELETE FROM card_pairs WHERE low = ?1")?
            .execute([&pair.0])?;
        record(conn, PAIR_LOW, &entry(&pair.0), -1)?;
        record(conn, PAIR_HIGH, &entry(&pair.1), -1)?;
    }
    for pair in after.iter().filter(|p| !before.contains(p)) {
        conn.prepare_cached("INSERT INTO card_pairs (low, high) VALUES (?1, ?2)")?
            .execute(params![pair.0, pair.1])?;
        record(conn, PAIR_LOW, &entry(&pair.0), 1)?;
        record(conn, PAIR_HIGH, &entry(&pair.1), 1)?;
    }
    Ok(())
}

/// Fills `card_pairs` from `cards` (before the blocks are built).
pub(super) fn rebuild_pairs(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM card_pairs;
         INSERT INTO card_pairs (low, high)
         SELECT serial, next FROM (
             SELECT serial, lead(serial) OVER (PARTITION BY customer_rid ORDER BY serial) AS next
             FROM cards)
         WHERE next IS NOT NULL;",
    )
}

/// Whether `card_pairs` holds as many pairs as the cards make: each customer's cards but
/// one.
pub(super) fn pairs_add_up(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT (SELECT count(*) FROM card_pairs) = \
         (SELECT count(*) - count(DISTINCT customer_rid) FROM cards)",
        [],
        |r| r.get(0),
    )
}

/// How many customers have a card between `low` and `high`; `waiting` holds the moves of
/// the card key.
pub(in crate::store) fn count_customers(
    conn: &Connection,
    low: &Bound,
    high: &Bound,
    waiting: &Waiting,
) -> rusqlite::Result<u64> {
    let cards = count_range(conn, CARDS, low, high, waiting)?;
    if cards == 0 {
        return Ok(0);
    }
    // Each pair key's moves read once, for the several counts of it below.
    let (pairs_low, pairs_high) = (Waiting::of(conn, PAIR_LOW)?, Waiting::of(conn, PAIR_HIGH)?);
    let before = |key: usize, b: &Bound| {
        let waiting = if key == PAIR_LOW {
            &pairs_low
        } else {
            &pairs_high
        };
        count_range(conn, key, &Bound::Begin, b, waiting)
    };
    let high_before_hi = before(PAIR_HIGH, high)?;
    let low_before_lo = before(PAIR_LOW, low)?;
    let spanning = if matches!(low, Bound::Begin) || matches!(high, Bound::End) {
        0
    } else {
        spanning(conn, low, high, before)?
    };
    let within = (high_before_hi + spanning).saturating_sub(low_before_lo);
    Ok(cards.saturating_sub(within))
}

/// How many pairs start before `low` and end at or after `high` (both inner bounds).
fn spanning(
    conn: &Connection,
    low: &Bound,
    high: &Bound,
    before: impl Fn(usize, &Bound) -> rusqlite::Result<u64>,
) -> rusqlite::Result<u64> {
    // The pairs straddling a bound: starting before it, not ending before it.
    let straddling = |b: &Bound| -> rusqlite::Result<u64> {
        Ok(before(PAIR_LOW, b)?.saturating_sub(before(PAIR_HIGH, b)?))
    };
    let mut left = straddling(low)?;
    if left == 0 || straddling(high)? == 0 {
        return Ok(0);
    }
    let (lo, hi) = (encode_bound(low), encode_bound(high));
    let value = match low {
        Bound::Before(v) | Bound::After(v) => v.clone(),
        _ => Value::Null,
    };
    let mut stmt =
        conn.prepare_cached("SELECT low, high FROM card_pairs WHERE low <= ?1 ORDER BY low DESC")?;
    let mut rows = stmt.query([&value])?;
    let mut found = 0;
    while left > 0
        && let Some(row) = rows.next()?
    {
        let (l, h): (String, String) = (row.get(0)?, row.get(1)?);
        if entry(&l) >= lo {
            continue;
        }
        let h = entry(&h);
        if h >= lo {
            left -= 1;
            if h >= hi {
                found += 1;
            }
        }
    }
    Ok(found)
}
