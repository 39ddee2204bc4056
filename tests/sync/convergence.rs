//! Randomised convergence (`sync.md` §1): a server and two or three desks, each behind a
//! fault-injecting proxy; random creates, edits of the same and of different fields, card
//! adds and moves, credit adjustments, deletes and offline stretches; then everyone online,
//! sync until quiet, and check the guarantees. Seeds are kept by proptest
//! (`tests/proptest-regressions/`); `CUSTOMER_DESK_SYNC_CASES` runs more cases.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use customer_desk::model::{Actor, Customer, Rights};
use customer_desk::store::replica;
use customer_desk::sync::conflicts::{self, Take};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::http_support::TestServer;
use crate::proxy::{Fault, FaultProxy};
use crate::support::{Desk, server_customers};

#[derive(Debug, Clone)]
enum Op {
    Create {
        desk: usize,
    },
    Edit {
        desk: usize,
        pick: usize,
        field: usize,
        value: usize,
    },
    Credit {
        desk: usize,
        pick: usize,
        cents: i64,
    },
    Delete {
        desk: usize,
        pick: usize,
    },
    AddCard {
        desk: usize,
        pick: usize,
    },
    MoveCard {
        desk: usize,
        from: usize,
        to: usize,
    },
    Sync {
        desk: usize,
    },
    Offline {
        desk: usize,
        cut: bool,
    },
}

const FIELDS: [&str; 4] = ["firstName", "email", "note", "phone"];
const VALUES: [&str; 3] = ["a@x.sk", "b@x.sk", "c@x.sk"];

fn op() -> impl Strategy<Value = Op> {
    let desk = 0..3usize;
    prop_oneof![
        1 => desk.clone().prop_map(|desk| Op::Create { desk }),
        4 => (desk.clone(), 0..50usize, 0..FIELDS.len(), 0..VALUES.len())
            .prop_map(|(desk, pick, field, value)| Op::Edit { desk, pick, field, value }),
        2 => (desk.clone(), 0..50usize, -500..2000i64)
            .prop_map(|(desk, pick, cents)| Op::Credit { desk, pick, cents }),
        1 => (desk.clone(), 0..50usize).prop_map(|(desk, pick)| Op::Delete { desk, pick }),
        1 => (desk.clone(), 0..50usize).prop_map(|(desk, pick)| Op::AddCard { desk, pick }),
        1 => (desk.clone(), 0..50usize, 0..50usize)
            .prop_map(|(desk, from, to)| Op::MoveCard { desk, from, to }),
        3 => desk.clone().prop_map(|desk| Op::Sync { desk }),
        1 => (desk, any::<bool>()).prop_map(|(desk, cut)| Op::Offline { desk, cut }),
    ]
}

/// What the run did that a check needs: each accepted edit of a field, each sync attempt,
/// the customers deleted or given cards (whose pushes can clash on other grounds).
#[derive(Debug, Default)]
struct Journal {
    /// (op index, desk, customer, field, new value, value before).
    edits: Vec<(usize, usize, String, usize, Value, Value)>,
    syncs: Vec<(usize, usize)>,
    set_aside: HashSet<String>,
}

impl Journal {
    /// Edits of the same field of the same customer to different values on two desks, each
    /// from the same value, the first not pushed (its desk did not even try to sync) before
    /// the second was made: each pair must end as a conflict, never as a silent overwrite.
    fn concurrent_clashes(&self) -> Vec<(String, usize)> {
        let last_of = |desk: usize, id: &str, field: usize| {
            self.edits
                .iter()
                .rposition(|e| e.1 == desk && e.2 == id && e.3 == field)
        };
        let mut clashes = Vec::new();
        for (a, e1) in self.edits.iter().enumerate() {
            for (b, e2) in self.edits.iter().enumerate().skip(a + 1) {
                let pair = e1.1 != e2.1 && e1.2 == e2.2 && e1.3 == e2.3;
                // Same field, different new values, the same value before, each a change.
                let changes = e1.4 != e1.5 && e2.4 != e2.5;
                if !pair
                    || !changes
                    || e1.4 == e2.4
                    || e1.5 != e2.5
                    || self.set_aside.contains(&e1.2)
                {
                    continue;
                }
                let unsynced = !self
                    .syncs
                    .iter()
                    .any(|&(i, d)| d == e1.1 && i > e1.0 && i < e2.0);
                let last =
                    last_of(e1.1, &e1.2, e1.3) == Some(a) && last_of(e2.1, &e2.2, e2.3) == Some(b);
                // A third desk's later edit of the field may settle it for both.
                let third = self.edits[a + 1..]
                    .iter()
                    .any(|e| e.2 == e1.2 && e.3 == e1.3 && e.1 != e1.1 && e.1 != e2.1);
                if unsynced && last && !third {
                    clashes.push((e1.2.clone(), e1.3));
                }
            }
        }
        clashes
    }
}

