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
//! transaction (see [`on_write`]); a block that grows past [`MAX_BLOCK`] is split at its
//! middle entry, one that shrinks below [`MIN_BLOCK`] joins the one before it. A bulk load
//! that defers its indexes marks the blocks stale and builds them at its end; every open
//! rebuilds stale blocks, and checks that each key's blocks add up to its entries.
//!
//! Block starts are compared as byte strings ([`encode_value`]) that sort exactly as SQLite
//! orders the index: NULL, then integers, then text by its bytes, then the id.

use std::sync::LazyLock;

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::ndata::SortField;
use crate::text::fold;

/// Entries per block when the blocks are built in one pass (a handful in unit tests, so
/// that a few dozen customers split and join blocks).
const BUILD_BLOCK: i64 = if cfg!(test) { 4 } else { 1024 };
/// A block holding more entries is split in two.
const MAX_BLOCK: i64 = if cfg!(test) { 6 } else { 2048 };
/// A block holding fewer entries is joined to the one before it.
const MIN_BLOCK: i64 = if cfg!(test) { 2 } else { 256 };

/// One counted key: an index over `customers` and the column it orders by.
#[derive(Debug)]
pub(super) struct Key {
    /// The index walked.
    index: &'static str,
    /// The column of `customers` it is on.
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
        index,
        column,
        folded,
        nullable,
        partial: false,
        tie: true,
    }
}

/// The counted keys; a key's number in `count_blocks` is its place here.
pub(super) const KEYS: [Key; 19] = [
    Key {
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
        index: "customers_external_id",
        column: "external_id",
        folded: false,
        nullable: true,
        partial: true,
        tie: false,
    },
];

