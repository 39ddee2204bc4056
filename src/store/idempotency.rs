//! Responses kept for requests sent with an `Idempotency-Key` header, per user, so that a
//! repeated request gets the first answer instead of acting twice. How long they are kept
//! and what counts as the same request is the API's business (`api::idempotency`).

use rusqlite::{OptionalExtension, params};

use super::{Result, Snapshot, Tx};

/// A response kept for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// The hash of the request it answered.
    pub request_hash: String,
    pub status: u16,
    pub body: Vec<u8>,
}

/// The response kept for `user_name`'s `key`, if any.
pub fn find(snapshot: &Snapshot<'_>, user_name: &str, key: &str) -> Result<Option<StoredResponse>> {
    Ok(snapshot
        .conn()
        .prepare_cached(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE user_name = ?1 AND key = ?2",
        )?
        .query_row(params![user_name, key], |r| {
            Ok(StoredResponse {
                request_hash: r.get(0)?,
                status: r.get(1)?,
                body: r.get(2)?,
            })
        })
        .optional()?)
}

/// Keeps a response for `user_name`'s `key` (the first one kept wins).
pub fn keep(
    tx: &Tx<'_>,
    user_name: &str,
    key: &str,
    response: &StoredResponse,
    now: i64,
) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "INSERT OR IGNORE INTO idempotency_keys (user_name, key, request_hash, status, body, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            user_name,
            key,
            response.request_hash,
            response.status,
            response.body,
            now
        ])?;
    Ok(())
}

/// Forgets the responses kept before `before`.
pub fn forget_before(tx: &Tx<'_>, before: i64) -> Result<()> {
    tx.conn()
        .prepare_cached("DELETE FROM idempotency_keys WHERE created < ?1")?
        .execute([before])?;
    Ok(())
}
