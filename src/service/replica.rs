//! A desk signed in to a shop server works on its own replica of that server
//! (`../shared/spec/sync.md`): one store per server and user, beside the desk's own store.
//! Every customer call goes to the replica through the same API logic, with the rights the
//! server gave the user, so nothing in the window waits on the network; the sync engine
//! runs here, in the background, and reports where it stands as [`SyncStatus`] messages.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use super::{Outbox, SessionMessage, SyncCommand, SyncMessage, SyncState, SyncStatus};
use crate::api::{ApiError, LocalApi, LocalSession, blocking};
use crate::model::UserInfo;
use crate::sync::{self, Replica, SyncError, conflicts, desk};

/// How long a sync waits on the server for news before it asks again (a long poll).
const WAIT_SECS: u64 = 20;
/// The contract's backoff for an unreachable server: from 1 s, doubling, to 5 minutes.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// How often the first sync's progress is reported, and from how many changes it is shown.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
const PROGRESS_FROM: u64 = 2000;
/// How many customers with changes not on the server the window is told of, to mark them.
const PENDING_IDS: usize = 1000;

/// The replica's file for `user` at `server`: `replicas/` beside the desk's own store, named
/// after the server's address and the user, so that each user keeps their own.
pub(super) fn replica_path(db_path: &Path, server: &str, user: &str) -> PathBuf {
    let server = server.trim();
    let server = server
        .strip_prefix("http://")
        .or_else(|| server.strip_prefix("https://"))
        .unwrap_or(server)
        .trim_end_matches('/');
    let name: String = format!("{server}-{}", user.trim())
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    db_path
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("replicas")
        .join(format!("{name}.db"))
}

/// A signed-in desk's replica with its sync running; dropping it stops the sync (between
/// two transactions: nothing is left half-applied).
#[derive(Debug)]
pub(super) struct ReplicaDesk {
    replica: Arc<Replica>,
    nudge: Arc<Notify>,
    paused: Arc<AtomicBool>,
    /// Dropped with the desk, which ends the sync's thread.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl ReplicaDesk {
    /// The replica's local API.
    pub fn api(&self) -> &Arc<LocalApi> {
        self.replica.api()
    }

    /// The signed-in client of the server (users, who am I).
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// A session on the replica as its user, with the rights the server last gave them
    /// (read for every call, so a change of rights applies to the next one).
    pub async fn session(&self) -> Result<LocalSession, ApiError> {
        let api = self.api().clone();
        blocking(move || {
            let actor = sync::local_actor(&api)
                .map_err(to_api_error)?
                .ok_or_else(|| ApiError::Unauthorized("the replica has no user".into()))?;
            Ok(LocalSession::new(api, actor))
        })
        .await
    }

    /// A local write was made: the sync pushes it now instead of after its long poll.
    pub fn changed_locally(&self) {
        self.nudge.notify_one();
    }

    /// Keeps the user as the server now describes them (their rights changed).
    pub async fn keep_user(&self, user: UserInfo) -> Result<(), ApiError> {
        let api = self.api().clone();
        blocking(move || desk::keep_user(&api, &user).map_err(to_api_error)).await
    }
}

/// The error a person is shown for a failure of the replica.
fn to_api_error(error: SyncError) -> ApiError {
    match error {
        SyncError::Unreachable(e)
        | SyncError::ServerFailed(e)
        | SyncError::SignedOut(e)
        | SyncError::Api(e) => e,
        other => ApiError::Internal(other.to_string()),
    }
}

