//! A desk's replica of a shop server (`../shared/spec/sync.md`): the desk works on its own
//! store with the same API logic, and this engine exchanges changes with the server.
//!
//! - [`pull`]: one loop over the server's change feed (or, against a plain PORTOS server,
//!   over a listing), applied page by page with the cursor saved in the same transaction.
//! - [`push`]: the outbox the API filled, per customer in order: creates with the desk's own
//!   id, updates as the difference from the shadow with its `_v`, deletes with `_v`, credit
//!   as operations; version conflicts merged three ways ([`merge`]), true clashes kept for a
//!   person ([`conflicts`]).
//!
//! Applied server changes never enter the outbox: they are written by the store's replica
//! functions, not through the API.

pub mod conflicts;
pub mod desk;
pub mod merge;
pub mod pull;
pub mod push;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::{ApiError, LocalApi, TokenPair};
use crate::model::{Actor, Rights, UserInfo};
use crate::remote::{RemoteClient, RemoteOptions};
use crate::store::replica::{self, ReplicaCounts};
use crate::store::{customers as rows, feed};

/// Version clashes merged without a person, by every replica of this process (a figure for
/// tests and benches).
static MERGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many times a replica of this process merged a customer changed on both sides with no
/// clash left for a person.
pub fn merged_automatically() -> u64 {
    MERGED.load(std::sync::atomic::Ordering::Relaxed)
}

pub(crate) fn count_merge() {
    MERGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// The `store_meta` names of a replica's state.
pub(crate) mod meta {
    pub const USER: &str = "replica.user";
    pub const TOKEN: &str = "replica.token";
    pub const REFRESH: &str = "replica.refresh";
    pub const SERVER_ID: &str = "replica.server_id";
    pub const CURSOR: &str = "replica.cursor";
    /// `feed` (our server) or `listing` (a plain PORTOS server).
    pub const MODE: &str = "replica.mode";
    pub const LAST_SYNC: &str = "replica.last_sync";
    /// An argon2 hash of the user's server password, so that they can sign in on this desk
    /// while the server is away (`sync.md` §1: no password kept in plain text).
    pub const PASSWORD_HASH: &str = "replica.password_hash";
}

/// Why a sync could not go on. What was done before stays done.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server cannot be reached or is busy; the same sync later may succeed.
    #[error("the server cannot be reached right now: {0}")]
    Unreachable(ApiError),
    /// The server failed, or answered with something that is not what the API promises
    /// (not JSON, cut short, unknown members); nothing of it was applied. Tried again later.
    #[error("the server's answer could not be used, nothing of it was applied: {0}")]
    ServerFailed(ApiError),
    /// The session ended (and could not be renewed): sign in again.
    #[error("signed out at the server: {0}")]
    SignedOut(ApiError),
    /// This store is not a replica yet.
    #[error(
        "this store is not attached to a server; run `customer-desk sync --server URL --user NAME` first"
    )]
    NotAttached,
    /// The store is a replica of another server or user.
    #[error("{0}")]
    Attached(String),
    /// The local store or the server's answer failed in a way a retry does not mend.
    #[error(transparent)]
    Api(ApiError),
}

impl SyncError {
    /// Whether the same sync later may succeed by itself (a watch tries again).
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Unreachable(_) | SyncError::ServerFailed(_))
    }
}

impl From<ApiError> for SyncError {
    fn from(error: ApiError) -> Self {
        SyncError::Api(error)
    }
}

impl From<crate::store::Error> for SyncError {
    fn from(error: crate::store::Error) -> Self {
        SyncError::Api(error.into())
    }
}

/// Sorts a server's answer: a failure of the network or a busy server is retried later
/// (`Unreachable`, `ServerFailed`: the contract retries 5xx for ever, with backoff), a lost
/// session asks for a sign-in, everything else is the request's own (`Api`).
pub(crate) fn server_error(error: ApiError) -> SyncError {
    match error {
        ApiError::Unavailable(_) | ApiError::Locked(_) => SyncError::Unreachable(error),
        ApiError::Internal(_) | ApiError::DiskFull(_) => SyncError::ServerFailed(error),
        ApiError::Unauthorized(_) => SyncError::SignedOut(error),
        other => SyncError::Api(other),
    }
}

/// What one sync did, and what is left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Changes applied from the server.
    pub pulled: u64,
    /// Local writes the server took.
    pub pushed: u64,
    pub pending: u64,
    pub conflicts: u64,
    pub parked: u64,
    /// Where the replica is in the server's feed.
    pub cursor: Option<String>,
}

