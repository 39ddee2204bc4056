//! `customer-desk bench --http`: the bench's query mix sent through the HTTP server on
//! loopback, to see what the server adds to each call and how many searches it sustains
//! when the desks of a shop all search at once.
//!
//! The server runs in this process on its own tokio runtime (as `customer-desk serve` would)
//! over the bench store, and the clients are [`RemoteClient`]s signed in as a user made for
//! the run and removed after it. Client and server share the machine's cores, as they would
//! on a shop's till that also serves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::json;
use tokio::task::JoinSet;

use super::bench::{
    BROAD_TERMS, BenchArgs, KindReport, SELECTIVE_TERMS, WARM_UP_ROUNDS, summarise,
};
use crate::api::{ApiError, Auth, AuthPolicy, CustomersApi, LocalApi};
use crate::model::Rights;
use crate::ndata::ListParams;
use crate::remote::RemoteClient;
use crate::server::{self, AppState};

/// The user the bench signs its clients in as; removed again when the run ends.
const BENCH_USER: &str = "bench-http";

/// The seed of the customers the bench creates over HTTP.
const CREATE_SEED: u64 = 0x4854_5450;

/// The names of the server's threads (workers and blocking pool) and of the clients'.
const SERVER_THREADS: &str = "bench-server";
const CLIENT_THREADS: &str = "bench-client";

/// One kind of call: its timings with one client alone and with every client at once.
#[derive(Debug, Clone, Serialize)]
pub struct HttpKindReport {
    pub kind: String,
    /// The in-process median of the same kind, for comparison.
    pub in_process_p50_ms: Option<f64>,
    /// One client, one call at a time: what HTTP adds to a call.
    pub one_client: Timings,
    /// Every client calling at once: what a desk sees when the whole shop is busy.
    pub all_clients: Timings,
}

/// Median, 95th percentile and maximum of a set of calls, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Timings {
    pub runs: usize,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub max_ms: f64,
}

impl Timings {
    fn of(samples: Vec<Duration>) -> Self {
        let runs = samples.len();
        let (p50_ms, p95_ms, max_ms) = summarise(samples);
        Self {
            runs,
            p50_ms,
            p95_ms,
            max_ms,
        }
    }
}

/// Selective searches sent by every client without pause for a fixed time.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub clients: usize,
    pub seconds: f64,
    pub searches: usize,
    pub searches_per_second: f64,
    pub latency: Timings,
    /// CPU time the server's threads spent per search (Linux only). On a machine shared with
    /// other work this, not the wall clock, says what the server itself can sustain.
    pub server_cpu_ms_per_search: Option<f64>,
    /// The same for the bench's clients, which share the machine with the server here.
    pub client_cpu_ms_per_search: Option<f64>,
    /// Searches per second the server could answer with all of this machine's cores to itself:
    /// cores / server CPU per search.
    pub server_capacity_per_second: Option<f64>,
}

/// Everything `bench --http` measured.
#[derive(Debug, Clone, Serialize)]
pub struct HttpReport {
    pub clients: usize,
    pub kinds: Vec<HttpKindReport>,
    pub selective_search_throughput: Throughput,
}

/// One kind of call of the mix; the round number picks its term, card or customer.
#[derive(Debug, Clone)]
enum Call {
    Search(&'static [&'static str]),
    Card,
    List(String),
    Get,
    Update,
    Create,
}

/// What the calls draw on: card serials and customer ids, one per (client, round).
struct Inputs {
    serials: Vec<String>,
    ids: Vec<String>,
    /// How many customers the store had when the run began.
    customers: u64,
    /// Where created customers' generator indexes start.
    create_base: u64,
}

