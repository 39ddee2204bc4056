//! Zones: for each block of the `id` key, the least and the greatest value its customers
//! hold in each filtered column (and among their cards' serial numbers), so that a page of
//! a filter in `id` order skips the blocks where no customer can match.
//!
//! A zone is conservative: every customer of its block lies inside it, but it may be wider.
//! A write widens the zone of its customer's block; a split or a rebuild works the zones of
//! the blocks it makes out exactly, tightening them again; a join takes the union. Each row
//! a walk reaches is still checked against the conditions, so a zone too wide costs time,
//! never a wrong answer. An open checks a few zones against their customers (`add_up`).
//!
//! Ids of customers grow with the time they were made (`src/model/id.rs`), and so do the
//! numbers shops give them (external ids, card numbers) and often their expiry: a filter
//! on one of those matches customers bunched along the id order, which is the list's order
//! without `$sort`. A walk of the id index checking each row would cross every block before
//! the bunch; the zones let it start at the bunch.

use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};

use super::moves::Waiting;
use super::{
    Bound, CARDS, CREDIT_AMOUNT, CREDIT_RATE, Counted, DISCOUNT_RATE, EXPIRATION_TIME, EXTERNAL_ID,
    IS_ACTIVE, encode_bound, encode_entry, encode_value,
};

/// The counted keys a zone has a slot for, in slot order; all but the last are columns of
/// `customers`, at these places of [`super::super::customers::COLUMNS`].
const SLOT_KEYS: [usize; 7] = [
    EXTERNAL_ID,
    IS_ACTIVE,
    EXPIRATION_TIME,
    CREDIT_AMOUNT,
    CREDIT_RATE,
    DISCOUNT_RATE,
    CARDS,
];
const SLOT_COLUMNS: [usize; 6] = [1, 3, 5, 15, 16, 17];
/// The same columns by name, for the queries that work zones out.
const SLOT_SQL: &str = "c.id, c.external_id, c.is_active, c.expiration_time, c.credit_amount, \
     c.credit_rate, c.discount_rate, \
     (SELECT min(serial) FROM cards k WHERE k.customer_rid = c.rid), \
     (SELECT max(serial) FROM cards k WHERE k.customer_rid = c.rid)";

/// What one slot of a zone holds: whether a customer has no value (a null, or no card),
/// and the least and greatest value (order-keeping bytes, [`encode_value`]) of the others.
#[derive(Debug, Clone, Default, PartialEq)]
struct Slot {
    nulls: bool,
    range: Option<(Vec<u8>, Vec<u8>)>,
}

impl Slot {
    fn add(&mut self, value: ValueRef<'_>) {
        if value == ValueRef::Null {
            self.nulls = true;
            return;
        }
        let mut bytes = Vec::new();
        encode_value(&mut bytes, value);
        self.add_bytes(&bytes, &bytes);
    }

    fn add_bytes(&mut self, low: &[u8], high: &[u8]) {
        match &mut self.range {
            None => self.range = Some((low.to_vec(), high.to_vec())),
            Some((l, h)) => {
                if low < l.as_slice() {
                    *l = low.to_vec();
                }
                if high > h.as_slice() {
                    *h = high.to_vec();
                }
            }
        }
    }

    fn union(&mut self, other: &Slot) {
        self.nulls |= other.nulls;
        if let Some((l, h)) = &other.range {
            self.add_bytes(l, h);
        }
    }

    fn covers(&self, other: &Slot) -> bool {
        (self.nulls || !other.nulls)
            && match (&self.range, &other.range) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some((l, h)), Some((ol, oh))) => l <= ol && oh <= h,
            }
    }
}

/// The zone of one block.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Zone([Slot; 7]);

impl Zone {
    /// Adds a customer with these values of `customers::COLUMNS`.
    pub(super) fn add_row(&mut self, values: &[ValueRef<'_>]) {
        for (slot, &column) in self.0.iter_mut().zip(&SLOT_COLUMNS) {
            slot.add(values[column]);
        }
    }

    /// Adds a card.
    fn add_card(&mut self, serial: &str) {
        self.0[6].add(ValueRef::Text(serial.as_bytes()));
    }

    fn union(&mut self, other: &Zone) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            a.union(b);
        }
    }

    fn covers(&self, other: &Zone) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a.covers(b))
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for slot in &self.0 {
            out.push(u8::from(slot.nulls) | if slot.range.is_some() { 2 } else { 0 });
            if let Some((l, h)) = &slot.range {
                for part in [l, h] {
                    out.extend((part.len() as u32).to_be_bytes());
                    out.extend(part);
                }
            }
        }
        out
    }

    /// The zone stored as `bytes`; none for bytes this code did not write.
    fn decode(bytes: &[u8]) -> Option<Zone> {
        let mut zone = Zone::default();
        let mut at = 0;
        let mut take = |n: usize| -> Option<&[u8]> {
            let part = bytes.get(at..at + n)?;
            at += n;
            Some(part)
        };
        for slot in &mut zone.0 {
            let flags = *take(1)?.first()?;
            slot.nulls = flags & 1 != 0;
            if flags & 2 != 0 {
                let mut part = || -> Option<Vec<u8>> {
                    let len = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
                    Some(take(len)?.to_vec())
                };
                let low = part()?;
                let high = part()?;
                slot.range = Some((low, high));
            }
        }
        (at == bytes.len()).then_some(zone)
    }
}

