//! The one error type of the API logic, and its mapping to and from problem documents.

use serde_json::json;

use crate::model::{FieldError, Problem};
use crate::ndata::QueryError;
use crate::store;

/// Why an API call failed. Every front end (CLI, HTTP, GUI, remote client) shows these; the
/// HTTP server and the remote client convert them to and from [`Problem`] losslessly.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// No token, a bad or expired token, or a wrong password (401, errorCode 1).
    #[error("not signed in: {0}")]
    Unauthorized(String),
    /// The user lacks the named right (403, errorCode 2).
    #[error("you do not have the right {0}")]
    Forbidden(String),
    /// One or more members are invalid (400, errorCode 3).
    #[error("{}", describe_fields(.0))]
    Validation(Vec<FieldError>),
    /// The resource is locked for a moment; retry later (423, errorCode 5).
    #[error("the customer is locked, try again in a moment: {0}")]
    Locked(String),
    /// The body's `_v` is not the stored version (409, errorCode 6).
    #[error("customer {id} was changed by someone else (now version {stored_version})")]
    Conflict { id: String, stored_version: i64 },
    /// No customer (or route) with that id (404).
    #[error("no customer with id {0}")]
    NotFound(String),
    /// **[ours]** No user with that name (`/api/users/{userName}`, 404).
    #[error("no user named {0}")]
    NoSuchUser(String),
    /// **[ours]** The feed cursor is from another history of the server (a new or restored
    /// database, or one put back from a copy): read everything again (410, errorCode 7).
    #[error("the server's history changed: {0}")]
    Gone(String),
    /// **[ours]** An `Idempotency-Key` sent again with a different request (422).
    #[error("the Idempotency-Key was used for another request: {0}")]
    KeyReused(String),
    /// The request body is larger than the server accepts (413).
    #[error("the request body is too large (at most {limit_bytes} bytes)")]
    PayloadTooLarge { limit_bytes: usize },
    /// The client took too long to send its request (408).
    #[error("the request came too slowly: {0}")]
    RequestTimeout(String),
    /// One user asks for more at once than the server gives one user (429).
    #[error("too many requests at once: {reason}; try again in {retry_after_secs} s")]
    TooMany {
        reason: String,
        retry_after_secs: u64,
    },
    /// The server is too busy to take this request now (503).
    #[error("the server is busy: {reason}; try again in {retry_after_secs} s")]
    Busy {
        reason: String,
        retry_after_secs: u64,
    },
    /// **[ours]** The disk holding the store is full: the write changed nothing (507). Reads
    /// and signing in for reading go on working.
    #[error("{0}")]
    DiskFull(String),
    /// The server could not be reached (remote client only).
    #[error("cannot reach the server: {0}")]
    Unavailable(String),
    /// Anything else; the message is for the log, not a rule of the contract (500).
    #[error("internal error: {0}")]
    Internal(String),
}

fn describe_fields(errors: &[FieldError]) -> String {
    let parts: Vec<_> = errors
        .iter()
        .map(|e| format!("{}: {}", e.member_name, e.message))
        .collect();
    parts.join("; ")
}