/// Starts a server on loopback over the store of `api`, runs the mix through it and stops it.
/// `in_process` are the in-process timings the table puts next to the HTTP ones.
pub fn measure(
    api: Arc<LocalApi>,
    args: &BenchArgs,
    in_process: &[KindReport],
) -> anyhow::Result<HttpReport> {
    let auth = Arc::new(Auth::new(api.clone(), AuthPolicy::default()));
    let password = format!("{:032x}", rand::random::<u128>());
    // A run that was killed leaves its user behind; start from a fresh one.
    match auth.remove_user(BENCH_USER) {
        Ok(()) | Err(ApiError::NoSuchUser(_)) => {}
        Err(e) => return Err(e.into()),
    }
    auth.add_user(BENCH_USER, &password, Rights::admin())?;
    let auth_for_cleanup = auth.clone();
    let result = run_against_server(&api, auth, &password, args, in_process);
    let report = result;
    let removed = auth_for_cleanup.remove_user(BENCH_USER);
    let report = report?;
    removed.context("cannot remove the bench user")?;
    Ok(report)
}

fn run_against_server(
    api: &LocalApi,
    auth: Arc<Auth>,
    password: &str,
    args: &BenchArgs,
    in_process: &[KindReport],
) -> anyhow::Result<HttpReport> {
    let server = LoopbackServer::start(auth, SERVER_THREADS)?;
    let base_url = server.base_url.clone();
    let client_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(CLIENT_THREADS)
        .build()?;
    let inputs = Arc::new(inputs(api, args)?);
    let report = client_runtime.block_on(run_mix(&base_url, password, args, in_process, inputs));
    server.stop()?;
    report
}

/// `serve` on loopback, on a runtime of its own, for the benches.
pub(super) struct LoopbackServer {
    pub base_url: String,
    runtime: tokio::runtime::Runtime,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl LoopbackServer {
    /// Starts serving the store of `auth` on 127.0.0.1, on threads named `threads`.
    pub fn start(auth: Arc<Auth>, threads: &str) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name(threads)
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = runtime.spawn(server::serve(listener, AppState::new(auth), async {
            let _ = stopped.await;
        }));
        Ok(Self {
            base_url,
            runtime,
            stop,
            served,
        })
    }

    /// Stops the server after the requests in flight.
    pub fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.runtime
            .block_on(self.served)
            .context("the bench server failed")?
            .context("the bench server failed")
    }
}

/// Card serials and customer ids picked at random, enough for every client's rounds.
fn inputs(api: &LocalApi, args: &BenchArgs) -> anyhow::Result<Inputs> {
    let needed = args.rounds.max(1) * args.clients.max(1);
    let mut rng = StdRng::seed_from_u64(4242);
    let total = api.store().read(crate::store::customers::total_count)?;
    let serials = (0..needed)
        .map(|_| format!("29{:011}", rng.random_range(0..total.max(1)) * 4))
        .collect();
    let ids = api
        .store()
        .read(|s| crate::store::naive::sample_ids(s, needed, &mut rng))?;
    Ok(Inputs {
        serials,
        ids,
        customers: total,
        create_base: total + 10_000_000,
    })
}

/// The kinds of the mix, named as the in-process bench names them.
fn mix(total: u64) -> Vec<(&'static str, Call)> {
    let deep = total / 2;
    vec![
        ("search selective (surname)", Call::Search(SELECTIVE_TERMS)),
        ("search broad (3 letters)", Call::Search(BROAD_TERMS)),
        ("card lookup by serial", Call::Card),
        (
            "filter ExternalId eq",
            Call::List(format!("ExternalId=C{:08}&$take=50", total / 3)),
        ),
        (
            "filter DiscountRate between",
            Call::List("DiscountRate=between:5:10&$take=50".to_owned()),
        ),
        (
            "filter DiscountRate between 10-20",
            Call::List("DiscountRate=between:10:20&$take=50".to_owned()),
        ),
        (
            "filter ExpirationTime null",
            Call::List("ExpirationTime=null&$take=50".to_owned()),
        ),
        (
            "filter IsExpired true",
            Call::List("IsExpired=true&$take=50".to_owned()),
        ),
        (
            "page sorted by lastName, start",
            Call::List("$sort=lastName&$take=50".to_owned()),
        ),
        (
            "page sorted by lastName, deep",
            Call::List(format!("$sort=lastName&$skip={deep}&$take=50")),
        ),
        (
            "page at any $skip by lastName",
            Call::List(format!("$sort=-lastName&$skip={}&$take=50", total / 5)),
        ),
        ("get by id", Call::Get),
        ("update (PUT with _v)", Call::Update),
        ("create (POST)", Call::Create),
    ]
}

