//! Users: the one door for adding, listing, changing and removing them, with the rules for
//! names and passwords. The command line, the desk's service and the tests all come here;
//! the store only keeps the rows.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::{ApiError, Auth, LocalApi};
use crate::model::{Actor, FieldError, Rights, UserInfo};
use crate::store::users::{self, UserRecord};
use crate::store::{Snapshot, sessions};

/// Hashes a password with argon2id and a random salt.
fn hash_password(password: &str) -> Result<String, ApiError> {
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

/// Checks a password against the stored user; `None` for an unknown user or a wrong
/// password alike, after the same work, so the answer's timing does not tell which user
/// names exist.
pub(super) fn verify_password(
    snapshot: &Snapshot<'_>,
    user_name: &str,
    password: &str,
) -> Result<Option<UserRecord>, ApiError> {
    let Some((user, hash)) = users::find_user_with_hash(snapshot, user_name)? else {
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

fn no_such_user(user_name: &str) -> ApiError {
    ApiError::NotFound(user_name.to_owned())
}

impl LocalApi {
    /// Checks a user's password and returns the user as an [`Actor`], or 401. The desk signs
    /// in to its own store with this; a server goes through [`Auth::login`], which also
    /// slows down repeated failures and issues tokens.
    pub fn sign_in(&self, user_name: &str, password: &str) -> Result<(Actor, UserInfo), ApiError> {
        let user = self
            .store()
            .read(|s| verify_password(s, user_name.trim(), password))?
            .ok_or_else(|| ApiError::Unauthorized("wrong user name or password".into()))?;
        Ok((Actor::new(user.user_name.clone(), user.rights), user.info()))
    }
}

impl Auth {
    /// Adds a user; the name must be free (case-insensitively) and the password long enough.
    pub fn add_user(
        &self,
        user_name: &str,
        password: &str,
        rights: Rights,
    ) -> Result<UserRecord, ApiError> {
        let user_name = user_name.trim();
        check_user_name(user_name)?;
        check_password(password)?;
        let hash = hash_password(password)?;
        let now = self.api().clock().now().timestamp_micros();
        self.api().store().write(|tx| {
            if users::find_user(tx, user_name)?.is_some() {
                return Err(ApiError::Validation(vec![FieldError::coded(
                    "UserName",
                    format!("a user named {user_name} exists already"),
                    "Unique",
                )]));
            }
            Ok(users::insert_user(tx, user_name, &hash, rights, now)?)
        })
    }

    /// Every user, by name.
    pub fn list_users(&self) -> Result<Vec<UserRecord>, ApiError> {
        Ok(self.api().store().read(users::list_users)?)
    }

    /// How many users there are: none means a first start.
    pub fn user_count(&self) -> Result<u64, ApiError> {
        Ok(self.api().store().read(users::user_count)?)
    }

    /// The user with this name (case-insensitive), if any.
    pub fn find_user(&self, user_name: &str) -> Result<Option<UserRecord>, ApiError> {
        Ok(self
            .api()
            .store()
            .read(|s| users::find_user(s, user_name))?)
    }

    /// Replaces a user's rights; they apply to the user's next request.
    pub fn set_rights(&self, user_name: &str, rights: Rights) -> Result<(), ApiError> {
        self.api().store().write(|tx| {
            if users::set_rights(tx, user_name, rights)? {
                Ok(())
            } else {
                Err(no_such_user(user_name))
            }
        })
    }

    /// Replaces a user's password and signs out every session of that user.
    pub fn set_password(&self, user_name: &str, password: &str) -> Result<(), ApiError> {
        check_password(password)?;
        let hash = hash_password(password)?;
        self.api().store().write(|tx| {
            let user = users::find_user(tx, user_name)?.ok_or_else(|| no_such_user(user_name))?;
            users::set_password_hash(tx, &user.id, &hash)?;
            sessions::delete_user_tokens(tx, &user.id)?;
            Ok(())
        })
    }

    /// Removes a user and their sessions.
    pub fn remove_user(&self, user_name: &str) -> Result<(), ApiError> {
        self.api().store().write(|tx| {
            if users::remove_user(tx, user_name)? {
                Ok(())
            } else {
                Err(no_such_user(user_name))
            }
        })
    }
}
