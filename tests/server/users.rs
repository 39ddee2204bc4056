//! The `/api/users` routes over HTTP: what only a server shows (sessions that end, the wire
//! format, refusals before any rule runs). The rules themselves are conformance cases.

use chrono::{DateTime, Utc};
use customer_desk::api::{ApiError, CustomersApi, NewUser, UserChange, UsersApi};
use customer_desk::model::{Problem, Rights};
use customer_desk::remote::RemoteClient;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::http_support::TestServer;

fn start_time() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().expect("time")
}

const EVA_PASSWORD: &str = "eva-first-password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_ends_the_users_sessions_at_once() {
    let server = TestServer::start(start_time()).await;
    let admin = server.session(Rights::admin()).await;
    admin
        .create_user(&NewUser {
            user_name: "eva".into(),
            name: None,
            password: EVA_PASSWORD.into(),
            rights: vec![],
        })
        .await
        .expect("add eva");
    let eva = RemoteClient::login(&server.base_url, "eva", EVA_PASSWORD, "till 2")
        .await
        .expect("eva signs in");
    assert!(eva.me().await.is_ok());
    admin
        .change_user(
            "eva",
            &UserChange {
                password: Some("eva-second-password".into()),
                ..UserChange::default()
            },
        )
        .await
        .expect("reset eva's password");
    // Her token and her refresh token both stopped working.
    assert!(
        matches!(eva.me().await, Err(ApiError::Unauthorized(_))),
        "eva's old session must end"
    );
    RemoteClient::login(&server.base_url, "eva", "eva-second-password", "till 2")
        .await
        .expect("the new password works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_routes_speak_the_contracts_json_and_problems() {
    let server = TestServer::start(start_time()).await;
    let admin = server.session(Rights::admin()).await;
    let token = admin.tokens().await.token_id;
    let http = reqwest::Client::new();
    let created = http
        .post(server.url("/api/users"))
        .bearer_auth(&token)
        .json(&json!({"userName": "eva", "name": "Eva", "password": EVA_PASSWORD, "rights": ["CustomerCreate"]}))
        .send()
        .await
        .expect("send");
    assert_eq!(created.status(), StatusCode::CREATED);
    let body: Value = created.json().await.expect("json");
    assert_eq!(
        body,
        json!({"userName": "eva", "name": "Eva", "rights": ["customerCreate"], "lastSignInTime": null})
    );
    // No token: 401. A wrong type: 400 naming the member. Unknown user: 404.
    let anonymous = http
        .get(server.url("/api/users"))
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let wrong = http
        .put(server.url("/api/users/eva"))
        .bearer_auth(&token)
        .json(&json!({"rights": "admin"}))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let problem: Problem = wrong.json().await.expect("problem");
    assert!(
        problem.errors.iter().any(|e| e.member_name == "Rights"),
        "{problem:?}"
    );
    let missing = http
        .delete(server.url("/api/users/nobody"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    // The password is never part of an answer.
    let listed = http
        .get(server.url("/api/users"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert!(
        !listed.contains(EVA_PASSWORD) && !listed.contains("argon2"),
        "{listed}"
    );
}