/// Signs `user_name` in at `server` on this desk: at the server when it answers (the
/// first time, the replica is made and fills itself in the background), else with the
/// password kept from their last sign-in here, on the replica as it is.
pub(super) async fn sign_in(
    db_path: &Path,
    server: &str,
    user_name: &str,
    password: &str,
    device_name: &str,
    outbox: &Outbox,
) -> Result<(ReplicaDesk, UserInfo), ApiError> {
    let path = replica_path(db_path, server, user_name);
    let api = blocking(move || {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                ApiError::Internal(format!("cannot make the folder {}: {e}", dir.display()))
            })?;
        }
        Ok(Arc::new(LocalApi::open(&path)?))
    })
    .await?;
    let replica = match Replica::attach(api.clone(), server, user_name, password, device_name).await
    {
        Ok(replica) => {
            let (api, password) = (api.clone(), password.to_owned());
            blocking(move || desk::keep_password(&api, &password).map_err(to_api_error)).await?;
            replica
        }
        Err(SyncError::Unreachable(unreachable)) => {
            let (api2, user, password) = (api.clone(), user_name.to_owned(), password.to_owned());
            let known = blocking(move || {
                let kept = desk::replica_user(&api2).map_err(to_api_error)?;
                let same_user = kept.is_some_and(|k| k.user_name.eq_ignore_ascii_case(&user));
                Ok(same_user.then(|| desk::password_matches_kept(&api2, &password)))
            })
            .await?;
            match known {
                // Signed in here before: work on the replica, sync when the server is back.
                Some(Ok(true)) => Replica::resume(api.clone()).map_err(to_api_error)?,
                Some(Ok(false)) => {
                    return Err(ApiError::Unauthorized("wrong user name or password".into()));
                }
                Some(Err(e)) => return Err(to_api_error(e)),
                None => return Err(unreachable),
            }
        }
        Err(e) => return Err(to_api_error(e)),
    };
    let user = {
        let api = api.clone();
        blocking(move || desk::replica_user(&api).map_err(to_api_error)).await?
    }
    .unwrap_or_else(|| replica.client().user().clone());
    let replica = Arc::new(replica);
    let nudge = Arc::new(Notify::new());
    let paused = Arc::new(AtomicBool::new(false));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (on_thread, nudged, pause, out) = (
        replica.clone(),
        nudge.clone(),
        paused.clone(),
        outbox.clone(),
    );
    // The engine's futures hold borrows across awaits that the compiler cannot prove Send,
    // so the sync runs on a thread of its own rather than as a task of the service's.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ApiError::Internal(format!("the sync could not start: {e}")))?;
    std::thread::Builder::new()
        .name("customer-desk-sync".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    () = sync_loop(on_thread, nudged, pause, out) => {}
                    _ = stopped => {}
                }
            });
        })
        .map_err(|e| ApiError::Internal(format!("the sync could not start: {e}")))?;
    Ok((
        ReplicaDesk {
            replica,
            nudge,
            paused,
            _stop: stop,
        },
        user,
    ))
}

/// Syncs for as long as the desk is signed in: a long poll for the server's news, local
/// writes pushed as soon as they are made, an unreachable server tried again with backoff.
async fn sync_loop(
    replica: Arc<Replica>,
    nudge: Arc<Notify>,
    paused: Arc<AtomicBool>,
    outbox: Outbox,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut state = SyncState::Connecting;
    loop {
        if paused.load(Ordering::Relaxed) {
            report(&replica, SyncState::Paused, None, &outbox).await;
            nudge.notified().await;
            continue;
        }
        report(&replica, state.clone(), None, &outbox).await;
        let round = {
            // A long poll only once up to date: the first round after a sign-in or an outage
            // says at once where the replica stands.
            let wait = if state == SyncState::UpToDate {
                WAIT_SECS
            } else {
                0
            };
            let sync = replica.sync_once(wait);
            tokio::pin!(sync);
            let mut tick = tokio::time::interval(PROGRESS_EVERY);
            loop {
                tokio::select! {
                    round = &mut sync => break Some(round),
                    () = nudge.notified() => {
                        // A local write or a pause: start again now, unless a pull of the
                        // server's changes is under way (it is not thrown away for that).
                        if paused.load(Ordering::Relaxed) || replica.progress().get().1 == 0 {
                            break None;
                        }
                    }
                    _ = tick.tick() => {
                        let (done, total) = replica.progress().get();
                        if total >= PROGRESS_FROM {
                            report(&replica, SyncState::Syncing, Some((done, total)), &outbox).await;
                        }
                    }
                }
            }
        };
        let pause = match round {
            None => {
                if !matches!(state, SyncState::Offline(_)) {
                    state = SyncState::Syncing;
                }
                continue;
            }
            Some(Ok(report)) => {
                backoff = FIRST_BACKOFF;
                state = SyncState::UpToDate;
                if report.pulled > 0 {
                    outbox.send(SessionMessage::ReplicaChanged).await;
                }
                continue;
            }
            Some(Err(SyncError::SignedOut(why))) => {
                report(
                    &replica,
                    SyncState::SignInAgain(why.to_string()),
                    None,
                    &outbox,
                )
                .await;
                return;
            }
            Some(Err(e)) => {
                state = if e.is_transient() {
                    SyncState::Offline(e.to_string())
                } else {
                    tracing::warn!("the sync failed: {e}");
                    SyncState::Failed(e.to_string())
                };
                report(&replica, state.clone(), None, &outbox).await;
                let asked = replica.client().take_retry_after().unwrap_or_default();
                let pause = jittered(backoff).max(asked);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                pause
            }
        };
        // A local write made meanwhile is worth trying at once: the server may be back.
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = nudge.notified() => {}
        }
    }
}

