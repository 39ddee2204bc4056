//! The `/customers` routes.

use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::problem::{Failure, JsonBody, PathId, SignedIn, json_body_response, json_response};
use super::{AppState, idempotent, stream};
use crate::api::blocking;
use crate::api::{ApiError, LocalApi};
use crate::model::Actor;
use crate::ndata::{ListParams, parse_list_query};

/// The header naming the customers a list page left out because they cannot be read.
pub const DAMAGED_HEADER: &str = "x-customer-desk-damaged";

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
        return stream::whole_list(&state, user.who.actor, params, path).await;
    }
    let api = state.api;
    let actor = user.who.actor;
    let listed = blocking(move || api.list_json(&actor, &params))
        .await
        .map_err(|e| Failure::new(e, &path))?;
    let mut response = json_body_response(StatusCode::OK, listed.body);
    // **[ours]** Customers of the page left out because their stored documents are damaged.
    if !listed.damaged.is_empty()
        && let Ok(value) = HeaderValue::from_str(&listed.damaged.join(","))
    {
        response.headers_mut().insert(DAMAGED_HEADER, value);
    }
    Ok(response)
}

/// Runs one call of the API logic for the signed-in user off the async threads and answers
/// with the status and the JSON value the call returns.
pub(super) async fn call<T: serde::Serialize + Send + 'static>(
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
    PathId(id): PathId,
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
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let sent = body.clone();
    idempotent::write(
        state,
        user,
        &headers,
        "POST",
        &uri,
        Some(&sent),
        move |api, actor| Ok((StatusCode::CREATED, api.create(actor, &body)?)),
    )
    .await
}

/// `PUT /customers/{id}`: 201 when it created the customer, 200 when it updated one; the body
/// is the customer either way.
pub async fn upsert(
    State(state): State<AppState>,
    user: SignedIn,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let sent = body.clone();
    idempotent::write(
        state,
        user,
        &headers,
        "PUT",
        &uri,
        Some(&sent),
        move |api, actor| {
            let upserted = api.upsert(actor, &id, &body)?;
            let status = if upserted.created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            Ok((status, upserted.customer))
        },
    )
    .await
}

/// `DELETE /customers/{id}`: 200 with the deleted customer. **[ours]** With `?_v=N` it
/// deletes only version `N` (else 409).
pub async fn delete(
    State(state): State<AppState>,
    user: SignedIn,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let expected_version = if state.sync_extras {
        expected_version(query.as_deref()).map_err(|e| Failure::new(e, uri.path()))?
    } else {
        None
    };
    idempotent::write(
        state,
        user,
        &headers,
        "DELETE",
        &uri,
        None,
        move |api, actor| {
            Ok((
                StatusCode::OK,
                api.delete_version(actor, &id, expected_version)?,
            ))
        },
    )
    .await
}

/// The `_v` of a delete's query, if it has one.
fn expected_version(query: Option<&str>) -> Result<Option<i64>, ApiError> {
    let params = ListParams::from_query_string(query.unwrap_or(""));
    let Some((_, value)) = params.0.iter().find(|(name, _)| name == "_v") else {
        return Ok(None);
    };
    value
        .trim()
        .parse()
        .map(Some)
        .map_err(|_| ApiError::invalid("_v", format!("\"{value}\" is not a whole number")))
}

/// `POST /customers/{id}/credit`: 200 with the customer after the change.
pub async fn adjust_credit(
    State(state): State<AppState>,
    user: SignedIn,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, Failure> {
    let sent = body.clone();
    idempotent::write(
        state,
        user,
        &headers,
        "POST",
        &uri,
        Some(&sent),
        move |api, actor| Ok((StatusCode::OK, api.adjust_credit(actor, &id, &body)?)),
    )
    .await
}
