//! The service thread: it owns the store and, when a user signs in to a shop server, the
//! remote client, and answers the window's [`Command`]s with [`Message`]s over bounded
//! channels. The window never waits on it; every message sent wakes the window with
//! `request_repaint`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use tokio::sync::mpsc;

use crate::api::{ApiError, CustomersApi, LocalApi, LocalSession, blocking};
use crate::model::{Actor, Customer, QueryResult, Rights, UserInfo};
use crate::ndata::ListParams;
use crate::remote::RemoteClient;
use crate::store::{Store, users};

/// How many commands may wait; the window drops a command (and says so) beyond that.
const COMMAND_CAPACITY: usize = 64;
/// How many answers may wait for the window to drain them.
const MESSAGE_CAPACITY: usize = 256;
/// The seed of the demo data, fixed so that two demo stores hold the same customers.
const DEMO_SEED: u64 = 42;

/// What the window asks the service to do.
#[derive(Debug)]
pub enum Command {
    /// Open the store and report whether it has users yet.
    Start,
    /// First start: create the owner account (holding `admin`) and sign in as it.
    CreateOwner {
        user_name: String,
        password: String,
    },
    /// Sign in on this computer's store, or at the shop server `server` (an address such as
    /// `http://192.168.1.10:8080`).
    SignIn {
        user_name: String,
        password: String,
        server: Option<String>,
    },
    SignOut,
    /// Fill the store with `count` demo customers; `cancel` stops it between customers.
    LoadDemo {
        count: u64,
        cancel: Arc<AtomicBool>,
    },
    /// One page of the grid; `request` lets the window drop answers it no longer wants.
    List {
        request: u64,
        params: ListParams,
    },
    /// A scanned or typed card serial number.
    FindCard {
        serial: String,
    },
    Save {
        id: Option<String>,
        body: Value,
    },
    AdjustCredit {
        id: String,
        body: Value,
    },
    Delete {
        id: String,
    },
    /// Fetch one customer (open from the grid, or reload after a conflict).
    Get {
        id: String,
    },
}

/// What the service answers.
#[derive(Debug)]
pub enum Message {
    /// The store is open; `has_users` is false on a first start.
    Started {
        store: String,
        has_users: bool,
        /// Whether demo data is worth offering.
        has_customers: bool,
    },
    /// The store could not be opened; nothing else will work.
    StoreFailed(String),
    SignedIn {
        user: UserInfo,
        /// The shop server's address; `None` on this computer's store.
        server: Option<String>,
    },
    SignInFailed(String),
    SignedOut,
    DemoProgress {
        done: u64,
        total: u64,
    },
    /// The demo load ended: how many customers were loaded, or why it failed.
    DemoFinished(Result<u64, String>),
    Page {
        request: u64,
        result: Result<QueryResult<Customer>, ApiError>,
    },
    CardFound {
        serial: String,
        result: Result<Option<Customer>, ApiError>,
    },
    Saved {
        created: bool,
        result: Result<Customer, ApiError>,
    },
    CreditAdjusted(Result<Customer, ApiError>),
    Deleted(Result<Customer, ApiError>),
    Fetched {
        id: String,
        result: Result<Customer, ApiError>,
    },
    /// A command arrived before anyone signed in.
    NotSignedIn,
}

/// The window's end of the service: send commands without waiting, drain messages.
#[derive(Debug)]
pub struct ServiceHandle {
    commands: mpsc::Sender<Command>,
    messages: mpsc::Receiver<Message>,
}

impl ServiceHandle {
    /// Starts the service thread on the store at `db_path`; `ctx` is woken on every message.
    pub fn spawn(db_path: PathBuf, ctx: egui::Context) -> std::io::Result<Self> {
        let (command_tx, command_rx) = mpsc::channel(COMMAND_CAPACITY);
        let (message_tx, message_rx) = mpsc::channel(MESSAGE_CAPACITY);
        let outbox = Outbox {
            tx: message_tx,
            ctx,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("customer-desk-service".into())
            .spawn(move || runtime.block_on(serve(db_path, command_rx, outbox)))?;
        Ok(Self {
            commands: command_tx,
            messages: message_rx,
        })
    }

    /// Sends a command without blocking; fails when the service is gone or swamped.
    pub fn send(&self, command: Command) -> Result<(), String> {
        self.commands.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => {
                "the store is busy; try again in a moment".to_owned()
            }
            mpsc::error::TrySendError::Closed(_) => "the store service has stopped".to_owned(),
        })
    }

    /// The next waiting message, if any.
    pub fn try_recv(&mut self) -> Option<Message> {
        self.messages.try_recv().ok()
    }
}

