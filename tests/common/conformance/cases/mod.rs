//! The cases. Each takes a fresh harness and asserts what a client of the API would see.

mod query;
mod rights;
mod users;
mod writes;

pub use query::*;
pub use rights::*;
pub use users::*;
pub use writes::*;

use chrono::{DateTime, Utc};
use customer_desk::api::{ApiError, CustomersApi};
use customer_desk::model::{Customer, FieldError};
use customer_desk::ndata::ListParams;
use serde_json::Value;

pub(crate) use super::Harness;

/// The time the clock shows when a case starts.
pub fn start_time() -> DateTime<Utc> {
    time("2026-06-01T12:00:00Z")
}

pub(crate) fn time(text: &str) -> DateTime<Utc> {
    text.parse().expect("a test time")
}

/// Creates a customer or fails the test.
pub(crate) async fn create<A: CustomersApi>(api: &A, body: Value) -> Customer {
    match api.create(&body).await {
        Ok(c) => c,
        Err(err) => panic!("create {body} failed: {err}"),
    }
}

/// The validation errors of a failed call, or a test failure naming what came instead.
pub(crate) fn field_errors<T: std::fmt::Debug>(result: Result<T, ApiError>) -> Vec<FieldError> {
    match result {
        Err(ApiError::Validation(errors)) => errors,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The member names of a failed call's validation errors.
pub(crate) fn members<T: std::fmt::Debug>(result: Result<T, ApiError>) -> Vec<String> {
    field_errors(result)
        .into_iter()
        .map(|e| e.member_name)
        .collect()
}

/// Every customer, in the default order.
pub(crate) async fn all<A: CustomersApi>(api: &A) -> Vec<Customer> {
    api.list(&ListParams::new())
        .await
        .expect("list")
        .items
        .expect("items")
}

/// The ids a list query returns, in order.
pub(crate) async fn list_ids<A: CustomersApi>(api: &A, query: &str) -> Vec<String> {
    let result = api
        .list(&ListParams::from_query_string(query))
        .await
        .unwrap_or_else(|e| panic!("list {query} failed: {e}"));
    let items = result.items.expect("items");
    assert_eq!(result.count, items.len() as u64, "count of {query}");
    items.into_iter().map(|c| c.id).collect()
}
