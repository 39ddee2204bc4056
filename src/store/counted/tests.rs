//! The counted paths (blocks and code indexes) answer every count and page exactly as a
//! plain scan does, after any mix of creates, updates and deletes, and after a rebuild.

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::model::{Card, Customer};
use crate::ndata::{ListParams, parse_list_query};
use crate::store::customers::{self, encode_doc};
use crate::store::{ListPlan, Store};

/// Last names with diacritics, case and a prefix of another, and none.
const NAMES: &[Option<&str>] = &[
    None,
    Some("Novák"),
    Some("novak"),
    Some("Nováková"),
    Some("Čapek"),
    Some("Zed"),
];

/// The customer numbered `n` in the state `state` (any number).
fn customer(n: u32, state: u32) -> Customer {
    let pick =
        |salt: u32, len: u32| (state.wrapping_mul(2_654_435_761) ^ salt.wrapping_mul(40_503)) % len;
    let time = |s: u32| -> Option<DateTime<Utc>> {
        (!s.is_multiple_of(4)).then(|| {
            Utc.timestamp_opt(1_700_000_000 + i64::from(s % 5) * 86_400, 0)
                .single()
        })?
    };
    Customer {
        id: format!("c{n:03}"),
        external_id: (pick(1, 3) != 0).then(|| format!("E{}-{n}", pick(2, 3))),
        is_active: pick(3, 2) == 0,
        last_name: NAMES[pick(4, NAMES.len() as u32) as usize].map(str::to_owned),
        expiration_time: time(pick(5, 20)),
        discount_rate: Decimal::new(i64::from(pick(6, 5)) * 250, 2),
        credit_rate: Decimal::new(i64::from(pick(7, 3)), 0),
        // Up to three cards, numbered far apart (a card of `30…` between a customer's `29…`
        // and `31…` ones) or next to each other.
        cards: (0..pick(8, 4))
            .map(|k| Card {
                serial_number: Some(format!(
                    "{}{n:03}{k}{}",
                    ["29", "30", "31"][((k + pick(10, 3)) % 3) as usize],
                    pick(9, 7)
                )),
                ..Card::default()
            })
            .collect(),
        ..Customer::default()
    }
}

#[derive(Debug, Clone)]
enum Op {
    Put { n: u32, state: u32 },
    Delete { n: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..40u32, any::<u32>()).prop_map(|(n, state)| Op::Put { n, state }),
        1 => (0..40u32).prop_map(|n| Op::Delete { n }),
    ]
}

fn apply(store: &Store, op: &Op) {
    store
        .write(|tx| -> crate::store::Result<()> {
            match *op {
                Op::Put { n, state } => {
                    let c = customer(n, state);
                    let doc = encode_doc(&c)?;
                    match customers::find_by_id(tx, &c.id)? {
                        Some((rid, _)) => customers::update(tx, rid, &c, &doc),
                        None => customers::insert(tx, &c, &doc).map(drop),
                    }
                }
                Op::Delete { n } => match customers::find_by_id(tx, &format!("c{n:03}"))? {
                    Some((rid, _)) => customers::delete(tx, rid),
                    None => Ok(()),
                },
            }
        })
        .expect("write");
}

/// Filters of every counted member and operator, and code `like`s.
const FILTERS: &[&str] = &[
    "",
    "DiscountRate=between:2.5:7.5",
    "DiscountRate=between:7.5:2.5",
    "DiscountRate=5",
    "DiscountRate=ne:5",
    "DiscountRate=gt:2.5",
    "DiscountRate=ge:2.501",
    "DiscountRate=lt:5",
    "DiscountRate=le:5.0000001",
    "DiscountRate=ge:1;le:5",
    "DiscountRate=in:0:5:5:10",
    "DiscountRate=nin:0:2.5",
    "DiscountRate=2.0000001",
    "CreditRate=ge:1",
    "CreditAmount=ge:0",
    "IsActive=false",
    "IsActive=ne:true",
    "ExpirationTime=null",
    "ExpirationTime=notnull",
    "ExpirationTime=lt:2023-11-16T22:13:20Z",
    "ExpirationTime=le:2023-11-16T22:13:20Z",
    "ExpirationTime=gt:2023-11-16T22:13:20Z",
    "ExpirationTime=ne:2023-11-15T22:13:20Z",
    "ExpirationTime=between:2023-11-15:2023-11-17",
    "IsExpired=true",
    "IsExpired=false",
    "ExternalId=E1-3",
    "ExternalId=ne:E1-3",
    "ExternalId=null",
    "ExternalId=notnull",
    "ExternalId=gt:E1",
    "ExternalId=between:E0:E2",
    "ExternalId=in:E1-3:E2-4:nobody",
    "ExternalId=nin:E1-3:E2-4",
    "ExternalId=like:1-1",
    "ExternalId=like:e2-",
    "ExternalId=like:1",
    "CardSerialNumber=like:2900",
    "CardSerialNumber=like:011",
    "CardSerialNumber=like:29",
    "CardSerialNumber=like:2901&ExternalId=like:E1",
    "CardSerialNumber=like:290&IsActive=true",
    "CardSerialNumber=gt:30",
    "CardSerialNumber=ge:3001",
    "CardSerialNumber=lt:30020",
    "CardSerialNumber=le:2903",
    "CardSerialNumber=between:30:30999",
    "CardSerialNumber=between:2902:3003",
    "CardSerialNumber=between:30010:30011",
    "CardSerialNumber=between:3001000:3001999",
    "CardSerialNumber=between:31:29",
    "CardSerialNumber=gt:30&ExternalId=gt:E1",
    "ExternalId=gt:E1&IsActive=true",
    "ExternalId=le:E1-2&DiscountRate=ge:5",
];