impl ApiError {
    /// A validation error for a single member.
    pub fn invalid(member: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(member, message)])
    }

    /// How long a client should wait before it tries again, for the `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::TooMany {
                retry_after_secs, ..
            }
            | ApiError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The HTTP status the contract gives this error.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::Validation(_) => 400,
            ApiError::Locked(_) => 423,
            ApiError::Conflict { .. } => 409,
            ApiError::NotFound(_) | ApiError::NoSuchUser(_) => 404,
            ApiError::Gone(_) => 410,
            ApiError::KeyReused(_) => 422,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::RequestTimeout(_) => 408,
            ApiError::TooMany { .. } => 429,
            ApiError::Busy { .. } | ApiError::Unavailable(_) => 503,
            ApiError::DiskFull(_) => 507,
            ApiError::Internal(_) => 500,
        }
    }

    /// The contract's `errorCode`, where it has one.
    pub fn error_code(&self) -> Option<i32> {
        match self {
            ApiError::Unauthorized(_) => Some(1),
            ApiError::Forbidden(_) => Some(2),
            ApiError::Validation(_) => Some(3),
            ApiError::Locked(_) => Some(5),
            ApiError::Conflict { .. } => Some(6),
            ApiError::Gone(_) => Some(7),
            _ => None,
        }
    }

    /// The problem document for this error; `instance` is the request path.
    pub fn to_problem(&self, instance: Option<&str>) -> Problem {
        let (title, resource, errors) = match self {
            ApiError::Unauthorized(_) => ("Unauthorized", None, vec![]),
            ApiError::Forbidden(right) => ("Forbidden", Some(json!({ "right": right })), vec![]),
            ApiError::Validation(errors) => ("Validation failed", None, errors.clone()),
            ApiError::Locked(_) => ("Locked", None, vec![]),
            ApiError::Conflict { id, stored_version } => (
                "Version conflict",
                Some(json!({ "id": id, "version": stored_version })),
                vec![],
            ),
            ApiError::NotFound(id) => ("Not found", Some(json!({ "id": id })), vec![]),
            ApiError::NoSuchUser(name) => ("Not found", Some(json!({ "userName": name })), vec![]),
            ApiError::Gone(_) => ("Gone", None, vec![]),
            ApiError::KeyReused(_) => ("Idempotency key reused", None, vec![]),
            ApiError::PayloadTooLarge { .. } => ("Payload too large", None, vec![]),
            ApiError::RequestTimeout(_) => ("Request timeout", None, vec![]),
            ApiError::TooMany {
                retry_after_secs, ..
            } => (
                "Too many requests",
                Some(json!({ "retryAfterSeconds": retry_after_secs })),
                vec![],
            ),
            ApiError::Busy {
                retry_after_secs, ..
            } => (
                "Service unavailable",
                Some(json!({ "retryAfterSeconds": retry_after_secs })),
                vec![],
            ),
            ApiError::Unavailable(_) => ("Service unavailable", None, vec![]),
            ApiError::DiskFull(_) => ("Insufficient storage", None, vec![]),
            ApiError::Internal(_) => ("Internal error", None, vec![]),
        };
        Problem {
            kind: format!(
                "urn:customer-desk:problem:{}",
                title.to_lowercase().replace(' ', "-")
            ),
            title: title.to_owned(),
            status: self.status(),
            detail: Some(self.to_string()),
            instance: instance.map(str::to_owned),
            error_code: self.error_code(),
            resource,
            errors,
        }
    }

    /// Reads a problem document back into the error it stands for. `errorCode` decides
    /// before the HTTP status (errorCode 6 is a conflict whatever the status).
    pub fn from_problem(problem: &Problem) -> Self {
        let detail = problem
            .detail
            .clone()
            .unwrap_or_else(|| problem.title.clone());
        let resource_str = |key: &str| {
            problem
                .resource
                .as_ref()
                .and_then(|r| r.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        match (problem.error_code, problem.status) {
            (Some(6), _) | (None, 409) => ApiError::Conflict {
                id: resource_str("id").unwrap_or_default(),
                stored_version: problem
                    .resource
                    .as_ref()
                    .and_then(|r| r.get("version"))
                    .and_then(|v| v.as_i64())
                    .unwrap_or_default(),
            },
            (Some(1), _) | (None, 401) => ApiError::Unauthorized(detail),
            (Some(2), _) | (None, 403) => {
                ApiError::Forbidden(resource_str("right").unwrap_or(detail))
            }
            (Some(3), _) | (None, 400) => {
                if problem.errors.is_empty() {
                    ApiError::Validation(vec![FieldError::new("request", detail)])
                } else {
                    ApiError::Validation(problem.errors.clone())
                }
            }
            (Some(5), _) | (None, 423) => ApiError::Locked(detail),
            (Some(7), _) | (None, 410) => ApiError::Gone(detail),
            (_, 422) => ApiError::KeyReused(detail),
            (_, 404) => match resource_str("userName") {
                Some(name) => ApiError::NoSuchUser(name),
                None => ApiError::NotFound(resource_str("id").unwrap_or(detail)),
            },
            (_, 413) => ApiError::PayloadTooLarge { limit_bytes: 0 },
            (_, 408) => ApiError::RequestTimeout(detail),
            (_, 507) => ApiError::DiskFull(detail),
            (_, 429 | 503) => {
                let retry_after_secs = problem
                    .resource
                    .as_ref()
                    .and_then(|r| r.get("retryAfterSeconds"))
                    .and_then(|v| v.as_u64())
                    .unwrap_or(1);
                if problem.status == 429 {
                    ApiError::TooMany {
                        reason: detail,
                        retry_after_secs,
                    }
                } else {
                    ApiError::Busy {
                        reason: detail,
                        retry_after_secs,
                    }
                }
            }
            _ => ApiError::Internal(detail),
        }
    }
}

/// What a caller is told when the store's disk is full (SQLite's own words go to the log).
pub const DISK_FULL: &str = "the disk holding the customer database is full: nothing was saved; free some space and try again";

/// A busy store is the contract's "locked, try again"; anything else the store fails with
/// is no rule of the contract, so an internal error.
impl From<store::Error> for ApiError {
    fn from(err: store::Error) -> Self {
        if err.is_busy() {
            ApiError::Locked(err.to_string())
        } else if err.is_disk_full() {
            tracing::error!("{err}");
            ApiError::DiskFull(DISK_FULL.to_owned())
        } else {
            ApiError::Internal(err.to_string())
        }
    }
}

/// A list query that cannot be read is a validation error of its parameter.
impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        ApiError::invalid(err.parameter, err.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_round_trip() {
        let errors = [
            ApiError::Unauthorized("bad token".into()),
            ApiError::Forbidden("customerDelete".into()),
            ApiError::invalid("DiscountRate", "must be at most 100"),
            ApiError::Conflict {
                id: "a".into(),
                stored_version: 4,
            },
            ApiError::NotFound("x".into()),
            ApiError::DiskFull(DISK_FULL.into()),
        ];
        for e in errors {
            let p = e.to_problem(Some("/customers"));
            let back = ApiError::from_problem(&p);
            assert_eq!(back.status(), e.status());
            assert_eq!(back.error_code(), e.error_code());
            if let ApiError::Conflict { stored_version, .. } = back {
                assert_eq!(stored_version, 4);
            }
        }
    }
}
