//! The one fast path for writing many new customers at once: the demo loader uses it, and
//! so will a sync's initial pull and an import. It owns what makes a large load fast and
//! leaves the store as every other write would:
//!
//! - batches go in one transaction each, through statements prepared once a batch;
//! - into an empty store, from [`BulkOptions::defer_indexes_from`] customers on, the sort
//!   indexes are dropped and the word index is left for the end, then built in one pass each
//!   ([`BulkLoad::finish`]). SQLite builds each sort index with its sorter's helper threads,
//!   and a read connection works out the word index beside those builds;
//! - a `TRUNCATE` checkpoint at the end leaves the write-ahead log empty.
//!
//! A load cut short (a crash, or a [`BulkLoad`] dropped without `finish`) leaves what it
//! wrote, and the next open builds any index that is missing.
//!
//! Customers written here are not checked against any rule: the caller has done that (the
//! API's validation) or made them itself (demo data). Nothing is recorded in the change log.

use std::sync::MutexGuard;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::customers::{Inserter, SearchIndexing, add_to_count, count_of};
use super::{Error, Result, Snapshot, Store, Tx, checkpoint, feed, schema};
use crate::model::Customer;

/// How a bulk load may trade safety for speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkOptions {
    /// From this many expected customers on, a load into an empty store defers its indexes
    /// to the end, which is several times faster than keeping them up to date.
    pub defer_indexes_from: u64,
    /// `false` skips the disk syncs while loading (`synchronous = OFF`): for data that can
    /// be made again (demo data), where a power cut may cost what was loaded.
    pub durable: bool,
    /// Trade memory for speed: a 256 MiB page cache while loading, and index builds that
    /// map the table. A desk's replica loads without (its resident memory stays small).
    pub big_memory: bool,
    /// Keep the search indexes (words, e-mails, phone numbers) with each batch of a load
    /// that defers the rest, so that a search finds what has arrived while it runs: a
    /// replica's first sync, which the window searches meanwhile. The sort index of the
    /// grid's first order ([`schema::LIVE_SORT_INDEX`]) is kept too, so that a search's
    /// page walks it instead of sorting every match. It makes such a load slower than
    /// building them once at its end.
    pub searchable_while_loading: bool,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            defer_indexes_from: 50_000,
            durable: true,
            big_memory: false,
            searchable_while_loading: false,
        }
    }
}

/// A bulk load under way; it holds the store's writer until it is finished or dropped.
pub struct BulkLoad<'s> {
    store: &'s Store,
    conn: MutexGuard<'s, Connection>,
    /// The indexes were dropped and are built by `finish`.
    deferred: bool,
    /// The search indexes are kept with each batch ([`BulkOptions::searchable_while_loading`]).
    searchable: bool,
    big_memory: bool,
    added: u64,
    restored: bool,
}

impl std::fmt::Debug for BulkLoad<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkLoad")
            .field("deferred", &self.deferred)
            .field("added", &self.added)
            .finish()
    }
}

impl Store {
    /// Starts a bulk load of about `expected` new customers.
    pub fn bulk_load(&self, expected: u64, options: BulkOptions) -> Result<BulkLoad<'_>> {
        let conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let deferred = expected >= options.defer_indexes_from && count_of(&conn)? == 0;
        if deferred {
            let keep = options
                .searchable_while_loading
                .then_some(schema::LIVE_SORT_INDEX);
            schema::drop_sort_indexes(&conn, keep)?;
            if !options.searchable_while_loading {
                schema::mark_search_index_stale(&conn)?;
            }
            schema::mark_counted_stale(&conn)?;
            feed::mark_stale(&conn)?;
        }
        if options.big_memory {
            // Four times the page cache of a server's connection; set back after.
            conn.execute_batch("PRAGMA cache_size = -262144;")?;
        }
        if !options.durable {
            conn.execute_batch("PRAGMA synchronous = OFF;")?;
        }
        Ok(BulkLoad {
            store: self,
            conn,
            deferred,
            big_memory: options.big_memory,
            searchable: options.searchable_while_loading,
            added: 0,
            restored: false,
        })
    }
}

