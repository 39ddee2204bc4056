//! A server running in-process on loopback for the HTTP tests, on a fresh store and a clock
//! the test controls.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use customer_desk::api::{Auth, AuthPolicy, LocalApi};
use customer_desk::clock::FixedClock;
use customer_desk::model::Rights;
use customer_desk::remote::RemoteClient;
use customer_desk::server::{self, AppState, ServerLimits};
use customer_desk::store::Store;
use tokio::sync::oneshot;

/// The password every test user gets.
pub const PASSWORD: &str = "test-password";

/// A running server; dropping it shuts the server down.
pub struct TestServer {
    pub base_url: String,
    pub auth: Arc<Auth>,
    pub clock: Arc<FixedClock>,
    /// The server's database file.
    pub db: PathBuf,
    users: AtomicU64,
    shutdown: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 whose clock shows `now`, with the default policy.
    pub async fn start(now: DateTime<Utc>) -> Self {
        Self::start_with(now, AuthPolicy::default()).await
    }

    /// Starts a server on 127.0.0.1:0 whose clock shows `now`, signing in under `policy`.
    pub async fn start_with(now: DateTime<Utc>, policy: AuthPolicy) -> Self {
        Self::start_as(now, policy, false, ServerLimits::default(), Vec::new()).await
    }

    /// Starts a server behind a reverse proxy at `proxies` (`serve --trusted-proxy`).
    pub async fn start_behind_proxy(now: DateTime<Utc>, proxies: Vec<std::net::IpAddr>) -> Self {
        Self::start_as(
            now,
            AuthPolicy::default(),
            false,
            ServerLimits::default(),
            proxies,
        )
        .await
    }

    /// Starts a server on the store file `db`, which the caller keeps, listening on `addr`
    /// (`127.0.0.1:0` for any port; the address of a stopped server to come back there).
    pub async fn start_on(now: DateTime<Utc>, db: &Path, addr: &str) -> Self {
        Self::start_full(
            now,
            AuthPolicy::default(),
            false,
            ServerLimits::default(),
            Vec::new(),
            (db.to_owned(), None),
            addr,
        )
        .await
    }

    /// The address the server listens on (`127.0.0.1:PORT`).
    pub fn addr(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// Stops the server and waits until it has finished, so that its store is closed once
    /// the caller drops every other handle on it.
    pub async fn stop(self) {
        let TestServer {
            shutdown,
            task,
            auth,
            ..
        } = self;
        let _ = shutdown.send(());
        let _ = task.await;
        drop(auth);
    }

    /// Starts a server that answers as a plain PORTOS server (`serve --portos-compatible`).
    pub async fn start_portos(now: DateTime<Utc>) -> Self {
        Self::start_as(
            now,
            AuthPolicy::default(),
            true,
            ServerLimits::default(),
            Vec::new(),
        )
        .await
    }

    /// Starts a server on 127.0.0.1:0 whose clock shows `now`, signing in under `policy`,
    /// holding its clients to `limits`.
    pub async fn start_limited(
        now: DateTime<Utc>,
        policy: AuthPolicy,
        limits: ServerLimits,
    ) -> Self {
        Self::start_as(now, policy, false, limits, Vec::new()).await
    }

    async fn start_as(
        now: DateTime<Utc>,
        policy: AuthPolicy,
        portos: bool,
        limits: ServerLimits,
        trusted_proxies: Vec<std::net::IpAddr>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("server.db");
        Self::start_full(
            now,
            policy,
            portos,
            limits,
            trusted_proxies,
            (db, Some(dir)),
            "127.0.0.1:0",
        )
        .await
    }

    async fn start_full(
        now: DateTime<Utc>,
        policy: AuthPolicy,
        portos: bool,
        limits: ServerLimits,
        trusted_proxies: Vec<std::net::IpAddr>,
        (db, dir): (PathBuf, Option<tempfile::TempDir>),
        addr: &str,
    ) -> Self {
        let store = Store::open(&db).expect("store");
        let clock = Arc::new(FixedClock::new(now));
        let api = Arc::new(LocalApi::new(store, clock.clone()));
        let auth = Arc::new(Auth::new(api, policy));
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("address"));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let state = AppState::new(auth.clone())
            .with_limits(limits)
            .with_trusted_proxies(trusted_proxies);
        let state = if portos {
            state.portos_compatible()
        } else {
            state
        };
        let task = tokio::spawn(async move {
            let _ = server::serve(listener, state, async move {
                let _ = stopped.await;
            })
            .await;
        });
        Self {
            base_url,
            auth,
            clock,
            db,
            users: AtomicU64::new(0),
            shutdown,
            task,
            _dir: dir,
        }
    }

    /// Adds a user with `rights` straight into the server's store; returns the name.
    pub fn add_user(&self, rights: Rights) -> String {
        let name = format!("user{}", self.users.fetch_add(1, Ordering::Relaxed));
        self.auth
            .add_user(&name, PASSWORD, rights)
            .expect("add user");
        name
    }

    /// A new user holding `rights`, signed in through the remote client.
    pub async fn session(&self, rights: Rights) -> RemoteClient {
        let name = self.add_user(rights);
        RemoteClient::login(&self.base_url, &name, PASSWORD, "test desk")
            .await
            .expect("login")
    }

    /// The URL of `path` (which starts with a slash).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}
