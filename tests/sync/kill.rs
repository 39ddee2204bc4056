//! `customer-desk sync` as a child process, killed at named points and at random moments,
//! then run again until it finishes: the replica then equals the server, and a write whose
//! answer was lost took effect once.

use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use customer_desk::api::LocalApi;
use customer_desk::model::{Actor, Rights};
use customer_desk::store::Store;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::http_support::{PASSWORD, TestServer};
use crate::support::{everyone, server_customers};

fn sync_command(db: &std::path::Path, server: &TestServer, user: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_customer-desk"));
    command
        .args([
            "--db",
            db.to_str().expect("path"),
            "sync",
            "--server",
            &server.base_url,
            "--user",
            user,
            "--json",
        ])
        .env("CUSTOMER_DESK_PASSWORD", PASSWORD)
        .env_remove("CUSTOMER_DESK_CRASH_AT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("run customer-desk"))
        .await
        .expect("join")
}

async fn spawn(mut command: Command) -> Child {
    tokio::task::spawn_blocking(move || command.spawn().expect("spawn customer-desk"))
        .await
        .expect("join")
}

/// Runs the sync until it exits 0 (at most a few tries).
async fn until_done(db: &std::path::Path, server: &TestServer, user: &str) {
    for _ in 0..5 {
        let out = run(sync_command(db, server, user)).await;
        if out.status.success() {
            return;
        }
        eprintln!("sync: {}", String::from_utf8_lossy(&out.stderr));
    }
    panic!("the sync did not finish");
}

fn desk_customers(db: &std::path::Path) -> Vec<serde_json::Value> {
    let api = LocalApi::with_system_clock(Store::open(db).expect("store"));
    let actor = Actor::new("check", Rights::admin());
    everyone(&api, &actor)
        .into_iter()
        .map(|c| serde_json::to_value(c).expect("json"))
        .collect()
}

fn on_server(server: &TestServer) -> Vec<serde_json::Value> {
    server_customers(server)
        .into_iter()
        .map(|c| serde_json::to_value(c).expect("json"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_after_fetching_a_page_resumes_and_converges() {
    let server = TestServer::start(chrono::Utc::now()).await;
    customer_desk::demo::load(server.auth.api(), 9_000, 5, &mut |_| true).expect("demo");
    let user = server.add_user(Rights::admin());
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("desk.db");
    // Killed as the third page arrives: the two before it (3,000 customers: the first
    // page asks for 2,000, the next for 1,000) are stored with their cursor.
    let mut crashing = sync_command(&db, &server, &user);
    crashing.env("CUSTOMER_DESK_CRASH_AT", "pull-fetched:3");
    let out = run(crashing).await;
    assert!(!out.status.success(), "it was meant to die");
    let part = desk_customers(&db).len();
    assert!(
        (3_000..9_000).contains(&part),
        "{part} customers after the crash"
    );
    until_done(&db, &server, &user).await;
    assert_eq!(desk_customers(&db), on_server(&server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credit_whose_answer_was_lost_to_a_kill_is_applied_once() {
    let server = TestServer::start(chrono::Utc::now()).await;
    let office = Actor::new("office", Rights::admin());
    let id = server
        .auth
        .api()
        .create(
            &office,
            &json!({"lastName": "Once", "credit": {"amount": 10}}),
        )
        .expect("create")
        .id;
    let user = server.add_user(Rights::admin());
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("desk.db");
    until_done(&db, &server, &user).await;
    // Offline work through the command line: it goes into the outbox.
    let mut api = Command::new(env!("CARGO_BIN_EXE_customer-desk"));
    api.args([
        "--db",
        db.to_str().expect("path"),
        "api",
        "POST",
        &format!("/customers/{id}/credit"),
        "-",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped());
    let mut child = api.spawn().expect("api");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(br#"{"amount": -4.5, "note": "coffee"}"#)
            .expect("write");
    }
    assert!(child.wait().expect("wait").success());

    let mut crashing = sync_command(&db, &server, &user);
    crashing.env("CUSTOMER_DESK_CRASH_AT", "push-sent:1");
    assert!(!run(crashing).await.status.success());
    let after_kill = server.auth.api().get(&office, &id).expect("get");
    assert_eq!(
        after_kill.credit.amount.to_string(),
        "5.5",
        "the server took it before the kill"
    );
    until_done(&db, &server, &user).await;
    let after = server.auth.api().get(&office, &id).expect("get");
    assert_eq!(after.credit.amount.to_string(), "5.5", "applied once");
    assert_eq!(after.credit_transactions.len(), 2);
    assert_eq!(desk_customers(&db), on_server(&server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_killed_at_random_moments_leave_a_replica_that_converges() {
    let server = TestServer::start(chrono::Utc::now()).await;
    customer_desk::demo::load(server.auth.api(), 6_000, 9, &mut |_| true).expect("demo");
    let user = server.add_user(Rights::admin());
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("desk.db");
    let mut rng = rand::rngs::StdRng::seed_from_u64(41);
    for _ in 0..4 {
        let mut child = spawn(sync_command(&db, &server, &user)).await;
        tokio::time::sleep(Duration::from_millis(rng.random_range(100..900))).await;
        // SIGKILL on Unix.
        let _ = child.kill();
        let _ = child.wait();
    }
    until_done(&db, &server, &user).await;
    assert_eq!(desk_customers(&db), on_server(&server));
    let store = Store::open(&db).expect("store");
    assert_eq!(store.integrity_check().expect("check"), ["ok"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watching_sync_stops_cleanly_on_sigterm() {
    let server = TestServer::start(chrono::Utc::now()).await;
    let user = server.add_user(Rights::admin());
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("desk.db");
    until_done(&db, &server, &user).await;
    // Later runs reuse the kept session: no password is needed (nor asked for).
    let mut watch = sync_command(&db, &server, &user);
    watch
        .arg("--watch")
        .env_remove("CUSTOMER_DESK_PASSWORD")
        .stdin(Stdio::null());
    let mut child = spawn(watch).await;
    // Let it reach its long poll, then ask it to stop as a service manager would.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || child.wait().expect("wait"))
        .await
        .expect("join");
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it stopped at once, not after its poll"
    );
    let store = Store::open(&db).expect("store");
    assert_eq!(store.integrity_check().expect("check"), ["ok"]);
}
