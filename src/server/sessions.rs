//! The `/api/auth` routes: sign in, who am I, refresh, sign out.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{ConnectInfo, OriginalUri, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::AppState;
use super::problem::{Failure, JsonBody, SignedIn, json_response};
use crate::api::blocking;
use crate::api::{ApiError, LoginRequest, LoginResponse, TokenPair, parse_body};

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
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let path = uri.path();
    // The address (without the port, which changes with every connection) that failed
    // sign-ins are counted against.
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    let source = client_address(peer, forwarded, &state.trusted_proxies);
    let request: LoginRequest = parse_body(&body).map_err(|e| Failure::new(e, path))?;
    let session = password_check(&state, request, source).await;
    if session.is_err() {
        // A refused sign-in (or one told to come back) is answered a little later, so that a
        // client sending them without pause is held to a few a second per connection.
        tokio::time::sleep(state.limits.refused_sign_in_delay).await;
    }
    let session = session.map_err(|e| Failure::new(e, path))?;
    Ok(json_response(StatusCode::OK, &session, path))
}

/// Checks a sign-in: refused at once while its name or address cools down, else in turn
/// for one of the few password checks that run at once.
async fn password_check(
    state: &AppState,
    request: LoginRequest,
    source: String,
) -> Result<LoginResponse, ApiError> {
    let auth = state.auth.clone();
    let (name, from) = (request.user_name.clone(), source.clone());
    blocking(move || auth.cooldown(&name, &from)).await?;
    let turn = state.password_gate.enter().await?;
    let auth = state.auth.clone();
    // The turn goes with the check: it ends when argon2 does, even if the client hangs up.
    blocking(move || {
        let session = auth.login(&request, &source);
        drop(turn);
        session
    })
    .await
}

/// The client's address: the connection's peer, unless the peer is a trusted reverse proxy;
/// then the nearest address of `X-Forwarded-For` (read from the right, as each proxy appends
/// the one it saw) that is not itself a trusted proxy. A header from anyone else is ignored,
/// and so is one that does not parse.
pub fn client_address<'h>(
    peer: Option<IpAddr>,
    forwarded_for: impl Iterator<Item = &'h str>,
    trusted: &[IpAddr],
) -> String {
    let Some(peer) = peer else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let hops: Vec<&str> = forwarded_for.flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) if trusted.contains(&address) => client = address,
            Ok(address) => return address.to_string(),
            Err(_) => break,
        }
    }
    client.to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_client_address_comes_from_a_trusted_proxy_only() {
        let proxy = ip("127.0.0.1");
        let desk = Some(ip("192.168.1.20"));
        // A desk straight on the network: its own address, whatever it claims.
        assert_eq!(
            client_address(desk, ["10.9.9.9"].into_iter(), &[proxy]),
            "192.168.1.20"
        );
        // Through the proxy: the address the proxy appended, not one the client made up.
        assert_eq!(
            client_address(
                Some(proxy),
                ["10.9.9.9, 192.168.1.20"].into_iter(),
                &[proxy]
            ),
            "192.168.1.20"
        );
        // Two proxies, both trusted, the second header line the nearer.
        let edge = ip("10.0.0.2");
        assert_eq!(
            client_address(
                Some(proxy),
                ["192.168.1.21", "10.0.0.2"].into_iter(),
                &[proxy, edge]
            ),
            "192.168.1.21"
        );
        // Nothing forwarded, or nothing readable: the proxy itself.
        assert_eq!(
            client_address(Some(proxy), [].into_iter(), &[proxy]),
            "127.0.0.1"
        );
        assert_eq!(
            client_address(Some(proxy), ["not an address"].into_iter(), &[proxy]),
            "127.0.0.1"
        );
        // No trusted proxy configured: the header is never read.
        assert_eq!(
            client_address(Some(proxy), ["192.168.1.20"].into_iter(), &[]),
            "127.0.0.1"
        );
    }
}
