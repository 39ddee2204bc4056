//! A customer's credit ledger in a table of its own (`credit_ledger`), one row per
//! transaction, so that an edit of a customer with years of transactions appends what is new
//! instead of writing the whole ledger again inside its document. The stored document keeps
//! `"creditTransactions":[]`; every read that answers with a customer puts the ledger back in
//! (`customers::api_json` splices the stored JSON of its rows in without parsing them), so
//! the API's shape is unchanged. `customers.ledger_len` says how many rows there are, so a
//! customer without a ledger costs no lookup.
//!
//! A ledger only grows: a write whose ledger extends the stored one (same length and last
//! entry so far) appends; anything else (a replica taking the server's version) replaces it.

use rusqlite::{Connection, params};

use super::{Error, Result};
use crate::model::CreditTransaction;

/// The stored document's ledger member when the ledger lives in `credit_ledger`.
pub(super) const EMPTY_MEMBER: &[u8] = b",\"creditTransactions\":[]";
/// The start of the ledger member in a document as serde writes a [`crate::model::Customer`]:
/// the first occurrence is the customer's own, as it comes before `cards` and `meta` (which
/// may hold anything) and cannot stand inside the strings before it, where every `"` is `\"`.
const MEMBER_START: &[u8] = b",\"creditTransactions\":";

/// The customer's JSON (as serde writes it) with its ledger member emptied: the document as
/// stored. `ledger` is the customer's ledger, whose JSON is cut out.
pub(super) fn strip(mut json: Vec<u8>, ledger: &[CreditTransaction]) -> Result<Vec<u8>> {
    if ledger.is_empty() {
        return Ok(json);
    }
    let array = serde_json::to_vec(ledger).map_err(|e| Error::Encode(e.to_string()))?;
    let start = json
        .windows(MEMBER_START.len())
        .position(|w| w == MEMBER_START)
        .map(|p| p + MEMBER_START.len())
        .filter(|&p| json[p..].starts_with(&array))
        .ok_or_else(|| Error::Encode("the customer's ledger was not where it belongs".into()))?;
    json.splice(start..start + array.len(), *b"[]");
    Ok(json)
}

/// Writes `json` (a stored document's JSON) to `out` with the ledger rows of `rid` in place of
/// its empty ledger member; `false`, having written nothing, if it has no such member.
pub(super) fn write_spliced(
    conn: &Connection,
    rid: i64,
    json: &[u8],
    out: &mut Vec<u8>,
) -> Result<bool> {
    let Some(at) = json
        .windows(EMPTY_MEMBER.len())
        .position(|w| w == EMPTY_MEMBER)
    else {
        return Ok(false);
    };
    // Everything up to the member's `[]`, the rows in its place, and the rest after it.
    let array = at + EMPTY_MEMBER.len() - 2;
    out.extend_from_slice(&json[..array]);
    out.push(b'[');
    for_each_entry(conn, rid, |n, entry| {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(entry);
        Ok(())
    })?;
    out.push(b']');
    out.extend_from_slice(&json[array + 2..]);
    Ok(true)
}

/// Calls `f` with each stored entry's JSON of `rid`, in order; returns how many there were.
fn for_each_entry(
    conn: &Connection,
    rid: i64,
    mut f: impl FnMut(usize, &[u8]) -> Result<()>,
) -> Result<usize> {
    let mut stmt =
        conn.prepare_cached("SELECT entry FROM credit_ledger WHERE rid = ?1 ORDER BY n")?;
    let mut rows = stmt.query([rid])?;
    let mut n = 0;
    while let Some(row) = rows.next()? {
        let packed = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
        f(n, &super::doc::unpack(packed)?)?;
        n += 1;
    }
    Ok(n)
}

/// The ledger of `rid`, in order.
pub(super) fn read(conn: &Connection, rid: i64) -> Result<Vec<CreditTransaction>> {
    let mut ledger = Vec::new();
    for_each_entry(conn, rid, |_, entry| {
        ledger.push(serde_json::from_slice(entry).map_err(|e| {
            Error::Corrupt(format!("a stored credit transaction is unreadable: {e}"))
        })?);
        Ok(())
    })?;
    Ok(ledger)
}

/// Brings the stored ledger of `rid` (`stored_len` rows) in line with `ledger`: appends when
/// `ledger` extends it, replaces it otherwise.
pub(super) fn write(
    conn: &Connection,
    rid: i64,
    stored_len: usize,
    ledger: &[CreditTransaction],
) -> Result<()> {
    let extends = stored_len == 0
        || (ledger.len() >= stored_len
            && last_id(conn, rid)?.as_deref() == Some(&ledger[stored_len - 1].id));
    let from = if extends {
        stored_len
    } else {
        delete(conn, rid)?;
        0
    };
    let mut insert =
        conn.prepare_cached("INSERT INTO credit_ledger (rid, n, entry) VALUES (?1, ?2, ?3)")?;
    for (n, entry) in ledger.iter().enumerate().skip(from) {
        let json = serde_json::to_vec(entry).map_err(|e| Error::Encode(e.to_string()))?;
        insert.execute(params![rid, n as i64, super::doc::pack(&json)?])?;
    }
    Ok(())
}

/// The id of the last stored transaction of `rid`.
fn last_id(conn: &Connection, rid: i64) -> Result<Option<String>> {
    use rusqlite::OptionalExtension as _;
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    let packed: Option<Vec<u8>> = conn
        .prepare_cached("SELECT entry FROM credit_ledger WHERE rid = ?1 ORDER BY n DESC LIMIT 1")?
        .query_row([rid], |r| r.get(0))
        .optional()?;
    packed
        .map(|packed| {
            let entry: Id = serde_json::from_slice(&super::doc::unpack(&packed)?).map_err(|e| {
                Error::Corrupt(format!("a stored credit transaction is unreadable: {e}"))
            })?;
            Ok(entry.id)
        })
        .transpose()
}

/// Removes the ledger of `rid` (with its customer).
pub(super) fn delete(conn: &Connection, rid: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM credit_ledger WHERE rid = ?1")?
        .execute([rid])?;
    Ok(())
}