const SORTS: &[&str] = &[
    "",
    "$sort=id:desc",
    "$sort=lastName",
    "$sort=-lastName",
    "$sort=discountRate:desc",
    "$sort=expirationTime",
    "$sort=-expirationTime",
    "$sort=externalId",
    "$sort=isActive,id",
    "$sort=isActive,-id",
];

/// Every filter's count and every sort's pages, by the plan and by its plain twin.
fn check_all(store: &Store, skips: &[u64]) -> Result<(), TestCaseError> {
    let now = Utc.timestamp_opt(1_700_150_000, 0).single().expect("now");
    for filter in FILTERS {
        for sort in SORTS {
            let query =
                parse_list_query(&ListParams::from_query_string(&format!("{filter}&{sort}")))
                    .expect("query");
            let plan = ListPlan::new(&query, now);
            let plain = plan.plain();
            store.read(|s| -> Result<(), TestCaseError> {
                let (counted, scanned) = (
                    plan.select(s).expect("select"),
                    plain.select(s).expect("plain"),
                );
                prop_assert_eq!(counted.total(), scanned.total(), "{} {}", filter, sort);
                for &skip in skips {
                    for take in [1, 3] {
                        prop_assert_eq!(
                            counted.page(s, skip, Some(take)).expect("page"),
                            scanned.page(s, skip, Some(take)).expect("plain page"),
                            "{} {} skip {} take {}",
                            filter,
                            sort,
                            skip,
                            take
                        );
                    }
                }
                Ok(())
            })?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn counts_and_pages_match_a_scan_after_any_writes(
        ops in proptest::collection::vec(op(), 1..120),
        skips in proptest::collection::vec(0u64..45, 3),
    ) {
        let store = Store::open_in_memory().expect("store");
        for op in &ops {
            apply(&store, op);
        }
        // With whatever moves are waiting, then with every move folded into the blocks.
        prop_assert!(store.read_sql(super::add_up).expect("add up"));
        check_all(&store, &skips)?;
        store.with_writer(|conn| super::moves::fold(conn)).expect("fold");
        prop_assert_eq!(waiting_moves(&store), 0);
        prop_assert!(store.read_sql(super::add_up).expect("add up"));
        check_all(&store, &skips)?;
        // Built again in one pass, the blocks answer the same.
        store.with_writer(|conn| super::rebuild(conn)).expect("rebuild");
        check_all(&store, &skips)?;
        prop_assert!(store.read_sql(super::add_up).expect("add up"));
    }
}

/// How many moves wait to be folded into the blocks.
fn waiting_moves(store: &Store) -> i64 {
    store
        .read_sql(|c| c.query_row("SELECT count(*) FROM count_moves", [], |r| r.get(0)))
        .expect("count moves")
}

#[test]
fn writes_fold_their_moves_before_many_wait() {
    let store = Store::open_in_memory().expect("store");
    let mut most = 0;
    for n in 0..200 {
        apply(
            &store,
            &Op::Put {
                n: n % 40,
                state: n * 7919,
            },
        );
        most = most.max(waiting_moves(&store));
    }
    // One write moves at most a couple of dozen entries, and the write that reaches the
    // bound folds them all.
    assert!(most > 0, "writes append moves");
    assert!(most < super::moves::FOLD_AT, "{most} moves waited");
    assert!(store.read_sql(super::add_up).expect("add up"));
}

#[test]
fn entries_encode_in_the_order_of_the_index() {
    use rusqlite::types::ValueRef;
    let e = |v: ValueRef<'_>, id: &str| super::encode_entry(1, v, id);
    let ordered = [
        e(ValueRef::Null, "a"),
        e(ValueRef::Null, "b"),
        e(ValueRef::Integer(i64::MIN), "a"),
        e(ValueRef::Integer(-1), "a"),
        e(ValueRef::Integer(0), "a"),
        e(ValueRef::Integer(7), "a"),
        e(ValueRef::Text(b""), "z"),
        e(ValueRef::Text(b"a"), "z"),
        e(ValueRef::Text(b"a\0"), "a"),
        e(ValueRef::Text(b"ab"), "a"),
        e(ValueRef::Text("č".as_bytes()), "a"),
    ];
    for pair in ordered.windows(2) {
        assert!(pair[0] < pair[1], "{pair:?}");
    }
}

/// A store of 30 customers whose blocks add up.
fn store_of_thirty() -> Store {
    let store = Store::open_in_memory().expect("store");
    for n in 0..30 {
        apply(&store, &Op::Put { n, state: n * 7919 });
    }
    assert!(store.read_sql(super::add_up).expect("add up"));
    store
}

#[test]
fn blocks_that_add_up_but_hold_other_entries_are_found() {
    let store = store_of_thirty();
    // One entry counted in the first block of a key instead of its last.
    store
        .with_writer(|c| {
            c.execute_batch(
                "UPDATE count_blocks SET n = n + 1 WHERE key = 14 AND start = X'';
                 UPDATE count_blocks SET n = n - 1 WHERE key = 14
                 AND start = (SELECT max(start) FROM count_blocks WHERE key = 14);",
            )
        })
        .expect("damage");
    assert!(!store.read_sql(super::add_up).expect("add up"));
}

#[test]
fn a_waiting_move_of_no_block_is_found() {
    let store = store_of_thirty();
    // A move in and a move out that add up, one of them naming a block that is not there.
    store
        .with_writer(|c| {
            c.execute_batch(
                "INSERT INTO count_moves (key, start, d) VALUES (14, X'', 1);
                 INSERT INTO count_moves (key, start, d) VALUES (14, X'FFFF', -1);",
            )
        })
        .expect("damage");
    assert!(!store.read_sql(super::add_up).expect("add up"));
}
