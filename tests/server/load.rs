//! Many desks at once against one server on loopback: every request is answered without
//! error, no acknowledged write is lost, and versions only go up.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http_support::TestServer;
use customer_desk::api::{ApiError, CustomersApi};
use customer_desk::model::{Customer, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::remote::RemoteClient;
use rust_decimal::Decimal;
use serde_json::json;

const CLIENTS: usize = 32;
const SHARED: usize = 8;
const RUN_FOR: Duration = Duration::from_secs(3);

/// What one client saw acknowledged.
#[derive(Default)]
struct Seen {
    /// Shared customer id → (operation id, `_v` in the answer) of each acknowledged credit.
    credits: HashMap<String, Vec<(String, i64)>>,
    /// The client's own customer as the last acknowledged write left it.
    own: Option<Customer>,
    requests: u64,
}

async fn desk(
    client: RemoteClient,
    number: usize,
    shared: Arc<Vec<String>>,
    deadline: Instant,
) -> Result<Seen, ApiError> {
    let mut seen = Seen::default();
    let mut last_version: HashMap<String, i64> = HashMap::new();
    let own = client
        .create(&json!({"firstName": format!("Desk {number}"), "lastName": "Loadtest"}))
        .await?;
    seen.own = Some(own);
    let mut step = 0usize;
    while Instant::now() < deadline {
        step += 1;
        let target = &shared[(number + step) % SHARED];
        match step % 5 {
            0 | 1 => {
                let op = format!("desk{number}-{step}");
                let body = json!({"amount": 1, "note": "load", "operationId": op});
                let after = client.adjust_credit(target, &body).await?;
                let previous = last_version
                    .insert(target.clone(), after.version)
                    .unwrap_or(0);
                assert!(
                    after.version > previous,
                    "_v went from {previous} to {} on {target}",
                    after.version
                );
                seen.credits
                    .entry(target.clone())
                    .or_default()
                    .push((op, after.version));
            }
            2 => {
                let read = client.get(target).await?;
                let known = last_version.get(target).copied().unwrap_or(0);
                assert!(
                    read.version >= known,
                    "a read of {target} went back to _v {} after {known}",
                    read.version
                );
                last_version.insert(target.clone(), read.version);
            }
            3 => {
                let page = client
                    .list(
                        &ListParams::new()
                            .with("Search", "loadtest")
                            .with("$take", "20"),
                    )
                    .await?;
                assert!(page.count <= 20 && page.total_count >= page.count);
            }
            _ => {
                let mine = seen
                    .own
                    .as_ref()
                    .map(|c| (c.id.clone(), c.version))
                    .unwrap_or_default();
                let body = json!({"firstName": format!("Desk {number}"), "lastName": "Loadtest", "note": format!("step {step}"), "_v": mine.1});
                let updated = client.upsert(&mine.0, &body).await?;
                assert!(!updated.created && updated.customer.version == mine.1 + 1);
                seen.own = Some(updated.customer);
            }
        }
        seen.requests += 1;
    }
    Ok(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_desks_at_once_lose_nothing() {
    let server = TestServer::start("2026-06-01T12:00:00Z".parse().expect("time")).await;
    let admin = server.session(Rights::admin()).await;
    let mut shared = Vec::new();
    for i in 0..SHARED {
        let c = admin
            .create(&json!({"firstName": format!("Shared {i}"), "lastName": "Loadtest", "credit": {"amount": 100}}))
            .await
            .expect("create");
        shared.push(c.id);
    }
    let shared = Arc::new(shared);
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(server.session(Rights::admin()).await);
    }

    let deadline = Instant::now() + RUN_FOR;
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(n, client)| tokio::spawn(desk(client, n, shared.clone(), deadline)))
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.push(
            task.await
                .expect("desk task")
                .expect("every request answered without error"),
        );
    }
    let requests: u64 = all.iter().map(|s| s.requests).sum();
    eprintln!("{requests} requests from {CLIENTS} desks in {RUN_FOR:?}");
    assert!(
        requests > CLIENTS as u64 * 10,
        "the desks got little done: {requests} requests"
    );

    let mut credits: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for seen in &all {
        for (id, ops) in &seen.credits {
            credits
                .entry(id.clone())
                .or_default()
                .extend(ops.iter().cloned());
        }
        let own = seen.own.as_ref().expect("own customer");
        assert_eq!(
            &admin.get(&own.id).await.expect("own customer"),
            own,
            "the last acknowledged update is stored"
        );
    }
    for id in shared.iter() {
        let stored = admin.get(id).await.expect("shared customer");
        let mut acknowledged = credits.remove(id).unwrap_or_default();
        let n = acknowledged.len() as i64;
        assert_eq!(
            stored.credit.amount,
            Decimal::from(100 + n),
            "every acknowledged credit counted once"
        );
        assert_eq!(stored.version, 1 + n);
        acknowledged.sort_by_key(|(_, v)| *v);
        let versions: Vec<i64> = acknowledged.iter().map(|(_, v)| *v).collect();
        assert_eq!(
            versions,
            (2..=n + 1).collect::<Vec<_>>(),
            "each write got its own, increasing _v"
        );
        let ledger: Vec<&str> = stored
            .credit_transactions
            .iter()
            .filter_map(|t| t.operation_id.as_deref())
            .collect();
        let expected: Vec<&str> = acknowledged.iter().map(|(op, _)| op.as_str()).collect();
        assert_eq!(
            ledger, expected,
            "the ledger holds every acknowledged operation, in order"
        );
    }
}
