//! Every right, checked by a user who lacks it: refused with 403 naming it, nothing changed.

use customer_desk::api::{ApiError, CustomersApi};
use customer_desk::model::{Right, Rights};
use serde_json::json;

use super::{Harness, all, create};

fn only(rights: &[Right]) -> Rights {
    rights.iter().fold(Rights::NONE, |acc, r| acc.with(*r))
}

fn assert_forbidden<T: std::fmt::Debug>(result: Result<T, ApiError>, right: Right) {
    match result {
        Err(ApiError::Forbidden(named)) => {
            assert!(named.eq_ignore_ascii_case(right.as_str()), "names {named}")
        }
        other => panic!("expected 403 for {right}, got {other:?}"),
    }
}

pub async fn reading_needs_no_right<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let c = create(&admin, json!({"lastName": "Read"})).await;
    let reader = h.session(Rights::NONE).await;
    assert_eq!(reader.get(&c.id).await.expect("get").id, c.id);
    assert_eq!(all(&reader).await.len(), 1);
}

pub async fn create_needs_customer_create<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let user = h
        .session(only(&[
            Right::CustomerUpdate,
            Right::CustomerSetDiscount,
            Right::CustomerSetCredit,
        ]))
        .await;
    assert_forbidden(
        user.create(&json!({"lastName": "X"})).await,
        Right::CustomerCreate,
    );
    assert_forbidden(
        user.upsert("new-id", &json!({"lastName": "X"})).await,
        Right::CustomerCreate,
    );
    assert!(all(&admin).await.is_empty());
}

pub async fn creating_with_discount_or_credit_needs_those_rights<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let user = h.session(only(&[Right::CustomerCreate])).await;
    assert_forbidden(
        user.create(&json!({"lastName": "Rate", "discountRate": 5}))
            .await,
        Right::CustomerSetDiscount,
    );
    assert_forbidden(
        user.create(&json!({"lastName": "Credit", "credit": {"amount": 5}}))
            .await,
        Right::CustomerSetCredit,
    );
    assert_forbidden(
        user.upsert("c-1", &json!({"lastName": "Rate", "discountRate": 5}))
            .await,
        Right::CustomerSetDiscount,
    );
    assert!(all(&admin).await.is_empty());
    // Zero is no grant.
    create(
        &user,
        json!({"lastName": "Plain", "discountRate": 0, "credit": {"amount": 0}}),
    )
    .await;
}

pub async fn update_needs_customer_update<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let c = create(&admin, json!({"lastName": "Before"})).await;
    let user = h
        .session(only(&[Right::CustomerCreate, Right::CustomerDelete]))
        .await;
    assert_forbidden(
        user.upsert(&c.id, &json!({"lastName": "After"})).await,
        Right::CustomerUpdate,
    );
    assert_eq!(admin.get(&c.id).await.expect("get"), c);
}

pub async fn changing_discount_needs_set_discount<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let c = create(&admin, json!({"lastName": "D", "discountRate": 5})).await;
    let user = h.session(only(&[Right::CustomerUpdate])).await;
    assert_forbidden(
        user.upsert(&c.id, &json!({"lastName": "D", "discountRate": 10}))
            .await,
        Right::CustomerSetDiscount,
    );
    assert_eq!(admin.get(&c.id).await.expect("get"), c);
    // Other fields may change while the discount stays.
    let kept = user
        .upsert(&c.id, &json!({"lastName": "D2", "discountRate": 5.00}))
        .await
        .expect("update");
    assert_eq!(kept.customer.last_name.as_deref(), Some("D2"));
}

pub async fn changing_credit_needs_set_credit<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let c = create(&admin, json!({"lastName": "C", "credit": {"amount": 5}})).await;
    let user = h
        .session(only(&[Right::CustomerUpdate, Right::CustomerSetDiscount]))
        .await;
    assert_forbidden(
        user.upsert(&c.id, &json!({"lastName": "C", "credit": {"amount": 500}}))
            .await,
        Right::CustomerSetCredit,
    );
    assert_forbidden(
        user.adjust_credit(&c.id, &json!({"amount": 1})).await,
        Right::CustomerSetCredit,
    );
    assert_eq!(admin.get(&c.id).await.expect("get"), c);
    let allowed = h.session(only(&[Right::CustomerSetCredit])).await;
    allowed
        .adjust_credit(&c.id, &json!({"amount": 1, "note": "ok"}))
        .await
        .expect("adjust");
}

pub async fn delete_needs_customer_delete<H: Harness>(h: &H) {
    let admin = h.session(Rights::admin()).await;
    let c = create(&admin, json!({"lastName": "Keep"})).await;
    let user = h
        .session(only(&[Right::CustomerCreate, Right::CustomerUpdate]))
        .await;
    assert_forbidden(user.delete(&c.id).await, Right::CustomerDelete);
    assert_eq!(admin.get(&c.id).await.expect("get"), c);
    let deleter = h.session(only(&[Right::CustomerDelete])).await;
    deleter.delete(&c.id).await.expect("delete");
}
