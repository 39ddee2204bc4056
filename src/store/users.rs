//! Users of the desk and the server: names, argon2 password hashes and rights.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rusqlite::{Connection, OptionalExtension, params};

use crate::api::ApiError;
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

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn check_user_name(name: &str) -> Result<(), ApiError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "UserName",
            "use 1 to 64 letters, digits, '.', '_', '-' or '@'",
        ))
    }
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 4 {
        return Err(ApiError::invalid(
            "Password",
            "must have at least 4 characters",
        ));
    }
    Ok(())
}

fn row_to_user(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    let rights: String = r.get(3)?;
    Ok(UserRecord {
        id: r.get(0)?,
        user_name: r.get(1)?,
        display_name: r.get(2)?,
        rights: Rights::parse_list(&rights).unwrap_or_default(),
    })
}

/// Adds a user; the name must be free (case-insensitively).
pub fn add_user(
    conn: &Connection,
    user_name: &str,
    password: &str,
    rights: Rights,
    now_micros: i64,
) -> Result<UserRecord, ApiError> {
    check_user_name(user_name)?;
    check_password(password)?;
    if find_user(conn, user_name)?.is_some() {
        return Err(ApiError::Validation(vec![crate::model::FieldError::coded(
            "UserName",
            format!("a user named {user_name} exists already"),
            "Unique",
        )]));
    }
    let id = hex::encode(rand::random::<[u8; 12]>());
    conn.execute(
        "INSERT INTO users (id, user_name, display_name, password_hash, rights, created) VALUES (?1, ?2, ?2, ?3, ?4, ?5)",
        params![id, user_name, hash_password(password)?, rights.to_string(), now_micros],
    )?;
    Ok(UserRecord {
        id,
        user_name: user_name.to_owned(),
        display_name: user_name.to_owned(),
        rights,
    })
}

/// The user with this name (case-insensitive), if any.
pub fn find_user(conn: &Connection, user_name: &str) -> Result<Option<UserRecord>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT id, user_name, display_name, rights FROM users WHERE user_name = ?1",
            [user_name],
            row_to_user,
        )
        .optional()?)
}

/// Every user, by name.
pub fn list_users(conn: &Connection) -> Result<Vec<UserRecord>, ApiError> {
    let mut stmt =
        conn.prepare("SELECT id, user_name, display_name, rights FROM users ORDER BY user_name")?;
    let users = stmt
        .query_map([], row_to_user)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(users)
}

/// How many users exist (none means the first start).
pub fn user_count(conn: &Connection) -> Result<u64, ApiError> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get::<_, i64>(0))? as u64)
}

/// Checks a password; `None` for an unknown user or a wrong password alike.
pub fn verify_password(
    conn: &Connection,
    user_name: &str,
    password: &str,
) -> Result<Option<UserRecord>, ApiError> {
    let row: Option<(String, UserRecord)> = conn
        .query_row(
            "SELECT id, user_name, display_name, rights, password_hash FROM users WHERE user_name = ?1",
            [user_name],
            |r| Ok((r.get(4)?, row_to_user(r)?)),
        )
        .optional()?;
    let Some((hash, user)) = row else {
        // Spend the same work as for a real user, so the answer's timing does not tell
        // which user names exist.
        static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let dummy =
            DUMMY_HASH.get_or_init(|| hash_password("not a real password").unwrap_or_default());
        if let Ok(parsed) = PasswordHash::new(dummy) {
            let _ = Argon2::default().verify_password(password.as_bytes(), &parsed);
        }
        return Ok(None);
    };
    let parsed = PasswordHash::new(&hash).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        .then_some(user))
}

/// Replaces a user's rights.
pub fn set_rights(conn: &Connection, user_name: &str, rights: Rights) -> Result<(), ApiError> {
    let n = conn.execute(
        "UPDATE users SET rights = ?1 WHERE user_name = ?2",
        params![rights.to_string(), user_name],
    )?;
    if n == 0 {
        return Err(ApiError::NotFound(user_name.to_owned()));
    }
    Ok(())
}

/// Replaces a user's password and signs out every session of that user.
pub fn set_password(conn: &Connection, user_name: &str, password: &str) -> Result<(), ApiError> {
    check_password(password)?;
    let user =
        find_user(conn, user_name)?.ok_or_else(|| ApiError::NotFound(user_name.to_owned()))?;
    conn.execute(
        "UPDATE users SET password_hash = ?1 WHERE id = ?2",
        params![hash_password(password)?, user.id],
    )?;
    conn.execute("DELETE FROM tokens WHERE user_id = ?1", [user.id])?;
    Ok(())
}

/// Removes a user and their sessions.
pub fn remove_user(conn: &Connection, user_name: &str) -> Result<(), ApiError> {
    let n = conn.execute("DELETE FROM users WHERE user_name = ?1", [user_name])?;
    if n == 0 {
        return Err(ApiError::NotFound(user_name.to_owned()));
    }
    Ok(())
}
