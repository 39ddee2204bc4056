//! A fault-injecting HTTP proxy between a desk and the server, seeded so a failing run can be
//! repeated. It reads one request per connection, and then (by chance, or all the time when
//! cut) drops the connection before forwarding, forwards and drops the answer (the server
//! acted, the desk never hears), delays, cuts the answer short, or answers 503/423/429 with
//! `Retry-After` itself.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy did to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    DropBefore,
    DropAnswer,
    Delay,
    Truncate,
    Busy503,
    Locked423,
    Slow429,
}

const FAULTS: [Fault; 7] = [
    Fault::DropBefore,
    Fault::DropAnswer,
    Fault::Delay,
    Fault::Truncate,
    Fault::Busy503,
    Fault::Locked423,
    Fault::Slow429,
];

struct State {
    upstream: String,
    rng: Mutex<StdRng>,
    /// Faults per thousand requests.
    rate: AtomicU32,
    cut: AtomicBool,
    /// Every request gets this fault, while set.
    forced: Mutex<Option<Fault>>,
    counts: Mutex<BTreeMap<Fault, u64>>,
}

/// A running proxy; dropping it stops accepting.
pub struct FaultProxy {
    pub url: String,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// A proxy on loopback in front of `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: &str, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(State {
            upstream: upstream.trim_start_matches("http://").to_owned(),
            rng: Mutex::new(StdRng::seed_from_u64(seed)),
            rate: AtomicU32::new(0),
            cut: AtomicBool::new(false),
            forced: Mutex::new(None),
            counts: Mutex::new(BTreeMap::new()),
        });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(client, &state).await;
                });
            }
        });
        FaultProxy { url, state, task }
    }

    /// Faults in `per_mille` of the requests from now on.
    pub fn set_fault_rate(&self, per_mille: u32) {
        self.state.rate.store(per_mille, Ordering::Relaxed);
    }

    /// Pulls the cable (`true`) or plugs it back.
    pub fn cut(&self, cut: bool) {
        self.state.cut.store(cut, Ordering::Relaxed);
    }

    /// Gives every request `fault` from now on (`None`: back to chance).
    pub fn force(&self, fault: Option<Fault>) {
        *self.state.forced.lock().expect("forced") = fault;
    }

    /// How many faults of each kind it made.
    pub fn faults(&self) -> BTreeMap<Fault, u64> {
        self.state.counts.lock().expect("counts").clone()
    }
}

/// Reads one HTTP/1 request (head and `Content-Length` body).
async fn read_request(client: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    // One request per connection: ask the server to close after answering.
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut rewritten: String = head
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:") && !l.is_empty())
        .map(|l| format!("{l}\r\n"))
        .collect();
    rewritten.push_str("Connection: close\r\n\r\n");
    let mut request = rewritten.into_bytes();
    request.extend_from_slice(&buf[head_end..]);
    Ok(Some(request))
}

fn pick(state: &State) -> Option<Fault> {
    if let Some(fault) = *state.forced.lock().expect("forced") {
        return Some(fault);
    }
    let mut rng = state.rng.lock().expect("rng");
    let rate = state.rate.load(Ordering::Relaxed);
    (rng.random_range(0..1000) < rate).then(|| FAULTS[rng.random_range(0..FAULTS.len())])
}

async fn serve(mut client: TcpStream, state: &State) -> std::io::Result<()> {
    if state.cut.load(Ordering::Relaxed) {
        return Ok(());
    }
    let Some(request) = read_request(&mut client).await? else {
        return Ok(());
    };
    let fault = pick(state);
    if let Some(fault) = fault {
        *state
            .counts
            .lock()
            .expect("counts")
            .entry(fault)
            .or_default() += 1;
    }
    let canned = |status: &str| {
        format!(
            "HTTP/1.1 {status}\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    };
    match fault {
        Some(Fault::DropBefore) => return Ok(()),
        Some(Fault::Busy503) => {
            return client
                .write_all(canned("503 Service Unavailable").as_bytes())
                .await;
        }
        Some(Fault::Locked423) => return client.write_all(canned("423 Locked").as_bytes()).await,
        Some(Fault::Slow429) => {
            return client
                .write_all(canned("429 Too Many Requests").as_bytes())
                .await;
        }
        Some(Fault::Delay) => {
            let ms = state.rng.lock().expect("rng").random_range(20..200);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        _ => {}
    }
    let mut upstream = TcpStream::connect(&state.upstream).await?;
    upstream.write_all(&request).await?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).await?;
    match fault {
        Some(Fault::DropAnswer) => Ok(()),
        Some(Fault::Truncate) => client.write_all(&answer[..answer.len() / 2]).await,
        _ => {
            if state.cut.load(Ordering::Relaxed) {
                return Ok(());
            }
            client.write_all(&answer).await
        }
    }
}
