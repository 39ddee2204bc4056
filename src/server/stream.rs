//! `GET /customers` without `$take`: the whole list streamed in batches, so a million
//! customers cost the server a few batches of memory instead of the whole response.
//!
//! A stream holds a blocking thread and a SQLite read snapshot (which keeps the write-ahead
//! log from starting over) for as long as it runs, so it must not run for ever: a batch the
//! client does not take within the write timeout ends it, and one user may have only a few
//! open at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::stream::{self, StreamExt};
use tokio::runtime::Handle;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendTimeoutError;

use super::AppState;
use super::ServerLimits;
use super::problem::Failure;
use crate::api::{ApiError, LocalApi};
use crate::model::Actor;
use crate::ndata::ListParams;

/// Customers read from the store per batch. Larger batches mean fewer page queries over a
/// big store; this keeps a batch to about a megabyte, so a stream holds a few at most.
const BATCH: usize = 1000;
/// Serialised batches waiting for a slow client before the reader pauses.
const BATCHES_IN_FLIGHT: usize = 2;

/// What the store task sends to the response.
enum Piece {
    Bytes(Bytes),
    /// The end of the list: without it, the body ends as a failure.
    Last(Bytes),
    Failed(ApiError),
}

/// The whole-list streams open now, per user.
#[derive(Debug, Default)]
pub struct OpenStreams {
    per_user: Mutex<HashMap<String, usize>>,
}

/// One open stream, counted until it is dropped.
#[derive(Debug)]
struct StreamPermit {
    streams: Arc<OpenStreams>,
    user: String,
}

impl OpenStreams {
    /// Counts a stream for `user`, or refuses it when `limits` are reached.
    fn open(self: &Arc<Self>, user: &str, limits: &ServerLimits) -> Result<StreamPermit, ApiError> {
        let mut per_user = self.per_user.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = per_user.values().sum();
        if total >= limits.streams_total {
            return Err(ApiError::Busy {
                reason: format!("{total} whole lists are being streamed"),
                retry_after_secs: 5,
            });
        }
        let open = per_user.entry(user.to_owned()).or_default();
        if *open >= limits.streams_per_user {
            return Err(ApiError::TooMany {
                reason: format!(
                    "{user} has {open} whole-list streams open (at most {}); page with $take",
                    limits.streams_per_user
                ),
                retry_after_secs: 5,
            });
        }
        *open += 1;
        Ok(StreamPermit {
            streams: self.clone(),
            user: user.to_owned(),
        })
    }
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut per_user = self
            .streams
            .per_user
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(open) = per_user.get_mut(&self.user) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                per_user.remove(&self.user);
            }
        }
    }
}

/// The sending end of a stream: a piece the client does not make room for within the write
/// timeout stops the stream.
struct Sender {
    tx: mpsc::Sender<Piece>,
    runtime: Handle,
    write_timeout: Duration,
}

impl Sender {
    /// Sends `piece`; `false` when the client went away or stopped reading.
    fn send(&self, piece: Piece) -> bool {
        match self
            .runtime
            .block_on(self.tx.send_timeout(piece, self.write_timeout))
        {
            Ok(()) => true,
            Err(SendTimeoutError::Closed(_)) => false,
            Err(SendTimeoutError::Timeout(_)) => {
                tracing::warn!(
                    "gave up a list stream: the client took nothing for {} s",
                    self.write_timeout.as_secs()
                );
                false
            }
        }
    }
}

/// Streams `{"items":[…],"count":N,"totalCount":T}`. An error before the first batch is an
/// ordinary problem response; one after it (the status is sent by then) cuts the body short,
/// so a client never takes a partial list for a whole one.
pub async fn whole_list(
    state: &AppState,
    actor: Actor,
    params: ListParams,
    path: String,
) -> Result<Response, Failure> {
    let permit = state
        .streams
        .open(&actor.user_name, &state.limits)
        .map_err(|e| Failure::new(e, &path))?;
    let (tx, mut rx) = mpsc::channel::<Piece>(BATCHES_IN_FLIGHT);
    let sender = Sender {
        tx,
        runtime: Handle::current(),
        write_timeout: state.limits.write_timeout,
    };
    let api = state.api.clone();
    tokio::task::spawn_blocking(move || {
        produce(&api, &actor, &params, &sender);
        drop(permit);
    });
    let (first, rx) = match rx.recv().await {
        Some(Piece::Bytes(bytes)) => (bytes, Some(rx)),
        Some(Piece::Last(bytes)) => (bytes, None),
        Some(Piece::Failed(error)) => return Err(Failure::new(error, path)),
        None => {
            return Err(Failure::new(
                ApiError::Internal("the list task ended without an answer".into()),
                path,
            ));
        }
    };
    // `None` once the list is over; a channel that closes before its last piece is a
    // stream the store task gave up, which must not end like a whole list.
    let rest = stream::unfold(rx, |rx| async move {
        let mut rx = rx?;
        match rx.recv().await {
            Some(Piece::Bytes(bytes)) => Some((Ok(bytes), Some(rx))),
            Some(Piece::Last(bytes)) => Some((Ok(bytes), None)),
            Some(Piece::Failed(error)) => {
                tracing::error!("a streamed list failed part way: {error}");
                Some((Err(std::io::Error::other(error.to_string())), None))
            }
            None => Some((Err(std::io::Error::other("the list was cut short")), None)),
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
fn produce(api: &LocalApi, actor: &Actor, params: &ListParams, tx: &Sender) {
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
        // A send fails when the client went away or stopped reading: stop reading.
        tx.send(Piece::Bytes(chunk))
    });
    let tail = match result {
        Ok(()) => format!("],\"count\":{written},\"totalCount\":{total}}}"),
        Err(error) => {
            tx.send(Piece::Failed(error));
            return;
        }
    };
    buf.extend_from_slice(tail.as_bytes());
    tx.send(Piece::Last(Bytes::from(buf)));
}
