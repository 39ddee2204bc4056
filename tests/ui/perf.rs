//! Frame times of the window on a large store: a measurement, not a pass/fail test, so it
//! is ignored by default. Make a store and run it in release:
//!
//! ```sh
//! cargo run --release -- --db /tmp/big.db demo --count 1000000
//! CUSTOMER_DESK_PERF_DB=/tmp/big.db cargo test --release --test ui -- --ignored --nocapture perf
//! ```
//!
//! It prints the median and 95th percentile of the UI thread's time per frame while
//! scrolling the grid and while typing a search, the time from the last keystroke to the
//! results (the search debounce counts in egui's clock, so it is added separately), and the
//! resident memory of the process at the end.

use std::time::{Duration, Instant};

use crate::support::*;
use customer_desk::api::{Auth, AuthPolicy, LocalApi};
use customer_desk::model::Rights;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn report(what: &str, samples: &mut [f64]) {
    let (median, p95, p999, max) = (
        percentile(samples, 0.5),
        percentile(samples, 0.95),
        percentile(samples, 0.999),
        percentile(samples, 1.0),
    );
    println!(
        "{what}: {} samples, median {median:.2} ms, p95 {p95:.2} ms, p99.9 {p999:.2} ms, \
         max {max:.2} ms",
        samples.len()
    );
}

