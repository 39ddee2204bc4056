//! Connections: accepting them, capping how many are open, and closing the ones that hold a
//! socket without using it. axum's own `serve` waits for ever on an idle socket, a trickled
//! request head or a reader who stopped reading, so one client could take every descriptor.
//!
//! Each connection has a [`Slot`] that its requests and its socket keep up to date; a task
//! per connection checks the slot's clocks and drops the connection when one runs out. A new
//! connection over the cap closes the idle connection that matters least (never signed in,
//! then the longest idle), so a flood of sockets pushes out its own sockets, not the desks'.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

/// How long the server waits for a client, and how much of it one client may hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// Open connections at most; kept well below the usual 1,024 descriptors of a service.
    pub max_connections: usize,
    /// From the first byte of a request head to its end.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// From the request head to the end of its body.
    pub body_read_timeout: Duration,
    /// A response the client takes no bytes of for this long is given up, connection and all.
    pub write_timeout: Duration,
    /// Whole-list streams (`GET /customers` without `$take`) one user may have open at once.
    pub streams_per_user: usize,
    /// Whole-list streams open at once in all.
    pub streams_total: usize,
    /// Password checks (argon2, some 19 MiB each) that run at once.
    pub password_checks: usize,
    /// Sign-ins that may wait for a password check; past this they are refused with a 503.
    pub password_queue: usize,
    /// How long a refused sign-in waits before it is answered: a person mistyping does not
    /// notice it, and a client guessing (or flooding refused sign-ins, which cost the server
    /// no argon2 while a name or address cools down) is held to a few tries a second per
    /// connection instead of thousands.
    pub refused_sign_in_delay: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            body_read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            streams_per_user: 4,
            streams_total: 32,
            password_checks: 1,
            password_queue: 8,
            refused_sign_in_delay: Duration::from_millis(250),
        }
    }
}

/// Milliseconds since the server started: the clocks of a slot, kept in atomics.
#[derive(Debug, Clone, Copy)]
struct Epoch(Instant);

impl Epoch {
    fn now_ms(self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis())
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What the server knows about one open connection.
#[derive(Debug)]
pub(crate) struct Slot {
    id: u64,
    epoch: Epoch,
    /// Requests whose response has not been sent whole yet.
    in_flight: AtomicUsize,
    /// Whether a signed-in request came over it: such connections are closed last.
    signed_in: AtomicBool,
    /// When the last request ended (or the connection opened).
    last_active_ms: AtomicU64,
    /// When bytes of a request head started to arrive with nothing in flight; 0 if none did.
    head_started_ms: AtomicU64,
    /// Since when the socket has refused the bytes the server writes; 0 if it takes them.
    write_blocked_ms: AtomicU64,
    close: Notify,
}

impl Slot {
    /// Marks the connection as carrying a signed-in desk.
    pub fn mark_signed_in(&self) {
        self.signed_in.store(true, Ordering::Relaxed);
    }

    fn request_started(self: &Arc<Self>) -> InFlight {
        self.head_started_ms.store(0, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0
    }

    /// Why the connection should close now, if it should.
    fn expired(&self, limits: &ServerLimits) -> Option<&'static str> {
        let now = self.epoch.now_ms();
        let since = |t: u64| now.saturating_sub(t);
        let blocked = self.write_blocked_ms.load(Ordering::Relaxed);
        if blocked != 0 && since(blocked) > ms(limits.write_timeout) {
            return Some("the client stopped reading");
        }
        if !self.is_idle() {
            return None;
        }
        let head = self.head_started_ms.load(Ordering::Relaxed);
        if head != 0 && since(head) > ms(limits.header_read_timeout) {
            return Some("the request head came too slowly");
        }
        if since(self.last_active_ms.load(Ordering::Relaxed)) > ms(limits.idle_timeout) {
            return Some("idle");
        }
        None
    }
}

/// A request in flight on its connection; dropped when its response body is done with.
#[derive(Debug)]
struct InFlight(Arc<Slot>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let slot = &self.0;
        slot.last_active_ms
            .store(slot.epoch.now_ms(), Ordering::Relaxed);
        slot.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The open connections.
#[derive(Debug)]
struct Connections {
    epoch: Epoch,
    next_id: AtomicU64,
    open: Mutex<Vec<Arc<Slot>>>,
}

impl Connections {
    /// A slot for a new connection, closing an idle one to make room when `max` are open.
    /// `None` when every open connection is busy: the new one is turned away.
    fn admit(&self, max: usize) -> Option<Arc<Slot>> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.len() >= max {
            let victim = open
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_idle())
                .min_by_key(|(_, s)| {
                    (
                        s.signed_in.load(Ordering::Relaxed),
                        s.last_active_ms.load(Ordering::Relaxed),
                    )
                })
                .map(|(i, _)| i)?;
            let slot = open.swap_remove(victim);
            slot.close.notify_one();
        }
        let now = self.epoch.now_ms();
        let slot = Arc::new(Slot {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            epoch: self.epoch,
            in_flight: AtomicUsize::new(0),
            signed_in: AtomicBool::new(false),
            last_active_ms: AtomicU64::new(now),
            head_started_ms: AtomicU64::new(0),
            write_blocked_ms: AtomicU64::new(0),
            close: Notify::new(),
        });
        open.push(slot.clone());
        Some(slot)
    }

