//! A desk's replica of a shop server, as stored: which server it follows and where it is in
//! the server's feed (`store_meta`), the last server version of each customer (the shadow),
//! the local writes still to push (the outbox) and the clashes a person decides (conflicts).
//! All of it is written in the same transactions as the changes it describes. What is pushed
//! when, and how versions merge, is the sync engine's business; which writes are recorded is
//! the API's.

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

use super::customers::{decode_doc, encode_doc, encode_whole_doc};
use super::{Error, Result, Snapshot, Tx};
use crate::model::Customer;

/// The `store_meta` name whose presence makes a store a replica: the server's address.
pub const SERVER_URL: &str = "replica.server_url";

/// A value of `store_meta` (`replica.*` names, and `server_id`).
pub fn meta(snapshot: &Snapshot<'_>, name: &str) -> Result<Option<String>> {
    meta_of(snapshot.conn(), name)
}

fn meta_of(conn: &Connection, name: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM store_meta WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

/// Sets (or, with `None`, removes) a value of `store_meta`.
pub fn set_meta(tx: &Tx<'_>, name: &str, value: Option<&str>) -> Result<()> {
    let conn = tx.conn();
    match value {
        Some(value) => conn
            .prepare_cached("INSERT OR REPLACE INTO store_meta (name, value) VALUES (?1, ?2)")?
            .execute(params![name, value])?,
        None => conn
            .prepare_cached("DELETE FROM store_meta WHERE name = ?1")?
            .execute([name])?,
    };
    Ok(())
}

/// Whether this store is a replica of a server (its local writes go into the outbox).
pub fn is_attached(snapshot: &Snapshot<'_>) -> Result<bool> {
    Ok(meta(snapshot, SERVER_URL)?.is_some())
}

/// What a local write left to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxKind {
    /// The customer's fields changed (or it was created): pushed as the difference between
    /// the local customer and its shadow.
    Write,
    /// One credit adjustment, pushed as its own operation.
    Credit {
        operation_id: String,
        amount: Decimal,
        note: Option<String>,
    },
    /// The customer was deleted here.
    Delete,
}

/// One entry of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The order the writes were made in.
    pub seq: i64,
    pub customer_id: String,
    pub kind: OutboxKind,
    pub user_name: String,
    /// Microseconds since 1970, UTC.
    pub time: i64,
    /// The server's reason for refusing it, when it waits for a person.
    pub parked: Option<String>,
}

