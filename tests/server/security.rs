//! What a server on a shop network must withstand: requests without a valid token, users
//! without the right, one user posing as another, hostile queries, huge or broken bodies, and
//! password guessing.

use crate::http_support::{PASSWORD, TestServer};
use chrono::{DateTime, Duration, Utc};
use customer_desk::api::{ApiError, CustomersApi};
use customer_desk::model::{Problem, Right, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::remote::RemoteClient;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn start_time() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().expect("time")
}

async fn server() -> TestServer {
    TestServer::start(start_time()).await
}

/// Reads a problem answer, checking its media type and that status and body agree.
async fn problem(response: reqwest::Response) -> Problem {
    let status = response.status();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(
        media, "application/problem+json",
        "a {status} must be a problem document"
    );
    let problem: Problem = response.json().await.expect("problem JSON");
    assert_eq!(problem.status, status.as_u16());
    problem
}

async fn login_raw(server: &TestServer, user: &str, password: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.url("/api/auth"))
        .json(&json!({"userName": user, "password": password, "deviceName": "test"}))
        .send()
        .await
        .expect("send")
}

async fn token_of(server: &TestServer, user: &str) -> (String, String) {
    let body: Value = login_raw(server, user, PASSWORD)
        .await
        .json()
        .await
        .expect("login JSON");
    (
        body["tokenId"].as_str().expect("tokenId").to_owned(),
        body["refreshToken"].as_str().expect("refresh").to_owned(),
    )
}