/// The service's end of the message channel: sending also wakes the window.
#[derive(Debug, Clone)]
struct Outbox {
    tx: mpsc::Sender<Message>,
    ctx: egui::Context,
}

impl Outbox {
    async fn send(&self, message: Message) {
        // A closed channel means the window is gone; there is nobody left to tell.
        if self.tx.send(message).await.is_ok() {
            self.ctx.request_repaint();
        }
    }

    /// For progress reports from blocking code: dropped when the window lags behind.
    fn offer(&self, message: Message) {
        if self.tx.try_send(message).is_ok() {
            self.ctx.request_repaint();
        }
    }
}

/// The API the signed-in user talks to: this computer's store or a shop server. Every
/// customer call goes through the [`CustomersApi`] trait that both implement.
#[derive(Debug, Clone)]
enum Backend {
    Local(LocalSession),
    Remote(Arc<RemoteClient>),
}

async fn serve(db_path: PathBuf, mut commands: mpsc::Receiver<Command>, outbox: Outbox) {
    let store_name = db_path.display().to_string();
    let opened = tokio::task::spawn_blocking(move || Store::open(&db_path)).await;
    let api = match opened {
        Ok(Ok(store)) => Arc::new(LocalApi::with_system_clock(store)),
        Ok(Err(err)) => return fail_forever(&mut commands, &outbox, err.to_string()).await,
        Err(err) => return fail_forever(&mut commands, &outbox, err.to_string()).await,
    };
    let mut backend: Option<Backend> = None;
    while let Some(command) = commands.recv().await {
        match command {
            Command::Start => {
                let api = api.clone();
                let counts = blocking(move || {
                    let users = api.store().read(users::user_count)?;
                    // Nobody is signed in yet; this only decides whether to offer demo data.
                    let nobody = Actor::new("", Rights::NONE);
                    let customers = api.list(&nobody, &ListParams::new().with("$count", "true"))?;
                    Ok((users, customers.total_count))
                })
                .await;
                outbox
                    .send(match counts {
                        Ok((users, customers)) => Message::Started {
                            store: store_name.clone(),
                            has_users: users > 0,
                            has_customers: customers > 0,
                        },
                        Err(err) => Message::StoreFailed(err.to_string()),
                    })
                    .await;
            }
            Command::CreateOwner {
                user_name,
                password,
            } => {
                let api2 = api.clone();
                let created = blocking(move || {
                    let now = api2.clock().now().timestamp_micros();
                    api2.store().write(|tx| {
                        users::add_user(tx, user_name.trim(), &password, Rights::admin(), now)
                    })?;
                    api2.sign_in(&user_name, &password)
                })
                .await;
                backend = sign_in_result(&api, created, &outbox).await;
            }
            Command::SignIn {
                user_name,
                password,
                server: None,
            } => {
                let api2 = api.clone();
                let signed = blocking(move || api2.sign_in(&user_name, &password)).await;
                backend = sign_in_result(&api, signed, &outbox).await;
            }
            Command::SignIn {
                user_name,
                password,
                server: Some(server),
            } => {
                let signed =
                    RemoteClient::login(&server, &user_name, &password, &device_name()).await;
                backend = remote_sign_in_result(signed, server, &outbox).await;
            }
            Command::SignOut => {
                if let Some(Backend::Remote(client)) = backend.take() {
                    // Revoke the token on the server; signing out here happens either way.
                    if let Err(err) = client.logout().await {
                        tracing::warn!("signing out at the server failed: {err}");
                    }
                }
                outbox.send(Message::SignedOut).await;
            }
            Command::LoadDemo { count, cancel } => {
                if !matches!(backend, Some(Backend::Local(_))) {
                    outbox.send(Message::NotSignedIn).await;
                    continue;
                }
                let (api, out) = (api.clone(), outbox.clone());
                tokio::spawn(async move {
                    let progress_out = out.clone();
                    let result =
                        blocking(move || load_demo(&api, count, &cancel, &progress_out)).await;
                    out.send(Message::DemoFinished(result.map_err(|e| e.to_string())))
                        .await;
                });
            }
            command => match &backend {
                Some(backend) => {
                    let (backend, outbox) = (backend.clone(), outbox.clone());
                    tokio::spawn(async move {
                        let message = match &backend {
                            Backend::Local(session) => customer_call(session, command).await,
                            Backend::Remote(client) => {
                                customer_call(client.as_ref(), command).await
                            }
                        };
                        outbox.send(message).await;
                    });
                }
                None => outbox.send(Message::NotSignedIn).await,
            },
        }
    }
}

