//! Counted keys: how many customers lie in a range of an ordered key, and which customer
//! is at a rank, in a logarithm's time instead of a walk.
//!
//! Every ordered key the store keeps an index on (the sort indexes, `id`, and the raw
//! external id) is cut into blocks of consecutive index entries, in `count_blocks`: one row
//! per block with the entry it starts at and how many entries it holds. A block starts at a
//! point in the key's order (a value and an id), not necessarily at an entry that still
//! exists; the first one starts before everything.
//!
//! - A count of a range is the sum of the blocks between the block of its lower bound and
//!   the block of its upper bound (a few hundred short rows at most), plus a walk of the
//!   index from the start of the upper bound's block to the bound, minus the same walk for
//!   the lower bound: two walks of at most [`MAX_BLOCK`] entries.
//! - The entry at a rank is found by adding up the blocks until the rank is reached, then
//!   a walk of at most one block; a page at any `$skip` goes on from there along the index.
//!
//! Every write through the store moves one entry in or out of a block in the same
//! transaction (see [`on_write`]), as a move that waits to be folded into the block with
//! many others ([`moves`]); a fold splits a block that grew past [`MAX_BLOCK`] at its
//! middle entry, and joins one that shrank below [`MIN_BLOCK`] to the one before it. A bulk load
//! that defers its indexes marks the blocks stale and builds them at its end; every open
//! rebuilds stale blocks, and checks that each key's blocks add up to its entries.
//!
//! Every statement on `count_blocks` names its key as `key = +?1`: SQLite's planner guesses
//! how selective `column = ?` is from the bound value (-1, 0 and 1 are taken as common), so a
//! statement bound to key 0 or 1 and then to key 2 is prepared again, and a write moves
//! every key in turn (measured: a sixth of a create's time). The unary plus keeps the same
//! plan and makes no such guess.
//!
//! Block starts are compared as byte strings ([`encode_value`]) that sort exactly as SQLite
//! orders the index: NULL, then integers, then text by its bytes, then the id.

use std::sync::LazyLock;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};

use crate::ndata::SortField;

/// Entries per block when the blocks are built in one pass (a handful in unit tests, so
/// that a few dozen customers split and join blocks).
const BUILD_BLOCK: i64 = if cfg!(test) { 4 } else { 1024 };
/// A block holding more entries is split in two.
const MAX_BLOCK: i64 = if cfg!(test) { 6 } else { 2048 };
/// A block holding fewer entries is joined to the one before it.
const MIN_BLOCK: i64 = if cfg!(test) { 2 } else { 256 };

/// One counted key: an index over `customers` (or `cards`, `card_pairs`) and the column it
/// orders by.
#[derive(Debug)]
pub(super) struct Key {
    /// The table the index is on.
    table: &'static str,
    /// The index walked (empty: the table's own primary key, a `WITHOUT ROWID` table).
    index: &'static str,
    /// The column of `table` it is on.
    column: &'static str,
    /// Whether the index is on `fold(column)` (text keys sort folded).
    folded: bool,
    /// Whether the column may be null.
    nullable: bool,
    /// Whether the index leaves nulls out (`WHERE column IS NOT NULL`): then the key counts
    /// only the customers that have a value.
    partial: bool,
    /// Whether the index ends in `id` as the tie-breaker (all but the id index itself).
    tie: bool,
}

const fn sort_key(index: &'static str, column: &'static str, folded: bool, nullable: bool) -> Key {
    Key {
        table: "customers",
        index,
        column,
        folded,
        nullable,
        partial: false,
        tie: true,
    }
}

/// A key over a unique text column of a table other than `customers`, in the order of its
/// index (the column is its own tie-breaker).
const fn code_key(table: &'static str, index: &'static str, column: &'static str) -> Key {
    Key {
        table,
        index,
        column,
        folded: false,
        nullable: false,
        partial: false,
        tie: false,
    }
}

/// The counted keys; a key's number in `count_blocks` is its place here. The first
/// [`CUSTOMER_KEYS`] are over `customers`, one entry per customer; the rest count cards
/// ([`cards`]).
pub(super) const KEYS: [Key; 22] = [
    Key {
        table: "customers",
        index: "customers_id",
        column: "id",
        folded: false,
        nullable: false,
        partial: false,
        tie: false,
    },
    sort_key("customers_sort_external_id", "external_id", true, true),
    sort_key("customers_sort_is_active", "is_active", false, false),
    sort_key(
        "customers_sort_activation_time",
        "activation_time",
        false,
        true,
    ),
    sort_key(
        "customers_sort_expiration_time",
        "expiration_time",
        false,
        true,
    ),
    sort_key("customers_sort_first_name", "first_name", true, true),
    sort_key("customers_sort_last_name", "last_name", true, true),
    sort_key("customers_sort_full_name", "full_name", true, true),
    sort_key("customers_sort_gender", "gender", true, true),
    sort_key("customers_sort_birth_date", "birth_date", false, true),
    sort_key("customers_sort_email", "email", true, true),
    sort_key("customers_sort_phone", "phone", true, true),
    sort_key("customers_sort_is_company", "is_company", false, false),
    sort_key("customers_sort_credit_rate", "credit_rate", false, false),
    sort_key(
        "customers_sort_discount_rate",
        "discount_rate",
        false,
        false,
    ),
    sort_key("customers_sort_note", "note", true, true),
    sort_key("customers_sort_company_name", "company_name", true, true),
    sort_key(
        "customers_sort_credit_amount",
        "credit_amount",
        false,
        false,
    ),
    Key {
        table: "customers",
        index: "customers_external_id",
        column: "external_id",
        folded: false,
        nullable: true,
        partial: true,
        tie: false,
    },
    code_key("cards", "", "serial"),
    code_key("card_pairs", "", "low"),
    code_key("card_pairs", "card_pairs_high", "high"),
];

