//! The `Idempotency-Key` header **[ours]** (`sync.md` §3): a request sent again with the same
//! key gets the response the first one got, instead of acting twice; the same key with a
//! different request is a `422`. Responses are kept for 30 days, per user.

use sha2::{Digest, Sha256};

use super::{ApiError, LocalApi};
use crate::store::idempotency::{self, StoredResponse};

/// How long a response is kept for its key (desks stay offline for days).
pub const IDEMPOTENCY_KEEP_DAYS: i64 = 30;
/// The longest key accepted.
const MAX_KEY_CHARS: usize = 200;

/// The hash that tells two requests apart: method, path and body.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_bytes(), b"\n", path.as_bytes(), b"\n", body] {
        hash.update(part);
    }
    hex::encode(hash.finalize())
}

/// Whether a response is kept for its key: a definite answer. A refused sign-in, a locked
/// customer, a rate limit and server errors say nothing about the request, so a retry runs it.
pub fn is_kept(status: u16) -> bool {
    status < 500 && !matches!(status, 401 | 408 | 423 | 429)
}

fn check_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty()
        || key.chars().count() > MAX_KEY_CHARS
        || !key.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            format!("use 1 to {MAX_KEY_CHARS} printable ASCII characters without spaces"),
        ));
    }
    Ok(())
}

impl LocalApi {
    /// The response kept for `user_name`'s `key`, if the same request was answered before;
    /// `422` if the key answered a different one.
    pub fn replayed(
        &self,
        user_name: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Option<(u16, Vec<u8>)>, ApiError> {
        check_key(key)?;
        match self
            .store()
            .read(|s| idempotency::find(s, user_name, key))?
        {
            Some(stored) if stored.request_hash == request_hash => {
                Ok(Some((stored.status, stored.body)))
            }
            Some(_) => Err(ApiError::KeyReused(format!(
                "{key} was sent before with another request"
            ))),
            None => Ok(None),
        }
    }

    /// Keeps the response to `user_name`'s request under `key`, and forgets responses older
    /// than [`IDEMPOTENCY_KEEP_DAYS`].
    pub fn keep_response(
        &self,
        user_name: &str,
        key: &str,
        request_hash: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), ApiError> {
        if !is_kept(status) {
            return Ok(());
        }
        let now = self.clock().now().timestamp_micros();
        let keep_from = now - IDEMPOTENCY_KEEP_DAYS * 86_400 * 1_000_000;
        let response = StoredResponse {
            request_hash: request_hash.to_owned(),
            status,
            body: body.to_vec(),
        };
        Ok(self.store().write(|tx| {
            idempotency::forget_before(tx, keep_from)?;
            idempotency::keep(tx, user_name, key, &response, now)
        })?)
    }
}
