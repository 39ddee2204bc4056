//! The rules of the Customers API: rights, validation, versions, credit ledger. Every front
//! end (GUI, CLI, HTTP server, sync) goes through here; no rule lives anywhere else.

mod auth;
mod body;
mod customers;
mod error;
mod feed;
mod idempotency;
mod import;
mod replica;
mod session;
mod user_admin;
mod users;
mod validate;

pub use auth::{Auth, AuthPolicy, Authenticated, LoginRequest, LoginResponse, TokenPair};
pub use body::{member_path, parse_body, parse_json};
pub use customers::ListJson;
pub use error::ApiError;
pub use feed::{FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FEED_MAX_WAIT_SECS, FeedAnswer};
pub use idempotency::{IDEMPOTENCY_KEEP_DAYS, request_hash};
pub use import::{
    ImportError, ImportOptions, ImportReport, ImportRow, MatchBy, Refusal, RowOutcome,
};
pub use session::{CustomersApi, LocalSession, blocking};
pub use user_admin::{NewUser, UserChange, UserSummary, UsersApi};
pub use users::{hash_password, password_matches};

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::model::Customer;
use crate::store::Store;

/// The result of `PUT /customers/{id}`: the stored customer, and whether it was created.
#[derive(Debug, Clone, PartialEq)]
pub struct Upserted {
    pub customer: Customer,
    pub created: bool,
}

/// The Customers API over the local SQLite store. Cheap to share behind an `Arc`; each call
/// takes the acting user.
#[derive(Debug)]
pub struct LocalApi {
    store: Store,
    clock: Arc<dyn Clock>,
    /// Woken after every committed write, for the feed's long polls.
    changed: tokio::sync::Notify,
}

impl std::fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

impl LocalApi {
    /// The API over `store`, telling time by `clock`.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            changed: tokio::sync::Notify::new(),
        }
    }

    /// The API over the store in the file `path` (created if need be), with the system
    /// clock and a desk's memory budget.
    pub fn open(path: &std::path::Path) -> Result<Self, crate::store::Error> {
        Ok(Self::with_system_clock(Store::open(path)?))
    }

    /// The API over `store` with the system clock.
    pub fn with_system_clock(store: Store) -> Self {
        Self::new(store, Arc::new(SystemClock))
    }

    /// The store underneath, for bulk work (demo data, a sync's first pull) and the
    /// diagnostics that read it directly.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock every rule uses.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Completes after the next write committed through this API (a feed's long poll
    /// waits on it). Create it before reading, so a write in between is not missed.
    pub fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// Runs a write through the store and, when it committed, wakes whoever waits for a
    /// change.
    fn write<T, E: From<crate::store::Error>>(
        &self,
        f: impl FnOnce(&crate::store::Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let written = self.store.write(f);
        if written.is_ok() {
            self.changed.notify_waiters();
        }
        written
    }
}
