//! `GET /customers` without `$take`: the whole list streamed in batches, so a million
//! customers cost the server one batch of memory instead of the whole response.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream::{self, StreamExt};
use tokio::sync::mpsc;

use super::problem::Failure;
use crate::api::{ApiError, LocalApi};
use crate::model::Actor;
use crate::ndata::ListParams;

/// Customers read from the store per batch. Larger batches mean fewer page queries over a
/// big store; this keeps a batch to a few megabytes.
const BATCH: usize = 2000;
/// Serialised batches waiting for a slow client before the reader pauses.
const BATCHES_IN_FLIGHT: usize = 2;

/// What the store task sends to the response.
enum Piece {
    Bytes(Bytes),
    Failed(ApiError),
}

/// Streams `{"items":[…],"count":N,"totalCount":T}`. An error before the first batch is an
/// ordinary problem response; one after it (the status is sent by then) cuts the body short,
/// so a client never takes a partial list for a whole one.
pub async fn whole_list(
    api: Arc<LocalApi>,
    actor: Actor,
    params: ListParams,
    path: String,
) -> Result<Response, Failure> {
    let (tx, mut rx) = mpsc::channel::<Piece>(BATCHES_IN_FLIGHT);
    tokio::task::spawn_blocking(move || produce(&api, &actor, &params, &tx));
    let first = match rx.recv().await {
        Some(Piece::Bytes(bytes)) => bytes,
        Some(Piece::Failed(error)) => return Err(Failure::new(error, path)),
        None => {
            return Err(Failure::new(
                ApiError::Internal("the list task ended without an answer".into()),
                path,
            ));
        }
    };
    let rest = stream::unfold(rx, |mut rx| async move {
        match rx.recv().await? {
            Piece::Bytes(bytes) => Some((Ok(bytes), rx)),
            Piece::Failed(error) => {
                tracing::error!("a streamed list failed part way: {error}");
                Some((Err(std::io::Error::other(error.to_string())), rx))
            }
        }
    });
    let body = stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(rest);
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// Runs on a blocking thread: reads the list batch by batch and sends it as JSON text.
fn produce(api: &LocalApi, actor: &Actor, params: &ListParams, tx: &mpsc::Sender<Piece>) {
    let mut written = 0u64;
    let mut total = 0u64;
    let mut buf = b"{\"items\":[".to_vec();
    let result = api.list_json_batches(actor, params, BATCH, |total_count, items, count| {
        total = total_count;
        if count > 0 {
            if written > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(&items);
            written += count as u64;
        }
        let chunk = Bytes::from(std::mem::take(&mut buf));
        // A send fails when the client went away: stop reading.
        tx.blocking_send(Piece::Bytes(chunk)).is_ok()
    });
    let tail = match result {
        Ok(()) => format!("],\"count\":{written},\"totalCount\":{total}}}"),
        Err(error) => {
            let _ = tx.blocking_send(Piece::Failed(error));
            return;
        }
    };
    buf.extend_from_slice(tail.as_bytes());
    let _ = tx.blocking_send(Piece::Bytes(Bytes::from(buf)));
}
