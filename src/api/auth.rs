//! Signing in: passwords checked with a slowdown for repeated failures, tokens issued,
//! resolved, refreshed and revoked. The server and the desktop app share this logic.
//!
//! Tokens are random 256-bit values; the database keeps only their SHA-256, so a copy of the
//! database does not sign anyone in. Rights are read from the users table on every request,
//! so a change of rights (or a removed user) takes effect on the user's next request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{ApiError, LocalApi};
use crate::model::{Actor, UserInfo};
use crate::store::sessions::{self, NewToken, TokenHash};
use crate::store::users::UserRecord;

/// `POST /api/auth`: the body of a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub user_name: String,
    pub password: String,
    #[serde(default)]
    pub device_name: Option<String>,
}

/// The answer to a sign-in: the token pair and who signed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub token_id: String,
    pub refresh_token: String,
    pub user: UserInfo,
}

/// `POST /api/auth/refresh`: the pair to exchange, and the fresh pair it answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub token_id: String,
    pub refresh_token: String,
}

/// How long tokens live and how hard repeated failed sign-ins are slowed down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPolicy {
    /// How long a token signs its user in (the contract's default: 8 hours).
    pub token_ttl: Duration,
    /// How long after its token was issued a refresh token can still renew it, so a desk left
    /// open over a weekend signs back in without a password.
    pub refresh_ttl: Duration,
    /// Failed sign-ins for one user name from one address allowed before each further try
    /// from there must wait.
    pub free_failures: u32,
    /// Failed sign-ins from one address, for any user names, allowed before each further try
    /// from there must wait: guessing through many names costs the guesser, not the server's
    /// cores (each check is an argon2 hash).
    pub source_free_failures: u32,
    /// Failures older than this are forgotten.
    pub failure_window: Duration,
    /// The wait after `free_failures` failures; it doubles with each further failure.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(8 * 3600),
            refresh_ttl: Duration::from_secs(7 * 24 * 3600),
            free_failures: 5,
            source_free_failures: 20,
            failure_window: Duration::from_secs(15 * 60),
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(5 * 60),
        }
    }
}

impl AuthPolicy {
    /// How long a user name (or an address) with `failures` recent failures, `free` of them
    /// allowed, must wait after the last one.
    fn delay_after(&self, free: u32, failures: u32) -> Duration {
        if failures < free {
            return Duration::ZERO;
        }
        let doublings = (failures - free).min(20);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }
}

/// A request's signed-in user: who acts, and the stored record `GET /api/auth` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Authenticated {
    pub actor: Actor,
    pub user: UserInfo,
}

/// Sign-in and tokens over the API's store and clock.
#[derive(Debug)]
pub struct Auth {
    api: Arc<LocalApi>,
    policy: AuthPolicy,
    /// One lock per user name being checked, so parallel guesses for one name are counted
    /// one after the other instead of all slipping past the failure count at once.
    checking: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Tokens issued while the disk was full, by access-token hash: they sign their users in
    /// for reading until they expire or the server restarts (a full disk must not lock the
    /// shop out of looking customers up).
    unsaved: Mutex<HashMap<String, UnsavedToken>>,
}

/// A token that could not be stored because the disk was full.
#[derive(Debug, Clone)]
struct UnsavedToken {
    user_name: String,
    expires: i64,
}

