//! The Customers API over HTTP (axum on tokio). Handlers are small: parse the request, call
//! one function of the API logic on a blocking thread (SQLite calls block), and answer with
//! JSON or a problem document. Every rule lives in [`crate::api`].

mod conn;
mod customers;
mod idempotent;
mod problem;
mod sessions;
mod stream;
mod sync;
mod users;

pub use conn::ServerLimits;
use conn::Slot;
pub use problem::MAX_BODY_BYTES;

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post, put};
use tokio::net::TcpListener;

use crate::api::{ApiError, Auth, LocalApi};
use crate::model::Problem;
use problem::{Failure, problem_response};

/// What every handler shares: the API logic and sign-in over one store, and the limits that
/// keep one client from taking the server's memory, threads or descriptors.
#[derive(Debug, Clone)]
pub struct AppState {
    pub api: Arc<LocalApi>,
    pub auth: Arc<Auth>,
    /// Our extras for replicas: the `/sync` feed, `DELETE ?_v=N` and `Idempotency-Key`.
    /// Off, the server answers as a plain PORTOS server would (`--portos-compatible`).
    pub sync_extras: bool,
    pub limits: Arc<ServerLimits>,
    /// The whole-list streams open now, counted against `limits`.
    streams: Arc<stream::OpenStreams>,
    /// Password checks running and waiting, bounded by `limits`.
    password_gate: Arc<sessions::PasswordGate>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`serve --trusted-proxy`).
    trusted_proxies: Arc<[IpAddr]>,
}

impl AppState {
    /// The state for `auth`, whose API the customer routes use too, with the default limits.
    pub fn new(auth: Arc<Auth>) -> Self {
        let limits = ServerLimits::default();
        Self {
            api: auth.api().clone(),
            auth,
            sync_extras: true,
            password_gate: Arc::new(sessions::PasswordGate::new(
                limits.password_checks,
                limits.password_queue,
            )),
            limits: Arc::new(limits),
            streams: Arc::default(),
            trusted_proxies: Arc::new([]),
        }
    }

    /// The same state taking the client's address from `X-Forwarded-For` on connections
    /// from `proxies` (a reverse proxy in front of the server); other peers' headers are
    /// ignored, so nobody can pick the address their failed sign-ins count against.
    pub fn with_trusted_proxies(mut self, proxies: Vec<IpAddr>) -> Self {
        self.trusted_proxies = proxies.into();
        self
    }

    /// The same state under `limits`.
    pub fn with_limits(mut self, limits: ServerLimits) -> Self {
        self.password_gate = Arc::new(sessions::PasswordGate::new(
            limits.password_checks,
            limits.password_queue,
        ));
        self.limits = Arc::new(limits);
        self
    }

    /// The same state answering as a plain PORTOS server: no feed, no idempotency extras.
    pub fn portos_compatible(mut self) -> Self {
        self.sync_extras = false;
        self
    }
}

/// Every route of the contract.
pub fn router(state: AppState) -> Router {
    let routes = if state.sync_extras {
        Router::new().route("/sync/customers", get(sync::feed))
    } else {
        Router::new()
    };
    routes
        .route("/customers", get(customers::list).post(customers::create))
        .route(
            "/customers/{id}",
            get(customers::get_one)
                .put(customers::upsert)
                .delete(customers::delete),
        )
        .route("/customers/{id}/credit", post(customers::adjust_credit))
        .route(
            "/api/auth",
            post(sessions::login)
                .get(sessions::who_am_i)
                .delete(sessions::logout),
        )
        .route("/api/auth/refresh", post(sessions::refresh))
        .route("/api/users", get(users::list).post(users::create))
        .route(
            "/api/users/{user_name}",
            put(users::change).delete(users::delete),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(refuse_declared_oversize))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes; requests in flight then
/// finish before this returns, so nothing is left half-written.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = ServerLimits::clone(&state.limits);
    conn::serve(listener, router(state), limits, shutdown).await
}

/// A body declared larger than the limit is refused before a byte of it is read, so the
/// client learns at once and the connection is not held while it sends.
async fn refuse_declared_oversize(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        let error = ApiError::PayloadTooLarge {
            limit_bytes: MAX_BODY_BYTES,
        };
        let mut response = Failure::new(error, request.uri().path()).into_response();
        // The body is never read, so the connection cannot carry another request: say so,
        // or a client would send its next one on it and lose it.
        response.headers_mut().insert(
            axum::http::header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return response;
    }
    next.run(request).await
}

/// Completes on Ctrl-C or (on Unix) SIGTERM, the signals a service manager sends.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// One log line per request: method, path, status and time taken (to the response head).
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(%method, %path, status = response.status().as_u16(), elapsed_ms = format!("{elapsed_ms:.1}"), "request");
    response
}

async fn no_route(request: Request) -> Response {
    let detail = format!(
        "no route {} (routes: /customers, /customers/{{id}}, /customers/{{id}}/credit, /api/auth, /api/auth/refresh, /api/users, /api/users/{{userName}}, /sync/customers)",
        request.uri().path()
    );
    route_problem(
        StatusCode::NOT_FOUND,
        "Not found",
        detail,
        request.uri().path(),
    )
}

async fn method_not_allowed(request: Request) -> Response {
    let detail = format!(
        "{} is not allowed on {}",
        request.method(),
        request.uri().path()
    );
    route_problem(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not allowed",
        detail,
        request.uri().path(),
    )
}

/// A problem about the route itself, which no API call was reached to report.
fn route_problem(status: StatusCode, title: &str, detail: String, path: &str) -> Response {
    problem_response(&Problem {
        kind: format!(
            "urn:customer-desk:problem:{}",
            title.to_lowercase().replace(' ', "-")
        ),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: Some(detail),
        instance: Some(path.to_owned()),
        error_code: None,
        resource: None,
        errors: Vec::new(),
    })
}