    fn remove(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.retain(|s| s.id != id);
    }
}

/// A socket that tells its slot when a request head starts arriving and when the client
/// stops taking what is written. It also puts a problem document in place of the empty
/// answers hyper itself sends to a request head it cannot read (400, 414, 431).
struct WatchedIo {
    tcp: TcpStream,
    slot: Arc<Slot>,
    /// A problem answer still to be written, and how much of it is.
    replacement: Option<(Vec<u8>, usize)>,
}

/// hyper's own answer to an unreadable request head, as a problem document: `None` for any
/// other bytes. Every answer of the router has a body; hyper's have none.
fn problem_for_automatic_answer(bytes: &[u8]) -> Option<Vec<u8>> {
    let status: u16 = match bytes.get(..12)? {
        b"HTTP/1.1 400" => 400,
        b"HTTP/1.1 414" => 414,
        b"HTTP/1.1 431" => 431,
        _ => return None,
    };
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = bytes[..head_end].to_ascii_lowercase();
    if !head.windows(17).any(|w| w == b"content-length: 0") {
        return None;
    }
    let status_line_end = bytes.windows(2).position(|w| w == b"\r\n")?;
    let status_line = String::from_utf8_lossy(&bytes[..status_line_end]);
    let (title, detail) = match status {
        414 => (
            "URI too long",
            "the request's URL is longer than 65,534 bytes",
        ),
        431 => (
            "Request header fields too large",
            "the request's headers are more than the server reads (about 400 KB, or 100 fields)",
        ),
        _ => ("Bad request", "the request could not be read as HTTP"),
    };
    let problem = crate::model::Problem {
        kind: format!(
            "urn:customer-desk:problem:{}",
            title.to_lowercase().replace(' ', "-")
        ),
        title: title.to_owned(),
        status,
        detail: Some(detail.to_owned()),
        instance: None,
        error_code: None,
        resource: None,
        errors: Vec::new(),
    };
    let body = serde_json::to_vec(&problem).ok()?;
    let mut answer = format!(
        "{status_line}\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    answer.extend_from_slice(&body);
    Some(answer)
}

impl WatchedIo {
    /// Writes what is left of a replacement answer; ready once it is all written.
    fn drain_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.replacement {
            if *written >= bytes.len() {
                self.replacement = None;
                break;
            }
            let poll = Pin::new(&mut self.tcp).poll_write(cx, &bytes[*written..]);
            match self.wrote(poll) {
                Poll::Ready(Ok(n)) => {
                    if let Some((_, written)) = &mut self.replacement {
                        *written += n;
                    }
                    if n == 0 {
                        return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Takes hyper's answer to an unreadable head in, to write a problem document instead.
    fn replaces(&mut self, buf: &[u8]) -> bool {
        if !self.slot.is_idle() {
            return false;
        }
        match problem_for_automatic_answer(buf) {
            Some(answer) => {
                self.replacement = Some((answer, 0));
                true
            }
            None => false,
        }
    }

    fn wrote<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        let blocked = &self.slot.write_blocked_ms;
        if poll.is_pending() {
            if blocked.load(Ordering::Relaxed) == 0 {
                blocked.store(self.slot.epoch.now_ms(), Ordering::Relaxed);
            }
        } else {
            blocked.store(0, Ordering::Relaxed);
        }
        poll
    }
}

impl AsyncRead for WatchedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.tcp).poll_read(cx, buf);
        let slot = &self.slot;
        if buf.filled().len() > before
            && slot.is_idle()
            && slot.head_started_ms.load(Ordering::Relaxed) == 0
        {
            slot.head_started_ms
                .store(slot.epoch.now_ms(), Ordering::Relaxed);
        }
        poll
    }
}

impl AsyncWrite for WatchedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.drain_replacement(cx))?;
        if self.replaces(buf) {
            // hyper's bytes count as written; the problem goes out in their place.
            let _ = self.drain_replacement(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        let poll = Pin::new(&mut self.tcp).poll_write(cx, buf);
        self.wrote(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.drain_replacement(cx))?;
        let first = bufs.iter().find(|b| !b.is_empty());
        if self.slot.is_idle() && first.is_some_and(|b| b.starts_with(b"HTTP/1.1 4")) {
            // Rare (an answer with nothing in flight): look at it whole.
            let whole: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
            if self.replaces(&whole) {
                let _ = self.drain_replacement(cx)?;
                return Poll::Ready(Ok(whole.len()));
            }
        }
        let poll = Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs);
        self.wrote(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain_replacement(cx))?;
        let poll = Pin::new(&mut self.tcp).poll_flush(cx);
        self.wrote(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.drain_replacement(cx))?;
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// A response body that keeps its request counted as in flight until it is done with.
struct CountedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Accepts connections on `listener` and serves `router` on each (HTTP/1.1, and HTTP/2 by
/// prior knowledge) within `limits`, until `shutdown` completes; then lets the requests in
/// flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limits = Arc::new(limits);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The slot's clocks time request heads, for HTTP/2 as well; hyper's own head timeout
    // would also cut idle keep-alive connections at the same, short, limit.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(32)
        .max_header_list_size(64 * 1024);
    let builder = Arc::new(builder);
    let connections = Arc::new(Connections {
        epoch: Epoch(Instant::now()),
        next_id: AtomicU64::new(0),
        open: Mutex::new(Vec::new()),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (tcp, address) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was accepted: the
                    // listener itself is fine, so wait a moment instead of spinning.
                    tracing::warn!("accept error: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Some(slot) = connections.admit(limits.max_connections) else {
            tracing::warn!(%address, "refused a connection: all {} are busy", limits.max_connections);
            continue;
        };
        // Without TCP_NODELAY the last small segment of a response can wait for the
        // client's delayed ACK: 40 ms on Linux, forty times a card lookup.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {e}");
        }
        let task = Connection {
            builder: builder.clone(),
            router: router.clone(),
            limits: limits.clone(),
            connections: connections.clone(),
            stop: stop_rx.clone(),
            _done: done_tx.clone(),
        };
        tokio::spawn(task.run(tcp, address, slot));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_tx);
    // Every connection task holds a sender; `changed` fails once the last one is gone.
    while done_rx.changed().await.is_ok() {}
    Ok(())
}

/// What a connection's task needs.
struct Connection {
    builder: Arc<auto::Builder<TokioExecutor>>,
    router: Router,
    limits: Arc<ServerLimits>,
    connections: Arc<Connections>,
    stop: watch::Receiver<bool>,
    _done: watch::Sender<()>,
}

impl Connection {
    async fn run(mut self, tcp: TcpStream, address: SocketAddr, slot: Arc<Slot>) {
        let router = self.router.clone();
        let service_slot = slot.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let in_flight = service_slot.request_started();
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(address));
            request.extensions_mut().insert(service_slot.clone());
            let router = router.clone();
            async move {
                let response = match router.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| {
                    Body::new(CountedBody {
                        body,
                        _in_flight: in_flight,
                    })
                }))
            }
        });
        let io = TokioIo::new(WatchedIo {
            tcp,
            slot: slot.clone(),
            replacement: None,
        });
        let connection = self.builder.serve_connection(io, service);
        tokio::pin!(connection);
        let tick = (self.limits.header_read_timeout / 4)
            .clamp(Duration::from_millis(50), Duration::from_secs(1));
        let mut ticks = tokio::time::interval(tick);
        let mut stopping = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%address, "connection ended: {e}");
                    }
                    break;
                }
                () = slot.close.notified() => {
                    tracing::debug!(%address, "closed an idle connection to make room");
                    break;
                }
                changed = self.stop.changed(), if !stopping => {
                    stopping = true;
                    if changed.is_ok() {
                        connection.as_mut().graceful_shutdown();
                    }
                }
                _ = ticks.tick() => {
                    if let Some(why) = slot.expired(&self.limits) {
                        tracing::debug!(%address, "closed a connection: {why}");
                        break;
                    }
                }
            }
        }
        self.connections.remove(slot.id);
    }
}