/// How many of [`KEYS`] are over `customers`.
pub(super) const CUSTOMER_KEYS: usize = 19;

/// The key of the raw external id (the filter compares it unfolded).
pub(super) const EXTERNAL_ID: usize = 18;
pub(super) const IS_ACTIVE: usize = 2;
pub(super) const EXPIRATION_TIME: usize = 4;
pub(super) const CREDIT_RATE: usize = 13;
pub(super) const DISCOUNT_RATE: usize = 14;
pub(super) const CREDIT_AMOUNT: usize = 17;
/// Every card's serial number (`cards`), and the pairs of serial numbers that follow each
/// other among one customer's cards (`card_pairs`), by the first and by the second.
pub(super) const CARDS: usize = 19;
pub(super) const PAIR_LOW: usize = 20;
pub(super) const PAIR_HIGH: usize = 21;

/// The index of counted key `key`.
pub(super) fn index_of(key: usize) -> &'static str {
    KEYS[key].index
}

/// The counted key a one-key sort walks.
pub(super) fn of_sort(field: SortField) -> usize {
    match field {
        SortField::Id => 0,
        SortField::ExternalId => 1,
        SortField::IsActive => 2,
        SortField::ActivationTime => 3,
        SortField::ExpirationTime => 4,
        SortField::FirstName => 5,
        SortField::LastName => 6,
        SortField::FullName => 7,
        SortField::Gender => 8,
        SortField::BirthDate => 9,
        SortField::Email => 10,
        SortField::Phone => 11,
        SortField::IsCompany => 12,
        SortField::CreditRate => 13,
        SortField::DiscountRate => 14,
        SortField::Note => 15,
        SortField::CompanyName => 16,
        SortField::CreditAmount => 17,
    }
}

/// The SQL pieces of one key, worked out once.
struct KeySql {
    /// The expression the index is on, over `customers c`.
    expr: String,
    /// The entry's id as text: `c.id`, or the key's own column for a key without one.
    id: String,
    /// `FROM customers c INDEXED BY …`.
    from: String,
    /// `ORDER BY` in the index's order, ascending and descending.
    asc: String,
    desc: String,
}

static KEY_SQL: LazyLock<Vec<KeySql>> = LazyLock::new(|| {
    KEYS.iter()
        .map(|k| {
            let expr = if k.folded {
                format!("fold(c.{})", k.column)
            } else {
                format!("c.{}", k.column)
            };
            let (asc, desc) = if k.tie {
                (format!("{expr}, c.id"), format!("{expr} DESC, c.id DESC"))
            } else {
                (expr.clone(), format!("{expr} DESC"))
            };
            let from = if k.index.is_empty() {
                format!("FROM {} c", k.table)
            } else {
                format!("FROM {} c INDEXED BY {}", k.table, k.index)
            };
            let id = if k.table == "customers" {
                "c.id".to_owned()
            } else {
                expr.clone()
            };
            KeySql {
                from,
                id,
                expr,
                asc,
                desc,
            }
        })
        .collect()
});

fn sql_of(key: usize) -> &'static KeySql {
    &KEY_SQL[key]
}

/// A point in a key's order that a count starts or ends at.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Bound {
    /// Before every entry.
    Begin,
    /// After the entries whose value is null, before the others.
    NullsEnd,
    /// Before every entry of this (non-null) value.
    Before(Value),
    /// After every entry of this (non-null) value.
    After(Value),
    /// After every entry.
    End,
}

/// Appends the order-keeping bytes of one key value: null first, then integers (sign bit
/// flipped, big-endian), then text by its bytes (a NUL escaped, ended by two NULs, so a
/// longer text sorts after its prefix).
fn encode_value(out: &mut Vec<u8>, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => out.push(0),
        ValueRef::Integer(i) => {
            out.push(1);
            out.extend(((i as u64) ^ (1 << 63)).to_be_bytes());
        }
        // Key columns are integers or text (STRICT tables); a real is ordered as an
        // integer would be, which never happens.
        ValueRef::Real(f) => {
            out.push(1);
            out.extend(((f as i64 as u64) ^ (1 << 63)).to_be_bytes());
        }
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            out.push(2);
            for &b in t {
                if b == 0 {
                    out.extend([0, 0xFF]);
                } else {
                    out.push(b);
                }
            }
            out.extend([0, 0]);
        }
    }
}

