//! The serve loop: opens the store, signs users in and out (on this computer's store or at a
//! shop server), loads demo data, and hands customer commands to the signed-in user's API.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc;

use super::customers::customer_call;
use super::replica::{self, ReplicaDesk};
use super::transfer::transfer;
use super::users::users_call;
use super::{
    Command, CustomerCommand, CustomerMessage, Message, Outbox, ServiceError, SessionCommand,
    SessionMessage, UsersMessage,
};
use crate::api::{ApiError, Auth, AuthPolicy, CustomersApi, LocalApi, LocalSession, blocking};
use crate::model::{Actor, Rights, UserInfo};
use crate::ndata::ListParams;
use crate::store::{Integrity, Store};

/// How often the signed-in user is read again, so that a change of rights made elsewhere
/// reaches the window (the contract asks for at least every minute).
const USER_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The seed of the demo data, fixed so that two demo stores hold the same customers.
const DEMO_SEED: u64 = 42;

/// The API the signed-in user talks to: this computer's store or a shop server. Every
/// customer call goes through the [`crate::api::CustomersApi`] trait that both implement.
#[derive(Debug, Clone)]
enum Backend {
    Local(LocalSession),
    /// A shop server, through this desk's replica of it (see [`super::replica`]).
    Replica(Arc<ReplicaDesk>),
}

pub(super) async fn serve(db_path: PathBuf, mut commands: mpsc::Receiver<Command>, outbox: Outbox) {
    let store_name = db_path.display().to_string();
    let opening = db_path.clone();
    let opened = tokio::task::spawn_blocking(move || Store::open(&opening)).await;
    let api = match opened {
        Ok(Ok(store)) => Arc::new(LocalApi::with_system_clock(store)),
        Ok(Err(err)) => return fail_forever(&mut commands, &outbox, err.to_string()).await,
        Err(err) => return fail_forever(&mut commands, &outbox, err.to_string()).await,
    };
    report_damage(api.clone(), outbox.clone());
    let auth = Arc::new(Auth::new(api.clone(), AuthPolicy::default()));
    let mut backend: Option<Backend> = None;
    let mut user_check = tokio::time::interval(USER_CHECK_EVERY);
    user_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let command = tokio::select! {
            command = commands.recv() => command,
            _ = user_check.tick() => {
                if let Some(backend) = &backend {
                    tokio::spawn(check_user(backend.clone(), outbox.clone()));
                }
                continue;
            }
        };
        let Some(command) = command else { break };
        match command {
            Command::Session(SessionCommand::CheckUser) => {
                if let Some(backend) = &backend {
                    tokio::spawn(check_user(backend.clone(), outbox.clone()));
                }
            }
            Command::Session(command) => {
                let place = Place {
                    db_path: &db_path,
                    store_name: &store_name,
                };
                session_command(command, &auth, &place, &mut backend, &outbox).await;
            }
            Command::Customers(command) => match &backend {
                Some(backend) => {
                    let (backend, outbox) = (backend.clone(), outbox.clone());
                    tokio::spawn(async move {
                        let message = match &backend {
                            Backend::Local(session) => customer_call(session, command).await,
                            Backend::Replica(desk) => replica_customer_call(desk, command).await,
                        };
                        let refused = message.refused_for_a_right();
                        outbox.send(message).await;
                        if refused {
                            // The rights the window draws by may be out of date.
                            check_user(backend, outbox).await;
                        }
                    });
                }
                None => outbox.send(Message::NotSignedIn).await,
            },
            Command::Users(command) => match &backend {
                Some(backend) => {
                    let (backend, outbox) = (backend.clone(), outbox.clone());
                    tokio::spawn(async move {
                        let message = match &backend {
                            Backend::Local(session) => users_call(session, command).await,
                            Backend::Replica(desk) => {
                                users_call(desk.replica().client(), command).await
                            }
                        };
                        let changed = matches!(
                            message,
                            UsersMessage::Saved { result: Ok(_), .. }
                                | UsersMessage::Deleted(Ok(_))
                        );
                        outbox.send(message).await;
                        if changed {
                            // The signed-in user may have changed their own rights.
                            check_user(backend, outbox).await;
                        }
                    });
                }
                None => outbox.send(Message::NotSignedIn).await,
            },
            Command::Sync(command) => match &backend {
                Some(Backend::Replica(desk)) => {
                    let (desk, outbox) = (desk.clone(), outbox.clone());
                    tokio::spawn(async move {
                        if let Some(message) = replica::sync_command(&desk, command).await {
                            outbox.send(message).await;
                        }
                    });
                }
                _ => outbox.send(Message::NotSignedIn).await,
            },
            Command::Transfer(command) => match &backend {
                Some(Backend::Local(session)) => {
                    let (session, outbox) = (session.clone(), outbox.clone());
                    tokio::spawn(async move { transfer(session, command, outbox).await });
                }
                // Files are imported into this computer's store only (one transaction);
                // at a shop server that is the server's own command line.
                _ => outbox.send(Message::NotSignedIn).await,
            },
        }
    }
}

