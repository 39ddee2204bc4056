//! `customer-desk bench --sync`: the sync engine against `serve` on loopback over the bench
//! store: a feed page, a first sync of every customer into an empty replica (a child
//! `customer-desk sync`, whose peak memory is read from `/proc`), a push of 10,000 offline
//! edits, and how soon an edit made at the server shows on a watching desk.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::json;

use super::bench::{BenchArgs, summarise};
use super::bench_http::LoopbackServer;
use crate::api::{Auth, AuthPolicy, CustomersApi, LocalApi};
use crate::model::{Actor, Rights};
use crate::ndata::ListParams;
use crate::remote::RemoteClient;
use crate::store::feed;
use crate::sync::Replica;

const BENCH_USER: &str = "bench-sync";
/// How many offline edits the push is timed on.
const PUSH_EDITS: usize = 10_000;

/// What `bench --sync` measured.
#[derive(Debug, Clone, Serialize)]
pub struct SyncBenchReport {
    pub feed_page_p50_ms: f64,
    pub feed_page_p95_ms: f64,
    pub initial_sync_secs: f64,
    pub initial_sync_per_second: f64,
    /// The peak resident memory of the `customer-desk sync` process (VmHWM).
    pub initial_sync_peak_rss_mb: f64,
    pub push_edits: usize,
    pub push_per_second: f64,
    pub edit_visible_p50_ms: f64,
    pub edit_visible_max_ms: f64,
    /// What an entry of the server's change log costs on the disk (table and index).
    pub change_log_bytes_per_entry: f64,
}

/// Runs the sync figures over the bench store `api`.
pub fn measure(api: Arc<LocalApi>, args: &BenchArgs) -> anyhow::Result<SyncBenchReport> {
    let (feed_page_p50_ms, feed_page_p95_ms) = feed_pages(&api, args.rounds)?;
    let auth = Arc::new(Auth::new(api.clone(), AuthPolicy::default()));
    let password = format!("{:032x}", rand::random::<u128>());
    match auth.remove_user(BENCH_USER) {
        Ok(()) | Err(crate::api::ApiError::NoSuchUser(_)) => {}
        Err(e) => return Err(e.into()),
    }
    auth.add_user(BENCH_USER, &password, Rights::admin())?;
    let result = against_server(&api, auth.clone(), &password);
    let removed = auth.remove_user(BENCH_USER);
    let mut report = result?;
    removed?;
    report.feed_page_p50_ms = feed_page_p50_ms;
    report.feed_page_p95_ms = feed_page_p95_ms;
    let (entries, bytes) = api.store().change_log_size()?;
    report.change_log_bytes_per_entry = bytes as f64 / entries.max(1) as f64;
    Ok(report)
}

/// A page of 1,000 changes from a random place in the feed, in process.
fn feed_pages(api: &LocalApi, rounds: usize) -> anyhow::Result<(f64, f64)> {
    let actor = Actor::new("bench", Rights::admin());
    let (server_id, head) = api
        .store()
        .read(|s| Ok::<_, crate::store::Error>((feed::server_id(s)?, feed::head(s)?)))?;
    let mut rng = StdRng::seed_from_u64(7);
    let mut samples = Vec::new();
    for round in 0..rounds.max(1) + 5 {
        let since = rng.random_range(0..head.saturating_sub(1000).max(1));
        let started = Instant::now();
        let page = api.feed(&actor, Some(&format!("{server_id}.{since}")), 1000)?;
        std::hint::black_box(page);
        if round >= 5 {
            samples.push(started.elapsed());
        }
    }
    let (p50, p95, _) = summarise(samples);
    Ok((p50, p95))
}

fn against_server(
    api: &LocalApi,
    auth: Arc<Auth>,
    password: &str,
) -> anyhow::Result<SyncBenchReport> {
    let server = LoopbackServer::start(auth, "bench-sync-server")?;
    let report = run_sync_figures(api, &server.base_url, password);
    server.stop()?;
    report
}

