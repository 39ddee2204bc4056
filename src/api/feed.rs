//! `GET /sync/customers` **[ours]**: the change feed a replica pulls (`sync.md` §2). A page
//! is read in one snapshot: each customer once, in its latest state, in `seq` order.

use super::{ApiError, LocalApi};
use crate::model::Actor;
use crate::store::feed;

/// How many changes a page holds when the request does not say.
pub const FEED_DEFAULT_LIMIT: usize = 1000;
/// The most changes a page may hold.
pub const FEED_MAX_LIMIT: usize = 5000;
/// The longest a request may wait for a change (`wait`, in seconds).
pub const FEED_MAX_WAIT_SECS: u64 = 30;

/// A page of the feed as the response body, and whether it had any change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedAnswer {
    pub body: Vec<u8>,
    pub has_changes: bool,
}

/// Reads a cursor `serverId.seq` against this server's id: the seq after which to list, or
/// 410 when the cursor is from another history.
fn cursor_seq(cursor: &str, server_id: &str, head: i64) -> Result<i64, ApiError> {
    let Some((id, seq)) = cursor.rsplit_once('.') else {
        return Err(ApiError::invalid(
            "since",
            format!("\"{cursor}\" is not a cursor this server gave"),
        ));
    };
    let seq: i64 = seq.parse().map_err(|_| {
        ApiError::invalid(
            "since",
            format!("\"{cursor}\" is not a cursor this server gave"),
        )
    })?;
    if id != server_id {
        return Err(ApiError::Gone(
            "the cursor is from another database (a new one, or one restored from a backup); read the feed again from the start".into(),
        ));
    }
    if seq > head || seq < 0 {
        return Err(ApiError::Gone(
            "the cursor is ahead of this server (its database was put back to an older copy); read the feed again from the start".into(),
        ));
    }
    Ok(seq)
}

impl LocalApi {
    /// One page of the feed after `since` (from the start when `None`), at most `limit`
    /// changes, as the JSON body.
    pub fn feed(
        &self,
        _actor: &Actor,
        since: Option<&str>,
        limit: usize,
    ) -> Result<FeedAnswer, ApiError> {
        if !(1..=FEED_MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(
                "limit",
                format!("must be from 1 to {FEED_MAX_LIMIT}"),
            ));
        }
        let now = self.clock().now();
        self.store().read(|s| {
            let server_id = feed::server_id(s)?;
            let head = feed::head(s)?;
            let since = match since.map(str::trim).filter(|c| !c.is_empty()) {
                Some(cursor) => cursor_seq(cursor, &server_id, head)?,
                None => 0,
            };
            let entries = feed::page(s, since, limit)?;
            let last = entries.last().map_or(since, |e| e.seq);
            let remaining = if entries.len() < limit {
                0
            } else {
                feed::count_after(s, last)?
            };
            let quoted = |text: &str| serde_json::to_string(text).unwrap_or_default();
            let mut body = Vec::with_capacity(entries.len() * 1100 + 128);
            body.extend_from_slice(
                format!(
                    "{{\"serverId\":{},\"cursor\":{},\"remaining\":{remaining},\"items\":[",
                    quoted(&server_id),
                    quoted(&format!("{server_id}.{last}"))
                )
                .as_bytes(),
            );
            let mut written = 0;
            for entry in &entries {
                // A customer whose stored document cannot be read is left out (and logged);
                // the cursor still moves past it.
                let customer = match entry.rid {
                    Some(rid) => match super::customers::api_json_reported(s, &[rid], now)? {
                        (json, 1) => Some(json),
                        _ => continue,
                    },
                    None => None,
                };
                if written > 0 {
                    body.push(b',');
                }
                written += 1;
                body.extend_from_slice(
                    format!(
                        "{{\"seq\":{},\"id\":{},\"_v\":{},\"deleted\":{},\"customer\":",
                        entry.seq,
                        quoted(&entry.customer_id),
                        entry.version,
                        entry.rid.is_none()
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(customer.as_deref().unwrap_or(b"null"));
                body.push(b'}');
            }
            body.extend_from_slice(b"]}");
            Ok(FeedAnswer {
                body,
                has_changes: !entries.is_empty(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_of_another_history_is_gone() {
        assert_eq!(cursor_seq("abc.12", "abc", 20).unwrap(), 12);
        assert!(matches!(
            cursor_seq("xyz.12", "abc", 20),
            Err(ApiError::Gone(_))
        ));
        assert!(matches!(
            cursor_seq("abc.21", "abc", 20),
            Err(ApiError::Gone(_))
        ));
        assert!(matches!(
            cursor_seq("garbage", "abc", 20),
            Err(ApiError::Validation(_))
        ));
    }
}