/// What the run did, for the figures.
#[derive(Debug, Default)]
struct Tally {
    ops: usize,
    acknowledged: usize,
    faults: BTreeMap<Fault, u64>,
    conflicts_for_a_person: u64,
    clashes_checked: usize,
    converge: Duration,
}

fn pick(desk: &Desk, n: usize) -> Option<Customer> {
    let all = desk.all();
    (!all.is_empty()).then(|| all[n % all.len()].clone())
}

/// Runs `ops` on `desks` (ignoring what a desk's own API refuses, which nobody was told was
/// saved); returns the credit operations the desks acknowledged, by operation id.
async fn run_ops(
    desks: &[Desk],
    proxies: &[FaultProxy],
    ops: &[Op],
    serials: &mut u64,
    journal: &mut Journal,
) -> HashMap<String, (usize, String)> {
    let mut credits = HashMap::new();
    for (index, op) in ops.iter().enumerate() {
        match *op {
            Op::Create { desk } => {
                let d = &desks[desk % desks.len()];
                let _ = d
                    .api
                    .create(&d.actor, &json!({"lastName": format!("Made on {desk}")}));
            }
            Op::Edit {
                desk,
                pick: n,
                field,
                value,
            } => {
                let d = &desks[desk % desks.len()];
                if let Some(c) = pick(d, n) {
                    let mut body = serde_json::to_value(&c).expect("json");
                    let before = body[FIELDS[field]].clone();
                    body[FIELDS[field]] = json!(VALUES[value]);
                    if d.api.upsert(&d.actor, &c.id, &body).is_ok() {
                        let desk = desk % desks.len();
                        journal.edits.push((
                            index,
                            desk,
                            c.id.clone(),
                            field,
                            json!(VALUES[value]),
                            before,
                        ));
                    }
                }
            }
            Op::Credit {
                desk,
                pick: n,
                cents,
            } => {
                let d = &desks[desk % desks.len()];
                if let Some(c) = pick(d, n)
                    && cents != 0
                {
                    // A JSON number with exactly these digits (a Decimal would be written as a
                    // string, which the API refuses for a number).
                    let amount: Value =
                        serde_json::from_str(&rust_decimal::Decimal::new(cents, 2).to_string())
                            .expect("number");
                    if let Ok(after) =
                        d.api
                            .adjust_credit(&d.actor, &c.id, &json!({"amount": amount}))
                        && let Some(op) = after
                            .credit_transactions
                            .last()
                            .and_then(|t| t.operation_id.clone())
                    {
                        credits.insert(op, (desk % desks.len(), c.id.clone()));
                    }
                }
            }
            Op::Delete { desk, pick: n } => {
                let d = &desks[desk % desks.len()];
                if let Some(c) = pick(d, n)
                    && d.api.delete(&d.actor, &c.id).is_ok()
                {
                    journal.set_aside.insert(c.id);
                }
            }
            Op::AddCard { desk, pick: n } => {
                let d = &desks[desk % desks.len()];
                if let Some(c) = pick(d, n) {
                    journal.set_aside.insert(c.id.clone());
                    *serials += 1;
                    let mut body = serde_json::to_value(&c).expect("json");
                    body["cards"]
                        .as_array_mut()
                        .expect("cards")
                        .push(json!({"serialNumber": format!("77{:06}", *serials)}));
                    let _ = d.api.upsert(&d.actor, &c.id, &body);
                }
            }
            Op::MoveCard { desk, from, to } => {
                let d = &desks[desk % desks.len()];
                if let (Some(a), Some(b)) = (pick(d, from), pick(d, to))
                    && a.id != b.id
                    && let Some(card) = a.cards.first().cloned()
                {
                    journal.set_aside.insert(a.id.clone());
                    journal.set_aside.insert(b.id.clone());
                    let mut without = serde_json::to_value(&a).expect("json");
                    without["cards"].as_array_mut().expect("cards").remove(0);
                    if d.api.upsert(&d.actor, &a.id, &without).is_ok() {
                        let mut with = serde_json::to_value(&b).expect("json");
                        with["cards"]
                            .as_array_mut()
                            .expect("cards")
                            .push(serde_json::to_value(&card).expect("card"));
                        let _ = d.api.upsert(&d.actor, &b.id, &with);
                    }
                }
            }
            Op::Sync { desk } => {
                let d = &desks[desk % desks.len()];
                journal.syncs.push((index, desk % desks.len()));
                let _ = d.replica.sync_once(0).await;
            }
            Op::Offline { desk, cut } => proxies[desk % proxies.len()].cut(cut),
        }
    }
    credits
}

