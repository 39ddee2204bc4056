//! What a server on a shop network must withstand: requests without a valid token, users
//! without the right, one user posing as another, hostile queries, huge or broken bodies, and
//! password guessing, and clients that hold connections, streams or password checks without
//! end.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use crate::http_support::{PASSWORD, TestServer};
use chrono::{DateTime, Duration, Utc};
use customer_desk::api::{ApiError, AuthPolicy, CustomersApi};
use customer_desk::model::{Problem, Right, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::remote::RemoteClient;
use customer_desk::server::ServerLimits;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

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

// Connections that hold the server without using it (issue 18, item 1).

/// Limits short enough for a test to see them run out.
fn short_limits() -> ServerLimits {
    ServerLimits {
        header_read_timeout: StdDuration::from_secs(1),
        idle_timeout: StdDuration::from_secs(2),
        body_read_timeout: StdDuration::from_secs(1),
        write_timeout: StdDuration::from_secs(1),
        ..ServerLimits::default()
    }
}

async fn limited_server(limits: ServerLimits) -> TestServer {
    TestServer::start_limited(start_time(), AuthPolicy::default(), limits).await
}

async fn connect(server: &TestServer) -> TcpStream {
    let address = server.base_url.trim_start_matches("http://");
    TcpStream::connect(address).await.expect("connect")
}

/// Reads until the server closes the connection; what it sent, or `None` if it was still
/// open after `within`.
async fn closed_within(tcp: &mut TcpStream, within: StdDuration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| got)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_request_head_is_cut_off() {
    let server = limited_server(short_limits()).await;
    let mut tcp = connect(&server).await;
    let started = Instant::now();
    let head = b"GET /customers HTTP/1.1\r\nHost: shop\r\nX-Slow: ";
    // One byte every 200 ms: the head never ends, but the socket is never silent either.
    let trickle = async {
        for byte in head
            .iter()
            .chain(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        {
            if tcp.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
    };
    let _ = tokio::time::timeout(StdDuration::from_secs(4), trickle).await;
    assert!(
        closed_within(&mut tcp, StdDuration::from_secs(1))
            .await
            .is_some(),
        "a head trickled for {:?} must be cut off after the 1 s head timeout",
        started.elapsed()
    );
    assert!(started.elapsed() < StdDuration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_over_http1_and_http2() {
    let server = limited_server(short_limits()).await;
    let mut silent = connect(&server).await;
    let mut h2_silent = connect(&server).await;
    h2_silent
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("h2 preface");
    let mut after_request = connect(&server).await;
    after_request
        .write_all(b"GET /api/auth HTTP/1.1\r\nHost: shop\r\n\r\n")
        .await
        .expect("request");
    for (what, tcp) in [
        ("a connection that never sent anything", &mut silent),
        ("an HTTP/2 connection with no stream", &mut h2_silent),
        (
            "a keep-alive connection after its answer",
            &mut after_request,
        ),
    ] {
        assert!(
            closed_within(tcp, StdDuration::from_secs(5))
                .await
                .is_some(),
            "{what} must be closed after the 2 s idle timeout"
        );
    }

    // HTTP/2 by prior knowledge is served, within the same limits.
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let answer = h2.get(server.url("/api/auth")).send().await.expect("send");
    assert_eq!(answer.version(), reqwest::Version::HTTP_2);
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_huge_body_is_refused_at_once_and_a_slow_one_is_cut_off() {
    let server = limited_server(short_limits()).await;
    let (token, _) = token_of(&server, &server.add_user(Rights::admin())).await;

    let mut tcp = connect(&server).await;
    let started = Instant::now();
    let head = format!(
        "POST /customers HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100000000000\r\n\r\n{{"
    );
    tcp.write_all(head.as_bytes()).await.expect("head");
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(StdDuration::from_millis(500), tcp.read(&mut buf))
        .await
        .expect("an answer at once, not after 100 GB")
        .expect("read");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(started.elapsed() < StdDuration::from_millis(500));

    let mut tcp = connect(&server).await;
    let head = format!(
        "POST /customers HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"firstName\""
    );
    tcp.write_all(head.as_bytes()).await.expect("head");
    let answer = closed_within(&mut tcp, StdDuration::from_secs(4))
        .await
        .expect("a body that stops coming is given up after the 1 s body timeout");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// A `customer-desk serve` child process, killed when dropped.
struct ServeProcess {
    child: std::process::Child,
    base_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real server binary with the descriptor limit of a systemd service (1,024).
fn serve_with_1024_descriptors() -> ServeProcess {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("server.db");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 1024 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_customer-desk"))
        .arg("--db")
        .arg(&db)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("CUSTOMER_DESK_ADMIN_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn,customer_desk::cli=info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start customer-desk serve");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("serve stderr".into())
        .spawn(move || {
            // Read every line, so the server never blocks on a full pipe.
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("http://") {
                    let url: String = line[at..].split_whitespace().next().unwrap().into();
                    let _ = tx.send(url);
                }
            }
        })
        .expect("stderr thread");
    let base_url = rx
        .recv_timeout(StdDuration::from_secs(60))
        .expect("the server says where it listens");
    ServeProcess {
        child,
        base_url,
        _dir: dir,
    }
}

fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

async fn list_timings(client: &RemoteClient, n: usize) -> Vec<f64> {
    let mut times = Vec::new();
    for _ in 0..n {
        let started = Instant::now();
        client
            .list(&ListParams::new().with("$take", "5"))
            .await
            .expect("a signed-in desk is answered");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eleven_hundred_idle_connections_leave_the_desks_served() {
    let server = serve_with_1024_descriptors();
    let desk = RemoteClient::login(&server.base_url, "admin", PASSWORD, "desk")
        .await
        .expect("sign in");
    let quiet = median_ms(list_timings(&desk, 20).await);

    let address = server.base_url.trim_start_matches("http://").to_owned();
    let mut idle = Vec::new();
    let opened = Instant::now();
    for _ in 0..1100 {
        match tokio::time::timeout(StdDuration::from_secs(2), TcpStream::connect(&address)).await {
            Ok(Ok(tcp)) => idle.push(tcp),
            _ => break,
        }
    }
    let opened = opened.elapsed();

    let busy = list_timings(&desk, 20).await;
    let busy_max = busy.iter().copied().fold(0.0, f64::max);
    let busy = median_ms(busy);
    let started = Instant::now();
    let fresh = tokio::time::timeout(
        StdDuration::from_secs(10),
        RemoteClient::login(&server.base_url, "admin", PASSWORD, "second desk"),
    )
    .await
    .expect("a new desk signs in without waiting")
    .expect("sign in with 1,100 idle connections open");
    let fresh_ms = started.elapsed().as_secs_f64() * 1000.0;
    let fresh_list = median_ms(list_timings(&fresh, 5).await);
    eprintln!(
        "{} idle connections opened in {opened:?}; a signed-in list: {quiet:.2} ms quiet, \
         {busy:.2} ms (max {busy_max:.2}) with them open; a new sign-in {fresh_ms:.1} ms, \
         its lists {fresh_list:.2} ms",
        idle.len()
    );
    assert_eq!(idle.len(), 1100, "every connection attempt is accepted");
    assert!(busy_max < 2000.0, "{busy_max} ms");
    drop(idle);
}

// A reader who stops reading a streamed list (issue 18, item 2).

/// Sends `GET /customers` (the whole list, streamed) on a socket with a small receive buffer
/// and reads only the start of the answer.
async fn stalled_list(server: &TestServer, token: &str) -> (TcpStream, String) {
    let address = server
        .base_url
        .trim_start_matches("http://")
        .parse()
        .expect("address");
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("buffer size");
    let mut tcp = socket.connect(address).await.expect("connect");
    let request =
        format!("GET /customers HTTP/1.1\r\nHost: shop\r\nAuthorization: Bearer {token}\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.expect("request");
    let mut buf = [0u8; 1024];
    let n = tcp.read(&mut buf).await.expect("read the head");
    (tcp, String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_stream_whose_reader_stops_is_given_up() {
    let limits = ServerLimits {
        streams_per_user: 2,
        ..short_limits()
    };
    let server = limited_server(limits).await;
    customer_desk::demo::load(server.auth.api(), 20_000, 1, &mut |_| true).expect("demo");
    let (token, _) = token_of(&server, &server.add_user(Rights::NONE)).await;

    let (mut first, head) = stalled_list(&server, &token).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let (_second, head) = stalled_list(&server, &token).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let third = reqwest::Client::new()
        .get(server.url("/customers"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    assert!(
        problem(third)
            .await
            .detail
            .unwrap_or_default()
            .contains("stream")
    );

    // Past the 1 s write timeout the server lets go: what the socket still holds arrives, and
    // then the connection ends without the list's tail.
    tokio::time::sleep(StdDuration::from_secs(3)).await;
    let rest = closed_within(&mut first, StdDuration::from_secs(10))
        .await
        .expect("the stalled stream's connection is closed");
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        !rest.contains("\"totalCount\":20000"),
        "a stalled stream must not be kept until its reader comes back"
    );

    // The given-up streams no longer count against the user.
    let whole: Value = reqwest::Client::new()
        .get(server.url("/customers"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("the whole list");
    assert_eq!(whole["count"], 20_000);
}

// A flood of sign-ins, each an argon2 check of some 19 MiB (issue 18, item 3).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_flood_waits_in_a_short_queue_and_the_rest_is_told_to_come_back() {
    let limits = ServerLimits {
        password_checks: 1,
        password_queue: 2,
        ..ServerLimits::default()
    };
    let server = limited_server(limits).await;
    let user = server.add_user(Rights::NONE);
    let attempts: Vec<_> = (0..16)
        .map(|_| {
            let (url, user) = (server.url("/api/auth"), user.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(url)
                    .json(&json!({"userName": user, "password": PASSWORD}))
                    .send()
                    .await
                    .expect("send")
            })
        })
        .collect();
    let (mut signed_in, mut refused) = (0, 0);
    for attempt in attempts {
        let response = attempt.await.expect("task");
        match response.status() {
            StatusCode::OK => signed_in += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(response.headers().contains_key("retry-after"));
                let p = problem(response).await;
                assert!(p.detail.unwrap_or_default().contains("sign-ins"));
                refused += 1;
            }
            other => panic!("a sign-in answered {other}"),
        }
    }
    assert!(signed_in >= 3, "the one running and the two queued get in");
    assert!(refused > 0, "16 at once with room for 3: some are refused");
    assert_eq!(
        login_raw(&server, &user, PASSWORD).await.status(),
        StatusCode::OK,
        "the flood over, sign-in works"
    );
}

// Lockout by a stranger (issue 18, item 12).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strangers_guesses_do_not_lock_out_the_owners_desk() {
    let server = server().await;
    let user = server.add_user(Rights::NONE);
    // Another machine, as far as the server can tell: the same loopback server, reached from
    // the source address 127.0.0.2.
    let stranger = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().expect("address"))
        .build()
        .expect("client");
    let guess = |password: &'static str| {
        stranger
            .post(server.url("/api/auth"))
            .json(&json!({"userName": user, "password": password}))
            .send()
    };
    for _ in 0..8 {
        assert_eq!(
            guess("guess").await.expect("send").status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let refused = problem(guess(PASSWORD).await.expect("send")).await;
    assert!(
        refused.detail.unwrap_or_default().contains("try again in"),
        "the guesser is slowed down"
    );
    assert_eq!(
        login_raw(&server, &user, PASSWORD).await.status(),
        StatusCode::OK,
        "the owner's desk, at another address, signs in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_one_slowed_down() {
    let server =
        TestServer::start_behind_proxy(start_time(), vec!["127.0.0.1".parse().expect("ip")]).await;
    let user = server.add_user(Rights::NONE);
    let http = reqwest::Client::new();
    let sign_in = |password: &'static str, client_address: &'static str| {
        http.post(server.url("/api/auth"))
            .header("X-Forwarded-For", client_address)
            .json(&json!({"userName": user, "password": password}))
            .send()
    };
    for _ in 0..8 {
        let answer = sign_in("guess", "192.168.1.66").await.expect("send");
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = problem(sign_in(PASSWORD, "192.168.1.66").await.expect("send")).await;
    assert!(
        refused
            .detail
            .unwrap_or_default()
            .contains("from 192.168.1.66"),
        "the guessing desk is slowed down by its own address"
    );
    assert_eq!(
        sign_in(PASSWORD, "192.168.1.20")
            .await
            .expect("send")
            .status(),
        StatusCode::OK,
        "the owner's desk, behind the same proxy, signs in"
    );

    // A server with no trusted proxy ignores the header: a guesser cannot dodge its
    // slowdown by making up addresses.
    let direct = server_with_guesses_under_made_up_addresses().await;
    assert!(direct.contains("from 127.0.0.1"), "{direct}");
}

/// Guesses sent to a server that trusts no proxy, each claiming another forwarded address;
/// the refusal's detail.
async fn server_with_guesses_under_made_up_addresses() -> String {
    let server = server().await;
    let user = server.add_user(Rights::NONE);
    let http = reqwest::Client::new();
    for n in 0..9 {
        let _ = http
            .post(server.url("/api/auth"))
            .header("X-Forwarded-For", format!("10.0.0.{n}"))
            .json(&json!({"userName": user, "password": "guess"}))
            .send()
            .await
            .expect("send");
    }
    let refused = http
        .post(server.url("/api/auth"))
        .header("X-Forwarded-For", "10.0.0.99")
        .json(&json!({"userName": user, "password": PASSWORD}))
        .send()
        .await
        .expect("send");
    problem(refused).await.detail.unwrap_or_default()
}

// Filters near the documented limit of 1,000 operations (issue 18, item 5).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_to_a_thousand_filter_operations_are_answered_and_more_are_refused() {
    let server = server().await;
    let admin = server.session(Rights::admin()).await;
    admin
        .create(&json!({"lastName": "Kept", "externalId": "keep"}))
        .await
        .expect("create");
    let (token, _) = token_of(&server, &server.add_user(Rights::NONE)).await;
    let http = reqwest::Client::new();
    for (count, expected) in [
        (995, StatusCode::OK),
        (999, StatusCode::OK),
        (1000, StatusCode::OK),
        (1001, StatusCode::BAD_REQUEST),
    ] {
        let value: Vec<String> = (0..count).map(|i| format!("ne:x{i}")).collect();
        let query = ListParams::new()
            .with("ExternalId", value.join(";"))
            .with("$take", "10")
            .to_query_string();
        let response = http
            .get(server.url(&format!("/customers?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), expected, "{count} operations");
        if expected == StatusCode::OK {
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["count"], 1, "{count} operations");
        }
    }
}

// Bodies that are JSON but not what they claim to be (issue 18, items 4, 9 and 11).

/// `levels` objects nested in one another.
fn nested(levels: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels))
}

/// Posts the raw text `body` as JSON and returns the member the 400 names.
async fn refused_member(server: &TestServer, token: &str, path: &str, body: &str) -> String {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("send");
    let shown: String = body.chars().take(60).collect();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{shown}");
    let p = problem(response).await;
    assert_eq!(p.error_code, Some(3), "{shown}");
    p.errors
        .first()
        .map(|e| e.member_name.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_in_the_wrong_shape_are_refused_naming_the_member() {
    let server = server().await;
    let (token, _) = token_of(&server, &server.add_user(Rights::admin())).await;
    let cases = [
        (format!("{{\"meta\": {}}}", nested(40)), "Meta"),
        (
            format!(
                "{{\"cards\": [{{\"serialNumber\": \"1\", \"meta\": {}}}]}}",
                nested(40)
            ),
            "Cards[0].Meta",
        ),
        ("{\"id\": \".\"}".to_owned(), "Id"),
        ("{\"id\": \"..\"}".to_owned(), "Id"),
        ("{\"company\": [\"Acme\", \"123\"]}".to_owned(), "Company"),
        ("{\"discountRate\": \"5\"}".to_owned(), "DiscountRate"),
        (
            "{\"credit\": {\"amount\": \"5\"}}".to_owned(),
            "Credit.Amount",
        ),
        (
            "{\"firstName\": \"Eva\", \"firstName\": \"Eve\"}".to_owned(),
            "FirstName",
        ),
        ("{\"birthDate\": \"2000-1-1\"}".to_owned(), "BirthDate"),
    ];
    for (body, member) in &cases {
        assert_eq!(
            &refused_member(&server, &token, "/customers", body).await,
            member,
            "{}",
            body.chars().take(60).collect::<String>()
        );
    }
    // Just inside the limits is fine.
    let fine = format!(
        "{{\"id\": \"a.b\", \"lastName\": \"Hraničná\", \"meta\": {}, \"birthDate\": \"2000-01-01\", \"discountRate\": 5}}",
        nested(31)
    );
    let response = reqwest::Client::new()
        .post(server.url("/customers"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(fine)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::CREATED);
    let count: Value = reqwest::Client::new()
        .get(server.url("/customers?$count=true"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(count["totalCount"], 1, "nothing refused was written");
}

// Text members: lengths and control characters (issue 18, items 6 and 11).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_text_member_has_a_length_limit_and_no_control_characters() {
    let server = server().await;
    let (token, _) = token_of(&server, &server.add_user(Rights::admin())).await;
    let long = "x".repeat(1001);
    let long_note = "x".repeat(10_001);
    let cases: Vec<(Value, &str)> = vec![
        (json!({"externalId": "a\u{0}b"}), "ExternalId"),
        (json!({"lastName": "No\u{7}vak"}), "LastName"),
        (json!({"firstName": "Eva\u{1b}[2J"}), "FirstName"),
        (json!({"company": {"name": "Acme\u{0}"}}), "Company.Name"),
        (
            json!({"cards": [{"serialNumber": "12\u{0}3"}]}),
            "Cards[0].SerialNumber",
        ),
        (json!({"company": {"crn": long}}), "Company.Crn"),
        (json!({"company": {"vatId": long}}), "Company.VatId"),
        (json!({"company": {"taxId": long}}), "Company.TaxId"),
        (json!({"address": {"street": long}}), "Address.Street"),
        (json!({"address": {"city": long}}), "Address.City"),
        (
            json!({"address": {"postalCode": long}}),
            "Address.PostalCode",
        ),
        (json!({"address": {"country": long}}), "Address.Country"),
        (json!({"address": {"note": long_note}}), "Address.Note"),
        (
            json!({"deliveryAddress": {"street": long}}),
            "DeliveryAddress.Street",
        ),
        (
            json!({"credit": {"amount": 0, "currencyLabel": long}}),
            "Credit.CurrencyLabel",
        ),
        (
            json!({"cards": [{"serialNumber": "1", "processor": long}]}),
            "Cards[0].Processor",
        ),
        (
            json!({"cards": [{"serialNumber": "1", "statusReason": long}]}),
            "Cards[0].StatusReason",
        ),
        (
            json!({"cards": [{"serialNumber": "1", "externalId": long}]}),
            "Cards[0].ExternalId",
        ),
        (
            json!({"cards": [{"serialNumber": "1", "note": long_note}]}),
            "Cards[0].Note",
        ),
    ];
    for (body, member) in &cases {
        assert_eq!(
            &refused_member(&server, &token, "/customers", &body.to_string()).await,
            member,
            "{}",
            body.to_string().chars().take(80).collect::<String>()
        );
    }
    // Notes keep their line breaks and tabs.
    let created: Value = reqwest::Client::new()
        .post(server.url("/customers"))
        .bearer_auth(&token)
        .json(&json!({"lastName": "Fine", "note": "line 1\n\tline 2",
            "address": {"note": "ring\r\ntwice"}}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let id = created["id"].as_str().expect("created").to_owned();
    let credit = format!("/customers/{id}/credit");
    for (body, member) in [
        (json!({"amount": 1, "note": long_note}), "Note"),
        (json!({"amount": 1, "operationId": long}), "OperationId"),
        (
            json!({"amount": 1, "operationId": "op\u{0}"}),
            "OperationId",
        ),
    ] {
        assert_eq!(
            refused_member(&server, &token, &credit, &body.to_string()).await,
            member
        );
    }
}

// One customer too deep for a JSON reader must not wedge a desk (issue 18, item 4).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_customer_nested_too_deep_does_not_make_a_page_unreadable() {
    use axum::routing::{get, post};
    // A server that stored such a customer before the nesting limit: a page holding it
    // nests deeper than serde_json's 128 levels; the customer alone does not.
    let deep = format!(
        "{{\"id\":\"deep\",\"lastName\":\"Deep\",\"meta\":{}}}",
        nested(126)
    );
    let page = format!(
        "{{\"items\":[{{\"id\":\"ok\",\"lastName\":\"Fine\"}},{deep}],\"count\":2,\"totalCount\":2}}"
    );
    let app = axum::Router::new()
        .route(
            "/api/auth",
            post(|| async {
                axum::Json(json!({"tokenId": "t", "refreshToken": "r",
                    "user": {"id": "1", "name": "Eva", "userName": "eva", "rights": []}}))
            }),
        )
        .route(
            "/customers",
            get(move || {
                let page = page.clone();
                async move { ([("content-type", "application/json")], page) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let served = tokio::spawn(async move { axum::serve(listener, app).await });

    let desk = RemoteClient::login(&base, "eva", "pw", "desk")
        .await
        .expect("sign in");
    let listed = desk
        .list(&ListParams::new().with("$take", "50"))
        .await
        .expect("the page is read, whatever one customer holds");
    let ids: Vec<_> = listed
        .items
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["ok", "deep"]);
    served.abort();
}

// What the HTTP layer refuses before any route is reached (issue 18, item 11).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_the_http_layer_refuses_get_a_problem_document() {
    let server = server().await;
    let cases = [
        (
            format!(
                "GET /customers?{} HTTP/1.1\r\nHost: shop\r\n\r\n",
                "a".repeat(70_000)
            ),
            "414",
        ),
        (
            format!(
                "GET /customers HTTP/1.1\r\nHost: shop\r\nX-Big: {}\r\n\r\n",
                "a".repeat(500_000)
            ),
            "431",
        ),
        ("HELLO THERE\r\n\r\n".to_owned(), "400"),
    ];
    for (request, status) in cases {
        let mut tcp = connect(&server).await;
        // The server may answer before it has read everything: a failed write is fine.
        let _ = tcp.write_all(request.as_bytes()).await;
        let answer = closed_within(&mut tcp, StdDuration::from_secs(5))
            .await
            .expect("answered and closed");
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
        assert!(
            answer.contains("content-type: application/problem+json"),
            "{answer}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        let problem: Problem = serde_json::from_str(body).expect("a problem document");
        assert_eq!(problem.status.to_string(), status);
    }
}

// Soak: desks at work while a hostile client does items 1-3 of issue 18 at once.

/// p50 and p99 of `samples`, in milliseconds.
fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99))
}

/// What `desks` see for `run_for`: each desk lists a page, searches and reads a customer in
/// turn, without pause.
async fn desk_latencies(desks: &[RemoteClient], id: &str, run_for: StdDuration) -> Vec<f64> {
    let deadline = Instant::now() + run_for;
    let work = desks.iter().map(|desk| async move {
        let mut times = Vec::new();
        let mut step = 0usize;
        while Instant::now() < deadline {
            step += 1;
            let started = Instant::now();
            match step % 3 {
                0 => drop(
                    desk.list(&ListParams::new().with("$take", "20"))
                        .await
                        .expect("list"),
                ),
                1 => drop(
                    desk.list(&ListParams::new().with("Search", "nov").with("$take", "20"))
                        .await
                        .expect("search"),
                ),
                _ => drop(desk.get(id).await.expect("get")),
            }
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times
    });
    futures_util::future::join_all(work)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desks_keep_working_while_a_hostile_client_holds_sockets_streams_and_sign_ins() {
    // CUSTOMER_DESK_SOAK_SECS=60 runs each phase longer.
    let phase = StdDuration::from_secs(
        std::env::var("CUSTOMER_DESK_SOAK_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(4),
    );
    // Short head and write timeouts churn the attack's sockets within the test's time; the
    // idle timeout stays the default, longer than a desk's pool keeps a connection.
    let server = limited_server(ServerLimits {
        max_connections: 256,
        header_read_timeout: StdDuration::from_secs(1),
        write_timeout: StdDuration::from_secs(1),
        ..ServerLimits::default()
    })
    .await;
    customer_desk::demo::load(server.auth.api(), 5_000, 2, &mut |_| true).expect("demo");
    let mut desks = Vec::new();
    for _ in 0..4 {
        desks.push(server.session(Rights::admin()).await);
    }
    let id = desks[0]
        .list(&ListParams::new().with("$take", "1"))
        .await
        .expect("list")
        .items
        .expect("items")[0]
        .id
        .clone();
    desk_latencies(&desks, &id, StdDuration::from_millis(500)).await;
    let (quiet_p50, quiet_p99) = percentiles(desk_latencies(&desks, &id, phase).await);

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut hostile = Vec::new();
    // Item 1: idle sockets (more than the cap) and trickled heads, opened again as they close.
    for _ in 0..300 {
        let (address, stop) = (server.base_url.clone(), stop.clone());
        hostile.push(tokio::spawn(async move {
            let address = address.trim_start_matches("http://").to_owned();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(mut tcp) = TcpStream::connect(&address).await else {
                    tokio::time::sleep(StdDuration::from_millis(100)).await;
                    continue;
                };
                let _ = tcp
                    .write_all(b"GET /customers HTTP/1.1\r\nHost: x\r\n")
                    .await;
                let _ = closed_within(&mut tcp, StdDuration::from_secs(5)).await;
            }
        }));
    }
    // Item 2: whole-list streams nobody reads.
    let (stream_token, _) = token_of(&server, &server.add_user(Rights::NONE)).await;
    for _ in 0..4 {
        let (server_url, token, stop) =
            (server.base_url.clone(), stream_token.clone(), stop.clone());
        hostile.push(tokio::spawn(async move {
            let server = server_url.trim_start_matches("http://").to_owned();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(mut tcp) = TcpStream::connect(&server).await else {
                    continue;
                };
                let request = format!(
                    "GET /customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
                );
                let _ = tcp.write_all(request.as_bytes()).await;
                tokio::time::sleep(StdDuration::from_secs(3)).await;
            }
        }));
    }
    // Item 3: a sign-in flood for names that do not exist.
    for n in 0..32 {
        let (url, stop) = (server.url("/api/auth"), stop.clone());
        hostile.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = http
                    .post(&url)
                    .json(&json!({"userName": format!("nobody{n}"), "password": "guess"}))
                    .send()
                    .await;
            }
        }));
    }
    // The attack's first password checks (20 from its address, before it must wait) are
    // over within the warm-up; what is measured is the attack going on.
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    let (busy_p50, busy_p99) = percentiles(desk_latencies(&desks, &id, phase).await);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in hostile {
        task.abort();
    }
    eprintln!(
        "desks' latency: quiet p50 {quiet_p50:.2} ms, p99 {quiet_p99:.2} ms; \
         under attack p50 {busy_p50:.2} ms, p99 {busy_p99:.2} ms"
    );
    // The shared 2-core machine runs the attack's argon2 checks too: a loose bound, which an
    // unbounded server (every request timing out) is far outside of.
    assert!(
        busy_p99 < (quiet_p99 * 20.0).max(500.0),
        "p99 {busy_p99:.1} ms under attack against {quiet_p99:.1} ms quiet"
    );
}