/// A condition on a key with a zone slot, its ranges as bytes, ready to be tried on many
/// zones.
struct Matcher {
    place: usize,
    /// Whether a null is in no range (a partial key: the external id's, the cards').
    partial: bool,
    negated: bool,
    /// Each range from its first point up to (excluded) its end; none: to the end.
    ranges: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Matcher {
    /// The matcher of `condition`; none for a key without a slot.
    fn new(condition: &Counted) -> Option<Matcher> {
        let place = SLOT_KEYS.iter().position(|&k| k == condition.key)?;
        let ranges = condition
            .ranges
            .iter()
            .map(|(lo, hi)| {
                let lo = match lo {
                    Bound::Begin => Vec::new(),
                    // An empty range.
                    Bound::End => return (vec![0xFF; 2], Some(Vec::new())),
                    b => encode_bound(b),
                };
                let hi = match hi {
                    Bound::End => None,
                    Bound::Begin => Some(Vec::new()),
                    b => Some(encode_bound(b)),
                };
                (lo, hi)
            })
            .collect();
        Some(Matcher {
            place,
            partial: matches!(condition.key, EXTERNAL_ID | CARDS),
            negated: condition.negated,
            ranges,
        })
    }

    fn below(x: &[u8], hi: &Option<Vec<u8>>) -> bool {
        hi.as_ref().is_none_or(|h| x < h.as_slice())
    }

    /// Whether a customer of a block whose zone is stored as `zone` may meet the condition
    /// (read in place: a page's walk tries every block's zone).
    fn may_match(&self, zone: &[u8]) -> bool {
        let Some((nulls, range)) = slot_in(zone, self.place) else {
            return true;
        };
        let contains = |x: &[u8]| {
            self.ranges
                .iter()
                .any(|(lo, hi)| x >= lo.as_slice() && Self::below(x, hi))
        };
        let null_in = !self.partial && contains(&[0]);
        let nulls = nulls && (null_in != self.negated);
        let values = range.is_some_and(|(mn, mx)| {
            if self.negated {
                // Unless every value lies in one range left out.
                !self
                    .ranges
                    .iter()
                    .any(|(lo, hi)| mn >= lo.as_slice() && Self::below(mx, hi))
            } else {
                self.ranges
                    .iter()
                    .any(|(lo, hi)| mx >= lo.as_slice() && Self::below(mn, hi))
            }
        });
        nulls || values
    }
}

/// A slot read in place: whether it holds nulls, and its least and greatest value.
type SlotView<'a> = (bool, Option<(&'a [u8], &'a [u8])>);

/// A run of `id` blocks: the id it starts at (none: the start) and the id it ends before
/// (none: the end).
pub(in crate::store) type IdRun = (Option<String>, Option<String>);

/// An `id` block as the zones see it: its start, first id (none for the first block) and
/// the stored zone.
type IdBlock = (Vec<u8>, Option<String>, Option<Vec<u8>>);

/// Slot `place` of the zone stored as `bytes`, read in place: whether it holds nulls, and
/// its least and greatest value; none for bytes this code did not write.
fn slot_in(bytes: &[u8], place: usize) -> Option<SlotView<'_>> {
    let mut at = 0;
    let mut take = |n: usize| -> Option<&[u8]> {
        let part = bytes.get(at..at + n)?;
        at += n;
        Some(part)
    };
    for slot in 0..=place {
        let flags = *take(1)?.first()?;
        let range = if flags & 2 != 0 {
            let mut part = || -> Option<&[u8]> {
                let len = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
                take(len)
            };
            let low = part()?;
            let high = part()?;
            Some((low, high))
        } else {
            None
        };
        if slot == place {
            return Some((flags & 1 != 0, range));
        }
    }
    None
}