/// Syncs every desk until two rounds in a row change nothing and nothing waits to be pushed.
async fn sync_until_quiet(desks: &[Desk]) {
    let mut quiet_rounds = 0;
    let mut last = Vec::new();
    for _ in 0..40 {
        let mut quiet = true;
        last.clear();
        for d in desks {
            match d.replica.sync_once(0).await {
                Ok(r) => {
                    quiet &= r.pulled == 0 && r.pushed == 0;
                    last.push(r);
                }
                Err(e) => panic!("a sync failed with the faults off: {e}"),
            }
        }
        quiet_rounds = if quiet { quiet_rounds + 1 } else { 0 };
        if quiet_rounds == 2 {
            return;
        }
    }
    panic!("the desks did not settle: {last:?}");
}

fn as_json(customers: Vec<Customer>) -> Vec<Value> {
    customers
        .into_iter()
        .map(|c| serde_json::to_value(c).expect("json"))
        .collect()
}

async fn converge(
    ops: Vec<Op>,
    desks_n: usize,
    seed: u64,
    portos: bool,
) -> Result<Tally, TestCaseError> {
    let server = if portos {
        TestServer::start_portos(chrono::Utc::now()).await
    } else {
        TestServer::start(chrono::Utc::now()).await
    };
    let office = Actor::new("office", Rights::admin());
    for n in 0..4 {
        server
            .auth
            .api()
            .create(&office, &json!({"firstName": format!("Start{n}"), "cards": [{"serialNumber": format!("10{n}")}]}))
            .expect("seed");
    }
    let user = server.add_user(Rights::admin());
    let mut proxies = Vec::new();
    let mut desks = Vec::new();
    for n in 0..desks_n {
        let proxy = FaultProxy::start(&server.base_url, seed + n as u64).await;
        desks.push(Desk::attach(&proxy.url, &user).await);
        proxy.set_fault_rate(250);
        proxies.push(proxy);
    }
    let mut serials = 0;
    let mut journal = Journal::default();
    let credits = run_ops(&desks, &proxies, &ops, &mut serials, &mut journal).await;

    // Everyone online, no faults: settle.
    for p in &proxies {
        p.cut(false);
        p.set_fault_rate(0);
    }
    let healed = Instant::now();
    sync_until_quiet(&desks).await;
    let converge = healed.elapsed();

    let on_server = server_customers(&server);
    // Money: each balance is the sum of its ledger; no operation twice.
    let mut seen_ops = HashSet::new();
    for c in &on_server {
        let sum: rust_decimal::Decimal = c.credit_transactions.iter().map(|t| t.amount).sum();
        prop_assert_eq!(
            sum,
            c.credit.amount,
            "balance of {} is not its ledger",
            c.id
        );
        for t in &c.credit_transactions {
            if let Some(op) = &t.operation_id {
                prop_assert!(
                    seen_ops.insert(op.clone()),
                    "operation {} applied twice",
                    op
                );
            }
        }
    }
    // Every acknowledged credit operation is on the server, or waits for a person (or its
    // customer was deleted since, with its ledger).
    if !portos {
        let live: HashSet<&str> = on_server.iter().map(|c| c.id.as_str()).collect();
        for (op, (desk, id)) in credits
            .iter()
            .filter(|(_, (_, id))| live.contains(id.as_str()))
        {
            let waits = desks[*desk]
                .api
                .store()
                .read(|s| {
                    Ok::<_, customer_desk::store::Error>(
                        replica::conflict_of(s, id)?.is_some()
                            || replica::outbox_of(s, id)?
                                .iter()
                                .any(|e| e.parked.is_some()),
                    )
                })
                .expect("read");
            prop_assert!(seen_ops.contains(op) || waits, "operation {} was lost", op);
        }
    }
    // Every concurrent clash on one field is a conflict on some desk.
    let mut recorded: Vec<(String, String)> = Vec::new();
    for d in &desks {
        for c in conflicts::list(&d.api).expect("conflicts") {
            recorded.extend(c.fields.into_iter().map(|f| (c.id.clone(), f.field)));
        }
    }
    let clashes = journal.concurrent_clashes();
    let checked_clashes = clashes.len();
    for (id, field) in clashes {
        prop_assert!(
            recorded.contains(&(id.clone(), FIELDS[field].to_owned())),
            "{} of {} was changed on two desks at once and no conflict says so",
            FIELDS[field],
            id
        );
    }
    // Every desk equals the server, but for customers that wait for a person there.
    let mut conflicts_for_a_person = 0;
    for d in &desks {
        let open: HashSet<String> = conflicts::list(&d.api)
            .expect("conflicts")
            .into_iter()
            .map(|c| c.id)
            .collect();
        conflicts_for_a_person += open.len() as u64;
        let parked: HashSet<String> = d
            .api
            .store()
            .read(replica::outbox)
            .expect("outbox")
            .into_iter()
            .map(|e| e.customer_id)
            .collect();
        let keep = |c: &Customer| !open.contains(&c.id) && !parked.contains(&c.id);
        let mine: Vec<Customer> = d.all().into_iter().filter(|c| keep(c)).collect();
        let theirs: Vec<Customer> = on_server.iter().filter(|c| keep(c)).cloned().collect();
        prop_assert_eq!(as_json(mine), as_json(theirs));
    }
    // A person decides every conflict (the server's side) and gives up parked writes; then
    // every desk equals the server exactly.
    for d in &desks {
        for c in conflicts::list(&d.api).expect("conflicts") {
            conflicts::resolve(&d.api, &c.id, Take::Server).expect("resolve");
        }
        let parked: Vec<i64> = d
            .api
            .store()
            .read(replica::outbox)
            .expect("outbox")
            .into_iter()
            .filter(|e| e.parked.is_some())
            .map(|e| e.seq)
            .collect();
        for seq in parked {
            conflicts::discard_parked(&d.api, seq).expect("discard");
        }
    }
    sync_until_quiet(&desks).await;
    let on_server = as_json(server_customers(&server));
    for d in &desks {
        prop_assert_eq!(as_json(d.all()), on_server.clone());
    }
    let mut faults = BTreeMap::new();
    for p in &proxies {
        for (k, v) in p.faults() {
            *faults.entry(k).or_default() += v;
        }
    }
    Ok(Tally {
        ops: ops.len(),
        acknowledged: credits.len(),
        faults,
        conflicts_for_a_person,
        clashes_checked: checked_clashes,
        converge,
    })
}

