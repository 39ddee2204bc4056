//! Checkpoints on a thread of their own.
//!
//! In WAL mode SQLite copies the log back into the database file (a checkpoint) inside
//! whichever commit takes the log past 1,000 pages. At 1M customers that was every 60 or so
//! edits, and that edit took 7–8 ms instead of half a millisecond. Here the writer only looks
//! at the log's size after each commit (a WAL hook). Past [`CHECKPOINT_PAGES`] it wakes this
//! thread, which checkpoints on its own connection while writes go on: SQLite lets one
//! checkpoint run beside the writer. The log starts over at the first write that finds it all
//! copied and no reader still in it.

use std::ffi::c_int;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use rusqlite::Connection;
use rusqlite::hooks::Wal;

/// The log's size, in pages, from which a checkpoint is asked for: SQLite's own default.
pub const CHECKPOINT_PAGES: c_int = 1000;
/// From this size on the writer checkpoints itself, as SQLite would have; it copies only
/// what the thread has not yet, 10–14 ms of a write's time on average. Writes back to back
/// get here: a create writes 60–100 pages of the log and an edit about 40, and while the
/// thread copies, the next write cannot start the log over and appends to it. So the bound
/// decides how often a write waits more than how long. At 4,000 pages one write in 70
/// waited; at 16,000 one in 270, and over 200,000 creates and then 200,000 edits on a store
/// of 1M (`bench --grow`) the creates' p95 fell from 2.8 to 1.5 ms and the edits' from 1.25
/// to 0.97 ms. In such a burst the log file grows to some 50,000 pages (200 MB), as the
/// writer finds the thread in a long pass and goes on; SQLite removes it when the store
/// closes. Bulk writes get here too (an index build is some 10,000 pages): without a bound,
/// back-to-back bulk writes grew the log file without end.
const WRITER_CHECKPOINT_PAGES: c_int = 16 * CHECKPOINT_PAGES;

/// The checkpoint thread of one store; stops when dropped.
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Checkpoints the thread has made.
    done: AtomicU64,
}

#[derive(Default)]
struct State {
    requested: bool,
    stop: bool,
}

impl Shared {
    fn change(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        self.wake.notify_one();
    }
}

impl Checkpointer {
    /// Hooks the commits of `writer` and starts the thread, which checkpoints on `own`.
    pub(super) fn start(writer: &mut Connection, own: Connection) -> rusqlite::Result<Self> {
        let shared = Arc::new(Shared::default());
        let hook = shared.clone();
        // Setting a hook replaces SQLite's checkpoint in the commit.
        writer.wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
            if pages >= WRITER_CHECKPOINT_PAGES {
                // The commit is done whatever this returns: an error here would make a write
                // that landed look failed. BUSY is expected when the thread is copying too.
                if let Err(e) = wal.checkpoint() {
                    tracing::debug!(error = %e, pages, "the writer's checkpoint did not finish");
                }
            } else if pages >= CHECKPOINT_PAGES {
                hook.change(|state| state.requested = true);
            }
            Ok(())
        }))?;
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("sqlite checkpoint".into())
                .spawn(move || run(&shared, own))
                .map_err(|e| rusqlite::Error::ModuleError(format!("checkpoint thread: {e}")))?
        };
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// How many checkpoints the thread has made.
    pub(super) fn done(&self) -> u64 {
        self.shared.done.load(Ordering::Relaxed)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared.change(|state| state.stop = true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Waits for requests and checkpoints, until told to stop.
fn run(shared: &Shared, conn: Connection) {
    loop {
        {
            let mut state = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            while !state.requested && !state.stop {
                state = shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if state.stop {
                return;
            }
            state.requested = false;
        }
        // PASSIVE copies what it can without waiting for readers or the writer.
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            Ok(()) => {
                shared.done.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(error = %e, "a background checkpoint failed"),
        }
    }
}

/// Copies the whole write-ahead log into the database file and empties the log file, as
/// after a bulk load whose log would otherwise keep its size on the disk. A checkpoint of the
/// thread's, or a reader, may be in the way for a moment: this tries again for up to two
/// seconds, and tells whether the log was emptied.
pub fn truncate_log(conn: &Connection) -> rusqlite::Result<bool> {
    const ATTEMPTS: u32 = 200;
    for attempt in 1..=ATTEMPTS {
        // The row is (busy, pages in the log, pages copied); busy is 1 when it could not finish.
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            return Ok(true);
        }
        if attempt < ATTEMPTS {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    Ok(false)
}
