//! The `/api/auth` routes: sign in, who am I, refresh, sign out.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::problem::{Failure, JsonBody, SignedIn, json_response};
use crate::api::blocking;
use crate::api::{LoginRequest, TokenPair, parse_body};

/// `POST /api/auth`: `{userName, password, deviceName}` → `{tokenId, refreshToken, user}`.
pub async fn login(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let path = uri.path();
    let request: LoginRequest = parse_body(&body).map_err(|e| Failure::new(e, path))?;
    let auth = state.auth;
    let session = blocking(move || auth.login(&request))
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