/// The bytes of the `id` key's entry for `id`.
fn id_entry(id: &str) -> Vec<u8> {
    encode_entry(0, ValueRef::Text(id.as_bytes()), id)
}

/// The start and zone of the `id` block holding `id`; the zone is none where unknown.
fn block_zone(conn: &Connection, id: &str) -> rusqlite::Result<Option<(Vec<u8>, Option<Zone>)>> {
    conn.prepare_cached(
        "SELECT start, zone FROM count_blocks WHERE key = 0 AND start <= ?1 \
         ORDER BY start DESC LIMIT 1",
    )?
    .query_row([id_entry(id)], |r| {
        let zone: Option<Vec<u8>> = r.get(1)?;
        Ok((r.get(0)?, zone.as_deref().and_then(Zone::decode)))
    })
    .optional()
}

/// Widens the zone of the block holding customer `id` by `values` of its columns, if
/// given, and `cards` (serial numbers).
pub(super) fn widen(
    conn: &Connection,
    id: &str,
    values: Option<&[ValueRef<'_>]>,
    cards: &[&str],
) -> rusqlite::Result<()> {
    // A block without a known zone may hold anything already.
    let Some((start, Some(zone))) = block_zone(conn, id)? else {
        return Ok(());
    };
    let mut wider = zone.clone();
    if let Some(values) = values {
        wider.add_row(values);
    }
    for serial in cards {
        wider.add_card(serial);
    }
    if wider != zone {
        conn.prepare_cached("UPDATE count_blocks SET zone = ?2 WHERE key = 0 AND start = ?1")?
            .execute(params![start, wider.encode()])?;
    }
    Ok(())
}

/// Whether the values of a write move any slot (so its block's zone may need widening).
pub(super) fn touches(old: &[ValueRef<'_>], new: &[ValueRef<'_>]) -> bool {
    SLOT_COLUMNS.iter().any(|&c| old[c] != new[c])
}

/// Adds one row of [`SLOT_SQL`] to `zone`; returns its id.
fn add_selected(zone: &mut Zone, row: &rusqlite::Row<'_>) -> rusqlite::Result<String> {
    let mut values = [ValueRef::Null; 18];
    let held: Vec<Value> = (1..=6).map(|i| row.get(i)).collect::<Result<_, _>>()?;
    for (value, &column) in held.iter().zip(&SLOT_COLUMNS) {
        values[column] = value.into();
    }
    zone.add_row(&values);
    for i in [7, 8] {
        if let Some(serial) = row.get::<_, Option<String>>(i)? {
            zone.add_card(&serial);
        }
    }
    row.get(0)
}

/// The exact zone of the customers with ids from `from` (none: the first) up to `to`
/// (excluded; none: the last).
fn exact(conn: &Connection, from: Option<&str>, to: Option<&str>) -> rusqlite::Result<Zone> {
    // Two statements: SQLite ends the walk of the index at `to` only when it is a bound
    // of its own.
    let until = if to.is_some() { " AND c.id < ?2" } else { "" };
    let sql = format!(
        "SELECT {SLOT_SQL} FROM customers c INDEXED BY customers_id \
         WHERE c.id >= ?1{until}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let from = from.unwrap_or_default();
    let mut rows = match to {
        Some(to) => stmt.query(params![from, to])?,
        None => stmt.query(params![from])?,
    };
    let mut zone = Zone::default();
    while let Some(row) = rows.next()? {
        add_selected(&mut zone, row)?;
    }
    Ok(zone)
}

/// The `id` blocks in order: start, first id (none for the first block) and zone bytes.
fn blocks(conn: &Connection) -> rusqlite::Result<Vec<IdBlock>> {
    conn.prepare_cached(
        "SELECT start, start_id, zone FROM count_blocks WHERE key = 0 ORDER BY start",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
    .collect()
}

fn store(conn: &Connection, start: &[u8], zone: &Zone) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE count_blocks SET zone = ?2 WHERE key = 0 AND start = ?1")?
        .execute(params![start, zone.encode()])?;
    Ok(())
}

/// Works out the zones of the two blocks a split of the `id` key made: from `first` (none:
/// the first block) to `middle`, and from `middle` to the next block.
pub(super) fn on_split(
    conn: &Connection,
    first: Option<&str>,
    middle: &str,
) -> rusqlite::Result<()> {
    let (start, next): (Vec<u8>, Option<String>) = (
        id_entry(middle),
        conn.prepare_cached(
            "SELECT start_id FROM count_blocks WHERE key = 0 AND start > ?1 \
             ORDER BY start LIMIT 1",
        )?
        .query_row([id_entry(middle)], |r| r.get(0))
        .optional()?
        .flatten(),
    );
    let before = exact(conn, first, Some(middle))?;
    let first_start = first.map_or_else(Vec::new, id_entry);
    store(conn, &first_start, &before)?;
    let after = exact(conn, Some(middle), next.as_deref())?;
    store(conn, &start, &after)
}

/// The zone of `gone`'s block (an `id` block being joined to the one before it, which
/// starts at `previous`) added to that one's.
pub(super) fn on_join(
    conn: &Connection,
    gone: Option<Vec<u8>>,
    previous: &[u8],
) -> rusqlite::Result<()> {
    let theirs: Option<Option<Vec<u8>>> = conn
        .prepare_cached("SELECT zone FROM count_blocks WHERE key = 0 AND start = ?1")?
        .query_row([previous], |r| r.get(0))
        .optional()?;
    let (Some(gone), Some(Some(theirs))) = (gone.as_deref().and_then(Zone::decode), theirs) else {
        // Either is unknown: so is the union.
        conn.prepare_cached("UPDATE count_blocks SET zone = NULL WHERE key = 0 AND start = ?1")?
            .execute([previous])?;
        return Ok(());
    };
    let Some(mut zone) = Zone::decode(&theirs) else {
        return Ok(());
    };
    zone.union(&gone);
    store(conn, previous, &zone)
}

/// The stored zone bytes of the `id` block starting at `start`.
pub(super) fn zone_bytes(conn: &Connection, start: &[u8]) -> rusqlite::Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT zone FROM count_blocks WHERE key = 0 AND start = ?1")?
        .query_row([start], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Works out every `id` block's zone in one walk of the customers in id order.
pub(super) fn rebuild(conn: &Connection) -> rusqlite::Result<()> {
    let starts = blocks(conn)?;
    let sql = format!("SELECT {SLOT_SQL} FROM customers c INDEXED BY customers_id ORDER BY c.id");
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut at = 0;
    let mut zone = Zone::default();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        while let Some((_, Some(next), _)) = starts.get(at + 1)
            && id.as_str() >= next.as_str()
        {
            store(conn, &starts[at].0, &zone)?;
            zone = Zone::default();
            at += 1;
        }
        add_selected(&mut zone, row)?;
    }
    for (start, _, _) in &starts[at.min(starts.len())..] {
        store(conn, start, &zone)?;
        zone = Zone::default();
    }
    Ok(())
}

/// Whether the zone stored for the `id` block at place `at` of the blocks holds each of
/// its customers.
pub(super) fn holds(conn: &Connection, at: usize) -> rusqlite::Result<bool> {
    let starts = blocks(conn)?;
    let Some((_, first, stored)) = starts.get(at) else {
        return Ok(true);
    };
    let Some(stored) = stored else {
        return Ok(true);
    };
    let Some(stored) = Zone::decode(stored) else {
        return Ok(false);
    };
    let next = starts.get(at + 1).and_then(|b| b.1.clone());
    Ok(stored.covers(&exact(conn, first.as_deref(), next.as_deref())?))
}

/// The runs of consecutive `id` blocks where a customer may meet every one of
/// `conditions`: each as the ids it runs from (none: the start) and up to (excluded; none:
/// the end), with how many customers it holds; and their sum.
pub(in crate::store) fn runs(
    conn: &Connection,
    conditions: &[&Counted],
) -> rusqlite::Result<(Vec<IdRun>, u64)> {
    let matchers: Vec<Matcher> = conditions.iter().filter_map(|c| Matcher::new(c)).collect();
    let waiting = Waiting::of(conn, 0)?;
    let mut stmt = conn.prepare_cached(super::BLOCKS)?;
    let mut rows = stmt.query([0])?;
    let mut runs: Vec<IdRun> = Vec::new();
    let mut open = false;
    let mut held = 0u64;
    while let Some(row) = rows.next()? {
        let start = || -> rusqlite::Result<Option<String>> { row.get(2) };
        let n: i64 = row.get::<_, i64>(3)? + waiting.at(row.get_ref(0)?.as_blob()?);
        let may = row
            .get_ref(4)?
            .as_blob_or_null()?
            .is_none_or(|z| matchers.iter().all(|m| m.may_match(z)));
        if may {
            held += n.max(0) as u64;
            if !open {
                runs.push((start()?, None));
                open = true;
            }
        } else if open {
            if let Some(last) = runs.last_mut() {
                last.1 = start()?;
            }
            open = false;
        }
    }
    Ok((runs, held))
}