async fn run_mix(
    base_url: &str,
    password: &str,
    args: &BenchArgs,
    in_process: &[KindReport],
    inputs: Arc<Inputs>,
) -> anyhow::Result<HttpReport> {
    let client_count = args.clients.max(1);
    let rounds = args.rounds.max(1);
    let mut clients = Vec::with_capacity(client_count);
    for n in 0..client_count {
        let client = RemoteClient::login(base_url, BENCH_USER, password, &format!("bench {n}"))
            .await
            .context("the bench client cannot sign in")?;
        clients.push(Arc::new(client));
    }
    let mut kinds = Vec::new();
    for (kind, call) in mix(inputs.customers) {
        if !matches!(call, Call::Update | Call::Create) {
            // Warmed up as the in-process figures are (`bench::WARM_UP_ROUNDS`).
            time_clients(&clients[..1], &call, rounds.min(WARM_UP_ROUNDS), &inputs).await?;
        }
        let one = time_clients(&clients[..1], &call, rounds, &inputs).await?;
        let all = time_clients(&clients, &call, rounds, &inputs).await?;
        kinds.push(HttpKindReport {
            kind: kind.to_owned(),
            in_process_p50_ms: in_process.iter().find(|k| k.kind == kind).map(|k| k.p50_ms),
            one_client: Timings::of(one),
            all_clients: Timings::of(all),
        });
    }
    let throughput =
        search_throughput(&clients, Duration::from_secs(args.http_secs.max(1))).await?;
    Ok(HttpReport {
        clients: client_count,
        kinds,
        selective_search_throughput: throughput,
    })
}

/// Every client in `clients` makes `rounds` calls of `call` one after another, all clients at
/// once; the times of all the calls.
async fn time_clients(
    clients: &[Arc<RemoteClient>],
    call: &Call,
    rounds: usize,
    inputs: &Arc<Inputs>,
) -> anyhow::Result<Vec<Duration>> {
    let mut tasks = JoinSet::new();
    for (n, client) in clients.iter().enumerate() {
        let (client, call, inputs) = (client.clone(), call.clone(), inputs.clone());
        tasks.spawn(async move {
            let mut samples = Vec::with_capacity(rounds);
            for round in 0..rounds {
                samples.push(timed_call(&client, &call, n * rounds + round, &inputs).await?);
            }
            anyhow::Ok(samples)
        });
    }
    let mut samples = Vec::with_capacity(clients.len() * rounds);
    while let Some(done) = tasks.join_next().await {
        samples.extend(done.context("a bench client failed")??);
    }
    Ok(samples)
}

/// Makes call number `index` of its kind and returns how long it took; an update reads the
/// customer first and times only the write, as the in-process bench does.
async fn timed_call(
    client: &RemoteClient,
    call: &Call,
    index: usize,
    inputs: &Inputs,
) -> anyhow::Result<Duration> {
    let pick = |items: &[String]| items[index % items.len()].clone();
    let started = Instant::now();
    match call {
        Call::Search(terms) => {
            let query = format!("Search={}&$take=50", terms[index % terms.len()]);
            client.list(&ListParams::from_query_string(&query)).await?;
        }
        Call::Card => {
            let query = format!("CardSerialNumber={}", pick(&inputs.serials));
            client.list(&ListParams::from_query_string(&query)).await?;
        }
        Call::List(query) => {
            client.list(&ListParams::from_query_string(query)).await?;
        }
        Call::Get => {
            client.get(&pick(&inputs.ids)).await?;
        }
        Call::Update => {
            let id = pick(&inputs.ids);
            let mut body = serde_json::to_value(client.get(&id).await?)?;
            body["note"] = json!(format!("bench http update {index}"));
            let started = Instant::now();
            client.upsert(&id, &body).await?;
            return Ok(started.elapsed());
        }
        Call::Create => {
            let mut customer = crate::demo::generate(
                CREATE_SEED,
                inputs.create_base + index as u64,
                chrono::Utc::now(),
            );
            customer.id.clear();
            customer.external_id = None;
            customer.cards.clear();
            let body = serde_json::to_value(&customer)?;
            let started = Instant::now();
            client.create(&body).await?;
            return Ok(started.elapsed());
        }
    }
    Ok(started.elapsed())
}

