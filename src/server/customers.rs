//! The `/customers` routes.

use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::problem::{CustomerId, Failure, JsonBody, SignedIn, json_body_response, json_response};
use super::{AppState, stream};
use crate::api::blocking;
use crate::api::{ApiError, LocalApi};
use crate::model::Actor;
use crate::ndata::{ListParams, parse_list_query};

/// `GET /customers`: a page, or the whole list streamed when no `$take` limits it.
pub async fn list(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let path = uri.path().to_owned();
    let params = ListParams::from_query_string(query.as_deref().unwrap_or(""));
    let parsed = parse_list_query(&params).map_err(|e| Failure::new(e.into(), &path))?;
    if parsed.take.is_none() && !parsed.count_only {
        return stream::whole_list(state.api, user.who.actor, params, path).await;
    }
    let api = state.api;
    let actor = user.who.actor;
    let body = blocking(move || api.list_json(&actor, &params))
        .await
        .map_err(|e| Failure::new(e, &path))?;
    Ok(json_body_response(StatusCode::OK, body))
}

/// Runs one call of the API logic for the signed-in user off the async threads and answers
/// with the status and the JSON value the call returns.
async fn call<T: serde::Serialize + Send + 'static>(
    state: AppState,
    user: SignedIn,
    path: &str,
    f: impl FnOnce(&LocalApi, &Actor) -> Result<(StatusCode, T), ApiError> + Send + 'static,
) -> Result<Response, Failure> {
    let api = state.api;
    let actor = user.who.actor;
    let (status, value) = blocking(move || f(&api, &actor))
        .await
        .map_err(|e| Failure::new(e, path))?;
    Ok(json_response(status, &value, path))
}

/// `GET /customers/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    CustomerId(id): CustomerId,
) -> Result<Response, Failure> {
    call(state, user, uri.path(), move |api, actor| {
        Ok((StatusCode::OK, api.get(actor, &id)?))
    })
    .await
}

/// `POST /customers`: 201 with the created customer.
pub async fn create(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    call(state, user, uri.path(), move |api, actor| {
        Ok((StatusCode::CREATED, api.create(actor, &body)?))
    })
    .await
}

/// `PUT /customers/{id}`: 201 when it created the customer, 200 when it updated one; the body
/// is the customer either way.
pub async fn upsert(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    CustomerId(id): CustomerId,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    call(state, user, uri.path(), move |api, actor| {
        let upserted = api.upsert(actor, &id, &body)?;
        let status = if upserted.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        Ok((status, upserted.customer))
    })
    .await
}

/// `DELETE /customers/{id}`: 200 with the deleted customer.
pub async fn delete(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    CustomerId(id): CustomerId,
) -> Result<Response, Failure> {
    call(state, user, uri.path(), move |api, actor| {
        Ok((StatusCode::OK, api.delete(actor, &id)?))
    })
    .await
}

/// `POST /customers/{id}/credit`: 200 with the customer after the change.
pub async fn adjust_credit(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    CustomerId(id): CustomerId,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    call(state, user, uri.path(), move |api, actor| {
        Ok((StatusCode::OK, api.adjust_credit(actor, &id, &body)?))
    })
    .await
}
