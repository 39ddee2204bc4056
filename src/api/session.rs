//! One interface to the Customers API, whether it runs here or on a server: callers holding
//! a [`CustomersApi`] cannot tell which.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use super::{ApiError, LocalApi, Upserted};
use crate::model::{Actor, Customer, QueryResult, UserInfo};
use crate::ndata::ListParams;

/// The Customers API as a signed-in user sees it.
pub trait CustomersApi: Send + Sync {
    /// `GET /customers`.
    fn list(
        &self,
        params: &ListParams,
    ) -> impl Future<Output = Result<QueryResult<Customer>, ApiError>> + Send;
    /// `GET /customers/{id}`.
    fn get(&self, id: &str) -> impl Future<Output = Result<Customer, ApiError>> + Send;
    /// `POST /customers`.
    fn create(&self, body: &Value) -> impl Future<Output = Result<Customer, ApiError>> + Send;
    /// `PUT /customers/{id}`.
    fn upsert(
        &self,
        id: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Upserted, ApiError>> + Send;
    /// `DELETE /customers/{id}`.
    fn delete(&self, id: &str) -> impl Future<Output = Result<Customer, ApiError>> + Send;
    /// `POST /customers/{id}/credit`.
    fn adjust_credit(
        &self,
        id: &str,
        body: &Value,
    ) -> impl Future<Output = Result<Customer, ApiError>> + Send;
    /// `GET /api/auth`.
    fn me(&self) -> impl Future<Output = Result<UserInfo, ApiError>> + Send;
}

/// The local API acting as one user.
#[derive(Debug, Clone)]
pub struct LocalSession {
    api: Arc<LocalApi>,
    actor: Actor,
    info: UserInfo,
    /// Whether the actor is a stored user whose rights are read again for every call, so
    /// that a change made in the *Users* view or on the command line applies to the next
    /// one, as it does at a server.
    stored_user: bool,
}

impl LocalSession {
    /// A session of `actor` on `api`.
    pub fn new(api: Arc<LocalApi>, actor: Actor) -> Self {
        let info = UserInfo {
            id: actor.user_name.clone(),
            name: actor.user_name.clone(),
            user_name: actor.user_name.clone(),
            rights: actor.rights.names(),
        };
        Self {
            api,
            actor,
            info,
            stored_user: false,
        }
    }

    /// A session for a signed-in user whose stored record is `info`; each call acts with
    /// the rights stored at that moment, and fails once the user is removed.
    pub fn for_user(api: Arc<LocalApi>, actor: Actor, info: UserInfo) -> Self {
        Self {
            api,
            actor,
            info,
            stored_user: true,
        }
    }

    /// The acting user.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The API underneath.
    pub fn api(&self) -> &Arc<LocalApi> {
        &self.api
    }

    /// Runs a blocking store call off the async executor, as the user with the rights
    /// stored now.
    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&LocalApi, &Actor) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let api = self.api.clone();
        let (actor, stored_user) = (self.actor.clone(), self.stored_user);
        blocking(move || {
            let actor = if stored_user {
                current_actor(&api, &actor.user_name)?.0
            } else {
                actor
            };
            f(&api, &actor)
        })
        .await
    }
}

/// The stored user `user_name` as an actor and as `GET /api/auth` shows them; 401 once the
/// user has been removed.
fn current_actor(api: &LocalApi, user_name: &str) -> Result<(Actor, UserInfo), ApiError> {
    let user = api
        .store()
        .read(|s| crate::store::users::find_user(s, user_name))?
        .ok_or_else(|| ApiError::Unauthorized(format!("the user {user_name} was removed")))?;
    Ok((Actor::new(user.user_name.clone(), user.rights), user.info()))
}

/// Runs blocking API work (SQLite, argon2) on tokio's blocking pool, so that an async
/// caller (the server, the desk's service thread) never stalls its executor on it.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("the store task failed: {e}")))?
}

impl CustomersApi for LocalSession {
    async fn list(&self, params: &ListParams) -> Result<QueryResult<Customer>, ApiError> {
        let params = params.clone();
        self.run(move |api, actor| api.list(actor, &params)).await
    }

    async fn get(&self, id: &str) -> Result<Customer, ApiError> {
        let id = id.to_owned();
        self.run(move |api, actor| api.get(actor, &id)).await
    }

    async fn create(&self, body: &Value) -> Result<Customer, ApiError> {
        let body = body.clone();
        self.run(move |api, actor| api.create(actor, &body)).await
    }

    async fn upsert(&self, id: &str, body: &Value) -> Result<Upserted, ApiError> {
        let (id, body) = (id.to_owned(), body.clone());
        self.run(move |api, actor| api.upsert(actor, &id, &body))
            .await
    }

    async fn delete(&self, id: &str) -> Result<Customer, ApiError> {
        let id = id.to_owned();
        self.run(move |api, actor| api.delete(actor, &id)).await
    }

    async fn adjust_credit(&self, id: &str, body: &Value) -> Result<Customer, ApiError> {
        let (id, body) = (id.to_owned(), body.clone());
        self.run(move |api, actor| api.adjust_credit(actor, &id, &body))
            .await
    }

    async fn me(&self) -> Result<UserInfo, ApiError> {
        if !self.stored_user {
            return Ok(self.info.clone());
        }
        let (api, user_name) = (self.api.clone(), self.actor.user_name.clone());
        blocking(move || Ok(current_actor(&api, &user_name)?.1)).await
    }
}