/// Answers every command with `StoreFailed` once the store could not be opened.
async fn fail_forever(commands: &mut mpsc::Receiver<Command>, outbox: &Outbox, reason: String) {
    while commands.recv().await.is_some() {
        outbox.send(Message::StoreFailed(reason.clone())).await;
    }
}

async fn sign_in_result(
    api: &Arc<LocalApi>,
    result: Result<(Actor, UserInfo), ApiError>,
    outbox: &Outbox,
) -> Option<Backend> {
    match result {
        Ok((actor, info)) => {
            outbox
                .send(Message::SignedIn {
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
            let reason = match err {
                ApiError::Unauthorized(_) => "Wrong user name or password.".to_owned(),
                other => other.to_string(),
            };
            outbox.send(Message::SignInFailed(reason)).await;
            None
        }
    }
}

async fn remote_sign_in_result(
    result: Result<RemoteClient, ApiError>,
    server: String,
    outbox: &Outbox,
) -> Option<Backend> {
    match result {
        Ok(client) => {
            outbox
                .send(Message::SignedIn {
                    user: client.user().clone(),
                    server: Some(server),
                })
                .await;
            Some(Backend::Remote(Arc::new(client)))
        }
        Err(err) => {
            let reason = match err {
                ApiError::Unauthorized(_) => "Wrong user name or password.".to_owned(),
                ApiError::Unavailable(why) => format!("The server could not be reached: {why}"),
                other => other.to_string(),
            };
            outbox.send(Message::SignInFailed(reason)).await;
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

/// Carries out one customer command through the [`CustomersApi`], whichever API it is.
async fn customer_call<A: CustomersApi>(api: &A, command: Command) -> Message {
    match command {
        Command::List { request, params } => Message::Page {
            request,
            result: api.list(&params).await,
        },
        Command::FindCard { serial } => {
            let params = ListParams::new()
                .with("CardSerialNumber", format!("eq:{}", serial.trim()))
                .with("$take", "1");
            let result = api
                .list(&params)
                .await
                .map(|r| r.items.and_then(|items| items.into_iter().next()));
            Message::CardFound { serial, result }
        }
        Command::Save { id: Some(id), body } => {
            let result = api.upsert(&id, &body).await;
            let created = result.as_ref().is_ok_and(|u| u.created);
            Message::Saved {
                created,
                result: result.map(|u| u.customer),
            }
        }
        Command::Save { id: None, body } => Message::Saved {
            created: true,
            result: api.create(&body).await,
        },
        Command::AdjustCredit { id, body } => {
            Message::CreditAdjusted(api.adjust_credit(&id, &body).await)
        }
        Command::Delete { id } => Message::Deleted(api.delete(&id).await),
        Command::Get { id } => {
            let result = api.get(&id).await;
            Message::Fetched { id, result }
        }
        Command::Start
        | Command::CreateOwner { .. }
        | Command::SignIn { .. }
        | Command::SignOut
        | Command::LoadDemo { .. } => Message::NotSignedIn,
    }
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
            outbox.offer(Message::DemoProgress { done, total: count });
            next_report = done + step;
        }
        !cancel.load(Ordering::Relaxed)
    };
    let report = crate::demo::load(api, count, DEMO_SEED, &mut progress)?;
    Ok(report.added)
}
