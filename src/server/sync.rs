//! `GET /sync/customers` **[ours]**: the change feed (`sync.md` §2), with `wait` holding an
//! up-to-date request open until a change comes, so desks online see each other's edits
//! within about a second.

use std::time::{Duration, Instant};

use axum::extract::{OriginalUri, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::AppState;
use super::problem::{Failure, SignedIn, json_body_response};
use crate::api::{ApiError, FEED_DEFAULT_LIMIT, FEED_MAX_WAIT_SECS, blocking};
use crate::ndata::ListParams;

/// What a feed request asks for.
struct FeedQuery {
    since: Option<String>,
    limit: usize,
    wait: Duration,
}

fn parse_query(query: Option<&str>) -> Result<FeedQuery, ApiError> {
    let params = ListParams::from_query_string(query.unwrap_or(""));
    let mut parsed = FeedQuery {
        since: None,
        limit: FEED_DEFAULT_LIMIT,
        wait: Duration::ZERO,
    };
    for (name, value) in &params.0 {
        match name.as_str() {
            "since" => parsed.since = Some(value.clone()),
            "limit" => {
                parsed.limit = value.trim().parse().map_err(|_| {
                    ApiError::invalid("limit", format!("\"{value}\" is not a whole number"))
                })?;
            }
            "wait" => {
                let seconds: u64 = value.trim().parse().map_err(|_| {
                    ApiError::invalid(
                        "wait",
                        format!("\"{value}\" is not a whole number of seconds"),
                    )
                })?;
                if seconds > FEED_MAX_WAIT_SECS {
                    return Err(ApiError::invalid(
                        "wait",
                        format!("must be at most {FEED_MAX_WAIT_SECS} seconds"),
                    ));
                }
                parsed.wait = Duration::from_secs(seconds);
            }
            _ => {}
        }
    }
    Ok(parsed)
}

/// `GET /sync/customers?since=CURSOR&limit=N&wait=S`.
pub async fn feed(
    State(state): State<AppState>,
    user: SignedIn,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Result<Response, Failure> {
    let path = uri.path().to_owned();
    let query = parse_query(query.as_deref()).map_err(|e| Failure::new(e, &path))?;
    let deadline = Instant::now() + query.wait;
    loop {
        // Listen before reading, so a write between the read and the wait wakes us.
        let api = state.api.clone();
        let changed = api.changed();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let (api2, actor, since) = (api.clone(), user.who.actor.clone(), query.since.clone());
        let limit = query.limit;
        let answer = blocking(move || api2.feed(&actor, since.as_deref(), limit))
            .await
            .map_err(|e| Failure::new(e, &path))?;
        let left = deadline.saturating_duration_since(Instant::now());
        if answer.has_changes || left.is_zero() {
            return Ok(json_body_response(StatusCode::OK, answer.body));
        }
        // A write that did not go through this API (a bulk load) wakes nobody: look again
        // every few seconds anyway.
        let _ = tokio::time::timeout(left.min(Duration::from_secs(5)), changed).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_parameters_are_checked() {
        let q = parse_query(Some("since=abc.3&limit=10&wait=5")).unwrap();
        assert_eq!(q.since.as_deref(), Some("abc.3"));
        assert_eq!(q.limit, 10);
        assert_eq!(q.wait, Duration::from_secs(5));
        assert!(parse_query(Some("wait=31")).is_err());
        assert!(parse_query(Some("limit=x")).is_err());
    }
}