/// At most this many tokens are held in memory while the disk is full.
const MAX_UNSAVED_TOKENS: usize = 10_000;

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Auth {
    /// Sign-in for `api` under `policy`.
    pub fn new(api: Arc<LocalApi>, policy: AuthPolicy) -> Self {
        Self {
            api,
            policy,
            checking: Mutex::new(HashMap::new()),
            unsaved: Mutex::new(HashMap::new()),
        }
    }

    /// The API whose store holds the users and tokens.
    pub fn api(&self) -> &Arc<LocalApi> {
        &self.api
    }

    /// The policy in force.
    pub fn policy(&self) -> &AuthPolicy {
        &self.policy
    }

    fn now(&self) -> DateTime<Utc> {
        self.api.clock().now()
    }

    /// Checks a password sent from `source` (the client's address), refusing at once (401,
    /// "try again in N s") while that user name is cooling down there after repeated
    /// failures. The count is per name *and* source, so a stranger who guesses slows down
    /// only the stranger, never the owner's own desk. Blocks for the argon2 check: call it
    /// off the async executor.
    pub fn check_password(
        &self,
        user_name: &str,
        password: &str,
        source: &str,
    ) -> Result<UserRecord, ApiError> {
        let user_name = user_name.trim();
        let name_lock = self.name_lock(user_name);
        let result = {
            let _guard = name_lock.lock().unwrap_or_else(|e| e.into_inner());
            self.check_password_locked(user_name, password, source)
        };
        drop(name_lock);
        self.forget_idle_locks();
        result
    }

    /// Refuses at once (401, "try again in N s") while `user_name` is cooling down at
    /// `source` after repeated failures, or `source` is after failures for many names. A
    /// couple of indexed reads: the server asks it before a sign-in may wait for a password
    /// check, so that refusals never queue behind argon2.
    pub fn cooldown(&self, user_name: &str, source: &str) -> Result<(), ApiError> {
        let user_name = user_name.trim();
        let now = self.now().timestamp_micros();
        let since = now.saturating_sub(micros(self.policy.failure_window));
        let (by_name, by_source) = self.api.store().read(|s| {
            Ok::<_, ApiError>((
                sessions::recent_failures(s, user_name, source, since)?,
                sessions::recent_source_failures(s, source, since)?,
            ))
        })?;
        let wait = |recent: Option<(u32, i64)>, free: u32| {
            recent.and_then(|(failures, last_time)| {
                let until =
                    last_time.saturating_add(micros(self.policy.delay_after(free, failures)));
                (now < until).then(|| (until - now + 999_999) / 1_000_000)
            })
        };
        if let Some(seconds) = wait(by_name, self.policy.free_failures) {
            return Err(ApiError::Unauthorized(format!(
                "too many failed sign-ins for {user_name} from {source}; try again in {seconds} s"
            )));
        }
        if let Some(seconds) = wait(by_source, self.policy.source_free_failures) {
            return Err(ApiError::Unauthorized(format!(
                "too many failed sign-ins from {source}; try again in {seconds} s"
            )));
        }
        Ok(())
    }

    fn check_password_locked(
        &self,
        user_name: &str,
        password: &str,
        source: &str,
    ) -> Result<UserRecord, ApiError> {
        self.cooldown(user_name, source)?;
        let now = self.now().timestamp_micros();
        let since = now.saturating_sub(micros(self.policy.failure_window));
        let verified = self
            .api
            .store()
            .read(|s| super::users::verify_password(s, user_name, password))?;
        let counted = self.api.store().write(|tx| match &verified {
            Some(_) => sessions::clear_failures(tx, user_name, source),
            None => sessions::record_failure(tx, user_name, source, now, since),
        });
        match counted {
            // A full disk cannot count failures; the password check itself still holds.
            Err(e) if e.is_disk_full() => tracing::warn!("sign-in of {user_name}: {e}"),
            other => other?,
        }
        verified.ok_or_else(|| ApiError::Unauthorized("wrong user name or password".into()))
    }

    fn name_lock(&self, user_name: &str) -> Arc<Mutex<()>> {
        let mut locks = self.checking.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(user_name.to_lowercase()).or_default().clone()
    }

    fn forget_idle_locks(&self) {
        let mut locks = self.checking.lock().unwrap_or_else(|e| e.into_inner());
        locks.retain(|_, lock| Arc::strong_count(lock) > 1);
    }

    /// `POST /api/auth` from `source` (the client's address): checks the password and issues
    /// a token pair for `device_name`.
    pub fn login(&self, request: &LoginRequest, source: &str) -> Result<LoginResponse, ApiError> {
        let user = self.check_password(&request.user_name, &request.password, source)?;
        let pair = self.issue(&user, request.device_name.as_deref())?;
        Ok(LoginResponse {
            token_id: pair.token_id,
            refresh_token: pair.refresh_token,
            user: user.info(),
        })
    }

    fn issue(&self, user: &UserRecord, device_name: Option<&str>) -> Result<TokenPair, ApiError> {
        let now = self.now().timestamp_micros();
        let pair = TokenPair {
            token_id: new_token(),
            refresh_token: new_token(),
        };
        let expires = now.saturating_add(micros(self.policy.token_ttl));
        let refresh_deadline =
            now.saturating_sub(micros(self.policy.refresh_ttl.max(self.policy.token_ttl)));
        let (token_hash, refresh_hash) =
            (sha256_hex(&pair.token_id), sha256_hex(&pair.refresh_token));
        let stored = self.api.store().write(|tx| {
            // Tokens that can no longer even be refreshed are dead weight.
            sessions::prune_tokens(tx, now, refresh_deadline)?;
            crate::store::users::record_sign_in(tx, &user.id, now)?;
            sessions::insert_token(
                tx,
                &NewToken {
                    token_hash: &token_hash,
                    refresh_hash: &refresh_hash,
                    user_id: &user.id,
                    device_name,
                    created: now,
                    expires,
                },
            )
        });
        match stored {
            Err(e) if e.is_disk_full() => {
                self.keep_unsaved(token_hash, &user.user_name, now, expires)?;
            }
            other => other?,
        }
        Ok(pair)
    }

    /// Keeps a token the full disk could not store, in memory; it cannot be refreshed.
    fn keep_unsaved(
        &self,
        token_hash: String,
        user_name: &str,
        now: i64,
        expires: i64,
    ) -> Result<(), ApiError> {
        let mut unsaved = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
        unsaved.retain(|_, t| t.expires > now);
        if unsaved.len() >= MAX_UNSAVED_TOKENS {
            return Err(ApiError::DiskFull(super::error::DISK_FULL.into()));
        }
        tracing::warn!("the disk is full: {user_name} is signed in until the server restarts");
        unsaved.insert(
            token_hash,
            UnsavedToken {
                user_name: user_name.to_owned(),
                expires,
            },
        );
        Ok(())
    }

    /// The user of a token issued while the disk was full, with the rights stored now.
    fn unsaved_user(&self, token_hash: &str, now: i64) -> Result<Option<UserRecord>, ApiError> {
        let token = {
            let unsaved = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
            unsaved.get(token_hash).cloned()
        };
        let Some(token) = token.filter(|t| now < t.expires) else {
            return Ok(None);
        };
        Ok(self
            .api
            .store()
            .read(|s| crate::store::users::find_user(s, &token.user_name))?)
    }

    /// Resolves a bearer token to its user, with the rights stored now: 401 for a missing,
    /// unknown, expired or revoked token.
    pub fn authenticate(&self, token_id: Option<&str>) -> Result<Authenticated, ApiError> {
        let token_id = token_id.map(str::trim).filter(|t| !t.is_empty());
        let Some(token_id) = token_id else {
            return Err(ApiError::Unauthorized(
                "sign in first: no token was sent".into(),
            ));
        };
        let now = self.now().timestamp_micros();
        let hash = sha256_hex(token_id);
        let found = self
            .api
            .store()
            .read(|s| sessions::find_token(s, TokenHash::Access, &hash))?;
        let Some(found) = found else {
            if let Some(user) = self.unsaved_user(&hash, now)? {
                return Ok(Authenticated {
                    actor: Actor::new(user.user_name.clone(), user.rights),
                    user: user.info(),
                });
            }
            return Err(ApiError::Unauthorized(
                "the token is not valid (signed out or never issued)".into(),
            ));
        };
        if now >= found.expires {
            return Err(ApiError::Unauthorized(
                "the token has expired; sign in again".into(),
            ));
        }
        let user = found.user;
        Ok(Authenticated {
            actor: Actor::new(user.user_name.clone(), user.rights),
            user: user.info(),
        })
    }

    /// `POST /api/auth/refresh`: exchanges a pair for a fresh one; the old pair stops working.
    pub fn refresh(&self, pair: &TokenPair) -> Result<TokenPair, ApiError> {
        let now = self.now().timestamp_micros();
        let refresh_ttl = micros(self.policy.refresh_ttl.max(self.policy.token_ttl));
        let refresh_hash = sha256_hex(pair.refresh_token.trim());
        let token_hash = sha256_hex(pair.token_id.trim());
        let fresh = TokenPair {
            token_id: new_token(),
            refresh_token: new_token(),
        };
        let (fresh_token_hash, fresh_refresh_hash) = (
            sha256_hex(&fresh.token_id),
            sha256_hex(&fresh.refresh_token),
        );
        self.api.store().write(|tx| {
            let Some(found) = sessions::find_token(tx, TokenHash::Refresh, &refresh_hash)? else {
                return Err(ApiError::Unauthorized(
                    "the refresh token is not valid; sign in again".into(),
                ));
            };
            if found.token_hash != token_hash {
                return Err(ApiError::Unauthorized(
                    "the refresh token does not belong to that token".into(),
                ));
            }
            if now >= found.created.saturating_add(refresh_ttl) {
                return Err(ApiError::Unauthorized(
                    "the session is too old to refresh; sign in again".into(),
                ));
            }
            sessions::delete_token(tx, &found.token_hash)?;
            sessions::insert_token(
                tx,
                &NewToken {
                    token_hash: &fresh_token_hash,
                    refresh_hash: &fresh_refresh_hash,
                    user_id: &found.user.id,
                    device_name: found.device_name.as_deref(),
                    created: now,
                    expires: now.saturating_add(micros(self.policy.token_ttl)),
                },
            )?;
            Ok(())
        })?;
        Ok(fresh)
    }

    /// `DELETE /api/auth`: the token stops working at once.
    pub fn logout(&self, token_id: &str) -> Result<(), ApiError> {
        let hash = sha256_hex(token_id.trim());
        let unsaved = {
            let mut unsaved = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
            unsaved.remove(&hash).is_some()
        };
        if unsaved {
            return Ok(());
        }
        Ok(self
            .api
            .store()
            .write(|tx| sessions::delete_token(tx, &hash))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::model::{Right, Rights};
    use crate::store::Store;

    fn setup() -> (Auth, Arc<FixedClock>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("auth.db")).unwrap();
        let clock = Arc::new(FixedClock::new("2026-06-01T12:00:00Z".parse().unwrap()));
        let api = Arc::new(LocalApi::new(store, clock.clone()));
        let auth = Auth::new(api, AuthPolicy::default());
        auth.add_user("eva", "secret-1", Rights::NONE.with(Right::CustomerCreate))
            .unwrap();
        (auth, clock, dir)
    }

    /// The address every sign-in of these tests comes from, unless it says otherwise.
    const DESK: &str = "192.168.1.20";

    fn login(auth: &Auth, password: &str) -> Result<LoginResponse, ApiError> {
        login_from(auth, password, DESK)
    }

    fn login_from(auth: &Auth, password: &str, source: &str) -> Result<LoginResponse, ApiError> {
        auth.login(
            &LoginRequest {
                user_name: "Eva".into(),
                password: password.into(),
                device_name: Some("desk 1".into()),
            },
            source,
        )
    }

    #[test]
    fn a_token_signs_in_until_it_expires_or_is_revoked() {
        let (auth, clock, _dir) = setup();
        let session = login(&auth, "secret-1").unwrap();
        assert_eq!(session.user.user_name, "eva");
        let who = auth.authenticate(Some(&session.token_id)).unwrap();
        assert!(who.actor.rights.has(Right::CustomerCreate));
        assert!(
            auth.authenticate(Some(&session.refresh_token)).is_err(),
            "a refresh token is no access token"
        );

        clock.set("2026-06-01T19:59:00Z".parse().unwrap());
        assert!(auth.authenticate(Some(&session.token_id)).is_ok());
        clock.set("2026-06-01T20:00:00Z".parse().unwrap());
        let expired = auth.authenticate(Some(&session.token_id)).unwrap_err();
        assert!(expired.to_string().contains("expired"));

        let fresh = auth
            .refresh(&TokenPair {
                token_id: session.token_id.clone(),
                refresh_token: session.refresh_token.clone(),
            })
            .unwrap();
        assert!(auth.authenticate(Some(&fresh.token_id)).is_ok());
        let again = auth.refresh(&TokenPair {
            token_id: session.token_id,
            refresh_token: session.refresh_token,
        });
        assert!(
            matches!(again, Err(ApiError::Unauthorized(_))),
            "the old pair is retired"
        );

        auth.logout(&fresh.token_id).unwrap();
        assert!(matches!(
            auth.authenticate(Some(&fresh.token_id)),
            Err(ApiError::Unauthorized(_))
        ));
    }

    #[test]
    fn rights_changes_apply_to_the_next_request() {
        let (auth, _clock, _dir) = setup();
        let session = login(&auth, "secret-1").unwrap();
        auth.set_rights("eva", Rights::admin()).unwrap();
        assert!(
            auth.authenticate(Some(&session.token_id))
                .unwrap()
                .actor
                .rights
                .has(Right::CustomerDelete)
        );
        auth.remove_user("eva").unwrap();
        assert!(auth.authenticate(Some(&session.token_id)).is_err());
    }

    #[test]
    fn repeated_failures_make_the_user_name_wait_longer_each_time() {
        let (auth, clock, _dir) = setup();
        for _ in 0..5 {
            assert!(
                login(&auth, "wrong")
                    .unwrap_err()
                    .to_string()
                    .contains("wrong user name or password")
            );
        }
        // Even the right password waits now: the attacker cannot tell it was right.
        let refused = login(&auth, "secret-1").unwrap_err();
        assert!(
            refused.to_string().contains("try again in 2 s"),
            "{refused}"
        );

        clock.set("2026-06-01T12:00:02Z".parse().unwrap());
        assert!(login(&auth, "wrong").is_err());
        assert!(
            login(&auth, "secret-1")
                .unwrap_err()
                .to_string()
                .contains("try again in 4 s")
        );

        clock.set("2026-06-01T12:00:06Z".parse().unwrap());
        assert!(
            login(&auth, "secret-1").is_ok(),
            "a success after the wait clears the count"
        );
        assert!(
            login(&auth, "wrong")
                .unwrap_err()
                .to_string()
                .contains("wrong user name or password")
        );
    }

    #[test]
    fn a_strangers_guesses_slow_the_stranger_and_not_the_owners_desk() {
        let (auth, clock, _dir) = setup();
        let stranger = "192.168.1.66";
        for _ in 0..8 {
            assert!(login_from(&auth, "guess", stranger).is_err());
        }
        assert!(
            login_from(&auth, "secret-1", stranger)
                .unwrap_err()
                .to_string()
                .contains("try again in"),
            "the guesser waits"
        );
        assert!(
            login(&auth, "secret-1").is_ok(),
            "the owner's desk still gets in with the right password"
        );
        assert!(
            login_from(&auth, "secret-1", stranger)
                .unwrap_err()
                .to_string()
                .contains("try again in"),
            "the owner's success does not clear the stranger's count"
        );
        clock.set("2026-06-01T12:20:00Z".parse().unwrap());
        assert!(
            login_from(&auth, "secret-1", stranger).is_ok(),
            "failures are forgotten after the window"
        );
    }

    #[test]
    fn guessing_through_many_names_from_one_address_makes_that_address_wait() {
        let (auth, _clock, _dir) = setup();
        let guesser = "192.168.1.66";
        let guess = |name: &str| {
            auth.login(
                &LoginRequest {
                    user_name: name.to_owned(),
                    password: "guess".into(),
                    device_name: None,
                },
                guesser,
            )
        };
        for n in 0..20 {
            let refused = guess(&format!("nobody{n}")).unwrap_err().to_string();
            assert!(!refused.contains("try again"), "guess {n}: {refused}");
        }
        let refused = guess("nobody-else").unwrap_err().to_string();
        assert!(
            refused.contains("too many failed sign-ins from 192.168.1.66"),
            "{refused}"
        );
        assert!(
            login(&auth, "secret-1").is_ok(),
            "a desk at another address still gets in"
        );
    }
}