/// Records a local write to push.
pub fn enqueue(
    tx: &Tx<'_>,
    customer_id: &str,
    kind: &OutboxKind,
    user_name: &str,
    time: i64,
) -> Result<()> {
    let (name, operation_id, amount, note) = match kind {
        OutboxKind::Write => ("write", None, None, None),
        OutboxKind::Credit {
            operation_id,
            amount,
            note,
        } => (
            "credit",
            Some(operation_id.as_str()),
            Some(amount.to_string()),
            note.as_deref(),
        ),
        OutboxKind::Delete => ("delete", None, None, None),
    };
    tx.conn()
        .prepare_cached(
            "INSERT INTO replica_outbox (customer_id, kind, operation_id, amount, note, user_name, time)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![customer_id, name, operation_id, amount, note, user_name, time])?;
    Ok(())
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<(OutboxEntry, Option<String>)> {
    let kind: String = r.get(2)?;
    let amount: Option<String> = r.get(4)?;
    let entry = OutboxEntry {
        seq: r.get(0)?,
        customer_id: r.get(1)?,
        kind: match kind.as_str() {
            "credit" => OutboxKind::Credit {
                operation_id: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                amount: Decimal::ZERO,
                note: r.get(5)?,
            },
            "delete" => OutboxKind::Delete,
            _ => OutboxKind::Write,
        },
        user_name: r.get(6)?,
        time: r.get(7)?,
        parked: r.get(8)?,
    };
    Ok((entry, amount))
}

const SELECT_OUTBOX: &str = "SELECT seq, customer_id, kind, operation_id, amount, note, user_name, time, parked FROM replica_outbox";

fn read_entries(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<OutboxEntry>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(args, row_to_entry)?;
    let mut entries = Vec::new();
    for row in rows {
        let (mut entry, amount) = row?;
        if let OutboxKind::Credit { amount: a, .. } = &mut entry.kind {
            *a = amount
                .as_deref()
                .unwrap_or("0")
                .parse()
                .map_err(|e| Error::Corrupt(format!("outbox entry {}: {e}", entry.seq)))?;
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// The customer's outbox entries, oldest first (parked ones included).
pub fn outbox_of(snapshot: &Snapshot<'_>, customer_id: &str) -> Result<Vec<OutboxEntry>> {
    read_entries(
        snapshot.conn(),
        &format!("{SELECT_OUTBOX} WHERE customer_id = ?1 ORDER BY seq"),
        [customer_id],
    )
}

/// Every outbox entry, oldest first.
pub fn outbox(snapshot: &Snapshot<'_>) -> Result<Vec<OutboxEntry>> {
    read_entries(
        snapshot.conn(),
        &format!("{SELECT_OUTBOX} ORDER BY seq"),
        [],
    )
}

/// Up to `limit` customers with any outbox entry (parked ones too): what this desk holds
/// that the server does not have yet.
pub fn customers_with_entries(snapshot: &Snapshot<'_>, limit: usize) -> Result<Vec<String>> {
    let mut stmt = snapshot
        .conn()
        .prepare_cached("SELECT DISTINCT customer_id FROM replica_outbox LIMIT ?1")?;
    let ids = stmt
        .query_map([limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Up to `limit` customers with entries to push (not parked, no open conflict), in the
/// order of their oldest entry.
pub fn customers_to_push(snapshot: &Snapshot<'_>, limit: usize) -> Result<Vec<String>> {
    let mut stmt = snapshot.conn().prepare_cached(
        "SELECT customer_id FROM replica_outbox o
         WHERE parked IS NULL
           AND NOT EXISTS (SELECT 1 FROM replica_conflicts k WHERE k.customer_id = o.customer_id)
         GROUP BY customer_id
         ORDER BY min(seq) LIMIT ?1",
    )?;
    let ids = stmt
        .query_map([limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Removes one outbox entry (pushed, or made moot).
pub fn remove_entry(tx: &Tx<'_>, seq: i64) -> Result<()> {
    tx.conn()
        .prepare_cached("DELETE FROM replica_outbox WHERE seq = ?1")?
        .execute([seq])?;
    Ok(())
}

/// Removes every outbox entry of the customer of one kind (`write` or `delete`).
pub fn remove_entries_of_kind(tx: &Tx<'_>, customer_id: &str, kind: &OutboxKind) -> Result<()> {
    let name = match kind {
        OutboxKind::Write => "write",
        OutboxKind::Credit { .. } => "credit",
        OutboxKind::Delete => "delete",
    };
    tx.conn()
        .prepare_cached("DELETE FROM replica_outbox WHERE customer_id = ?1 AND kind = ?2")?
        .execute(params![customer_id, name])?;
    Ok(())
}

/// Parks an entry with the server's reason (`None` puts it back in line).
pub fn park(tx: &Tx<'_>, seq: i64, reason: Option<&str>) -> Result<()> {
    tx.conn()
        .prepare_cached("UPDATE replica_outbox SET parked = ?2 WHERE seq = ?1")?
        .execute(params![seq, reason])?;
    Ok(())
}

/// The sum of the customer's pending credit adjustments that spend (negative ones).
pub fn pending_spending(snapshot: &Snapshot<'_>, customer_id: &str) -> Result<Decimal> {
    Ok(outbox_of(snapshot, customer_id)?
        .into_iter()
        .filter_map(|e| match e.kind {
            OutboxKind::Credit { amount, .. } if amount.is_sign_negative() => Some(amount),
            _ => None,
        })
        .sum())
}

/// Counts for a status line: entries waiting to be pushed, parked entries, open conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplicaCounts {
    pub pending: u64,
    pub parked: u64,
    pub conflicts: u64,
}

/// How much waits for the server or for a person.
pub fn counts(snapshot: &Snapshot<'_>) -> Result<ReplicaCounts> {
    let conn = snapshot.conn();
    let (pending, parked): (i64, i64) = conn
        .prepare_cached("SELECT count(*) - count(parked), count(parked) FROM replica_outbox")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let conflicts: i64 = conn
        .prepare_cached("SELECT count(*) FROM replica_conflicts")?
        .query_row([], |r| r.get(0))?;
    Ok(ReplicaCounts {
        pending: pending.max(0) as u64,
        parked: parked.max(0) as u64,
        conflicts: conflicts.max(0) as u64,
    })
}

/// A shadow as read: its own document, and the local row id and document.
type ShadowRow = (Option<Vec<u8>>, Option<i64>, Option<Vec<u8>>);

/// The customer's shadow: the last version of it this desk had from the server.
pub fn shadow(snapshot: &Snapshot<'_>, customer_id: &str) -> Result<Option<Customer>> {
    // A shadow without a document of its own is the local customer, ledger and all.
    let found: Option<ShadowRow> = snapshot
        .conn()
        .prepare_cached(
            "SELECT s.doc, c.rid, d.doc FROM replica_shadows s
             LEFT JOIN customers c ON c.id = s.customer_id
             LEFT JOIN customer_docs d ON d.rid = c.rid
             WHERE s.customer_id = ?1",
        )?
        .query_row([customer_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    match found {
        Some((Some(own), _, _)) => Ok(Some(decode_doc(&own)?)),
        Some((None, Some(rid), Some(local))) => {
            Ok(Some(super::customers::decode_row(snapshot, rid, &local)?))
        }
        _ => Ok(None),
    }
}

/// Records that the local customer is exactly the server's version `version`: its shadow is
/// its own document (kept aside by the store before a local change writes another).
pub fn set_shadow_to_local(tx: &Tx<'_>, customer_id: &str, version: i64) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "INSERT OR REPLACE INTO replica_shadows (customer_id, version, doc) VALUES (?1, ?2, NULL)",
        )?
        .execute(params![customer_id, version])?;
    Ok(())
}

/// Before the local customer at `rid` is changed or deleted: a shadow that is its document
/// gets a copy of it, whole (its ledger too, which the row keeps in `credit_ledger`).
pub(super) fn keep_shadow_doc(conn: &Connection, customer_id: &str, rid: i64) -> Result<()> {
    let same_as_local: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM replica_shadows WHERE customer_id = ?1 AND doc IS NULL)",
        )?
        .query_row([customer_id], |r| r.get(0))?;
    if !same_as_local {
        return Ok(());
    }
    let doc: Vec<u8> = conn
        .prepare_cached("SELECT doc FROM customer_docs WHERE rid = ?1")?
        .query_row([rid], |r| r.get(0))?;
    let local = super::customers::decode_row(&Snapshot(conn), rid, &doc)?;
    conn.prepare_cached("UPDATE replica_shadows SET doc = ?2 WHERE customer_id = ?1")?
        .execute(params![customer_id, encode_whole_doc(&local)?])?;
    Ok(())
}

/// Every shadow's id and version.
pub fn shadow_versions(snapshot: &Snapshot<'_>) -> Result<Vec<(String, i64)>> {
    let mut stmt = snapshot
        .conn()
        .prepare_cached("SELECT customer_id, version FROM replica_shadows ORDER BY customer_id")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Sets the customer's shadow to the server's version `customer`.
pub fn set_shadow(tx: &Tx<'_>, customer: &Customer) -> Result<()> {
    let doc = encode_whole_doc(customer)?;
    tx.conn()
        .prepare_cached(
            "INSERT OR REPLACE INTO replica_shadows (customer_id, version, doc) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![customer.id, customer.version, doc])?;
    Ok(())
}

/// Forgets the customer's shadow (deleted on the server).
pub fn remove_shadow(tx: &Tx<'_>, customer_id: &str) -> Result<()> {
    tx.conn()
        .prepare_cached("DELETE FROM replica_shadows WHERE customer_id = ?1")?
        .execute([customer_id])?;
    Ok(())
}

/// Forgets every shadow (the server's history changed: a restore or a new database).
pub fn clear_shadows(tx: &Tx<'_>) -> Result<()> {
    tx.conn().execute("DELETE FROM replica_shadows", [])?;
    Ok(())
}

/// A clash for a person to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictRecord {
    pub customer_id: String,
    /// The version both sides started from; `None` when the desk never had one.
    pub base: Option<Customer>,
    /// The server's version; `None` when the server deleted the customer.
    pub theirs: Option<Customer>,
    /// The clashing fields (JSON paths such as `email`, `cards[123].status`), as JSON text.
    pub fields: String,
    /// The fields that merged by themselves, as JSON text.
    pub merged: String,
    pub detected: i64,
}

/// Records (or replaces) the customer's conflict.
pub fn put_conflict(tx: &Tx<'_>, conflict: &ConflictRecord) -> Result<()> {
    let base = conflict.base.as_ref().map(encode_whole_doc).transpose()?;
    let theirs = conflict.theirs.as_ref().map(encode_whole_doc).transpose()?;
    tx.conn()
        .prepare_cached(
            "INSERT OR REPLACE INTO replica_conflicts (customer_id, base, theirs, fields, merged, detected)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            conflict.customer_id,
            base,
            theirs,
            conflict.fields,
            conflict.merged,
            conflict.detected
        ])?;
    Ok(())
}

/// A conflict row: id, base and theirs documents, fields, merged, detected.
type ConflictRow = (
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    String,
    String,
    i64,
);

fn row_to_conflict(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConflictRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

/// Every open conflict, oldest first.
pub fn conflicts(snapshot: &Snapshot<'_>) -> Result<Vec<ConflictRecord>> {
    read_conflicts(
        snapshot.conn(),
        "SELECT customer_id, base, theirs, fields, merged, detected FROM replica_conflicts ORDER BY detected, customer_id",
        [],
    )
}

/// The customer's open conflict, if any: one lookup by key (a pull asks for every customer
/// it applies).
pub fn conflict_of(snapshot: &Snapshot<'_>, customer_id: &str) -> Result<Option<ConflictRecord>> {
    Ok(read_conflicts(
        snapshot.conn(),
        "SELECT customer_id, base, theirs, fields, merged, detected FROM replica_conflicts WHERE customer_id = ?1",
        [customer_id],
    )?
    .pop())
}

fn read_conflicts(
    conn: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<ConflictRecord>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(args, row_to_conflict)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(customer_id, base, theirs, fields, merged, detected)| {
            Ok(ConflictRecord {
                customer_id,
                base: base.map(|d| decode_doc(&d)).transpose()?,
                theirs: theirs.map(|d| decode_doc(&d)).transpose()?,
                fields,
                merged,
                detected,
            })
        })
        .collect()
}

/// Closes the customer's conflict.
pub fn remove_conflict(tx: &Tx<'_>, customer_id: &str) -> Result<()> {
    tx.conn()
        .prepare_cached("DELETE FROM replica_conflicts WHERE customer_id = ?1")?
        .execute([customer_id])?;
    Ok(())
}

/// Stores the server's version of a customer as the local one, without recording anything
/// to push: inserted or replaced whole. A card serial or external id the server gave this
/// customer is taken from any other local customer still holding it (that one's own change
/// follows in the feed).
pub fn apply_server_customer(tx: &Tx<'_>, customer: &Customer) -> Result<()> {
    let conn = tx.conn();
    let doc = encode_doc(customer)?;
    for card in &customer.cards {
        if let Some(serial) = card.serial_number.as_deref() {
            super::customers::take_card(conn, serial, &customer.id)?;
        }
    }
    if let Some(external_id) = customer.external_id.as_deref() {
        super::customers::take_external_id(conn, external_id, &customer.id)?;
    }
    match super::customers::find_by_id(tx, &customer.id)? {
        Some((rid, _)) => super::customers::update(tx, rid, customer, &doc),
        None => super::customers::insert(tx, customer, &doc).map(|_| ()),
    }
}

/// Deletes the local customer `id` because the server deleted it; nothing is recorded to
/// push. Returns whether there was one.
pub fn apply_server_delete(tx: &Tx<'_>, customer_id: &str) -> Result<bool> {
    match super::customers::find_by_id(tx, customer_id)? {
        Some((rid, _)) => {
            super::customers::delete(tx, rid)?;
            Ok(true)
        }
        None => Ok(false),
    }
}
