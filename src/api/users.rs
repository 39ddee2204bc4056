//! Users: the one door for adding, listing, changing and removing them, with the rules for
//! names and passwords. The command line, the desk's service and the tests all come here;
//! the store only keeps the rows.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::{ApiError, Auth, LocalApi};
use crate::model::{Actor, FieldError, Right, Rights, UserInfo};
use crate::store::users::{self, UserRecord};
use crate::store::{Snapshot, sessions};

/// Hashes a password with argon2id and a random salt. A desk also keeps its server user's
/// password this way, to let them sign in again while the server is away.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Whether `password` is the one `hash` (from [`hash_password`]) was made of.
pub fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
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

/// The 10,000 most common passwords of 8 characters or more, one per line, lowercase: the
/// `passwords` frequency list of zxcvbn 4.4.28 (MIT; from leaked password sets), filtered to
/// that length. Current guidance (NIST SP 800-63B) asks to refuse those, not to demand
/// symbols.
const COMMON_PASSWORDS: &str = include_str!("../../assets/common-passwords.txt");

static COMMON: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| COMMON_PASSWORDS.lines().collect());

/// The password rules of the contract: 6 characters at least, and for an account holding
/// every right (which can read, change and delete every customer, and manage the users) 8
/// and not one of the most common passwords.
pub(super) fn check_password(password: &str, rights: Rights) -> Result<(), ApiError> {
    let chars = password.chars().count();
    if rights.has(Right::Admin) {
        if chars < 8 {
            return Err(ApiError::invalid(
                "Password",
                "an account with every right needs a password of at least 8 characters",
            ));
        }
        if COMMON.contains(password.to_lowercase().as_str()) {
            return Err(ApiError::invalid(
                "Password",
                "is one of the most common passwords, which are guessed first: choose another",
            ));
        }
    } else if chars < 6 {
        return Err(ApiError::invalid(
            "Password",
            "must have at least 6 characters",
        ));
    }
    Ok(())
}

/// A user to add: the name must be free and the password must pass [`check_password`].
pub(super) struct NewUserRecord<'a> {
    pub user_name: &'a str,
    /// The name shown; the user name when `None`.
    pub display_name: Option<&'a str>,
    pub password: &'a str,
    pub rights: Rights,
}

/// Adds a user, in one transaction: the command line (through [`Auth::add_user`]) and the
/// `/api/users` routes (through `LocalApi::create_user`) both come here.
pub(super) fn add_user(api: &LocalApi, user: &NewUserRecord<'_>) -> Result<UserRecord, ApiError> {
    let user_name = user.user_name.trim();
    check_user_name(user_name)?;
    check_password(user.password, user.rights)?;
    let hash = hash_password(user.password)?;
    let now = api.clock().now().timestamp_micros();
    api.store().write(|tx| {
        if users::find_user(tx, user_name)?.is_some() {
            return Err(ApiError::Validation(vec![FieldError::coded(
                "UserName",
                format!("a user named {user_name} exists already"),
                "Unique",
            )]));
        }
        let mut record = users::insert_user(tx, user_name, &hash, user.rights, now)?;
        if let Some(name) = user.display_name.filter(|n| *n != user_name) {
            users::set_display_name(tx, &record.id, name)?;
            name.clone_into(&mut record.display_name);
        }
        Ok(record)
    })
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
    ApiError::NoSuchUser(user_name.to_owned())
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
        self.record_sign_in(&user);
        Ok((Actor::new(user.user_name.clone(), user.rights), user.info()))
    }

    /// Notes the time of a sign-in for the *Users* view. A sign-in that cannot note it (a
    /// full disk, a busy store) still goes through: the time is only information.
    pub(super) fn record_sign_in(&self, user: &UserRecord) {
        let now = self.clock().now().timestamp_micros();
        if let Err(e) = self
            .store()
            .write(|tx| Ok::<_, ApiError>(users::record_sign_in(tx, &user.id, now)?))
        {
            tracing::warn!("the sign-in of {} was not noted: {e}", user.user_name);
        }
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
        add_user(
            self.api(),
            &NewUserRecord {
                user_name,
                display_name: None,
                password,
                rights,
            },
        )
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
        let user = self
            .find_user(user_name)?
            .ok_or_else(|| no_such_user(user_name))?;
        check_password(password, user.rights)?;
        let hash = hash_password(password)?;
        self.api().store().write(|tx| {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::api::{AuthPolicy, LocalApi};
    use crate::model::Right;
    use crate::store::Store;

    fn auth() -> Auth {
        let api = LocalApi::with_system_clock(Store::open_in_memory().unwrap());
        Auth::new(Arc::new(api), AuthPolicy::default())
    }

    fn refusal(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        match result {
            Err(ApiError::Validation(errors)) => errors[0].message.clone(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn an_account_with_every_right_needs_a_long_uncommon_password() {
        let auth = auth();
        assert!(refusal(auth.add_user("owner", "k7#pQ2", Rights::admin())).contains("at least 8"));
        for common in ["password1", "Baseball", "qwertyuiop"] {
            assert!(
                refusal(auth.add_user("owner", common, Rights::admin())).contains("most common"),
                "{common}"
            );
        }
        auth.add_user("owner", "kôň-skáče-cez-plot", Rights::admin())
            .expect("a long uncommon password");
        assert!(
            refusal(auth.set_password("owner", "football")).contains("most common"),
            "a new password of the owner is held to the same rule"
        );
        // A clerk who may only create customers may keep a six-digit PIN.
        auth.add_user("clerk", "471147", Rights::NONE.with(Right::CustomerCreate))
            .expect("a clerk's short password");
        assert!(refusal(auth.add_user("clerk2", "abcde", Rights::NONE)).contains("at least 6"));
    }
}
