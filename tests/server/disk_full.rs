//! A server whose disk fills up: a real `customer-desk serve` on a 3 MiB tmpfs (mounted in a
//! private mount namespace by `unshare`, so no root is needed where user namespaces are on).
//! Writes then answer `507` in plain words and change nothing; reading and signing in go on.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ADMIN_PASSWORD: &str = "disk-full-password";

/// The server process; killed when dropped.
struct FullDiskServer {
    child: Child,
    base_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for FullDiskServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Starts `serve` on a store in a fresh 3 MiB tmpfs of its own.
fn start_on_small_disk() -> FullDiskServer {
    let dir = tempfile::tempdir().expect("dir");
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).expect("mount point");
    let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
    let port = free_port();
    let child = Command::new("unshare")
        .args(["--mount", "--map-root-user", "--", "sh", "-c"])
        .arg(r#"mount -t tmpfs -o size=3m tmpfs "$1" && exec "$2" serve --db "$1/shop.db" --bind "$3""#)
        .arg("sh")
        .arg(&disk)
        .arg(env!("CARGO_BIN_EXE_customer-desk"))
        .arg(format!("127.0.0.1:{port}"))
        .env("CUSTOMER_DESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("unshare (util-linux) runs the server in a mount namespace of its own");
    FullDiskServer {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

async fn sign_in(
    client: &reqwest::Client,
    server: &FullDiskServer,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{}/api/auth", server.base_url))
        .json(&json!({"userName": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
}

async fn token(client: &reqwest::Client, server: &FullDiskServer) -> String {
    let response = sign_in(client, server).await.expect("sign-in sent");
    assert_eq!(response.status(), 200, "sign-in on a full disk");
    let body: Value = response.json().await.expect("sign-in JSON");
    body["tokenId"].as_str().expect("token").to_owned()
}

async fn customer_count(client: &reqwest::Client, server: &FullDiskServer, token: &str) -> u64 {
    let response = client
        .get(format!("{}/customers?$count=true", server.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("count sent");
    assert_eq!(response.status(), 200, "reading on a full disk");
    let body: Value = response.json().await.expect("count JSON");
    body["totalCount"].as_u64().expect("totalCount")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_in_plain_words_and_still_lets_people_sign_in_and_read() {
    let mut server = start_on_small_disk();
    let client = reqwest::Client::new();
    let started = Instant::now();
    let first_token = loop {
        if let Some(status) = server.child.try_wait().expect("server state") {
            panic!("the server did not start ({status}); unshare needs user namespaces");
        }
        match sign_in(&client, &server).await {
            Ok(r) if r.status() == 200 => break token(&client, &server).await,
            _ if started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("the server never answered a sign-in: {other:?}"),
        }
    };

    // Fill the disk with customers carrying long notes until the server says it is full.
    let note = "n".repeat(2_000);
    let mut created = 0u64;
    let refusal = loop {
        let response = client
            .post(format!("{}/customers", server.base_url))
            .bearer_auth(&first_token)
            .json(&json!({"lastName": format!("Plný {created}"), "note": note}))
            .send()
            .await
            .expect("create sent");
        match response.status().as_u16() {
            201 | 200 => created += 1,
            507 => break response,
            other => panic!(
                "a create on a filling disk answered {other}: {}",
                response.text().await.unwrap_or_default()
            ),
        }
        assert!(created < 20_000, "3 MiB never filled up");
    };
    assert!(created > 0, "the disk was full before any customer");
    eprintln!("the disk took {created} customers");
    let media = refusal
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert_eq!(media, "application/problem+json");
    let problem: Value = refusal.json().await.expect("problem JSON");
    let detail = problem["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("the server's disk is full") && detail.contains("nothing was saved"),
        "{problem}"
    );

    // The refused write left nothing behind, and the next one is refused the same way.
    assert_eq!(
        customer_count(&client, &server, &first_token).await,
        created
    );
    let again = client
        .post(format!("{}/customers", server.base_url))
        .bearer_auth(&first_token)
        .json(&json!({"lastName": "Ďalší", "note": note}))
        .send()
        .await
        .expect("create sent");
    assert_eq!(again.status(), 507);

    // Another desk can still sign in (its token cannot be stored) and look customers up.
    let second_token = token(&client, &server).await;
    assert_ne!(second_token, first_token);
    assert_eq!(
        customer_count(&client, &server, &second_token).await,
        created
    );
    let page = client
        .get(format!("{}/customers?$take=5", server.base_url))
        .bearer_auth(&second_token)
        .send()
        .await
        .expect("list sent");
    assert_eq!(page.status(), 200);
    let page: Value = page.json().await.expect("list JSON");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(5));
}
