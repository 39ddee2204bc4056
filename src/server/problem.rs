//! Turning errors into `application/problem+json` responses, and the extractors that read a
//! request the contract's way (token, id, JSON body) with their failures as problems too.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::{AppState, Slot};
use crate::api::{ApiError, Authenticated, parse_json};
use crate::model::Problem;

/// The largest request body the server reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A failed request: the error and the path it was about (the problem's `instance`).
#[derive(Debug)]
pub struct Failure {
    pub error: ApiError,
    pub instance: String,
}

impl Failure {
    /// `error` about the request at `instance`.
    pub fn new(error: ApiError, instance: impl Into<String>) -> Self {
        Self {
            error,
            instance: instance.into(),
        }
    }
}

/// What a desk is told when the server's disk is full.
const SERVER_DISK_FULL: &str =
    "the server's disk is full: nothing was saved; free some space on the server and try again";

impl IntoResponse for Failure {
    fn into_response(mut self) -> Response {
        match &self.error {
            ApiError::Internal(message) => {
                tracing::error!(instance = %self.instance, "internal error: {message}");
            }
            // The disk is the server's, whatever the store's own words.
            ApiError::DiskFull(_) => self.error = ApiError::DiskFull(SERVER_DISK_FULL.into()),
            _ => {}
        }
        let mut response = problem_response(&self.error.to_problem(Some(&self.instance)));
        if let Some(secs) = self.error.retry_after_secs() {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// A problem document as a response with its own status.
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// `value` as a JSON response with `status`.
pub fn json_response<T: Serialize>(status: StatusCode, value: &T, instance: &str) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_body_response(status, body),
        Err(e) => Failure::new(
            ApiError::Internal(format!("cannot write the response: {e}")),
            instance,
        )
        .into_response(),
    }
}

/// A response of JSON already written.
pub fn json_body_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, Body::from(body)).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The bearer token of a request, if it sent one.
pub fn bearer_token(parts: &Parts) -> Option<String> {
    let header = parts.headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The signed-in user of a request, resolved from its bearer token with the rights stored now.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub who: Authenticated,
    pub token: String,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let instance = parts.uri.path().to_owned();
        let token = bearer_token(parts);
        // One indexed read of the tokens table (tens of microseconds, and a WAL reader never
        // waits for a writer): cheaper here than a hop to a blocking thread and back.
        let who = state
            .auth
            .authenticate(token.as_deref())
            .map_err(|e| Failure::new(e, instance))?;
        // A connection that carries a desk is the last to be closed to make room.
        if let Some(slot) = parts.extensions.get::<Arc<Slot>>() {
            slot.mark_signed_in();
        }
        Ok(SignedIn {
            who,
            token: token.unwrap_or_default(),
        })
    }
}

/// The id in the path (a customer id, a user name), percent-decoded.
#[derive(Debug, Clone)]
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(id)) => Ok(PathId(id)),
            Err(e) => Err(Failure::new(
                ApiError::invalid("id", e.body_text()),
                parts.uri.path(),
            )),
        }
    }
}

/// A request body read as JSON: larger than [`MAX_BODY_BYTES`] is a 413, one that does not
/// arrive within the body timeout a 408, malformed JSON a 400 naming the problem and where.
#[derive(Debug, Clone)]
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Failure> {
        let instance = req.uri().path().to_owned();
        let timeout = state.limits.body_read_timeout;
        // The whole body within the time, not each piece: a trickle of one byte a second
        // would otherwise hold the connection for days.
        let read = tokio::time::timeout(timeout, Bytes::from_request(req, state))
            .await
            .map_err(|_| {
                Failure::new(
                    ApiError::RequestTimeout(format!(
                        "the body did not arrive whole within {} s",
                        timeout.as_secs()
                    )),
                    instance.clone(),
                )
            })?;
        let bytes = read.map_err(|rejection| {
            let error = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge {
                    limit_bytes: MAX_BODY_BYTES,
                }
            } else {
                ApiError::invalid("body", rejection.body_text())
            };
            Failure::new(error, instance.clone())
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Failure::new(
                ApiError::invalid("body", "this request needs a JSON body"),
                instance,
            ));
        }
        parse_json(&bytes)
            .map(JsonBody)
            .map_err(|e| Failure::new(e, instance))
    }
}
