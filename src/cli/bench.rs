//! `customer-desk bench`: timings of a fixed query mix on a large demo store, side by side
//! with the same questions answered by a naive `LIKE` scan.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::json;

use crate::api::LocalApi;
use crate::model::{Actor, Rights};
use crate::ndata::ListParams;
use crate::store::{Integrity, Store, naive};

/// The seed of the bench's demo store, so every run measures the same customers.
const BENCH_SEED: u64 = 7;

/// Arguments of `customer-desk bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// How many customers the demo store has (it is built, or topped up, first).
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// How many times each kind of call runs.
    #[arg(long, default_value_t = 40)]
    pub rounds: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also send the mix through the HTTP server on loopback, with concurrent clients.
    #[arg(long)]
    pub http: bool,
    /// How many clients talk to the server at once with --http.
    #[arg(long, default_value_t = 8, requires = "http")]
    pub clients: usize,
    /// For how many seconds every client searches without pause, to measure throughput.
    #[arg(long, default_value_t = 5, requires = "http", value_name = "SECONDS")]
    pub http_secs: u64,
    /// Also time the sync engine through the server on loopback: a feed page, a first sync
    /// of every customer, a push of 10,000 offline edits, how soon an edit shows elsewhere.
    #[arg(long)]
    pub sync: bool,
    /// Grow the store through the API before timing: N more customers created and N
    /// edited, each its own request, so the figures are those of a store that grew rather
    /// than one bulk load (once per store; the default store file is then one of its own).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub grow: u64,
}

/// The timings of one kind of call, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct KindReport {
    pub kind: String,
    pub runs: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
    /// The same question answered by a plain `LIKE` scan, where the bench has one.
    pub naive_p50_ms: Option<f64>,
    /// `naive_p50_ms / p50_ms`: how many times faster the indexed path is.
    pub naive_ratio: Option<f64>,
}

/// Everything `bench` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub customers: u64,
    pub db_path: String,
    /// Customers loaded per second, when this run loaded any.
    pub demo_load_per_second: Option<f64>,
    pub demo_loaded: u64,
    pub db_bytes: u64,
    pub bytes_per_customer: f64,
    pub kinds: Vec<KindReport>,
    /// The mix over HTTP, with `--http`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<super::bench_http::HttpReport>,
    /// The sync engine's figures, with `--sync`.
    pub sync: Option<super::bench_sync::SyncBenchReport>,
    /// How the store grew through the API, when this run grew it (`--grow`).
    pub grown: Option<super::bench_mix::GrowReport>,
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median, 95th percentile and maximum of `samples`, in milliseconds.
pub(super) fn summarise(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    (
        quantile(&samples, 0.5),
        quantile(&samples, 0.95),
        samples.last().copied().map_or(0.0, millis),
    )
}

/// The sample at quantile `q` of `sorted`, in milliseconds.
pub(super) fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).copied().map_or(0.0, millis)
}

/// Times `f` `rounds` times, giving it the round number.
/// Calls made before a read kind is timed, unmeasured: a page of the store that one kind of
/// call reads first comes from the disk or the OS's cache, which is not what the bench
/// measures. The HTTP bench warms up the same way.
pub(super) const WARM_UP_ROUNDS: usize = 10;

