//! Realistic, deterministic demo customers: the same seed and index always give the same
//! customer, so demo stores and benchmarks are reproducible.
//!
//! Demo data is a local sample: it goes straight into the store in large transactions and is
//! not recorded in the change log, so a desk never pushes it to a server.

mod names;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Duration as Span, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use serde_json::json;

use crate::api::{ApiError, LocalApi};
use crate::model::{
    Address, Card, CardStatus, Company, Credit, CreditTransaction, Customer, derived_full_name,
    object_id,
};
use crate::store;
use crate::store::bulk::BulkOptions;
use crate::store::customers as rows;
use names::{COMPANY_WORDS, LANGUAGES, NOTES, Pools};

/// Customers per transaction (and per progress report).
const BATCH: u64 = 5_000;
/// From this many customers on, an empty store is loaded with its sort indexes dropped and
/// rebuilt at the end, which is several times faster than keeping them up to date.
const REBUILD_INDEXES_FROM: u64 = 50_000;

/// The creation time the demo's ids count from: 2020-01-01T00:00:00Z.
const DEMO_EPOCH_SECONDS: i64 = 1_577_836_800;

/// What a demo load did.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoReport {
    pub added: u64,
    pub elapsed: Duration,
    /// Of `elapsed`, the time spent building the sort indexes at the end.
    pub index_build: Duration,
    /// The progress callback asked to stop; the customers added so far stay.
    pub cancelled: bool,
}

