//! Writes sent with an `Idempotency-Key` header (`sync.md` §3): a repeat of the same request
//! gets the response kept for the first, so a desk that lost an answer can ask again
//! without acting twice. Off on a server started with `--portos-compatible`.

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::AppState;
use super::customers::call;
use super::problem::{Failure, SignedIn};
use crate::api::{ApiError, LocalApi, blocking, request_hash};
use crate::model::Actor;

/// The header's name.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Runs the write `f` for the signed-in user: once per `Idempotency-Key`, when the request
/// has one and the server keeps them.
pub async fn write<T: Serialize + Send + 'static>(
    state: AppState,
    user: SignedIn,
    headers: &HeaderMap,
    method: &str,
    uri: &Uri,
    body: Option<&Value>,
    f: impl FnOnce(&LocalApi, &Actor) -> Result<(StatusCode, T), ApiError> + Send + 'static,
) -> Result<Response, Failure> {
    let path = uri.path().to_owned();
    let key = match headers.get(IDEMPOTENCY_KEY) {
        Some(key) if state.sync_extras => key.to_str().map(str::to_owned).map_err(|_| {
            Failure::new(
                ApiError::invalid("Idempotency-Key", "must be printable ASCII"),
                &path,
            )
        })?,
        _ => return call(state, user, &path, f).await,
    };
    let body_bytes = body.map(serde_json::to_vec).transpose().unwrap_or_default();
    let target = uri.path_and_query().map_or(path.as_str(), |p| p.as_str());
    let hash = request_hash(method, target, &body_bytes.unwrap_or_default());
    let api = state.api.clone();
    let actor = user.who.actor;
    let answered = {
        let (api, name, key, hash) = (
            api.clone(),
            actor.user_name.clone(),
            key.clone(),
            hash.clone(),
        );
        blocking(move || api.replayed(&name, &key, &hash))
            .await
            .map_err(|e| Failure::new(e, &path))?
    };
    if let Some((status, body)) = answered {
        return Ok(stored_response(status, body));
    }
    let instance = path.clone();
    let (status, body) = blocking(move || {
        let (status, body) = match f(&api, &actor) {
            Ok((status, value)) => (
                status.as_u16(),
                serde_json::to_vec(&value)
                    .map_err(|e| ApiError::Internal(format!("cannot write the response: {e}")))?,
            ),
            Err(error) => {
                if let ApiError::Internal(message) = &error {
                    tracing::error!(%instance, "internal error: {message}");
                }
                let problem = error.to_problem(Some(&instance));
                (
                    problem.status,
                    serde_json::to_vec(&problem).unwrap_or_default(),
                )
            }
        };
        api.keep_response(&actor.user_name, &key, &hash, status, &body)?;
        Ok((status, body))
    })
    .await
    .map_err(|e| Failure::new(e, &path))?;
    Ok(stored_response(status, body))
}

/// A response from a status and the JSON (or problem) written for it.
fn stored_response(status: u16, body: Vec<u8>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let kind = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(kind));
    response
}