/// A field of `/proc/self/status` given in kB (`VmRSS:`), in MiB.
fn status_mib(name: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resident memory in MiB: all of it, the process's own (heap), and mapped files (SQLite
/// maps the database file; those pages are page cache, shared and reclaimable).
fn rss_mib() -> String {
    format!(
        "RSS {:.0} MiB (anonymous {:.0} MiB, mapped files {:.0} MiB)",
        status_mib("VmRSS:"),
        status_mib("RssAnon:"),
        status_mib("RssFile:")
    )
}

#[test]
#[ignore = "a measurement on a large store; see the module doc"]
fn frame_times_on_a_large_store() {
    let Ok(db) = std::env::var("CUSTOMER_DESK_PERF_DB") else {
        println!("set CUSTOMER_DESK_PERF_DB to a demo store");
        return;
    };
    let db = std::path::PathBuf::from(db);
    {
        let api = std::sync::Arc::new(LocalApi::open(&db).unwrap());
        let auth = Auth::new(api, AuthPolicy::default());
        if auth.find_user("perf").unwrap().is_none() {
            auth.add_user("perf", PASSWORD, Rights::admin()).unwrap();
        }
    }
    // 60 frames a second, as on screen (kittest's default step is a quarter second).
    let mut harness = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(600)
        .build_eframe(move |cc| customer_desk::ui::App::new(cc, db));
    sign_in(&mut harness, "perf");
    println!("signed in; {}", rss_mib());

    // Scrolling: mouse wheel over the grid, one notch per frame.
    harness.hover_at(egui::pos2(400.0, 300.0));
    let mut scroll = Vec::new();
    for i in 0..400 {
        let delta = if (i / 100) % 2 == 0 { -40.0 } else { 40.0 };
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, delta),
            phase: egui::TouchPhase::Move,
            modifiers: egui::Modifiers::NONE,
            source: egui::MouseWheelSource::Wheel,
        });
        let started = Instant::now();
        harness.step();
        scroll.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    report("scrolling the grid", &mut scroll);

    // Typing a selective search, a key per frame, then waiting for the answer.
    let mut typing = Vec::new();
    let mut latencies = Vec::new();
    for term in ["novakova", "horvath", "kovacs", "cierny"] {
        harness.get_by_label("Search").click();
        harness.run();
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        harness.key_press(egui::Key::Backspace);
        settle(&mut harness);
        // A brisk typist: a key every 8 frames (133 ms), shorter than the debounce.
        for ch in term.chars() {
            harness.get_by_label("Search").type_text(&ch.to_string());
            for _ in 0..8 {
                let started = Instant::now();
                harness.step();
                typing.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        // The debounce runs on egui's clock, which the loop advances by 1/60 s a frame, so
        // this wall time is the store's answer plus the frames drawn meanwhile; on screen
        // the debounce comes on top.
        let last_key = Instant::now();
        let deadline = last_key + Duration::from_secs(60);
        while harness.state().is_busy() && Instant::now() < deadline {
            let started = Instant::now();
            harness.step();
            typing.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let latency = last_key.elapsed().as_secs_f64() * 1000.0;
        latencies.push(latency);
        println!(
            "search {term:?}: results {latency:.1} ms after the last key (+{:.0} ms debounce on screen)",
            customer_desk::ui::SEARCH_DEBOUNCE_SECS * 1000.0
        );
    }
    report("typing in the search", &mut typing);
    report("last key to results (ms)", &mut latencies);
    println!("at the end: {}", rss_mib());
}

/// The CPU time this thread has run, in ms: a frame's own cost, not the time the other
/// threads (the sync, the server) took the core meanwhile.
fn thread_cpu_ms() -> f64 {
    clock_s(rustix::time::ClockId::ThreadCPUTime) * 1e3
}

/// A clock's reading, in seconds.
fn clock_s(clock: rustix::time::ClockId) -> f64 {
    let t = rustix::time::clock_gettime(clock);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// This thread's minor page faults so far (`/proc/thread-self/stat`, field 10).
fn thread_minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // The command name, in parentheses, may hold spaces: count from after it.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7)?.parse().ok())
        .unwrap_or(0)
}

/// Steps one frame at 60 a second, keeping its CPU time in `frames`. A frame over 8 ms
/// is printed with what it did (the textures it changed: egui's font atlas grows when new
/// glyphs are drawn; its shapes; this thread's page faults) and when, on the clock that
/// `perf record -k CLOCK_MONOTONIC` stamps its samples with, and this thread's id, so that
/// a profile of the run shows what the thread ran in that frame.
fn timed_step(harness: &mut Harness<'_, customer_desk::ui::App>, frames: &mut Vec<f64>) {
    let faults = thread_minor_faults();
    let started = clock_s(rustix::time::ClockId::Monotonic);
    let cpu = thread_cpu_ms();
    harness.step();
    let ms = thread_cpu_ms() - cpu;
    if ms > 8.0 {
        let output = harness.output();
        let textures: Vec<String> = output
            .textures_delta
            .set
            .values()
            .flat_map(|deltas| deltas.iter().map(|d| format!("{:?}", d.image.size())))
            .collect();
        println!(
            "frame #{} took {ms:.1} ms: textures set {textures:?}, {} shapes, {} page faults; \
             monotonic {started:.6}–{:.6} s, thread {}",
            frames.len(),
            output.shapes.len(),
            thread_minor_faults() - faults,
            clock_s(rustix::time::ClockId::Monotonic),
            std::fs::read_link("/proc/thread-self")
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    frames.push(ms);
    std::thread::sleep(Duration::from_millis(16));
}

/// Starts `customer-desk serve` over the store `db`, with a user `perf-sync`, on a free
/// port of loopback; returns the process and its address.
fn serve(db: &str) -> (std::process::Child, std::net::SocketAddr) {
    {
        let api = std::sync::Arc::new(LocalApi::open(std::path::Path::new(db)).unwrap());
        let auth = Auth::new(api, AuthPolicy::default());
        if auth.find_user("perf-sync").unwrap().is_none() {
            auth.add_user("perf-sync", PASSWORD, Rights::admin())
                .unwrap();
        }
    }
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let server = std::process::Command::new(env!("CARGO_BIN_EXE_customer-desk"))
        .args(["--db", db, "serve", "--bind", &address.to_string()])
        .env("CUSTOMER_DESK_ADMIN_PASSWORD", "perf-admin-password")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let up = Instant::now();
    while std::net::TcpStream::connect(address).is_err() {
        assert!(
            up.elapsed() < Duration::from_secs(120),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, address)
}

/// A shop server's store copied to a new desk in the window: the first sync's frames
/// (CPU time of the UI thread), searches typed while it runs (from the last key to the
/// answer on screen, with the service's own time for each page in the log), and the
/// process's memory. The server is `customer-desk serve` in a process of its own; the
/// desk is this test's process.
///
/// ```sh
/// CUSTOMER_DESK_PERF_SERVER_DB=/tmp/big.db cargo test --release --test ui -- --ignored --nocapture first_sync
/// ```
#[test]
#[ignore = "a measurement on a large store; see the module doc"]
fn a_first_sync_of_a_large_server() {
    let Ok(db) = std::env::var("CUSTOMER_DESK_PERF_SERVER_DB") else {
        println!("set CUSTOMER_DESK_PERF_SERVER_DB to a demo store");
        return;
    };
    // The service's time for each page, beside the window's.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("customer_desk::service::customers=debug")
        .try_init();
    let (mut server, address) = serve(&db);
    let dir = tempfile::tempdir().unwrap();
    let desk_db = dir.path().join("customers.db");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 800.0))
        .with_step_dt(1.0 / 60.0)
        .with_max_steps(600)
        .build_eframe(move |cc| customer_desk::ui::App::new(cc, desk_db));
    let started = Instant::now();
    sign_in_at_server(
        &mut harness,
        &format!("http://{address}"),
        "perf-sync",
        PASSWORD,
    );

    let (mut frames, mut latencies, mut peak) = (Vec::new(), Vec::new(), 0.0f64);
    let terms = [
        "novakova", "horvath", "kovacs", "cierny", "szabo", "kralova",
    ];
    let mut next_search = Instant::now() + Duration::from_secs(3);
    let deadline = Instant::now() + Duration::from_secs(1800);
    let mut searched = 0;
    while !shows(&harness, "Up to date") {
        assert!(
            Instant::now() < deadline,
            "the first sync took over 30 minutes"
        );
        timed_step(&mut harness, &mut frames);
        peak = peak.max(status_mib("VmRSS:"));
        if Instant::now() < next_search || !shows(&harness, " customers, ") {
            continue;
        }
        let progress = harness
            .query_all_by_label_contains(" customers, ")
            .filter_map(|n| n.accesskit_node().label())
            .collect::<String>();
        let term = terms[searched % terms.len()];
        searched += 1;
        harness.get_by_label("Search").click();
        harness.step();
        harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        // A brisk typist: a key every 8 frames (133 ms), longer than the debounce.
        let (head, last) = term.split_at(term.len() - 1);
        for ch in head.chars() {
            harness.get_by_label("Search").type_text(&ch.to_string());
            for _ in 0..8 {
                timed_step(&mut harness, &mut frames);
            }
        }
        // From the last key to the frame that took the answer: the service's answer, and a
        // pause if a query still ran at the key (egui's clock keeps pace with the wall's
        // here, a frame each 16 ms).
        harness.get_by_label("Search").type_text(last);
        let last_key = Instant::now();
        let mut asked = false;
        while (!asked || harness.state().is_busy()) && last_key.elapsed() < Duration::from_secs(5) {
            timed_step(&mut harness, &mut frames);
            asked |= harness.state().is_busy();
        }
        let latency = last_key.elapsed().as_secs_f64() * 1000.0;
        latencies.push(latency);
        println!(
            "search {term:?} at {progress:?}: {latency:.0} ms after the last key; RSS {:.0} MiB",
            status_mib("VmRSS:")
        );
        next_search = Instant::now() + Duration::from_secs(4);
    }
    println!(
        "first sync in the window: {:.0} s; {}",
        started.elapsed().as_secs_f64(),
        rss_mib()
    );
    let settled = Instant::now();
    while settled.elapsed() < Duration::from_secs(10) {
        timed_step(&mut harness, &mut Vec::new());
    }
    println!("10 s later: {}", rss_mib());
    report("a frame's CPU time while the sync runs (ms)", &mut frames);
    if !latencies.is_empty() {
        report(
            "last key to the answer while the sync runs (ms)",
            &mut latencies,
        );
    }
    println!("peak resident memory while syncing: {peak:.0} MiB");
    server.kill().unwrap();
    server.wait().unwrap();
}
