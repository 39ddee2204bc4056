//! Sign-in state as stored: tokens (by their SHA-256, never the token itself) and the count
//! of recent failed sign-ins per user name. How long a token lives and how failures slow a
//! name down is the API's business (`api::auth`).

use rusqlite::{OptionalExtension, params};

use super::users::{UserRecord, row_to_user};
use super::{Result, Snapshot, Tx};

/// A token row to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub refresh_hash: &'a str,
    pub user_id: &'a str,
    pub device_name: Option<&'a str>,
    /// Microseconds since 1970, UTC.
    pub created: i64,
    pub expires: i64,
}

/// A stored token with its user, as stored now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub user: UserRecord,
    pub token_hash: String,
    pub device_name: Option<String>,
    pub created: i64,
    pub expires: i64,
}

/// Which hash of a token row a lookup goes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHash {
    /// The access token's.
    Access,
    /// The refresh token's.
    Refresh,
}

/// Stores a token.
pub fn insert_token(tx: &Tx<'_>, token: &NewToken<'_>) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "INSERT INTO tokens (token_hash, refresh_hash, user_id, device_name, created, expires)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            token.token_hash,
            token.refresh_hash,
            token.user_id,
            token.device_name,
            token.created,
            token.expires
        ])?;
    Ok(())
}

/// Forgets tokens that expired before `now` and were created before `created_before`.
pub fn prune_tokens(tx: &Tx<'_>, now: i64, created_before: i64) -> Result<()> {
    tx.conn()
        .prepare_cached("DELETE FROM tokens WHERE expires < ?1 AND created < ?2")?
        .execute(params![now, created_before])?;
    Ok(())
}

/// The token whose `which` hash is `hash`, with its user. One indexed lookup: the user's
/// rights are read as stored now.
pub fn find_token(
    snapshot: &Snapshot<'_>,
    which: TokenHash,
    hash: &str,
) -> Result<Option<TokenRecord>> {
    let sql = match which {
        TokenHash::Access => {
            "SELECT u.id, u.user_name, u.display_name, u.rights, t.expires, t.token_hash, t.created, t.device_name
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1"
        }
        TokenHash::Refresh => {
            "SELECT u.id, u.user_name, u.display_name, u.rights, t.expires, t.token_hash, t.created, t.device_name
             FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.refresh_hash = ?1"
        }
    };
    Ok(snapshot
        .conn()
        .prepare_cached(sql)?
        .query_row([hash], |r| {
            Ok(TokenRecord {
                user: row_to_user(r)?,
                expires: r.get(4)?,
                token_hash: r.get(5)?,
                created: r.get(6)?,
                device_name: r.get(7)?,
            })
        })
        .optional()?)
}

/// Deletes the token with this access hash (a sign-out, or a refresh retiring it).
pub fn delete_token(tx: &Tx<'_>, token_hash: &str) -> Result<()> {
    tx.conn()
        .prepare_cached("DELETE FROM tokens WHERE token_hash = ?1")?
        .execute([token_hash])?;
    Ok(())
}

/// Deletes every token of the user with this id (signs out all their desks).
pub fn delete_user_tokens(tx: &Tx<'_>, user_id: &str) -> Result<()> {
    tx.conn()
        .execute("DELETE FROM tokens WHERE user_id = ?1", [user_id])?;
    Ok(())
}

/// The failed sign-ins of `user_name` from `source` whose last one came after `since`: (how
/// many, when the last was).
pub fn recent_failures(
    snapshot: &Snapshot<'_>,
    user_name: &str,
    source: &str,
    since: i64,
) -> Result<Option<(u32, i64)>> {
    Ok(snapshot
        .conn()
        .prepare_cached(
            "SELECT failures, last_time FROM login_failures
             WHERE user_name = ?1 AND source = ?2 AND last_time > ?3",
        )?
        .query_row(params![user_name, source, since], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// The failed sign-ins from `source`, for any user name, whose last one came after `since`:
/// (how many, when the last was).
pub fn recent_source_failures(
    snapshot: &Snapshot<'_>,
    source: &str,
    since: i64,
) -> Result<Option<(u32, i64)>> {
    let (failures, last): (Option<i64>, Option<i64>) = snapshot
        .conn()
        .prepare_cached(
            "SELECT sum(failures), max(last_time) FROM login_failures
             WHERE source = ?1 AND last_time > ?2",
        )?
        .query_row(params![source, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(failures
        .zip(last)
        .map(|(n, last)| (u32::try_from(n).unwrap_or(u32::MAX), last)))
}

/// Counts one more failed sign-in of `user_name` from `source` at `now`, forgetting entries
/// whose last failure is not after `forget_until`, so that guessed names do not pile up.
pub fn record_failure(
    tx: &Tx<'_>,
    user_name: &str,
    source: &str,
    now: i64,
    forget_until: i64,
) -> Result<()> {
    let conn = tx.conn();
    conn.prepare_cached("DELETE FROM login_failures WHERE last_time <= ?1")?
        .execute([forget_until])?;
    conn.prepare_cached(
        "INSERT INTO login_failures (user_name, source, failures, last_time) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (user_name, source) DO UPDATE SET failures = failures + 1, last_time = ?3",
    )?
    .execute(params![user_name, source, now])?;
    Ok(())
}

/// Forgets the failed sign-ins of `user_name` from `source` (after a success from there).
pub fn clear_failures(tx: &Tx<'_>, user_name: &str, source: &str) -> Result<()> {
    tx.conn()
        .prepare_cached("DELETE FROM login_failures WHERE user_name = ?1 AND source = ?2")?
        .execute([user_name, source])?;
    Ok(())
}
