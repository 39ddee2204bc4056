//! The cases. Each takes a fresh harness and asserts what a client of the API would see.

use chrono::{DateTime, Utc};
use customer_desk::api::{ApiError, CustomersApi};
use customer_desk::model::Rights;
use serde_json::json;

use super::Harness;

/// The time the clock shows when a case starts.
pub fn start_time() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().expect("time")
}

pub async fn create_then_get_round_trips<H: Harness>(h: &H) {
    let api = h.session(Rights::admin()).await;
    let created = api
        .create(&json!({"firstName": "Ján", "lastName": "Novák", "credit": {"amount": 10.50}}))
        .await
        .expect("create");
    assert_eq!(created.version, 1);
    assert_eq!(created.full_name.as_deref(), Some("Ján Novák"));
    let fetched = api.get(&created.id).await.expect("get");
    assert_eq!(fetched, created);
    assert!(matches!(api.get("nope").await, Err(ApiError::NotFound(_))));
}