/// A replica's state as `sync status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaStatus {
    pub server: String,
    pub user: String,
    pub pending: u64,
    pub conflicts: u64,
    pub parked: u64,
    pub cursor: Option<String>,
    /// RFC 3339, UTC.
    pub last_sync: Option<String>,
}

/// How far the pull under way is: the server's changes applied, and how many the server
/// said there were when it began. A window reads it to draw the first sync's progress.
#[derive(Debug, Default)]
pub struct PullProgress {
    applied: std::sync::atomic::AtomicU64,
    total: std::sync::atomic::AtomicU64,
}

impl PullProgress {
    /// `(applied, total)`; `total` is 0 when no pull is under way.
    pub fn get(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.applied.load(Relaxed), self.total.load(Relaxed))
    }

    pub(crate) fn begin(&self, total: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.applied.store(0, Relaxed);
        self.total.store(total, Relaxed);
    }

    pub(crate) fn add(&self, applied: u64) {
        self.applied
            .fetch_add(applied, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn end(&self) {
        self.total.store(0, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A store attached to a server, with a signed-in client.
#[derive(Debug)]
pub struct Replica {
    api: Arc<LocalApi>,
    client: RemoteClient,
    /// Identifies this desk in idempotency keys: the local store's own id.
    desk_id: String,
    progress: Arc<PullProgress>,
}

/// The local writes' actor: the server user's name and rights, as stored at attach.
pub fn local_actor(api: &LocalApi) -> Result<Option<Actor>, SyncError> {
    let user: Option<String> = api.store().read(|s| replica::meta(s, meta::USER))?;
    let Some(user) = user else {
        return Ok(None);
    };
    let user: UserInfo = serde_json::from_str(&user)
        .map_err(|e| ApiError::Internal(format!("the replica's user is unreadable: {e}")))?;
    let rights = Rights::parse_list(&user.rights.join(",")).unwrap_or_default();
    Ok(Some(Actor::new(user.user_name, rights)))
}

/// The replica's state, without reaching the server.
pub fn status(api: &LocalApi) -> Result<ReplicaStatus, SyncError> {
    api.store()
        .read(|s| {
            let server = replica::meta(s, replica::SERVER_URL)?;
            let user = replica::meta(s, meta::USER)?;
            let counts = replica::counts(s)?;
            Ok::<_, crate::store::Error>((
                server,
                user,
                counts,
                replica::meta(s, meta::CURSOR)?,
                replica::meta(s, meta::LAST_SYNC)?,
            ))
        })
        .map_err(SyncError::from)
        .and_then(|(server, user, counts, cursor, last_sync)| {
            let server = server.ok_or(SyncError::NotAttached)?;
            let user = user
                .and_then(|u| serde_json::from_str::<UserInfo>(&u).ok())
                .map(|u| u.user_name)
                .unwrap_or_default();
            Ok(ReplicaStatus {
                server,
                user,
                pending: counts.pending,
                conflicts: counts.conflicts,
                parked: counts.parked,
                cursor,
                last_sync,
            })
        })
}

fn client_options() -> RemoteOptions {
    RemoteOptions {
        // A long poll waits up to 20 s for a change.
        request_timeout: Duration::from_secs(60),
        retries: 1,
        ..RemoteOptions::default()
    }
}

impl Replica {
    /// Signs in at `server` and makes the store a replica of it for this user, or, for a
    /// store that already is one of that server and user, signs in again. A store that holds
    /// customers of its own, or follows another server or user, is refused.
    pub async fn attach(
        api: Arc<LocalApi>,
        server: &str,
        user_name: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Self, SyncError> {
        let attached = api
            .store()
            .read(|s| replica::meta(s, replica::SERVER_URL))?;
        let client =
            RemoteClient::login_with(server, user_name, password, device_name, client_options())
                .await
                .map_err(server_error)?;
        let server = client.base_url().to_string();
        match &attached {
            Some(url) if *url != server => {
                return Err(SyncError::Attached(format!(
                    "this store is a replica of {url}; use another file for {server}"
                )));
            }
            Some(_) => {
                if let Some(actor) = local_actor(&api)?
                    && !actor
                        .user_name
                        .eq_ignore_ascii_case(&client.user().user_name)
                {
                    return Err(SyncError::Attached(format!(
                        "this store is {}'s replica; each user keeps a replica of their own",
                        actor.user_name
                    )));
                }
            }
            None => {
                let customers = api.store().read(rows::total_count)?;
                if customers > 0 {
                    return Err(SyncError::Attached(format!(
                        "this store holds {customers} customers of its own; a replica starts from an empty store"
                    )));
                }
            }
        }
        let user =
            serde_json::to_string(client.user()).map_err(|e| ApiError::Internal(e.to_string()))?;
        let tokens = client.tokens().await;
        api.store().write(|tx| {
            replica::set_meta(tx, replica::SERVER_URL, Some(&server))?;
            replica::set_meta(tx, meta::USER, Some(&user))?;
            replica::set_meta(tx, meta::TOKEN, Some(&tokens.token_id))?;
            replica::set_meta(tx, meta::REFRESH, Some(&tokens.refresh_token))
        })?;
        Self::with_client(api, client)
    }

    /// Opens the replica with the session it kept (renewed by itself when it expired).
    pub fn resume(api: Arc<LocalApi>) -> Result<Self, SyncError> {
        let kept = api.store().read(|s| {
            Ok::<_, crate::store::Error>((
                replica::meta(s, replica::SERVER_URL)?,
                replica::meta(s, meta::USER)?,
                replica::meta(s, meta::TOKEN)?,
                replica::meta(s, meta::REFRESH)?,
            ))
        })?;
        let (Some(server), Some(user), Some(token_id), Some(refresh_token)) = kept else {
            return Err(SyncError::NotAttached);
        };
        let user: UserInfo = serde_json::from_str(&user)
            .map_err(|e| ApiError::Internal(format!("the replica's user is unreadable: {e}")))?;
        let client = RemoteClient::resume(
            &server,
            TokenPair {
                token_id,
                refresh_token,
            },
            user,
            client_options(),
        )?;
        Self::with_client(api, client)
    }

    fn with_client(api: Arc<LocalApi>, client: RemoteClient) -> Result<Self, SyncError> {
        let desk_id = api.store().read(feed::server_id)?;
        Ok(Self {
            api,
            client,
            desk_id,
            progress: Arc::default(),
        })
    }

    /// How far the pull under way is.
    pub fn progress(&self) -> &PullProgress {
        &self.progress
    }

    /// The API of the local store.
    pub fn api(&self) -> &Arc<LocalApi> {
        &self.api
    }

    /// The signed-in client.
    pub fn client(&self) -> &RemoteClient {
        &self.client
    }

    /// Keeps the session's current token pair (a refresh replaced it).
    async fn keep_tokens(&self) -> Result<(), SyncError> {
        let tokens = self.client.tokens().await;
        self.api.store().write(|tx| {
            replica::set_meta(tx, meta::TOKEN, Some(&tokens.token_id))?;
            replica::set_meta(tx, meta::REFRESH, Some(&tokens.refresh_token))
        })?;
        Ok(())
    }

    /// Pulls and pushes until both are caught up: pull, push, and pull again what the
    /// push changed. `wait_secs` lets the first pull wait for a change (a watch).
    pub async fn sync_once(&self, wait_secs: u64) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let result = self.sync_rounds(wait_secs, &mut report).await;
        // Whatever happened, the session may have been renewed.
        self.keep_tokens().await?;
        result?;
        let now = self
            .api
            .clock()
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.api
            .store()
            .write(|tx| replica::set_meta(tx, meta::LAST_SYNC, Some(&now)))?;
        let counts: ReplicaCounts = self.api.store().read(replica::counts)?;
        report.pending = counts.pending;
        report.conflicts = counts.conflicts;
        report.parked = counts.parked;
        report.cursor = self.api.store().read(|s| replica::meta(s, meta::CURSOR))?;
        Ok(report)
    }

    async fn sync_rounds(&self, wait_secs: u64, report: &mut SyncReport) -> Result<(), SyncError> {
        // Local writes waiting to go out are not kept waiting for the server's news.
        let waiting = !self
            .api
            .store()
            .read(|s| replica::customers_to_push(s, 1))?
            .is_empty();
        report.pulled += self.pull(if waiting { 0 } else { wait_secs }).await?;
        // Pushing changes the server; a few rounds settle what the pushes and the pulls
        // between them brought.
        for _ in 0..4 {
            let pushed = self.push().await?;
            report.pushed += pushed;
            let pulled = self.pull(0).await?;
            report.pulled += pulled;
            if pushed == 0 && pulled == 0 {
                break;
            }
        }
        Ok(())
    }
}