/// Reads the signed-in user again and tells the window: their rights may have changed, or
/// their session ended. Unreachable, the desk goes on with what it knew.
async fn check_user(backend: Backend, outbox: Outbox) {
    let me = match &backend {
        Backend::Local(session) => session.me().await,
        Backend::Replica(desk) => desk.replica().client().me().await,
    };
    match me {
        Ok(user) => {
            if let Backend::Replica(desk) = &backend
                && let Err(e) = desk.keep_user(user.clone()).await
            {
                tracing::warn!("the user's new rights were not kept in the replica: {e}");
            }
            outbox.send(SessionMessage::UserRefreshed(user)).await;
        }
        Err(err @ ApiError::Unauthorized(_)) => {
            outbox.send(SessionMessage::SessionEnded(err)).await;
        }
        Err(err) => tracing::debug!("the signed-in user could not be read again: {err}"),
    }
}

/// Tells the window if the integrity check made on opening (which may go on in the
/// background for a while on a large store) finds the database damaged.
fn report_damage(api: Arc<LocalApi>, outbox: Outbox) {
    tokio::spawn(async move {
        let found = tokio::task::spawn_blocking(move || {
            api.store()
                .wait_for_integrity(std::time::Duration::from_secs(3600))
        })
        .await;
        if let Ok(Integrity::Damaged(lines)) = found {
            outbox
                .send(Message::Session(SessionMessage::StoreDamaged(lines)))
                .await;
        }
    });
}

/// Where the desk's own store is: its file (replicas go beside it) and its name as shown.
struct Place<'a> {
    db_path: &'a std::path::Path,
    store_name: &'a str,
}

/// A customer call on the replica; a write wakes the sync to push it.
async fn replica_customer_call(desk: &ReplicaDesk, command: CustomerCommand) -> CustomerMessage {
    let writes = command.writes();
    match desk.session().await {
        Ok(session) => {
            let message = customer_call(&session, command).await;
            if writes {
                desk.changed_locally();
            }
            message
        }
        Err(err) => command.refused(err),
    }
}