async fn list_with(server: &TestServer, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(server.url("/customers?$take=5"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("send")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_live_token_is_let_in() {
    let server = server().await;
    let user = server.add_user(Rights::NONE);

    let none = list_with(&server, None).await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(none).await.error_code, Some(1));

    let wrong = list_with(&server, Some("0123456789abcdef0123456789abcdef")).await;
    assert_eq!(problem(wrong).await.error_code, Some(1));

    let (token, _) = token_of(&server, &user).await;
    assert_eq!(
        list_with(&server, Some(&token)).await.status(),
        StatusCode::OK
    );
    let not_bearer = reqwest::Client::new()
        .get(server.url("/customers"))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .expect("send");
    assert_eq!(not_bearer.status(), StatusCode::UNAUTHORIZED);

    server.clock.set(start_time() + Duration::hours(8));
    let expired = list_with(&server, Some(&token)).await;
    assert!(
        problem(expired)
            .await
            .detail
            .unwrap_or_default()
            .contains("expired")
    );

    server.clock.set(start_time());
    let (token, _) = token_of(&server, &user).await;
    let out = reqwest::Client::new()
        .delete(server.url("/api/auth"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert!(out.status().is_success());
    let after_logout = list_with(&server, Some(&token)).await;
    assert_eq!(problem(after_logout).await.error_code, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_remote_client_refreshes_an_expired_token_once_then_reports_signed_out() {
    let server = server().await;
    let client = server.session(Rights::NONE).await;
    let before = client.tokens().await;
    server.clock.set(start_time() + Duration::hours(9));
    assert_eq!(
        client.me().await.expect("refreshed").user_name,
        client.user().user_name
    );
    assert_ne!(
        client.tokens().await.token_id,
        before.token_id,
        "a fresh pair"
    );

    server.clock.set(start_time() + Duration::days(30));
    let gone = client.me().await.unwrap_err();
    assert!(
        matches!(&gone, ApiError::Unauthorized(m) if m.contains("signed out")),
        "{gone}"
    );
}

/// Asserts that `attempt` was refused for lacking `right` and that `customer` is unchanged.
async fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, ApiError>,
    right: Right,
    admin: &RemoteClient,
    customer: &customer_desk::model::Customer,
) {
    match result {
        Err(ApiError::Forbidden(named)) => assert_eq!(named, right.as_str()),
        other => panic!("expected 403 for {right}, got {other:?}"),
    }
    assert_eq!(
        &admin.get(&customer.id).await.expect("still there"),
        customer,
        "nothing changed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_right_is_checked_over_http_and_a_refusal_changes_nothing() {
    use Right::*;
    let server = server().await;
    let admin = server.session(Rights::admin()).await;
    let customer = admin
        .create(&json!({"firstName": "Eva", "discountRate": 5, "credit": {"amount": 20}}))
        .await
        .expect("create");
    let all_but = |missing: Right| {
        [
            CustomerCreate,
            CustomerUpdate,
            CustomerDelete,
            CustomerSetCredit,
            CustomerSetDiscount,
        ]
        .into_iter()
        .filter(|r| *r != missing)
        .fold(Rights::NONE, Rights::with)
    };

    let no_create = server.session(all_but(CustomerCreate)).await;
    assert_refused(
        no_create.create(&json!({"firstName": "New"})).await,
        CustomerCreate,
        &admin,
        &customer,
    )
    .await;
    assert_refused(
        no_create
            .upsert("new-id", &json!({"firstName": "New"}))
            .await,
        CustomerCreate,
        &admin,
        &customer,
    )
    .await;
    assert!(matches!(
        admin.get("new-id").await,
        Err(ApiError::NotFound(_))
    ));
    let total = admin
        .list(&ListParams::new().with("$count", "true"))
        .await
        .expect("count");
    assert_eq!(total.total_count, 1);

    let no_update = server.session(all_but(CustomerUpdate)).await;
    let renamed = json!({"firstName": "Eve", "discountRate": 5, "credit": {"amount": 20}});
    assert_refused(
        no_update.upsert(&customer.id, &renamed).await,
        CustomerUpdate,
        &admin,
        &customer,
    )
    .await;

    let no_discount = server.session(all_but(CustomerSetDiscount)).await;
    let discounted = json!({"firstName": "Eva", "discountRate": 50, "credit": {"amount": 20}});
    assert_refused(
        no_discount.upsert(&customer.id, &discounted).await,
        CustomerSetDiscount,
        &admin,
        &customer,
    )
    .await;
    assert_refused(
        no_discount
            .create(&json!({"firstName": "Cheap", "discountRate": 90}))
            .await,
        CustomerSetDiscount,
        &admin,
        &customer,
    )
    .await;

    let no_credit = server.session(all_but(CustomerSetCredit)).await;
    let richer = json!({"firstName": "Eva", "discountRate": 5, "credit": {"amount": 2000}});
    assert_refused(
        no_credit.upsert(&customer.id, &richer).await,
        CustomerSetCredit,
        &admin,
        &customer,
    )
    .await;
    let adjustment = json!({"amount": 100, "note": "gift", "operationId": "op-1"});
    assert_refused(
        no_credit.adjust_credit(&customer.id, &adjustment).await,
        CustomerSetCredit,
        &admin,
        &customer,
    )
    .await;

    let no_delete = server.session(all_but(CustomerDelete)).await;
    assert_refused(
        no_delete.delete(&customer.id).await,
        CustomerDelete,
        &admin,
        &customer,
    )
    .await;
    let total = admin
        .list(&ListParams::new().with("$count", "true"))
        .await
        .expect("count");
    assert_eq!(total.total_count, 1, "no refused create slipped in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_token_cannot_act_as_another() {
    let server = server().await;
    let reader_name = server.add_user(Rights::NONE);
    let admin_name = server.add_user(Rights::admin());
    let (reader_token, reader_refresh) = token_of(&server, &reader_name).await;
    let (admin_token, admin_refresh) = token_of(&server, &admin_name).await;
    let http = reqwest::Client::new();

    let me: Value = http
        .get(server.url("/api/auth"))
        .bearer_auth(&reader_token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(me["userName"], reader_name.as_str());
    assert_eq!(me["rights"], json!([]));

    let created = http
        .post(server.url("/customers"))
        .bearer_auth(&reader_token)
        .json(&json!({"firstName": "Mallory"}))
        .send()
        .await
        .expect("send");
    assert_eq!(created.status(), StatusCode::FORBIDDEN);

    // A refresh token only renews the token it was issued with.
    let crossed = http
        .post(server.url("/api/auth/refresh"))
        .json(&json!({"tokenId": reader_token, "refreshToken": admin_refresh}))
        .send()
        .await
        .expect("send");
    assert_eq!(problem(crossed).await.error_code, Some(1));
    let crossed = http
        .post(server.url("/api/auth/refresh"))
        .json(&json!({"tokenId": admin_token, "refreshToken": reader_refresh}))
        .send()
        .await
        .expect("send");
    assert_eq!(crossed.status(), StatusCode::UNAUTHORIZED);

    // Signing one out leaves the other signed in.
    http.delete(server.url("/api/auth"))
        .bearer_auth(&reader_token)
        .send()
        .await
        .expect("send");
    let still: Value = http
        .get(server.url("/api/auth"))
        .bearer_auth(&admin_token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(still["userName"], admin_name.as_str());

    // The ledger names who really acted.
    let admin = server.session(Rights::admin()).await;
    let c = admin
        .create(&json!({"firstName": "Ann", "credit": {"amount": 3}}))
        .await
        .expect("create");
    assert_eq!(
        c.credit_transactions[0].user_name.as_deref(),
        Some(admin.user().user_name.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_queries_are_refused_or_find_nothing_and_never_fail_the_server() {
    let server = server().await;
    let admin = server.session(Rights::admin()).await;
    for name in ["Novák", "Čierny", "O'Brien"] {
        admin
            .create(
                &json!({"lastName": name, "externalId": name, "cards": [{"serialNumber": name}]}),
            )
            .await
            .expect("create");
    }
    let (token, _) = token_of(&server, &server.add_user(Rights::NONE)).await;
    let long = "x".repeat(50_000);
    let many_in = format!("in:{}", vec!["a"; 3000].join(":"));
    let hostile: Vec<(&str, String)> = vec![
        ("$sort", "lastName; DROP TABLE customers".into()),
        ("$sort", "lastName'--".into()),
        ("$sort", "(SELECT 1)".into()),
        ("$sort", long.clone()),
        ("$sort", vec!["lastName;x"; 500].join(",")),
        ("$take", "-1".into()),
        ("$skip", "99999999999999999999999999".into()),
        ("$skip", "18446744073709551615".into()),
        ("Search", "' OR 1=1 --".into()),
        ("Search", "*".into()),
        ("Search", "%".into()),
        ("Search", "[a-z]".into()),
        ("Search", "\"".into()),
        ("Search", long.clone()),
        ("ExternalId", "eq:' OR ''='".into()),
        ("ExternalId", "like:%".into()),
        ("ExternalId", "like:_".into()),
        ("ExternalId", many_in),
        ("ExternalId", long.clone()),
        ("CardSerialNumber", "like:*".into()),
        ("CardSerialNumber", "in:x') OR ('1'='1".into()),
        ("DiscountRate", "gt:1; DROP TABLE customers".into()),
        ("DiscountRate", "between:1e999:2".into()),
        ("IsActive", "true' OR 1=1".into()),
        ("ExpirationTime", "lt:2024-01-01T00:00:00Z'--".into()),
        ("ExpirationTime", "between:0000-01-01:9999-99-99".into()),
        ("IsExpired", "1 OR 1".into()),
    ];
    let http = reqwest::Client::new();
    for (name, value) in hostile {
        let query = ListParams::new()
            .with(name, value.clone())
            .with("$take", "10")
            .to_query_string();
        let response = http
            .get(server.url(&format!("/customers?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send");
        let shown: String = value.chars().take(40).collect();
        match response.status() {
            StatusCode::BAD_REQUEST => {
                let p = problem(response).await;
                assert_eq!(p.error_code, Some(3), "{name}={shown}");
                assert!(
                    !p.errors.is_empty(),
                    "{name}={shown}: the problem names the parameter"
                );
            }
            StatusCode::OK => {
                let body: Value = response.json().await.expect("json");
                assert_eq!(
                    body["count"], 0,
                    "{name}={shown} must find nothing, found {body}"
                );
            }
            other => panic!("{name}={shown} answered {other}"),
        }
    }
    let all = admin.list(&ListParams::new()).await.expect("list");
    assert_eq!(all.total_count, 3, "the store is intact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_malformed_bodies_are_refused_with_a_reason() {
    let server = server().await;
    let (token, _) = token_of(&server, &server.add_user(Rights::admin())).await;
    let http = reqwest::Client::new();

    let huge = format!("{{\"firstName\": \"{}\"}}", "a".repeat(1024 * 1024));
    let response = http
        .post(server.url("/customers"))
        .bearer_auth(&token)
        .body(huge)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        problem(response)
            .await
            .detail
            .unwrap_or_default()
            .contains("too large")
    );

    let broken = http
        .put(server.url("/customers/abc"))
        .bearer_auth(&token)
        .body("{\"firstName\": \"Eva\",, }")
        .send()
        .await
        .expect("send");
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let p = problem(broken).await;
    let detail = p.detail.unwrap_or_default();
    assert!(
        detail.contains("malformed JSON") && detail.contains("line 1 column"),
        "{detail}"
    );

    let empty = http
        .post(server.url("/customers"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    let wrong_type = http
        .post(server.url("/customers"))
        .bearer_auth(&token)
        .json(&json!({"cards": [{"serialNumber": 5}]}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        problem(wrong_type).await.errors[0].member_name,
        "Cards[0].SerialNumber"
    );

    let count: Value = http
        .get(server.url("/customers?$count=true"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(count["totalCount"], 0, "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_logins_slow_that_user_name_down() {
    let server = server().await;
    let user = server.add_user(Rights::NONE);
    let other = server.add_user(Rights::NONE);
    for _ in 0..5 {
        let p = problem(login_raw(&server, &user, "guess").await).await;
        assert_eq!(p.error_code, Some(1));
    }
    let refused = problem(login_raw(&server, &user, PASSWORD).await).await;
    assert!(
        refused
            .detail
            .unwrap_or_default()
            .contains("try again in 2 s"),
        "even the right password waits"
    );
    assert_eq!(
        login_raw(&server, &other, PASSWORD).await.status(),
        StatusCode::OK,
        "other names are not slowed"
    );

    server.clock.set(start_time() + Duration::seconds(2));
    assert_eq!(
        login_raw(&server, &user, PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_with_spaces_plus_signs_and_diacritics_travel_intact() {
    let server = server().await;
    let admin = server.session(Rights::admin()).await;
    let id = "shop 1:čierna+karta";
    let created = admin
        .upsert(id, &json!({"firstName": "Odd"}))
        .await
        .expect("put");
    assert!(created.created);
    assert_eq!(created.customer.id, id);
    assert_eq!(
        admin.get(id).await.expect("get").first_name.as_deref(),
        Some("Odd")
    );
    let updated = admin
        .upsert(id, &json!({"firstName": "Even"}))
        .await
        .expect("put");
    assert!(!updated.created, "the second PUT updates (200)");
    assert_eq!(admin.delete(id).await.expect("delete").id, id);
}
