//! Reading the blocks: a count of a range of a key, the entry at a rank, and a page at any
//! `$skip` along a key's index.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::moves::Waiting;
use super::{BLOCKS, Block, Bound, KEYS, block_at, block_of, encode_bound, encode_value, sql_of};

/// How many entries of `key` lie between `low` and `high`.
pub(in crate::store) fn count_range(
    conn: &Connection,
    key: usize,
    low: &Bound,
    high: &Bound,
    waiting: &Waiting,
) -> rusqlite::Result<u64> {
    let block = |b: &Bound| -> rusqlite::Result<Option<Block>> {
        match b {
            Bound::Begin | Bound::End => Ok(None),
            _ => block_at(conn, key, &encode_bound(b), waiting),
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
        (_, Bound::End) => blocks_hold(conn, key, from, None, waiting)?,
        (Some(hb), _) => blocks_hold(conn, key, from, Some(&hb.start), waiting)?,
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

/// How many entries the blocks of `key` from start `from` on, up to start `to` (excluded;
/// none: the last block), hold now, with the moves `waiting` for them.
fn blocks_hold(
    conn: &Connection,
    key: usize,
    from: &[u8],
    to: Option<&[u8]>,
    waiting: &Waiting,
) -> rusqlite::Result<i64> {
    let stored: i64 = match to {
        None => conn
            .prepare_cached(
                "SELECT coalesce(sum(n), 0) FROM count_blocks WHERE key = +?1 AND start >= ?2",
            )?
            .query_row(params![key as i64, from], |r| r.get(0))?,
        Some(to) => conn
            .prepare_cached(
                "SELECT coalesce(sum(n), 0) FROM count_blocks \
                 WHERE key = +?1 AND start >= ?2 AND start < ?3",
            )?
            .query_row(params![key as i64, from, to], |r| r.get(0))?,
    };
    Ok(stored + waiting.from(from, to))
}

/// `SELECT count(*)` of `key`'s index under `condition`, at most `limit` entries (the
/// part of one block a count walks).
pub(super) fn count_where(
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
pub(super) fn value_before(a: &Value, b: &Value) -> bool {
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
pub(super) fn edge(
    conn: &Connection,
    key: usize,
    block: &Block,
    bound: &Bound,
) -> rusqlite::Result<i64> {
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
pub(super) fn nth_or_count(
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
pub(super) fn nth_from(
    conn: &Connection,
    key: usize,
    block: &Block,
    offset: i64,
) -> rusqlite::Result<Option<(Value, String)>> {
    let k = &KEYS[key];
    let s = sql_of(key);
    let (e, from, asc, id_col) = (&s.expr, &s.from, &s.asc, &s.id);
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
    let not_null = format!("SELECT {e}, {id_col} {from} WHERE {e} IS NOT NULL ORDER BY {asc}");
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
            format!("SELECT {e}, {id_col} {from} WHERE {e} >= ?1 ORDER BY {asc}"),
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
pub(super) fn entry_at(
    conn: &Connection,
    key: usize,
    rank: u64,
) -> rusqlite::Result<Option<(Value, String)>> {
    let waiting = Waiting::of(conn, key)?;
    let mut stmt = conn.prepare_cached(BLOCKS)?;
    let mut rows = stmt.query([key as i64])?;
    let mut before = 0i64;
    let rank = rank.min(i64::MAX as u64) as i64;
    while let Some(row) = rows.next()? {
        let block = block_of(row)?.with(&waiting);
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
pub(in crate::store) fn page(
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