fn cases() -> u32 {
    std::env::var("CUSTOMER_DESK_SYNC_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4)
}

fn check(portos: bool) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let totals = std::sync::Mutex::new(Tally::default());
    let config = ProptestConfig {
        cases: cases(),
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in prop::collection::vec(op(), 10..60), desks in 2..=3usize, seed in any::<u64>())| {
        let tally = runtime.block_on(converge(ops, desks, seed, portos))?;
        let mut totals = totals.lock().expect("totals");
        totals.ops += tally.ops;
        totals.acknowledged += tally.acknowledged;
        totals.conflicts_for_a_person += tally.conflicts_for_a_person;
        totals.clashes_checked += tally.clashes_checked;
        totals.converge = totals.converge.max(tally.converge);
        for (k, v) in tally.faults {
            *totals.faults.entry(k).or_default() += v;
        }
    });
    let totals = totals.into_inner().expect("totals");
    println!(
        "convergence ({}): {} operations, {} credit adjustments acknowledged, faults {:?}, {} merged automatically, {} conflicts left to a person ({} concurrent same-field clashes checked), slowest settle {:?}",
        if portos {
            "PORTOS-compatible"
        } else {
            "our server"
        },
        totals.ops,
        totals.acknowledged,
        totals.faults,
        customer_desk::sync::merged_automatically(),
        totals.conflicts_for_a_person,
        totals.clashes_checked,
        totals.converge
    );
}

#[test]
fn replicas_converge_with_the_server_through_faults() {
    check(false);
}

#[test]
fn replicas_converge_with_a_portos_compatible_server() {
    check(true);
}