/// Half of `wait` plus a random part of the other half, so desks that lost the server at
/// the same moment do not all come back at once.
fn jittered(wait: Duration) -> Duration {
    let half = wait / 2;
    half + half.mul_f64(rand::random::<f64>())
}

/// Tells the window where the replica stands.
async fn report(replica: &Replica, state: SyncState, pulling: Option<(u64, u64)>, outbox: &Outbox) {
    let api = replica.api().clone();
    let read = blocking(move || {
        let status = sync::status(&api).map_err(to_api_error)?;
        let pending_ids = desk::pending_customers(&api, PENDING_IDS).map_err(to_api_error)?;
        Ok((status, pending_ids))
    })
    .await;
    match read {
        Ok((status, pending_ids)) => {
            let last_sync = status
                .last_sync
                .as_deref()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&chrono::Utc));
            outbox
                .send(SessionMessage::Sync(SyncStatus {
                    state,
                    pending: status.pending,
                    conflicts: status.conflicts,
                    parked: status.parked,
                    last_sync,
                    pending_ids,
                    pulling,
                }))
                .await;
        }
        Err(e) => tracing::warn!("the replica's state could not be read: {e}"),
    }
}

/// Carries out a person's decision about the replica, and wakes the sync for it.
pub(super) async fn sync_command(desk: &ReplicaDesk, command: SyncCommand) -> Option<SyncMessage> {
    let api = desk.api().clone();
    let decided = |result: Result<(), SyncError>| {
        desk.changed_locally();
        SyncMessage::Decided(result.map_err(|e| e.to_string()))
    };
    match command {
        SyncCommand::Pause(paused) => {
            desk.paused.store(paused, Ordering::Relaxed);
            desk.nudge.notify_one();
            None
        }
        SyncCommand::ListConflicts => Some(SyncMessage::Conflicts(
            blocking(move || conflicts::list(&api).map_err(to_api_error))
                .await
                .map_err(|e| e.to_string()),
        )),
        SyncCommand::ListWaiting { parked } => Some(SyncMessage::Waiting {
            parked,
            result: blocking(move || desk::waiting_changes(&api, parked).map_err(to_api_error))
                .await
                .map_err(|e| e.to_string()),
        }),
        SyncCommand::Resolve { id, take } => {
            let result =
                blocking(move || conflicts::resolve(&api, &id, take).map_err(to_api_error)).await;
            Some(decided(result.map_err(SyncError::Api)))
        }
        SyncCommand::ResolveFields { id, from_server } => {
            let result = blocking(move || {
                conflicts::resolve_fields(&api, &id, &from_server).map_err(to_api_error)
            })
            .await;
            Some(decided(result.map_err(SyncError::Api)))
        }
        SyncCommand::RetryParked { seq } => {
            let result =
                blocking(move || conflicts::retry_parked(&api, seq).map_err(to_api_error)).await;
            Some(decided(result.map_err(SyncError::Api)))
        }
        SyncCommand::DiscardParked { seq } => {
            let result =
                blocking(move || conflicts::discard_parked(&api, seq).map_err(to_api_error)).await;
            Some(decided(result.map_err(SyncError::Api)))
        }
    }
}
