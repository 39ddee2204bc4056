//! The `/api/users` routes **[ours]** (contract section 5): the users of this server, for a
//! desk's *Users* view. Every route needs `admin`, which the API checks.

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::customers::call;
use super::problem::{Failure, JsonBody, PathId, SignedIn};
use crate::api::{NewUser, UserChange, parse_body};

/// `GET /api/users`.
pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
) -> Result<Response, Failure> {
    call(state, user, uri.path(), |api, actor| {
        Ok((StatusCode::OK, api.users(actor)?))
    })
    .await
}

/// `POST /api/users`: `201` with the new user.
pub async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let new: NewUser = parse_body(&body).map_err(|e| Failure::new(e, uri.path()))?;
    call(state, user, uri.path(), move |api, actor| {
        Ok((StatusCode::CREATED, api.create_user(actor, &new)?))
    })
    .await
}

/// `PUT /api/users/{userName}`: `200` with the user as changed.
pub async fn change(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    PathId(user_name): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let change: UserChange = parse_body(&body).map_err(|e| Failure::new(e, uri.path()))?;
    call(state, user, uri.path(), move |api, actor| {
        Ok((StatusCode::OK, api.change_user(actor, &user_name, &change)?))
    })
    .await
}

/// `DELETE /api/users/{userName}`: `200` with the removed user.
pub async fn delete(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    PathId(user_name): PathId,
) -> Result<Response, Failure> {
    call(state, user, uri.path(), move |api, actor| {
        Ok((StatusCode::OK, api.delete_user(actor, &user_name)?))
    })
    .await
}