fn run_sync_figures(
    api: &LocalApi,
    base_url: &str,
    password: &str,
) -> anyhow::Result<SyncBenchReport> {
    let customers = api.store().read(crate::store::customers::total_count)?;
    let dir = tempfile_dir()?;
    let desk_db = dir.join("desk.db");
    eprintln!(
        "First sync of {customers} customers into {} ...",
        desk_db.display()
    );
    let (initial_sync_secs, peak_rss_kb) = initial_sync(&desk_db, base_url, password)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bench-sync-desk")
        .build()?;
    let (push_per_second, edit_visible) = runtime.block_on(async {
        let desk = Arc::new(LocalApi::open(&desk_db)?);
        let replica = Replica::resume(desk.clone())?;
        let push = push_edits(&desk, &replica).await?;
        let visible = edit_visibility(&desk, &replica, base_url, password).await?;
        anyhow::Ok((push, visible))
    })?;
    let (edit_visible_p50_ms, _, edit_visible_max_ms) = summarise(edit_visible);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(SyncBenchReport {
        feed_page_p50_ms: 0.0,
        feed_page_p95_ms: 0.0,
        initial_sync_secs,
        initial_sync_per_second: customers as f64 / initial_sync_secs.max(1e-9),
        initial_sync_peak_rss_mb: peak_rss_kb as f64 / 1024.0,
        push_edits: PUSH_EDITS,
        push_per_second,
        edit_visible_p50_ms,
        edit_visible_max_ms,
        change_log_bytes_per_entry: 0.0,
    })
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("customer-desk-bench-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The peak resident memory of process `pid` so far, in KiB (Linux).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `customer-desk sync` into an empty replica; its time and peak memory.
fn initial_sync(desk_db: &Path, base_url: &str, password: &str) -> anyhow::Result<(f64, u64)> {
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--db",
            &desk_db.display().to_string(),
            "sync",
            "--server",
            base_url,
            "--user",
            BENCH_USER,
            "--json",
        ])
        .env(super::users::PASSWORD_ENV, password)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start customer-desk sync")?;
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = peak_rss_kb(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    anyhow::ensure!(status.success(), "customer-desk sync failed: {status}");
    Ok((started.elapsed().as_secs_f64(), peak))
}

/// Makes 10,000 edits on the replica, offline as far as it knows, and times pushing them.
async fn push_edits(desk: &Arc<LocalApi>, replica: &Replica) -> anyhow::Result<f64> {
    let actor = Actor::new(BENCH_USER, Rights::admin());
    let page = desk.list(
        &actor,
        &ListParams::new().with("$take", PUSH_EDITS.to_string()),
    )?;
    let mut edited = 0;
    for customer in page.items.unwrap_or_default() {
        let mut body = serde_json::to_value(&customer)?;
        body["note"] = json!(format!("bench edit {edited}"));
        desk.upsert(&actor, &customer.id, &body)?;
        edited += 1;
    }
    let started = Instant::now();
    let pushed = replica.push().await?;
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(pushed as usize == edited, "pushed {pushed} of {edited}");
    Ok(edited as f64 / secs.max(1e-9))
}

/// How long after an edit is stored at the server a watching desk has it.
async fn edit_visibility(
    desk: &Arc<LocalApi>,
    replica: &Replica,
    base_url: &str,
    password: &str,
) -> anyhow::Result<Vec<Duration>> {
    let actor = Actor::new(BENCH_USER, Rights::admin());
    // Catch up first, so the watch below waits at the head of the feed.
    replica.sync_once(0).await?;
    let other = RemoteClient::login(base_url, BENCH_USER, password, "bench other desk").await?;
    let some = desk
        .list(&actor, &ListParams::new().with("$take", "10"))?
        .items
        .unwrap_or_default();
    let mut samples = Vec::new();
    for (n, customer) in some.iter().enumerate() {
        let id = customer.id.clone();
        let note = format!("seen {n}");
        let watching = async {
            loop {
                replica.pull(20).await?;
                if desk.get(&actor, &id)?.note.as_deref() == Some(note.as_str()) {
                    return anyhow::Ok(Instant::now());
                }
            }
        };
        let editing = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let mut body = serde_json::to_value(other.get(&id).await?)?;
            body["note"] = json!(note.clone());
            other.upsert(&id, &body).await?;
            anyhow::Ok(Instant::now())
        };
        let (seen, stored) = tokio::try_join!(watching, editing)?;
        samples.push(seen.saturating_duration_since(stored));
    }
    Ok(samples)
}
