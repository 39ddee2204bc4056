//! The API conformance suite: the contract's cases written once against [`CustomersApi`], run
//! against every implementation (the local store here, the HTTP server through the remote
//! client in `tests/server/conformance_http.rs`).
//!
//! An implementation provides a [`Harness`]; `conformance_cases!(make_harness)` expands to
//! one `#[tokio::test]` per case, each on a fresh, empty store.

#![allow(dead_code)]

pub mod cases;

use std::future::Future;

use chrono::{DateTime, Utc};
use customer_desk::api::{ApiError, CustomersApi, UsersApi};
use customer_desk::model::Rights;

/// One implementation of the API under test, on a fresh empty store.
pub trait Harness: Sync {
    type Api: CustomersApi + UsersApi;

    /// A session of a new stored user holding exactly `rights`.
    fn session(&self, rights: Rights) -> impl Future<Output = Self::Api> + Send;

    /// Signs in a stored user (one added through [`UsersApi::create_user`]).
    fn sign_in(
        &self,
        user_name: &str,
        password: &str,
    ) -> impl Future<Output = Result<Self::Api, ApiError>> + Send;

    /// Moves the clock that the API logic reads (status, `IsExpired`, status times).
    fn set_now(&self, now: DateTime<Utc>);
}

/// Expands to one test per conformance case. `$make` is an async fn returning a Harness.
#[macro_export]
macro_rules! conformance_cases {
    ($make:path; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let harness = $make().await;
                conformance::cases::$case(&harness).await;
            }
        )*
    };
}