/// The key of the raw external id (the filter compares it unfolded).
pub(super) const EXTERNAL_ID: usize = 18;
pub(super) const IS_ACTIVE: usize = 2;
pub(super) const EXPIRATION_TIME: usize = 4;
pub(super) const CREDIT_RATE: usize = 13;
pub(super) const DISCOUNT_RATE: usize = 14;
pub(super) const CREDIT_AMOUNT: usize = 17;

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
            KeySql {
                from: format!("FROM customers c INDEXED BY {}", k.index),
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

/// The block holding the point `at` (bytes) of `key`.
fn block_at(conn: &Connection, key: usize, at: &[u8]) -> rusqlite::Result<Option<Block>> {
    conn.prepare_cached(
        "SELECT start, start_key, start_id, n FROM count_blocks \
         WHERE key = ?1 AND start <= ?2 ORDER BY start DESC LIMIT 1",
    )?
    .query_row(params![key as i64, at], block_of)
    .optional()
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
/// `ranges` of one key, or, `negated`, everyone else.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Counted {
    pub key: usize,
    pub ranges: Vec<(Bound, Bound)>,
    pub negated: bool,
}

impl Counted {
    /// How many customers the condition holds for; `customers` is how many there are.
    pub(super) fn count(&self, conn: &Connection, customers: u64) -> rusqlite::Result<u64> {
        let mut inside = 0u64;
        for (low, high) in &self.ranges {
            inside += count_range(conn, self.key, low, high)?;
        }
        Ok(if self.negated {
            customers.saturating_sub(inside)
        } else {
            inside
        })
    }
}

/// How many entries of `key` lie between `low` and `high`.
pub(super) fn count_range(
    conn: &Connection,
    key: usize,
    low: &Bound,
    high: &Bound,
) -> rusqlite::Result<u64> {
    let block = |b: &Bound| -> rusqlite::Result<Option<Block>> {
        match b {
            Bound::Begin | Bound::End => Ok(None),
            _ => block_at(conn, key, &encode_bound(b)),
        }
    };
    let inner = |b: &Bound| !matches!(b, Bound::Begin | Bound::End);
    if *low == Bound::End
        || *high == Bound::Begin
        || (inner(low) && inner(high) && encode_bound(low) > encode_bound(high))
    {
        // An empty range (`between:20:10`): the edges would be counted in different blocks.
        return Ok(0);
    }
    let (low_block, high_block) = (block(low)?, block(high)?);
    let from = low_block.as_ref().map_or(&[][..], |b| &b.start[..]);
    let whole: i64 = match (&high_block, high) {
        (_, Bound::End) => conn
            .prepare_cached(
                "SELECT coalesce(sum(n), 0) FROM count_blocks WHERE key = ?1 AND start >= ?2",
            )?
            .query_row(params![key as i64, from], |r| r.get(0))?,
        (Some(hb), _) => conn
            .prepare_cached(
                "SELECT coalesce(sum(n), 0) FROM count_blocks \
                 WHERE key = ?1 AND start >= ?2 AND start < ?3",
            )?
            .query_row(params![key as i64, from, hb.start], |r| r.get(0))?,
        (None, _) => 0,
    };
    let high_edge = match &high_block {
        Some(b) => edge(conn, key, b, high)?,
        None => 0,
    };
    let low_edge = match &low_block {
        Some(b) => edge(conn, key, b, low)?,
        None => 0,
    };
    Ok((whole + high_edge - low_edge).max(0) as u64)
}

/// `SELECT count(*)` of `key`'s index under `condition`, at most `limit` entries (the
/// part of one block a count walks).
fn count_where(
    conn: &Connection,
    key: usize,
    condition: &str,
    args: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<i64> {
    let s = sql_of(key);
    conn.prepare_cached(&format!("SELECT count(*) {} WHERE {condition}", s.from))?
        .query_row(args, |r| r.get(0))
}

/// Whether value `a` sorts before value `b` in the index.
fn value_before(a: &Value, b: &Value) -> bool {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    encode_value(&mut x, a.into());
    encode_value(&mut y, b.into());
    x < y
}

/// How many entries of `key` lie from the start of `block` up to `bound`, which is in it.
///
/// No row values: SQLite seeks an index on an expression (`fold(last_name)`) by a bound on
/// the expression, but not by `(expr, id) >= (?, ?)`, which it scans from the start. So an
/// entry (k, id) is the start of two ranges that both seek: `expr = k AND id >= ?`, then
/// `expr > k`.
fn edge(conn: &Connection, key: usize, block: &Block, bound: &Bound) -> rusqlite::Result<i64> {
    let k = &KEYS[key];
    let e = &sql_of(key).expr;
    let has_nulls = k.nullable && !k.partial;
    // The entries with a null value the block holds, all before the bound.
    let nulls = || -> rusqlite::Result<i64> {
        if !has_nulls {
            return Ok(0);
        }
        match &block.first {
            None => count_where(conn, key, &format!("{e} IS NULL"), &[]),
            Some((Value::Null, id)) => {
                count_where(conn, key, &format!("{e} IS NULL AND c.id >= ?1"), &[id])
            }
            Some(_) => Ok(0),
        }
    };
    let (v, op) = match bound {
        Bound::Begin => return Ok(0),
        Bound::End => return Ok(block.n),
        Bound::NullsEnd => return nulls(),
        Bound::Before(v) => (v, "<"),
        Bound::After(v) => (v, "<="),
    };
    let not_null = if k.partial {
        format!(" AND {e} IS NOT NULL")
    } else {
        String::new()
    };
    match &block.first {
        None | Some((Value::Null, _)) => {
            Ok(nulls()? + count_where(conn, key, &format!("{e} {op} ?1{not_null}"), &[v])?)
        }
        Some((first, _)) if !k.tie => count_where(
            conn,
            key,
            &format!("{e} >= ?1 AND {e} {op} ?2{not_null}"),
            &[first, v],
        ),
        Some((first, id)) => {
            // The rest of the start's own value, if the bound is past it, then the values
            // after it up to the bound.
            let own = if value_before(first, v) || matches!(bound, Bound::After(_)) {
                count_where(conn, key, &format!("{e} = ?1 AND c.id >= ?2"), &[first, id])?
            } else {
                0
            };
            let after = count_where(
                conn,
                key,
                &format!("{e} > ?1 AND {e} {op} ?2{not_null}"),
                &[first, v],
            )?;
            Ok(own + after)
        }
    }
}

/// The row `offset` rows on in `sql` (with `args` and a last `?` for the offset), or how
/// many rows it has when it has no more than `offset`.
fn nth_or_count(
    conn: &Connection,
    sql: &str,
    args: &[&dyn rusqlite::ToSql],
    offset: i64,
) -> rusqlite::Result<Result<(Value, String), i64>> {
    let n = args.len();
    let mut all: Vec<&dyn rusqlite::ToSql> = args.to_vec();
    all.push(&offset);
    let found = conn
        .prepare_cached(&format!("{sql} LIMIT 1 OFFSET ?{}", n + 1))?
        .query_row(params_from_iter(all.iter()), |r| {
            Ok((r.get::<_, Value>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    if let Some(entry) = found {
        return Ok(Ok(entry));
    }
    let mut all: Vec<&dyn rusqlite::ToSql> = args.to_vec();
    all.push(&offset);
    let count: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM ({sql} LIMIT ?{})", n + 1))?
        .query_row(params_from_iter(all.iter()), |r| r.get(0))?;
    Ok(Err(count))
}

/// The entry (value, id) `offset` entries on from the start of `block`, if the key has one.
fn nth_from(
    conn: &Connection,
    key: usize,
    block: &Block,
    offset: i64,
) -> rusqlite::Result<Option<(Value, String)>> {
    let k = &KEYS[key];
    let s = sql_of(key);
    let (e, from, asc) = (&s.expr, &s.from, &s.asc);
    // The parts of the index from the block's start on, in order, each walked only as far
    // as the offset reaches.
    let mut offset = offset;
    let mut part =
        |sql: String, args: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<Option<(Value, String)>> {
            match nth_or_count(conn, &sql, args, offset)? {
                Ok(entry) => Ok(Some(entry)),
                Err(count) => {
                    offset -= count;
                    Ok(None)
                }
            }
        };
    let has_nulls = k.nullable && !k.partial;
    let not_null = format!("SELECT {e}, c.id {from} WHERE {e} IS NOT NULL ORDER BY {asc}");
    match &block.first {
        None => {
            if has_nulls {
                let nulls = format!("SELECT NULL, c.id {from} WHERE {e} IS NULL ORDER BY c.id");
                if let Some(entry) = part(nulls, &[])? {
                    return Ok(Some(entry));
                }
            }
            part(not_null, &[])
        }
        Some((Value::Null, id)) => {
            let nulls =
                format!("SELECT NULL, c.id {from} WHERE {e} IS NULL AND c.id >= ?1 ORDER BY c.id");
            if let Some(entry) = part(nulls, &[id])? {
                return Ok(Some(entry));
            }
            part(not_null, &[])
        }
        Some((value, _)) if !k.tie => part(
            format!("SELECT {e}, c.id {from} WHERE {e} >= ?1 ORDER BY {asc}"),
            &[value],
        ),
        Some((value, id)) => {
            let own =
                format!("SELECT {e}, c.id {from} WHERE {e} = ?1 AND c.id >= ?2 ORDER BY c.id");
            if let Some(entry) = part(own, &[value, id])? {
                return Ok(Some(entry));
            }
            part(
                format!("SELECT {e}, c.id {from} WHERE {e} > ?1 ORDER BY {asc}"),
                &[value],
            )
        }
    }
}

/// The entry at `rank` (from 0) in ascending order of `key`, if there is one.
fn entry_at(conn: &Connection, key: usize, rank: u64) -> rusqlite::Result<Option<(Value, String)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start, start_key, start_id, n FROM count_blocks WHERE key = ?1 ORDER BY start",
    )?;
    let mut rows = stmt.query([key as i64])?;
    let mut before = 0i64;
    let rank = rank.min(i64::MAX as u64) as i64;
    while let Some(row) = rows.next()? {
        let block = block_of(row)?;
        if rank < before + block.n {
            drop(rows);
            return nth_from(conn, key, &block, rank - before);
        }
        before += block.n;
    }
    Ok(None)
}

/// The row ids of a page of every customer in the order of `key` (ascending, or
/// descending), from `skip` on, at most `take`; `customers` is how many there are.
pub(super) fn page(
    conn: &Connection,
    key: usize,
    descending: bool,
    skip: u64,
    take: u64,
    customers: u64,
) -> rusqlite::Result<Vec<i64>> {
    if skip >= customers || take == 0 {
        return Ok(Vec::new());
    }
    let rank = if descending {
        customers - 1 - skip
    } else {
        skip
    };
    let Some((value, id)) = entry_at(conn, key, rank)? else {
        return Ok(Vec::new());
    };
    let k = &KEYS[key];
    let s = sql_of(key);
    let take = take.min(i64::MAX as u64) as i64;
    let mut rids: Vec<i64> = Vec::with_capacity(take as usize);
    let mut run = |sql: String, args: Vec<&dyn rusqlite::ToSql>| -> rusqlite::Result<()> {
        let left = take - rids.len() as i64;
        if left <= 0 {
            return Ok(());
        }
        let mut all = args;
        all.push(&left);
        let sql = sql.replace("?L", &format!("?{}", all.len()));
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(all.iter()))?;
        while let Some(row) = rows.next()? {
            rids.push(row.get(0)?);
        }
        Ok(())
    };
    let (e, from) = (&s.expr, &s.from);
    match (descending, &value) {
        (false, Value::Null) => {
            run(
                format!(
                    "SELECT c.rid {from} WHERE {e} IS NULL AND c.id >= ?1 ORDER BY c.id LIMIT ?L"
                ),
                vec![&id],
            )?;
            run(
                format!(
                    "SELECT c.rid {from} WHERE {e} IS NOT NULL ORDER BY {} LIMIT ?L",
                    s.asc
                ),
                vec![],
            )?;
        }
        (false, _) if k.tie => {
            run(
                format!("SELECT c.rid {from} WHERE {e} = ?1 AND c.id >= ?2 ORDER BY c.id LIMIT ?L"),
                vec![&value, &id],
            )?;
            run(
                format!(
                    "SELECT c.rid {from} WHERE {e} > ?1 ORDER BY {} LIMIT ?L",
                    s.asc
                ),
                vec![&value],
            )?;
        }
        (false, _) => run(
            format!(
                "SELECT c.rid {from} WHERE {e} >= ?1 ORDER BY {} LIMIT ?L",
                s.asc
            ),
            vec![&value],
        )?,
        (true, Value::Null) => run(
            format!(
                "SELECT c.rid {from} WHERE {e} IS NULL AND c.id <= ?1 ORDER BY c.id DESC LIMIT ?L"
            ),
            vec![&id],
        )?,
        (true, _) => {
            if k.tie {
                run(
                    format!(
                        "SELECT c.rid {from} WHERE {e} = ?1 AND c.id <= ?2 ORDER BY c.id DESC LIMIT ?L"
                    ),
                    vec![&value, &id],
                )?;
                run(
                    format!(
                        "SELECT c.rid {from} WHERE {e} < ?1 ORDER BY {} LIMIT ?L",
                        s.desc
                    ),
                    vec![&value],
                )?;
            } else {
                run(
                    format!(
                        "SELECT c.rid {from} WHERE {e} <= ?1 ORDER BY {} LIMIT ?L",
                        s.desc
                    ),
                    vec![&value],
                )?;
            }
            if k.nullable && !k.partial {
                run(
                    format!("SELECT c.rid {from} WHERE {e} IS NULL ORDER BY c.id DESC LIMIT ?L"),
                    vec![],
                )?;
            }
        }
    }
    Ok(rids)
}

/// The place of each key's column among the values [`on_write`] takes
/// ([`super::customers::COLUMNS`]).
static KEY_COLUMN: LazyLock<Vec<usize>> = LazyLock::new(|| {
    KEYS.iter()
        .map(|k| {
            super::customers::COLUMNS
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

/// Moves a customer's entries in the blocks: `old` and `new` are its values of
/// [`super::customers::COLUMNS`]
/// before and after the write (none for a customer created or deleted). Called by every
/// write of `customers`, in its transaction, after the row is written (a block that splits
/// walks the index).
pub(super) fn on_write(
    conn: &Connection,
    old: Option<&[ValueRef<'_>]>,
    new: Option<&[ValueRef<'_>]>,
) -> rusqlite::Result<()> {
    if is_stale(conn)? {
        return Ok(());
    }
    for key in 0..KEYS.len() {
        let before = old.and_then(|v| entry_of(key, v));
        let after = new.and_then(|v| entry_of(key, v));
        if before == after {
            continue;
        }
        // Both moves first: a split walks the index, which holds the entry's new place.
        if let Some(entry) = &before {
            adjust(conn, key, entry, -1)?;
        }
        if let Some(entry) = &after {
            adjust(conn, key, entry, 1)?;
        }
        for entry in [before, after].into_iter().flatten() {
            rebalance(conn, key, &entry)?;
        }
    }
    Ok(())
}

/// Adds `delta` to the block holding `entry`.
fn adjust(conn: &Connection, key: usize, entry: &[u8], delta: i64) -> rusqlite::Result<()> {
    // A key never built (a store being loaded) has no block: the rebuild counts everything.
    conn.prepare_cached(
        "UPDATE count_blocks SET n = n + ?3 WHERE key = ?1 AND start = \
         (SELECT start FROM count_blocks WHERE key = ?1 AND start <= ?2 \
          ORDER BY start DESC LIMIT 1)",
    )?
    .execute(params![key as i64, entry, delta])?;
    Ok(())
}

/// Splits or joins the block holding `entry` when it left its bounds.
fn rebalance(conn: &Connection, key: usize, entry: &[u8]) -> rusqlite::Result<()> {
    let Some(block) = block_at(conn, key, entry)? else {
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
    conn.prepare_cached("UPDATE count_blocks SET n = ?3 WHERE key = ?1 AND start = ?2")?
        .execute(params![key as i64, block.start, half])?;
    conn.prepare_cached(
        "INSERT INTO count_blocks (key, start, start_key, start_id, n) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![key as i64, start, value, id, block.n - half])?;
    Ok(())
}

/// Joins `block` (not the first) to the block before it.
fn join_previous(conn: &Connection, key: usize, block: &Block) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM count_blocks WHERE key = ?1 AND start = ?2")?
        .execute(params![key as i64, block.start])?;
    let previous = conn
        .prepare_cached(
            "UPDATE count_blocks SET n = n + ?3 WHERE key = ?1 AND start = \
             (SELECT start FROM count_blocks WHERE key = ?1 AND start < ?2 \
              ORDER BY start DESC LIMIT 1) \
             RETURNING start, start_key, start_id, n",
        )?
        .query_row(params![key as i64, block.start, block.n], block_of)
        .optional()?;
    if let Some(previous) = previous
        && previous.n > MAX_BLOCK
    {
        split(conn, key, &previous)?;
    }
    Ok(())
}

/// Builds every key's blocks from its index in one pass each and clears the stale mark.
pub(super) fn rebuild(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("DELETE FROM count_blocks")?;
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
    conn.execute_batch("DELETE FROM counters WHERE name = 'counted_stale'")
}

/// Whether every key's blocks add up to the entries of its index, and a few of them hold
/// the entries they count: what an open checks.
pub(super) fn add_up(conn: &Connection) -> rusqlite::Result<bool> {
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
    let mut stmt =
        conn.prepare("SELECT key, sum(n), count(*) FROM count_blocks GROUP BY key ORDER BY key")?;
    let sums: Vec<(i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if sums.len() != KEYS.len() {
        return Ok(false);
    }
    let sums_hold = sums.iter().all(|&(key, sum)| {
        let expected = if key as usize == EXTERNAL_ID {
            with_external_id
        } else {
            customers
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
    for key in 0..KEYS.len() {
        let blocks: Vec<Block> = conn
            .prepare_cached(
                "SELECT start, start_key, start_id, n FROM count_blocks WHERE key = ?1 ORDER BY start",
            )?
            .query_map([key as i64], block_of)?
            .collect::<rusqlite::Result<_>>()?;
        let last = blocks.len().saturating_sub(1);
        for at in [0, pick % blocks.len().max(1), last] {
            if !block_holds(conn, key, &blocks, at)? {
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

#[cfg(test)]
#[path = "counted_tests.rs"]
mod tests;