/// Like [`time_rounds`], after the first [`WARM_UP_ROUNDS`] calls made once unmeasured (for
/// calls that read; a write would change what the timed calls find).
fn time_read_rounds(
    rounds: usize,
    mut f: impl FnMut(usize) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Duration>> {
    for round in 0..rounds.min(WARM_UP_ROUNDS) {
        f(round)?;
    }
    time_rounds(rounds, f)
}

fn time_rounds(
    rounds: usize,
    mut f: impl FnMut(usize) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Duration>> {
    let mut samples = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let started = Instant::now();
        f(round)?;
        samples.push(started.elapsed());
    }
    Ok(samples)
}

fn default_bench_db(count: u64, grow: u64) -> PathBuf {
    let name = if grow > 0 {
        format!("customer-desk-bench-{count}-grown-{grow}.db")
    } else {
        format!("customer-desk-bench-{count}.db")
    };
    std::env::temp_dir().join(name)
}

fn file_size(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    [path.to_owned(), wal]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Surnames (selective) and three-letter fragments (broad) the searches use.
pub(super) const SELECTIVE_TERMS: &[&str] = &[
    "Horváthová",
    "Dvořák",
    "Ördög",
    "Kolář",
    "Šťastná",
    "Pintér",
    "Robinson",
    "Záhradník",
    "Ľupták",
    "Szűcs",
];
pub(super) const BROAD_TERMS: &[&str] = &[
    "ova", "ani", "ert", "and", "ska", "ová", "ere", "ich", "ark", "lin",
];

/// Runs `customer-desk bench`.
pub fn run(db: Option<&Path>, args: BenchArgs) -> anyhow::Result<()> {
    let api = Arc::new(open_bench_store(db, &args)?);
    let mut report = measure_on(&api, &args)?;
    if args.http {
        // The server serves the very store (and warm caches) the in-process figures were
        // taken on, so that the difference is what HTTP adds.
        let http = super::bench_http::measure(api.clone(), &args, &report.kinds)?;
        report.http = Some(http);
    }
    if args.sync {
        report.sync = Some(super::bench_sync::measure(api, &args)?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

/// Opens the bench store: `db`, or a file in the temporary folder named after the count.
pub fn open_bench_store(db: Option<&Path>, args: &BenchArgs) -> anyhow::Result<LocalApi> {
    let path = db.map_or_else(|| default_bench_db(args.count, args.grow), Path::to_owned);
    let store = Store::open_for_server(&path)?;
    // The integrity check of a large store goes on in the background after opening; the
    // timings must not share the machine with it.
    if let Integrity::Damaged(lines) = store.wait_for_integrity(std::time::Duration::from_secs(600))
    {
        anyhow::bail!("the bench store is damaged: {}", lines.join("; "));
    }
    Ok(LocalApi::with_system_clock(store))
}

/// Tops up the bench store `api` to `args.count` customers and measures the mix on it.
pub fn measure_on(api: &LocalApi, args: &BenchArgs) -> anyhow::Result<BenchReport> {
    let path = api
        .store()
        .path()
        .context("the bench store is a file")?
        .to_owned();
    let present = api.store().read(crate::store::customers::total_count)?;
    let mut demo_load_per_second = None;
    let mut demo_loaded = 0;
    if present < args.count {
        eprintln!(
            "Loading {} demo customers into {} ...",
            args.count - present,
            path.display()
        );
        let report = crate::demo::load(api, args.count - present, BENCH_SEED, &mut |_| true)?;
        demo_load_per_second = Some(report.per_second());
        demo_loaded = report.added;
        eprintln!(
            "Loaded {} in {:.1} s ({:.0}/s).",
            report.added,
            report.elapsed.as_secs_f64(),
            report.per_second()
        );
    }
    let actor = Actor::new("bench", Rights::admin());
    let present = api.store().read(crate::store::customers::total_count)?;
    let mut grown = None;
    // A grown store has a note of it beside it, so that it grows once, and a run cut short
    // during its edits makes them again.
    let grown_note = PathBuf::from(format!("{}.grown", path.display()));
    if args.grow > 0 && !grown_note.exists() {
        let creates = (args.count + args.grow).saturating_sub(present);
        eprintln!(
            "Growing the store through the API: {creates} creates, {} updates ...",
            args.grow
        );
        let report = super::bench_mix::grow(api, &actor, BENCH_SEED, present, creates, args.grow)?;
        eprintln!("Grown in {:.0} s.", report.seconds);
        std::fs::write(&grown_note, format!("{}\n", args.grow))
            .with_context(|| format!("cannot write {}", grown_note.display()))?;
        grown = Some(report);
    }
    let total = api.store().read(crate::store::customers::total_count)?;
    let rounds = args.rounds.max(1);
    let mut rng = StdRng::seed_from_u64(42);
    let mut kinds = Vec::new();
    let list = |query: &str| -> anyhow::Result<u64> {
        Ok(api
            .list(&actor, &ListParams::from_query_string(query))?
            .total_count)
    };

    let mut push = |kind: &str, samples: Vec<Duration>, naive: Option<Vec<Duration>>| {
        let (p50, p95, max) = summarise(samples);
        let naive_p50 = naive.map(|n| summarise(n).0);
        kinds.push(KindReport {
            kind: kind.to_owned(),
            runs: rounds,
            p50_ms: p50,
            p95_ms: p95,
            max_ms: max,
            naive_p50_ms: naive_p50,
            naive_ratio: naive_p50.map(|n| n / p50.max(1e-6)),
        });
    };

    // Searches and card lookups, each with its naive twin.
    let naive = NaiveScan::new(api);
    let term = |terms: &[&'static str], round: usize| terms[round % terms.len()];
    let samples = time_read_rounds(rounds, |r| {
        list(&format!("Search={}&$take=50", term(SELECTIVE_TERMS, r))).map(drop)
    })?;
    let naive_samples = time_rounds(rounds.min(10), |r| naive.search(term(SELECTIVE_TERMS, r)))?;
    push("search selective (surname)", samples, Some(naive_samples));
    let samples = time_read_rounds(rounds, |r| {
        list(&format!("Search={}&$take=50", term(BROAD_TERMS, r))).map(drop)
    })?;
    let naive_samples = time_rounds(rounds.min(10), |r| naive.search(term(BROAD_TERMS, r)))?;
    push("search broad (3 letters)", samples, Some(naive_samples));
    let serials: Vec<String> = (0..rounds)
        .map(|_| format!("29{:011}", rng.random_range(0..total.max(1)) * 4))
        .collect();
    let samples = time_read_rounds(rounds, |r| {
        list(&format!("CardSerialNumber={}", serials[r])).map(drop)
    })?;
    let naive_samples = time_rounds(rounds.min(10), |r| naive.card(&serials[r]))?;
    push("card lookup by serial", samples, Some(naive_samples));

    let param = |name: &str, value: &str| {
        ListParams::new()
            .with(name, value)
            .with("$take", "50")
            .to_query_string()
    };
    // Phone numbers and e-mails as a cashier types a part of them, from customers picked at
    // random: six digits from the middle of the number, with a space as they are written,
    // and ten characters of the address from its third on.
    let picked: Vec<_> = naive
        .sample_ids(rounds, &mut rng)?
        .iter()
        .map(|id| api.get(&actor, id))
        .collect::<Result<_, _>>()?;
    let phone_parts: Vec<String> = picked
        .iter()
        .map(|c| {
            let digits: String = crate::text::phone_key(c.phone.as_deref().unwrap_or("905111222"));
            let middle: Vec<char> = digits.chars().skip(3).take(6).collect();
            let (left, right) = middle.split_at(middle.len().min(3));
            format!("{} {}", String::from_iter(left), String::from_iter(right))
        })
        .collect();
    let samples = time_read_rounds(rounds, |r| {
        list(&format!(
            "Phone=like:{}&$take=50",
            phone_parts[r].replace(' ', "%20")
        ))
        .map(drop)
    })?;
    let naive_samples = time_rounds(rounds.min(10), |r| {
        naive.phone(&phone_parts[r].replace(' ', ""))
    })?;
    push("phone part (6 digits)", samples, Some(naive_samples));
    let email_parts: Vec<String> = picked
        .iter()
        .map(|c| {
            let email = c.email.as_deref().unwrap_or("jana.novakova@example.sk");
            email.chars().skip(2).take(10).collect()
        })
        .collect();
    let samples = time_read_rounds(rounds, |r| {
        list(&param("Email", &format!("like:{}", email_parts[r]))).map(drop)
    })?;
    let naive_samples = time_rounds(rounds.min(10), |r| naive.email(&email_parts[r]))?;
    push("email part (10 characters)", samples, Some(naive_samples));
    let surnames: Vec<String> = SELECTIVE_TERMS
        .iter()
        .map(|t| crate::text::fold(t).into_owned())
        .collect();
    let samples = time_read_rounds(rounds, |r| {
        list(&format!(
            "Email=like:{}&$take=50",
            surnames[r % surnames.len()]
        ))
        .map(drop)
    })?;
    let naive_samples = time_rounds(rounds.min(10), |r| {
        naive.email(&surnames[r % surnames.len()])
    })?;
    push(
        "email surname (with totalCount)",
        samples,
        Some(naive_samples),
    );

    // Each filter member with each kind of operator, a page of 50 with its total count.
    for (kind, query) in super::bench_mix::filter_kinds(total) {
        let queries: Vec<String> = (0..rounds)
            .map(|_| super::bench_mix::for_round(&query, total, &mut rng))
            .collect();
        let samples = time_read_rounds(rounds, |r| list(&queries[r]).map(drop))?;
        push(&kind, samples, None);
    }

    // Sorted pages near the start and deep in the set.
    let deep = total / 2;
    for (kind, query) in [
        (
            "page sorted by lastName, start",
            "$sort=lastName&$take=50".to_owned(),
        ),
        (
            "page sorted by -fullName, start",
            "$sort=-fullName&$take=50".to_owned(),
        ),
        (
            "page sorted by lastName, deep",
            format!("$sort=lastName&$skip={deep}&$take=50"),
        ),
        (
            "page sorted by credit.amount desc, deep",
            format!("$sort=credit.amount:desc&$skip={deep}&$take=50"),
        ),
    ] {
        let samples = time_read_rounds(rounds, |_| list(&query).map(drop))?;
        push(kind, samples, None);
    }
    for (kind, field) in super::bench_mix::page_kinds() {
        let queries: Vec<String> = (0..rounds)
            .map(|r| super::bench_mix::page_query(field, r, total, &mut rng))
            .collect();
        let samples = time_read_rounds(rounds, |r| list(&queries[r]).map(drop))?;
        push(&kind, samples, None);
    }

    // Get, update and create.
    let ids = naive.sample_ids(rounds, &mut rng)?;
    let samples = time_read_rounds(rounds, |r| {
        api.get(&actor, &ids[r]).map(drop).map_err(Into::into)
    })?;
    push("get by id", samples, None);
    // An edit reads the customer first; only the write is timed. Writes are warmed up on
    // other customers than the timed ones ([`WARM_UP_ROUNDS`] of them, unmeasured), as reads
    // are: the first writes after opening read the upper pages of every index from the disk.
    let warm_up = rounds.min(WARM_UP_ROUNDS);
    let edited = naive.sample_ids(warm_up + rounds, &mut rng)?;
    let mut update_samples = Vec::with_capacity(rounds);
    for (r, id) in edited.iter().enumerate() {
        let mut body = serde_json::to_value(api.get(&actor, id)?)?;
        body["note"] = json!(format!("bench update {r}"));
        let started = Instant::now();
        api.upsert(&actor, id, &body)?;
        if r >= warm_up {
            update_samples.push(started.elapsed());
        }
    }
    push("update (PUT with _v)", update_samples, None);
    let now = api.clock().now();
    let mut create_samples = Vec::with_capacity(rounds);
    for r in 0..warm_up + rounds {
        let mut customer = crate::demo::generate(BENCH_SEED ^ 0xC0FFEE, total + r as u64, now);
        customer.id.clear();
        customer.external_id = None;
        customer.cards.clear();
        let body = serde_json::to_value(&customer)?;
        let started = Instant::now();
        api.create(&actor, &body)?;
        if r >= warm_up {
            create_samples.push(started.elapsed());
        }
    }
    push("create (POST)", create_samples, None);

    let db_bytes = file_size(&path);
    Ok(BenchReport {
        customers: total,
        db_path: path.display().to_string(),
        demo_load_per_second,
        demo_loaded,
        db_bytes,
        bytes_per_customer: db_bytes as f64 / total.max(1) as f64,
        kinds,
        http: None,
        sync: None,
        grown,
    })
}

fn print_sync(sync: &super::bench_sync::SyncBenchReport) {
    println!("\nsync through serve on loopback:");
    println!(
        "  feed page of 1,000 changes: p50 {:.1} ms, p95 {:.1} ms",
        sync.feed_page_p50_ms, sync.feed_page_p95_ms
    );
    println!(
        "  first sync of every customer: {:.1} s ({:.0} per second), desk peak memory {:.0} MB",
        sync.initial_sync_secs, sync.initial_sync_per_second, sync.initial_sync_peak_rss_mb
    );
    println!(
        "  push of {} offline edits: {:.0} per second",
        sync.push_edits, sync.push_per_second
    );
    println!(
        "  an edit at the server seen by a watching desk: p50 {:.0} ms, max {:.0} ms",
        sync.edit_visible_p50_ms, sync.edit_visible_max_ms
    );
    println!(
        "  the server's change log: {:.0} bytes an entry",
        sync.change_log_bytes_per_entry
    );
}

fn print_table(report: &BenchReport) {
    println!(
        "Customer Desk bench: {} customers in {}",
        report.customers, report.db_path
    );
    match report.demo_load_per_second {
        Some(rate) => println!(
            "demo load: {} customers at {rate:.0} per second",
            report.demo_loaded
        ),
        None => println!("demo load: store reused (run on a new --db to measure loading)"),
    }
    if let Some(g) = &report.grown {
        println!(
            "grown through the API in {:.0} s: {} creates (p50 / p95 / p99 {:.2} / {:.2} / {:.2} ms) \
             and {} updates ({:.2} / {:.2} / {:.2} ms)",
            g.seconds,
            g.creates,
            g.create_ms[0],
            g.create_ms[1],
            g.create_ms[2],
            g.updates,
            g.update_ms[0],
            g.update_ms[1],
            g.update_ms[2]
        );
    }
    println!(
        "database: {:.1} MB, {:.0} bytes per customer\n",
        report.db_bytes as f64 / 1e6,
        report.bytes_per_customer
    );
    println!(
        "{:<42} {:>5} {:>9} {:>9} {:>9} {:>11} {:>8}",
        "kind", "runs", "p50 ms", "p95 ms", "max ms", "naive p50", "ratio"
    );
    for k in &report.kinds {
        let naive = k.naive_p50_ms.map_or(String::new(), |n| format!("{n:.2}"));
        let ratio = k.naive_ratio.map_or(String::new(), |r| format!("{r:.0}x"));
        println!(
            "{:<42} {:>5} {:>9.3} {:>9.3} {:>9.3} {:>11} {:>8}",
            k.kind, k.runs, k.p50_ms, k.p95_ms, k.max_ms, naive, ratio
        );
    }
    if let Some(http) = &report.http {
        super::bench_http::print_table(http);
    }
    if let Some(sync) = &report.sync {
        print_sync(sync);
    }
}

/// The same questions answered the naive way: a plain `LIKE` over the raw columns and the
/// JSON documents, no FTS index, no card table.
struct NaiveScan<'a> {
    api: &'a LocalApi,
}

impl<'a> NaiveScan<'a> {
    fn new(api: &'a LocalApi) -> Self {
        Self { api }
    }

    fn search(&self, term: &str) -> anyhow::Result<()> {
        Ok(self.api.store().read(|s| naive::search(s, term))?)
    }

    fn card(&self, serial: &str) -> anyhow::Result<()> {
        Ok(self.api.store().read(|s| naive::card(s, serial))?)
    }

    fn phone(&self, digits: &str) -> anyhow::Result<()> {
        Ok(self.api.store().read(|s| naive::phone(s, digits))?)
    }

    fn email(&self, part: &str) -> anyhow::Result<()> {
        Ok(self.api.store().read(|s| naive::email(s, part))?)
    }

    fn sample_ids(&self, n: usize, rng: &mut StdRng) -> anyhow::Result<Vec<String>> {
        Ok(self.api.store().read(|s| naive::sample_ids(s, n, rng))?)
    }
}