impl DemoReport {
    /// Customers added per second.
    pub fn per_second(&self) -> f64 {
        self.added as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Adds `count` demo customers. `progress` gets the number added so far after each batch and
/// returns `false` to stop early. A replica of a shop server is refused: its customers are
/// the server's, and demo data written past the outbox would never reach it.
pub fn load(
    api: &LocalApi,
    count: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<DemoReport, ApiError> {
    load_deferring_from(api, count, seed, REBUILD_INDEXES_FROM, progress)
}

/// [`load`], deferring the indexes to the end from `defer_from` customers on (tests take the
/// bulk path with a small load).
fn load_deferring_from(
    api: &LocalApi,
    count: u64,
    seed: u64,
    defer_from: u64,
    progress: &mut dyn FnMut(u64) -> bool,
) -> Result<DemoReport, ApiError> {
    let started = Instant::now();
    // Times count from today's midnight (UTC): the same seed gives the same customers all
    // day, and their validity stays relative to today.
    let now = api.clock().now();
    let now = DateTime::from_timestamp(now.timestamp() - now.timestamp().rem_euclid(86_400), 0)
        .unwrap_or(now);
    let store = api.store();
    if store.read(crate::store::replica::is_attached)? {
        return Err(ApiError::invalid(
            "count",
            "this store is a replica of a shop server; load demo data on the server instead",
        ));
    }
    let first_index = store.read(rows::total_count)?;

    // Customers are made and serialised on other threads while this one writes.
    let mut generated = Generated::start(seed, first_index, count, now);
    let mut cancelled = false;
    let mut writing = Duration::ZERO;
    // A demo store can be made again: trade durability for speed while loading.
    let options = BulkOptions {
        defer_indexes_from: defer_from,
        durable: false,
        big_memory: true,
        searchable_while_loading: false,
    };
    let mut bulk = store.bulk_load(count, options)?;
    let loaded = (|| -> Result<(), ApiError> {
        for batch in generated.by_ref() {
            let batch = batch?;
            let write_started = Instant::now();
            bulk.insert_batch(&batch)?;
            writing += write_started.elapsed();
            if !progress(bulk.added()) {
                cancelled = true;
                break;
            }
        }
        Ok(())
    })();
    // After a cancel or an error: stops the threads (each after the batch it is making)
    // and frees the batches not written.
    drop(generated);
    let added = bulk.added();
    let index_build = bulk.finish();
    tracing::debug!(?writing, ?index_build, "demo load");
    loaded?;
    Ok(DemoReport {
        added,
        elapsed: started.elapsed(),
        index_build: index_build?,
        cancelled,
    })
}

/// A batch of demo customers with their stored documents.
type Batch = Vec<(Customer, Vec<u8>)>;

/// Demo customers made and encoded on threads of their own, handed over in order, batch by
/// batch.
///
/// Making and encoding a customer (11 µs) costs more than writing it (7 µs). With one
/// thread making them, the writer waited a third of the time. There is one thread per core
/// (two to eight): on two cores, whichever core the writer leaves idle makes customers too.
struct Generated {
    receiver: mpsc::Receiver<(u64, Result<Batch, store::Error>)>,
    /// Batches that came in before the one due.
    early: BTreeMap<u64, Result<Batch, store::Error>>,
    /// The number of the batch due next, and of batches in all.
    due: u64,
    batches: u64,
    threads: Vec<JoinHandle<()>>,
}

impl Generated {
    /// Starts making the customers numbered `first..first + count`.
    fn start(seed: u64, first: u64, count: u64, now: DateTime<Utc>) -> Self {
        let batches = count.div_ceil(BATCH);
        let claimed = Arc::new(AtomicU64::new(0));
        let (sender, receiver) = mpsc::sync_channel(4);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
        let threads = (0..workers)
            .filter_map(|_| {
                let (sender, claimed) = (sender.clone(), claimed.clone());
                std::thread::Builder::new()
                    .name("customer-desk-demo".into())
                    .spawn(move || {
                        loop {
                            let number = claimed.fetch_add(1, Ordering::Relaxed);
                            if number >= batches {
                                return;
                            }
                            let start = first + number * BATCH;
                            let end = (start + BATCH).min(first + count);
                            let batch = (start..end)
                                .map(|i| {
                                    let c = generate(seed, i, now);
                                    rows::encode_doc(&c).map(|doc| (c, doc))
                                })
                                .collect();
                            // The writer has stopped: so do we.
                            if sender.send((number, batch)).is_err() {
                                return;
                            }
                        }
                    })
                    // Fewer threads make the customers more slowly; none ends the load
                    // with an error when the channel closes.
                    .map_err(|e| tracing::warn!("a demo thread did not start: {e}"))
                    .ok()
            })
            .collect();
        Generated {
            receiver,
            early: BTreeMap::new(),
            due: 0,
            batches,
            threads,
        }
    }
}

impl Iterator for Generated {
    type Item = Result<Batch, store::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.due >= self.batches {
            return None;
        }
        loop {
            if let Some(batch) = self.early.remove(&self.due) {
                self.due += 1;
                return Some(batch);
            }
            match self.receiver.recv() {
                Ok((number, batch)) => {
                    self.early.insert(number, batch);
                }
                Err(_) => {
                    // Every thread has ended, one without handing its batch over.
                    self.due = self.batches;
                    return Some(Err(store::Error::Stopped("making demo customers")));
                }
            }
        }
    }
}

impl Drop for Generated {
    fn drop(&mut self) {
        // Closing the channel stops threads still making customers (after a cancel or an
        // error), then they are waited for.
        let (_, closed) = mpsc::sync_channel(0);
        drop(std::mem::replace(&mut self.receiver, closed));
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn language(rng: &mut StdRng) -> &'static Pools {
    let roll = rng.random_range(0..100);
    let mut acc = 0;
    for (pools, share) in LANGUAGES {
        acc += share;
        if roll < acc {
            return pools;
        }
    }
    LANGUAGES[0].0
}

fn ascii_lower(text: &str) -> String {
    crate::text::fold(text)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn money(rng: &mut StdRng, max_cents: i64) -> Decimal {
    Decimal::new(rng.random_range(0..=max_cents), 2)
}

/// The demo customer number `index` of `seed`, as of `now`.
pub fn generate(seed: u64, index: u64, now: DateTime<Utc>) -> Customer {
    let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index);
    let lang = language(&mut rng);
    let is_company = rng.random_ratio(1, 5);
    let female = rng.random_bool(0.5);
    let (male_surname, female_surname) = *pick(&mut rng, lang.surnames);
    let first = *pick(
        &mut rng,
        if female {
            lang.female_first
        } else {
            lang.male_first
        },
    );
    let last = if female { female_surname } else { male_surname };
    let (city, postal) = *pick(&mut rng, lang.cities);
    let street = format!(
        "{} {}",
        pick(&mut rng, lang.streets),
        rng.random_range(1..200)
    );

    let mut c = Customer {
        // As if customer `index` had been created `index` seconds after the demo epoch: ids
        // grow with the index, as ids made by the API grow with time, so a load appends to
        // the id index instead of writing all over it.
        id: object_id(
            DEMO_EPOCH_SECONDS.saturating_add_unsigned(index),
            rng.random(),
            index as u32,
        ),
        external_id: rng
            .random_ratio(7, 10)
            .then(|| format!("C{:08}", index + 1)),
        is_active: !rng.random_ratio(1, 20),
        first_name: Some(first.to_owned()),
        last_name: Some(last.to_owned()),
        gender: Some(if female { "Female" } else { "Male" }.to_owned()),
        phone: Some(format!(
            "{}{:02} {:03} {:03}",
            lang.phone_prefix,
            rng.random_range(0..100),
            rng.random_range(0..1000),
            rng.random_range(0..1000)
        )),
        is_company,
        ..Default::default()
    };
    c.email = rng.random_ratio(4, 5).then(|| {
        format!(
            "{}.{}{}@{}",
            ascii_lower(first),
            ascii_lower(last),
            index % 1000,
            lang.email_domain
        )
    });
    if !is_company {
        let year = rng.random_range(1940..2006);
        c.birth_date =
            NaiveDate::from_ymd_opt(year, rng.random_range(1..=12), rng.random_range(1..=28))
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc());
    }
    c.address = Some(Address {
        street: Some(street.clone()),
        city: Some(city.to_owned()),
        postal_code: Some(postal.to_owned()),
        country: Some(lang.country.to_owned()),
        ..Default::default()
    });
    if is_company {
        let name = format!(
            "{} {} {}",
            pick(&mut rng, COMPANY_WORDS),
            male_surname,
            lang.company_suffix
        );
        let crn = format!("{:08}", rng.random_range(10_000_000..99_999_999));
        c.company = Some(Company {
            name: Some(name),
            vat_id: Some(format!(
                "{}{}{:02}",
                lang.vat_prefix,
                crn,
                rng.random_range(0..100)
            )),
            tax_id: Some(format!("20{}", &crn[..8])),
            crn: Some(crn),
        });
        if rng.random_ratio(1, 3) {
            c.delivery_address = Some(Address {
                street: Some(format!(
                    "{} {}",
                    pick(&mut rng, lang.streets),
                    rng.random_range(1..200)
                )),
                city: Some(pick(&mut rng, lang.cities).0.to_owned()),
                country: Some(lang.country.to_owned()),
                note: Some("Goods entrance at the back".to_owned()),
                ..Default::default()
            });
        }
    }
    c.full_name = derived_full_name(&c);
    // Validity: most customers are valid, some expired, a few not yet valid.
    let roll = rng.random_range(0..100);
    let joined = now - Span::days(rng.random_range(30..3650));
    c.activation_time = Some(joined);
    if roll < 6 {
        c.expiration_time = Some(now - Span::days(rng.random_range(1..700)));
        c.activation_time = c.expiration_time.map(|e| e - Span::days(365));
    } else if roll < 8 {
        c.activation_time = Some(now + Span::days(rng.random_range(1..60)));
    } else if roll < 30 {
        c.expiration_time = Some(now + Span::days(rng.random_range(30..1500)));
    }
    // Cards: 0 to 3, serials unique by index.
    let cards = [10, 60, 25, 5];
    let roll = rng.random_range(0..100);
    let n_cards = if roll < cards[0] {
        0
    } else if roll < cards[0] + cards[1] {
        1
    } else if roll < 95 {
        2
    } else {
        3
    };
    for k in 0..n_cards {
        let mut card = Card {
            serial_number: Some(format!("29{:011}", index * 4 + k)),
            is_virtual: rng.random_ratio(1, 10),
            activation_time: Some(joined),
            processor: Some("PORTOS".to_owned()),
            ..Default::default()
        };
        if k + 1 < n_cards && rng.random_ratio(1, 2) {
            card.status = pick(
                &mut rng,
                &[
                    CardStatus::Replaced,
                    CardStatus::Lost,
                    CardStatus::Blocked,
                    CardStatus::Damaged,
                ],
            )
            .clone();
            card.status_reason = Some(if card.status == CardStatus::Replaced {
                "Replaced".to_owned()
            } else {
                "Reported at the desk".to_owned()
            });
            card.status_time = Some(joined + Span::days(rng.random_range(1..30)));
            card.is_active = false;
        }
        c.cards.push(card);
    }
    // Credit: a few transactions that add up to the balance.
    c.credit = Credit {
        amount: Decimal::ZERO,
        currency_label: Some(lang.currency.to_owned()),
    };
    if rng.random_ratio(2, 5) {
        let mut balance = Decimal::ZERO;
        for t in 0..rng.random_range(1..4) {
            let amount = if t > 0 && rng.random_bool(0.4) {
                -money(&mut rng, 2_000).min(balance)
            } else {
                money(&mut rng, 5_000)
            };
            if amount.is_zero() {
                continue;
            }
            balance += amount;
            c.credit_transactions.push(CreditTransaction {
                id: format!("{:024x}", rng.random::<u128>() & ((1u128 << 96) - 1)),
                time: Some(joined + Span::days(t * 20 + 1)),
                amount,
                balance,
                note: Some(
                    if amount.is_sign_positive() {
                        "Voucher"
                    } else {
                        "Purchase"
                    }
                    .to_owned(),
                ),
                user_name: Some("demo".to_owned()),
                operation_id: None,
            });
        }
        c.credit.amount = balance;
    }
    c.discount_rate = Decimal::from(*pick(&mut rng, &[0, 0, 0, 2, 3, 5, 5, 10, 15]));
    c.credit_rate = *pick(
        &mut rng,
        &[
            Decimal::ZERO,
            Decimal::ZERO,
            Decimal::ONE,
            Decimal::new(25, 1),
        ],
    );
    c.note = rng
        .random_ratio(1, 6)
        .then(|| pick(&mut rng, NOTES).to_string());
    c.meta = json!({ "source": "demo", "segment": pick(&mut rng, &["retail", "gold", "silver", "wholesale"]), "since": joined.year() });
    c.version = 1;
    c
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::FixedClock;
    use crate::model::{Actor, Rights};
    use crate::ndata::ListParams;
    use crate::store::Store;

    /// A bulk load into a store in a file works the word index out on a second connection
    /// while the sort indexes are built: afterwards every index is whole and every search
    /// finds what a scan of the search texts finds, and the log is empty.
    #[test]
    fn a_bulk_load_leaves_every_index_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let clock = Arc::new(FixedClock::new(
            "2026-06-01T12:00:00Z".parse().expect("time"),
        ));
        let api = LocalApi::new(Store::open(&dir.path().join("d.db")).expect("store"), clock);
        let report = load_deferring_from(&api, 3_000, 7, 0, &mut |_| true).expect("load");
        assert_eq!(report.added, 3_000);
        // Everything is in the database file: the log is left empty.
        let log = std::fs::metadata(dir.path().join("d.db-wal")).map_or(0, |m| m.len());
        assert_eq!(log, 0, "the load left {log} bytes of log");

        let store = api.store();
        assert_eq!(store.integrity_check().expect("check"), ["ok"]);
        let health = store.index_health().expect("indexes");
        assert_eq!(health.sort_indexes, crate::store::SORT_INDEXES.len());
        assert!(
            !health.search_index_stale,
            "the word index is still marked stale"
        );
        // Every customer is in the feed, filled in one pass at the end.
        let in_feed = store
            .read(|s| crate::store::feed::count_after(s, 0))
            .expect("feed");
        assert_eq!(in_feed, 3_000);
        let head = store.read(crate::store::feed::head).expect("head");
        assert_eq!(head, 3_000);

        let actor = Actor::new("t", Rights::admin());
        let everyone = api
            .list(&actor, &ListParams::from_query_string("$sort=lastName"))
            .expect("list")
            .items
            .expect("items");
        for word in ["ova", "horvath", "s.r.o", "an"] {
            let found: Vec<String> = api
                .list(
                    &actor,
                    &ListParams::from_query_string(&format!("Search={word}&$sort=lastName")),
                )
                .expect("search")
                .items
                .expect("items")
                .into_iter()
                .map(|c| c.id)
                .collect();
            let expected: Vec<String> = everyone
                .iter()
                .filter(|c| crate::store::search_text(c).contains(word))
                .map(|c| c.id.clone())
                .collect();
            assert!(!expected.is_empty(), "{word} finds nobody in the demo");
            assert_eq!(found, expected, "Search={word}");
        }
    }

    /// A load kept searchable (a replica's first sync, which the window searches while it
    /// runs) answers searches, phone parts and filters sorted by a key on what has arrived
    /// exactly as a store that indexed the same customers one by one, between its batches
    /// and after its end, and leaves every index whole.
    #[test]
    fn a_load_kept_searchable_finds_what_has_arrived() {
        let dir = tempfile::tempdir().expect("dir");
        let clock = Arc::new(FixedClock::new(
            "2026-06-01T12:00:00Z".parse().expect("time"),
        ));
        let open = |name: &str| {
            LocalApi::new(
                Store::open(&dir.path().join(name)).expect("store"),
                clock.clone(),
            )
        };
        let (loaded, reference) = (open("loaded.db"), open("reference.db"));
        let now = "2026-06-01T00:00:00Z".parse().expect("time");
        let batch = |from: u64, to: u64| -> Vec<(Customer, Vec<u8>)> {
            (from..to)
                .map(|i| {
                    let c = generate(3, i, now);
                    let doc = rows::encode_doc(&c).expect("doc");
                    (c, doc)
                })
                .collect()
        };
        let actor = Actor::new("t", Rights::admin());
        let answer = |api: &LocalApi, query: &str| -> (u64, Vec<String>) {
            let found = api
                .list(&actor, &ListParams::from_query_string(query))
                .unwrap_or_else(|e| panic!("{query}: {e}"));
            let ids = found.items.unwrap_or_default().into_iter().map(|c| c.id);
            (found.total_count, ids.collect())
        };
        let queries = [
            "Search=ova&$sort=lastName",
            "Search=horvath",
            // The grid's first order walks the sort index the load keeps.
            "Search=ova&$sort=fullName",
            "Search=an&$sort=fullName:desc&$skip=7&$top=20",
            "$sort=fullName&$skip=30&$top=10",
            "Search=an&$sort=firstName:desc&$top=20",
            "Phone=like:09",
            "DiscountRate=ge:5&$sort=lastName&$skip=3&$top=10",
            "IsActive=false&$sort=credit.amount:desc",
            "$sort=lastName&$skip=400&$top=5",
        ];
        let searchable = BulkOptions {
            defer_indexes_from: 0,
            durable: true,
            big_memory: false,
            searchable_while_loading: true,
        };
        let one_by_one = BulkOptions {
            defer_indexes_from: u64::MAX,
            ..searchable
        };
        let mut loading = loaded.store().bulk_load(1_200, searchable).expect("bulk");
        let mut indexing = reference
            .store()
            .bulk_load(1_200, one_by_one)
            .expect("bulk");
        for (from, to) in [(0, 600), (600, 1_200)] {
            let customers = batch(from, to);
            loading.insert_batch(&customers).expect("batch");
            indexing.insert_batch(&customers).expect("batch");
            for query in queries {
                let (total, ids) = answer(&loaded, query);
                assert!(total > 0, "{query} finds nobody in the demo");
                assert_eq!(
                    (total, ids),
                    answer(&reference, query),
                    "{query} with {to} customers loaded"
                );
            }
        }
        loading.finish().expect("finish");
        indexing.finish().expect("finish");
        let health = loaded.store().index_health().expect("indexes");
        assert!(health.is_whole(), "{health:?}");
        for query in queries {
            assert_eq!(answer(&loaded, query), answer(&reference, query), "{query}");
        }
        // The feed filled at the end (in slices) lists every customer once, in the order
        // and with the seqs of the store that recorded each insert.
        let feed = |api: &LocalApi| -> Vec<(i64, String)> {
            let page = api.store().read(|s| crate::store::feed::page(s, 0, 5_000));
            let page = page.expect("feed");
            page.into_iter().map(|e| (e.seq, e.customer_id)).collect()
        };
        let filled = feed(&loaded);
        assert_eq!(filled.len(), 1_200);
        assert_eq!(filled, feed(&reference));
    }

    /// Customers are made on several threads but stored in their order, each under the row id
    /// of its number, and a cancel stops the load after the batch it came in.
    #[test]
    fn customers_made_on_several_threads_are_stored_in_order() {
        let clock = Arc::new(FixedClock::new(
            "2026-06-01T12:00:00Z".parse().expect("time"),
        ));
        let api = LocalApi::new(Store::open_in_memory().expect("store"), clock);
        let count = 3 * BATCH + 17;
        let report = load(&api, count, 5, &mut |_| true).expect("load");
        assert_eq!(report.added, count);
        let today = "2026-06-01T00:00:00Z".parse().expect("time");
        let expected: Vec<(i64, String)> = (0..count)
            .map(|i| (i as i64 + 1, generate(5, i, today).id))
            .collect();
        let stored: Vec<(i64, String)> = expected
            .iter()
            .map(|(_, id)| {
                let (rid, _) = api
                    .store()
                    .read(|s| rows::find_by_id(s, id))
                    .expect("read")
                    .expect("stored");
                (rid, id.clone())
            })
            .collect();
        assert_eq!(stored, expected);
        assert_eq!(api.store().read(rows::total_count).expect("count"), count);

        let api = LocalApi::new(
            Store::open_in_memory().expect("store"),
            Arc::new(FixedClock::new(
                "2026-06-01T12:00:00Z".parse().expect("time"),
            )),
        );
        let report = load(&api, count, 5, &mut |added| added < 2 * BATCH).expect("load");
        assert!(report.cancelled);
        assert_eq!(report.added, 2 * BATCH);
        assert_eq!(
            api.store().read(rows::total_count).expect("count"),
            2 * BATCH
        );
    }

    /// A bulk load that never finished (the process died) leaves what it wrote, and the next
    /// open builds what it left for the end: the indexes and the feed.
    #[test]
    fn a_bulk_load_cut_short_is_whole_after_the_next_open() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("cut.db");
        let now = "2026-06-01T00:00:00Z".parse().expect("time");
        let batch: Vec<(Customer, Vec<u8>)> = (0..100)
            .map(|i| {
                let c = generate(1, i, now);
                let doc = rows::encode_doc(&c).expect("doc");
                (c, doc)
            })
            .collect();
        {
            let store = Store::open(&path).expect("store");
            let options = BulkOptions {
                defer_indexes_from: 0,
                durable: true,
                big_memory: false,
                searchable_while_loading: false,
            };
            let mut bulk = store.bulk_load(100, options).expect("bulk");
            bulk.insert_batch(&batch).expect("batch");
            // Dropped without `finish`, as a crash would leave it.
        }
        let store = Store::open(&path).expect("reopen");
        assert!(store.index_health().expect("health").is_whole());
        let in_feed = store
            .read(|s| crate::store::feed::count_after(s, 0))
            .expect("feed");
        assert_eq!(in_feed, 100);
    }

    #[test]
    fn demo_ids_grow_with_the_index() {
        let now = "2026-06-01T00:00:00Z".parse().expect("time");
        let ids: Vec<String> = (0..500).map(|i| generate(1, i, now).id).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.iter().all(|id| id.len() == 24));
    }
}