impl BulkLoad<'_> {
    /// Writes one batch of new customers, each with its stored document
    /// ([`super::customers::encode_doc`]), in one transaction. Their ids, external ids and
    /// card serials must be free.
    pub fn insert_batch(&mut self, batch: &[(Customer, Vec<u8>)]) -> Result<u64> {
        self.insert_batch_with(batch, |_| Ok(()))
    }

    /// [`BulkLoad::insert_batch`], with `extra` run in the same transaction after the
    /// batch, for what must be written with it (a replica's shadows and cursor).
    pub fn insert_batch_with<E: From<Error>>(
        &mut self,
        batch: &[(Customer, Vec<u8>)],
        extra: impl FnOnce(&Tx<'_>) -> Result<(), E>,
    ) -> Result<u64, E> {
        let indexing = match (self.deferred, self.searchable) {
            (false, _) => SearchIndexing::WithRow,
            (true, true) => SearchIndexing::ByBatch,
            (true, false) => SearchIndexing::Deferred,
        };
        let tx = self.conn.transaction().map_err(Error::from)?;
        let mut inserter = Inserter::new(&tx, indexing)?;
        for (customer, doc) in batch {
            inserter.insert(customer, doc)?;
        }
        inserter.finish()?;
        let written = batch.len() as u64;
        add_to_count(&tx, written as i64)?;
        extra(&Tx(Snapshot(&tx)))?;
        super::counted::fold_when_due(&tx).map_err(Error::from)?;
        tx.commit().map_err(Error::from)?;
        self.added += written;
        Ok(written)
    }

    /// How many customers this load has written.
    pub fn added(&self) -> u64 {
        self.added
    }

    /// Builds what the load left for the end, puts the connection's settings back and
    /// empties the log. Returns how long the index builds took.
    pub fn finish(mut self) -> Result<Duration> {
        let started = Instant::now();
        let built = if self.deferred {
            build_deferred_indexes(
                self.store,
                &mut self.conn,
                self.big_memory,
                !self.searchable,
            )
        } else {
            Ok(())
        };
        let took = started.elapsed();
        let restored = self.restore();
        built?;
        restored?;
        Ok(took)
    }

    /// Puts back the writer's own settings (see `store::open_connection`).
    fn restore(&mut self) -> Result<()> {
        self.restored = true;
        self.conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        self.conn.execute_batch(self.store.memory().pragmas())?;
        Ok(())
    }
}

impl Drop for BulkLoad<'_> {
    fn drop(&mut self) {
        if !self.restored
            && let Err(e) = self.restore()
        {
            tracing::warn!(error = %e, "the writer's settings were not put back after a bulk load");
        }
    }
}

/// Builds what a load into an empty store left for the end: the sort indexes, on the writer,
/// and the word index unless it was kept with each batch (`words` is `false`). A store in a
/// file works the word index out on a read connection meanwhile, on the other core, so only
/// writing it waits for the sort indexes.
fn build_deferred_indexes(
    store: &Store,
    conn: &mut Connection,
    map: bool,
    words: bool,
) -> Result<()> {
    if store.path().is_none() {
        // One connection only: one after the other.
        let tx = conn.transaction()?;
        if words {
            schema::rebuild_search_index(&tx)?;
        }
        feed::fill(&tx)?;
        tx.commit()?;
        schema::ensure_sort_indexes(conn, map)?;
        schema::ensure_counted(conn)?;
        return Ok(());
    }
    std::thread::scope(|scope| {
        let words = words
            .then(|| {
                std::thread::Builder::new()
                    .name("customer-desk-word-index".into())
                    .spawn_scoped(scope, || {
                        store.read_sql(|c| schema::compute_search_index(c).map_err(Error::from))
                    })
                    .map_err(|_| Error::Stopped("starting the word index thread"))
            })
            .transpose()?;
        let sorted = schema::ensure_sort_indexes(conn, map);
        let words = words
            .map(|thread| {
                thread
                    .join()
                    .map_err(|_| Error::Stopped("working out the word index"))?
            })
            .transpose()?;
        sorted?;
        let tx = conn.transaction()?;
        if let Some(words) = words {
            schema::replace_search_index(&tx, words)?;
        }
        feed::fill(&tx)?;
        tx.commit()?;
        schema::ensure_counted(conn)?;
        // The builds left a log of some 100 MB; copy it back and empty the file, so that the
        // store takes no more room than its data. Should that not work out, the log is
        // reused as it is.
        match checkpoint::truncate_log(conn) {
            Ok(true) => {}
            Ok(false) => tracing::debug!("the log was still in use after the load"),
            Err(e) => tracing::debug!(error = %e, "the log was not emptied after the load"),
        }
        Ok(())
    })
}
