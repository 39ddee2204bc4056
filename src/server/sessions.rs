//! The `/api/auth` routes: sign in, who am I, refresh, sign out.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{ConnectInfo, OriginalUri, State};
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::AppState;
use super::problem::{Failure, JsonBody, SignedIn, json_response};
use crate::api::blocking;
use crate::api::{ApiError, LoginRequest, TokenPair, parse_body};

/// Password checks running at once, and a short queue for more. Each argon2 check holds
/// about 19 MiB for some tens of milliseconds: unbounded, a flood of sign-ins (which needs
/// no account) takes the server's memory and both cores from the desks.
#[derive(Debug)]
pub struct PasswordGate {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

/// A place in the queue, given back however the wait ends (a client may hang up).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl PasswordGate {
    /// `checks` at once, `queue` more waiting.
    pub fn new(checks: usize, queue: usize) -> Self {
        Self {
            running: Arc::new(Semaphore::new(checks.max(1))),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// A turn to check a password: at once, after a short wait, or a 503 when the queue is
    /// full.
    async fn enter(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(permit) = self.running.clone().try_acquire_owned() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return Err(ApiError::Busy {
                reason: "too many sign-ins at once".into(),
                retry_after_secs: 1,
            });
        }
        let _waiting = Waiting(&self.waiting);
        self.running
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(format!("the sign-in gate is closed: {e}")))
    }
}

/// `POST /api/auth`: `{userName, password, deviceName}` → `{tokenId, refreshToken, user}`.
pub async fn login(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    extensions: Extensions,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let path = uri.path();
    // The address (without the port, which changes with every connection) that failed
    // sign-ins are counted against. Behind a reverse proxy every desk has the proxy's.
    let source = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
    let request: LoginRequest = parse_body(&body).map_err(|e| Failure::new(e, path))?;
    let turn = state
        .password_gate
        .enter()
        .await
        .map_err(|e| Failure::new(e, path))?;
    let auth = state.auth;
    // The turn goes with the check: it ends when argon2 does, even if the client hangs up.
    let session = blocking(move || {
        let session = auth.login(&request, &source);
        drop(turn);
        session
    })
    .await
    .map_err(|e| Failure::new(e, path))?;
    Ok(json_response(StatusCode::OK, &session, path))
}

/// `GET /api/auth`: the signed-in user with the rights stored now.
pub async fn who_am_i(user: SignedIn, OriginalUri(uri): OriginalUri) -> Response {
    json_response(StatusCode::OK, &user.who.user, uri.path())
}

/// `POST /api/auth/refresh`: `{tokenId, refreshToken}` → a fresh pair; the old one stops.
pub async fn refresh(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let path = uri.path();
    let pair: TokenPair = parse_body(&body).map_err(|e| Failure::new(e, path))?;
    let auth = state.auth;
    let fresh = blocking(move || auth.refresh(&pair))
        .await
        .map_err(|e| Failure::new(e, path))?;
    Ok(json_response(StatusCode::OK, &fresh, path))
}

/// `DELETE /api/auth`: the token stops working at once.
pub async fn logout(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
) -> Result<StatusCode, Failure> {
    let auth = state.auth;
    blocking(move || auth.logout(&user.token))
        .await
        .map_err(|e| Failure::new(e, uri.path()))?;
    Ok(StatusCode::NO_CONTENT)
}