/// The bytes of the entry (value, id) of `key`.
fn encode_entry(key: usize, value: ValueRef<'_>, id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + id.len());
    encode_value(&mut out, value);
    if KEYS[key].tie {
        out.extend(id.as_bytes());
    }
    out
}

/// The bytes of a bound (not `Begin` or `End`). Ids are UTF-8, which has no 0xFF byte, so
/// a value followed by 0xFF sorts after every entry of that value.
fn encode_bound(bound: &Bound) -> Vec<u8> {
    let mut out = Vec::new();
    match bound {
        Bound::NullsEnd => out.extend([0, 0xFF]),
        Bound::Before(v) => encode_value(&mut out, v.into()),
        Bound::After(v) => {
            encode_value(&mut out, v.into());
            out.push(0xFF);
        }
        Bound::Begin | Bound::End => {}
    }
    out
}

/// One block: the bytes it starts at, its first point as (value, id), or none for the
/// first block, and how many entries it holds.
#[derive(Debug)]
struct Block {
    start: Vec<u8>,
    first: Option<(Value, String)>,
    n: i64,
}

impl Block {
    /// The block with the moves `waiting` for it added to its count.
    fn with(mut self, waiting: &Waiting) -> Block {
        self.n += waiting.at(&self.start);
        self
    }
}

/// A block as read from `count_blocks`: its count leaves out the waiting moves.
fn block_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Block> {
    let id: Option<String> = row.get(2)?;
    Ok(Block {
        start: row.get(0)?,
        first: id
            .map(|id| Ok::<_, rusqlite::Error>((row.get::<_, Value>(1)?, id)))
            .transpose()?,
        n: row.get(3)?,
    })
}

/// Every block of key `?1` in order, as [`block_of`] reads them, and its zone last (a
/// fifth column, which [`zones::runs`] reads). The counts leave out the waiting moves.
const BLOCKS: &str = "SELECT start, start_key, start_id, n, zone FROM count_blocks \
     WHERE key = +?1 ORDER BY start";

/// The block holding the point `at` (bytes) of `key`, with the moves `waiting` for it.
fn block_at(
    conn: &Connection,
    key: usize,
    at: &[u8],
    waiting: &Waiting,
) -> rusqlite::Result<Option<Block>> {
    let block = conn
        .prepare_cached(
            "SELECT start, start_key, start_id, n FROM count_blocks \
             WHERE key = +?1 AND start <= ?2 ORDER BY start DESC LIMIT 1",
        )?
        .query_row(params![key as i64, at], block_of)
        .optional()?;
    Ok(block.map(|b| b.with(waiting)))
}

/// Whether the blocks are marked as behind the table (a bulk load under way or cut short).
pub(super) fn is_stale(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM counters WHERE name = 'counted_stale')")?
        .query_row([], |r| r.get(0))
}

/// Marks the blocks as behind the table, before a bulk load that does not keep them.
pub(super) fn mark_stale(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("INSERT OR REPLACE INTO counters (name, value) VALUES ('counted_stale', 1)")
}

/// A condition on a text, bool, time or decimal column that blocks count: the union of
/// `ranges` of one key, or, `negated`, everyone else. On [`CARDS`] it is one range, and
/// counts the customers with a card in it ([`count_customers`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Counted {
    pub key: usize,
    pub ranges: Vec<(Bound, Bound)>,
    pub negated: bool,
}

impl Counted {
    /// How many customers the condition holds for; `customers` is how many there are.
    pub(super) fn count(&self, conn: &Connection, customers: u64) -> rusqlite::Result<u64> {
        let waiting = Waiting::of(conn, self.key)?;
        let mut inside = 0u64;
        for (low, high) in &self.ranges {
            inside += if self.key == CARDS {
                // Customers with a card in the range, not cards ([`cards`]).
                count_customers(conn, low, high, &waiting)?
            } else {
                count_range(conn, self.key, low, high, &waiting)?
            };
        }
        Ok(if self.negated {
            customers.saturating_sub(inside)
        } else {
            inside
        })
    }
}

mod cards;
mod moves;
mod read;
mod write;
mod zones;

pub(super) use cards::{count_customers, on_cards};
pub(super) use moves::fold_when_due;
pub(super) use zones::{IdRun, runs as zone_runs};

use moves::Waiting;
use read::count_range;
use read::nth_from;
pub(super) use read::page;
pub(super) use write::{add_up, on_write, rebuild};

#[cfg(test)]
mod tests;
