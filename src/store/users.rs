//! Users of the desk and the server: names, password hashes and rights, as stored. Which
//! names and passwords are acceptable, and how a password is hashed and checked, is the
//! API's business (`api::auth`).

use rusqlite::{OptionalExtension, params};

use super::{Result, Snapshot, Tx};
use crate::model::{Rights, UserInfo};

/// A stored user (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub user_name: String,
    pub display_name: String,
    pub rights: Rights,
}

impl UserRecord {
    /// The `GET /api/auth` view of the user.
    pub fn info(&self) -> UserInfo {
        UserInfo {
            id: self.id.clone(),
            name: self.display_name.clone(),
            user_name: self.user_name.clone(),
            rights: self.rights.names(),
        }
    }
}

const SELECT_USER: &str = "SELECT id, user_name, display_name, rights FROM users";

/// Reads a row of [`SELECT_USER`] (and of queries that start with its four columns).
pub(super) fn row_to_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    let rights: String = r.get(3)?;
    Ok(UserRecord {
        id: r.get(0)?,
        user_name: r.get(1)?,
        display_name: r.get(2)?,
        rights: Rights::parse_list(&rights).unwrap_or_default(),
    })
}

/// Inserts a user whose name is free, with a new random id and the given password hash.
pub fn insert_user(
    tx: &Tx<'_>,
    user_name: &str,
    password_hash: &str,
    rights: Rights,
    now_micros: i64,
) -> Result<UserRecord> {
    let id = hex::encode(rand::random::<[u8; 12]>());
    tx.conn().execute(
        "INSERT INTO users (id, user_name, display_name, password_hash, rights, created) VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
        params![id, user_name, password_hash, rights.to_string(), now_micros],
    )?;
    Ok(UserRecord {
        id,
        user_name: user_name.to_owned(),
        display_name: user_name.to_owned(),
        rights,
    })
}

/// The user with this name (case-insensitive), if any.
pub fn find_user(snapshot: &Snapshot<'_>, user_name: &str) -> Result<Option<UserRecord>> {
    Ok(snapshot
        .conn()
        .prepare_cached(&format!("{SELECT_USER} WHERE user_name = ?1"))?
        .query_row([user_name], row_to_user)
        .optional()?)
}

/// The user with this name and their stored password hash, if any.
pub fn find_user_with_hash(
    snapshot: &Snapshot<'_>,
    user_name: &str,
) -> Result<Option<(UserRecord, String)>> {
    Ok(snapshot
        .conn()
        .prepare_cached(
            "SELECT id, user_name, display_name, rights, password_hash FROM users WHERE user_name = ?1",
        )?
        .query_row([user_name], |r| Ok((row_to_user(r)?, r.get(4)?)))
        .optional()?)
}

/// Every user, by name.
pub fn list_users(snapshot: &Snapshot<'_>) -> Result<Vec<UserRecord>> {
    let conn = snapshot.conn();
    let mut stmt = conn.prepare(&format!("{SELECT_USER} ORDER BY user_name"))?;
    let users = stmt
        .query_map([], row_to_user)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(users)
}

/// A stored user with when they last signed in (microseconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserListing {
    pub user: UserRecord,
    pub last_sign_in: Option<i64>,
}

/// Reads a row of `id, user_name, display_name, rights, last_sign_in`.
fn row_to_listing(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserListing> {
    Ok(UserListing {
        user: row_to_user(r)?,
        last_sign_in: r.get(4)?,
    })
}

/// Every user with their last sign-in, by name.
pub fn list_user_listings(snapshot: &Snapshot<'_>) -> Result<Vec<UserListing>> {
    let conn = snapshot.conn();
    let mut stmt = conn.prepare(
        "SELECT id, user_name, display_name, rights, last_sign_in FROM users ORDER BY user_name",
    )?;
    let users = stmt
        .query_map([], row_to_listing)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(users)
}

/// The user with this name and their last sign-in, if any.
pub fn find_user_listing(snapshot: &Snapshot<'_>, user_name: &str) -> Result<Option<UserListing>> {
    Ok(snapshot
        .conn()
        .prepare_cached(
            "SELECT id, user_name, display_name, rights, last_sign_in FROM users WHERE user_name = ?1",
        )?
        .query_row([user_name], row_to_listing)
        .optional()?)
}

/// Records that the user with this id signed in at `now_micros`.
pub fn record_sign_in(tx: &Tx<'_>, user_id: &str, now_micros: i64) -> Result<()> {
    tx.conn().execute(
        "UPDATE users SET last_sign_in = ?1 WHERE id = ?2",
        params![now_micros, user_id],
    )?;
    Ok(())
}

/// Replaces the name shown for the user with this id.
pub fn set_display_name(tx: &Tx<'_>, user_id: &str, display_name: &str) -> Result<()> {
    tx.conn().execute(
        "UPDATE users SET display_name = ?1 WHERE id = ?2",
        params![display_name, user_id],
    )?;
    Ok(())
}

/// How many users exist (none means the first start).
pub fn user_count(snapshot: &Snapshot<'_>) -> Result<u64> {
    let n: i64 = snapshot
        .conn()
        .query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// Replaces a user's rights; `false` when there is no such user.
pub fn set_rights(tx: &Tx<'_>, user_name: &str, rights: Rights) -> Result<bool> {
    let n = tx.conn().execute(
        "UPDATE users SET rights = ?1 WHERE user_name = ?2",
        params![rights.to_string(), user_name],
    )?;
    Ok(n > 0)
}

/// Replaces the password hash of the user with this id.
pub fn set_password_hash(tx: &Tx<'_>, user_id: &str, password_hash: &str) -> Result<()> {
    tx.conn().execute(
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        params![password_hash, user_id],
    )?;
    Ok(())
}

/// Removes a user, and with them (by the foreign key) their tokens; `false` when there is no
/// such user.
pub fn remove_user(tx: &Tx<'_>, user_name: &str) -> Result<bool> {
    let n = tx
        .conn()
        .execute("DELETE FROM users WHERE user_name = ?1", [user_name])?;
    Ok(n > 0)
}