async fn session_command(
    command: SessionCommand,
    auth: &Arc<Auth>,
    place: &Place<'_>,
    backend: &mut Option<Backend>,
    outbox: &Outbox,
) {
    let store_name = place.store_name;
    let api = auth.api();
    match command {
        SessionCommand::Start => {
            let (auth, api) = (auth.clone(), api.clone());
            let counts = blocking(move || {
                let users = auth.user_count()?;
                // Nobody is signed in yet; this only decides whether to offer demo data.
                let nobody = Actor::new("", Rights::NONE);
                let customers = api.list(&nobody, &ListParams::new().with("$count", "true"))?;
                Ok((users, customers.total_count))
            })
            .await;
            outbox
                .send(match counts {
                    Ok((users, customers)) => SessionMessage::Started {
                        store: store_name.to_owned(),
                        has_users: users > 0,
                        has_customers: customers > 0,
                    },
                    Err(err) => SessionMessage::StoreFailed(ServiceError::Api(err)),
                })
                .await;
        }
        SessionCommand::CreateOwner {
            user_name,
            password,
        } => {
            let auth = auth.clone();
            let created = blocking(move || {
                auth.add_user(&user_name, &password, Rights::admin())?;
                auth.api().sign_in(&user_name, &password)
            })
            .await;
            *backend = signed_in_locally(api, created, outbox).await;
        }
        SessionCommand::SignIn {
            user_name,
            password,
            server: None,
        } => {
            let api2 = api.clone();
            let signed = blocking(move || api2.sign_in(&user_name, &password)).await;
            *backend = signed_in_locally(api, signed, outbox).await;
        }
        SessionCommand::SignIn {
            user_name,
            password,
            server: Some(server),
        } => {
            // Signing in again drops the replica of the user before (and stops its sync).
            *backend = None;
            let signed = replica::sign_in(
                place.db_path,
                &server,
                &user_name,
                &password,
                &device_name(),
                outbox,
            )
            .await;
            *backend = signed_in_remotely(signed, server, outbox).await;
        }
        // Answered by the serve loop, which holds the backend.
        SessionCommand::CheckUser => {}
        SessionCommand::SignOut => {
            // A replica's session at the server is kept (not revoked): it lets this user sign
            // in here again while the server is away, and the replica's changes go out then.
            *backend = None;
            outbox.send(SessionMessage::SignedOut).await;
        }
        SessionCommand::LoadDemo { count, cancel } => {
            if !matches!(backend, Some(Backend::Local(_))) {
                outbox.send(Message::NotSignedIn).await;
                return;
            }
            let (api, out) = (api.clone(), outbox.clone());
            tokio::spawn(async move {
                let progress_out = out.clone();
                let result = blocking(move || load_demo(&api, count, &cancel, &progress_out)).await;
                out.send(SessionMessage::DemoFinished(result)).await;
            });
        }
    }
}

/// Answers every command with `StoreFailed` once the store could not be opened.
async fn fail_forever(commands: &mut mpsc::Receiver<Command>, outbox: &Outbox, reason: String) {
    while commands.recv().await.is_some() {
        outbox
            .send(SessionMessage::StoreFailed(ServiceError::StoreUnavailable(
                reason.clone(),
            )))
            .await;
    }
}

async fn signed_in_locally(
    api: &Arc<LocalApi>,
    result: Result<(Actor, UserInfo), ApiError>,
    outbox: &Outbox,
) -> Option<Backend> {
    match result {
        Ok((actor, info)) => {
            outbox
                .send(SessionMessage::SignedIn {
                    user: info.clone(),
                    server: None,
                })
                .await;
            Some(Backend::Local(LocalSession::for_user(
                api.clone(),
                actor,
                info,
            )))
        }
        Err(err) => {
            outbox.send(SessionMessage::SignInFailed(err)).await;
            None
        }
    }
}

async fn signed_in_remotely(
    result: Result<(ReplicaDesk, UserInfo), ApiError>,
    server: String,
    outbox: &Outbox,
) -> Option<Backend> {
    match result {
        Ok((desk, user)) => {
            outbox
                .send(SessionMessage::SignedIn {
                    user,
                    server: Some(server),
                })
                .await;
            Some(Backend::Replica(Arc::new(desk)))
        }
        Err(err) => {
            outbox.send(SessionMessage::SignInFailed(err)).await;
            None
        }
    }
}

/// How this desk introduces itself to a server (the server lists sign-ins by device).
fn device_name() -> String {
    let host = std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_else(|_| "a desk".to_owned());
    format!("Customer Desk on {host}")
}

/// Fills the store with demo customers, reporting progress about a hundred times. A cancel
/// keeps the customers added so far.
fn load_demo(
    api: &LocalApi,
    count: u64,
    cancel: &AtomicBool,
    outbox: &Outbox,
) -> Result<u64, ApiError> {
    let step = (count / 100).max(1);
    let mut next_report = 0;
    let mut progress = |done: u64| {
        if done >= next_report || done == count {
            outbox.offer(SessionMessage::DemoProgress { done, total: count });
            next_report = done + step;
        }
        !cancel.load(Ordering::Relaxed)
    };
    let report = crate::demo::load(api, count, DEMO_SEED, &mut progress)?;
    Ok(report.added)
}
