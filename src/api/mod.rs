//! The rules of the Customers API: rights, validation, versions, credit ledger. Every front
//! end (GUI, CLI, HTTP server, sync) goes through here; no rule lives anywhere else.

mod auth;
mod body;
mod customers;
mod error;
mod session;
mod validate;

pub use auth::{Auth, AuthPolicy, Authenticated, LoginRequest, LoginResponse, TokenPair};
pub use body::{member_path, parse_body, parse_json};
pub use error::ApiError;
pub use session::{CustomersApi, LocalSession, blocking};

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::model::{Actor, Customer, UserInfo};
use crate::store::{Store, users};

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
}

impl std::fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

impl LocalApi {
    /// The API over `store`, telling time by `clock`.
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The API over `store` with the system clock.
    pub fn with_system_clock(store: Store) -> Self {
        Self::new(store, Arc::new(SystemClock))
    }

    /// The store underneath, for the front ends' own tables (users, tokens, sync state).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock every rule uses.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Checks a user's password and returns the user as an [`Actor`], or 401.
    pub fn sign_in(&self, user_name: &str, password: &str) -> Result<(Actor, UserInfo), ApiError> {
        let user = self
            .store
            .read(|conn| users::verify_password(conn, user_name.trim(), password))?
            .ok_or_else(|| ApiError::Unauthorized("wrong user name or password".into()))?;
        Ok((Actor::new(user.user_name.clone(), user.rights), user.info()))
    }
}