/// Every client searches (selective terms, a page of 50) without pause for `duration`.
///
/// These load clients send the same request `RemoteClient::list` sends with the client's
/// token, check the status and read each answer whole, but do not parse it: they stand in for
/// desks on other machines, so parsing on this machine's two cores would only take CPU from
/// the server being measured. Parsing is measured where it matters, in the desk's own figures.
async fn search_throughput(
    clients: &[Arc<RemoteClient>],
    duration: Duration,
) -> anyhow::Result<Throughput> {
    let mut load = Vec::with_capacity(clients.len());
    for client in clients {
        let http = reqwest::Client::builder().build()?;
        let token = client.tokens().await.token_id;
        let mut url = client.base_url().clone();
        url.path_segments_mut()
            .map_err(|()| anyhow::anyhow!("the server address cannot take a path"))?
            .pop_if_empty()
            .push("customers");
        load.push((http, token, url));
    }
    let server_cpu_before = threads_cpu(SERVER_THREADS);
    let client_cpu_before = threads_cpu(CLIENT_THREADS);
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = JoinSet::new();
    for (n, (http, token, url)) in load.into_iter().enumerate() {
        tasks.spawn(async move {
            let mut samples = Vec::new();
            // Clients start on different terms, so they do not all ask the same question.
            let mut index = n;
            while Instant::now() < deadline {
                let mut url = url.clone();
                let query = ListParams::from_query_string(&format!(
                    "Search={}&$take=50",
                    SELECTIVE_TERMS[index % SELECTIVE_TERMS.len()]
                ))
                .to_query_string();
                url.set_query(Some(&query));
                let asked = Instant::now();
                let answer = http.get(url).bearer_auth(&token).send().await?;
                let status = answer.status();
                let body = answer.bytes().await?;
                anyhow::ensure!(
                    status.is_success() && body.starts_with(b"{\"items\":["),
                    "a search answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
                samples.push(asked.elapsed());
                index += 1;
            }
            anyhow::Ok(samples)
        });
    }
    let mut samples = Vec::new();
    while let Some(done) = tasks.join_next().await {
        samples.extend(done.context("a bench client failed")??);
    }
    let seconds = started.elapsed().as_secs_f64();
    let searches = samples.len();
    let per_search = |before: Option<Duration>, prefix: &str| {
        let used = threads_cpu(prefix)?.checked_sub(before?)?;
        Some(used.as_secs_f64() * 1000.0 / searches.max(1) as f64)
    };
    let server_cpu_ms_per_search = per_search(server_cpu_before, SERVER_THREADS);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(Throughput {
        server_cpu_ms_per_search,
        client_cpu_ms_per_search: per_search(client_cpu_before, CLIENT_THREADS),
        server_capacity_per_second: server_cpu_ms_per_search
            .filter(|ms| *ms > 0.0)
            .map(|ms| cores as f64 * 1000.0 / ms),
        clients: clients.len(),
        seconds,
        searches,
        searches_per_second: searches as f64 / seconds.max(1e-9),
        latency: Timings::of(samples),
    })
}

/// CPU time (user and system) used so far by this process's live threads named `name`; `None`
/// where `/proc` cannot tell.
fn threads_cpu(name: &str) -> Option<Duration> {
    // /proc counts in USER_HZ ticks, which Linux fixes at 100 per second for user space.
    const TICKS_PER_SECOND: u64 = 100;
    let mut ticks = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue; // the thread ended meanwhile
        };
        // The fields after the name (which may hold spaces) in parentheses; utime and stime
        // are the 14th and 15th fields of the line, the 12th and 13th after the name.
        let after_name = stat.rsplit_once(')')?.1;
        let mut fields = after_name.split_whitespace().skip(11);
        let utime: u64 = fields.next()?.parse().ok()?;
        let stime: u64 = fields.next()?.parse().ok()?;
        ticks += utime + stime;
    }
    Some(Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// Prints the HTTP section of the bench table.
pub fn print_table(report: &HttpReport) {
    let n = report.clients;
    println!("\nover HTTP: `serve` on loopback, {n} signed-in clients");
    println!(
        "{:<34} {:>8} | {:>30} | {:>26}",
        "",
        "in-proc",
        "1 client over HTTP",
        format!("{n} clients at once")
    );
    println!(
        "{:<34} {:>8} | {:>6} {:>7} {:>7} {:>7} | {:>5} {:>6} {:>6} {:>6}",
        "kind", "p50 ms", "p50", "+ms", "p95", "max", "runs", "p50", "p95", "max"
    );
    for k in &report.kinds {
        let in_process = k
            .in_process_p50_ms
            .map_or(String::new(), |p| format!("{p:.2}"));
        let added = k.in_process_p50_ms.map_or(String::new(), |p| {
            format!("{:+.2}", k.one_client.p50_ms - p)
        });
        let (one, all) = (&k.one_client, &k.all_clients);
        println!(
            "{:<34} {:>8} | {:>6.2} {:>7} {:>7.2} {:>7.2} | {:>5} {:>6.2} {:>6.2} {:>6.2}",
            k.kind,
            in_process,
            one.p50_ms,
            added,
            one.p95_ms,
            one.max_ms,
            all.runs,
            all.p50_ms,
            all.p95_ms,
            all.max_ms
        );
    }
    let t = &report.selective_search_throughput;
    println!(
        "\nsustained selective search: {} clients for {:.1} s: {} searches, {:.0} per second (p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms)",
        t.clients,
        t.seconds,
        t.searches,
        t.searches_per_second,
        t.latency.p50_ms,
        t.latency.p95_ms,
        t.latency.max_ms
    );
    if let (Some(server), Some(client), Some(capacity)) = (
        t.server_cpu_ms_per_search,
        t.client_cpu_ms_per_search,
        t.server_capacity_per_second,
    ) {
        println!(
            "CPU per search: server {server:.2} ms, clients {client:.2} ms; with this machine's cores to itself the server would answer about {capacity:.0} per second"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn the_http_bench_reports_every_kind_beside_its_in_process_figure_and_leaves_no_user_behind() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bench.db");
        let args = BenchArgs {
            count: 300,
            rounds: 2,
            json: true,
            http: true,
            clients: 3,
            http_secs: 1,
            sync: false,
            grow: 0,
        };
        let api = Arc::new(super::super::bench::open_bench_store(Some(&db), &args).unwrap());
        let in_process = super::super::bench::measure_on(&api, &args).unwrap();
        let report = measure(api, &args, &in_process.kinds).unwrap();

        assert_eq!(report.kinds.len(), mix(300).len());
        for kind in &report.kinds {
            assert!(
                kind.in_process_p50_ms.is_some(),
                "{} has no in-process twin",
                kind.kind
            );
            assert_eq!(kind.one_client.runs, 2, "{}", kind.kind);
            assert_eq!(kind.all_clients.runs, 6, "{}", kind.kind);
        }
        let throughput = &report.selective_search_throughput;
        assert_eq!(throughput.clients, 3);
        assert!(throughput.searches > 0);
        // Every update and create went through: the store grew by the creates.
        let store = Store::open(&db).unwrap();
        let customers = store.read(crate::store::customers::total_count).unwrap();
        // In process: 2 warm-up creates and 2 timed; over HTTP: 2 from one client, 6 from three.
        assert_eq!(customers, 300 + 2 + 2 + 2 + 6);
        assert_eq!(
            Auth::new(
                Arc::new(LocalApi::with_system_clock(store)),
                AuthPolicy::default()
            )
            .find_user(BENCH_USER)
            .unwrap(),
            None
        );
    }
}
