//! `Search` after any mix of creates, updates and deletes gives the answer a plain scan of
//! the customers gives, and the word index's vocabulary counts exactly the words the stored
//! customers have.

use std::collections::BTreeMap;
use std::sync::Arc;

use customer_desk::api::LocalApi;
use customer_desk::clock::FixedClock;
use customer_desk::model::{Actor, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::store::{Store, search_text};
use customer_desk::text::fold;
use proptest::prelude::*;
use serde_json::json;

/// Names that share words and parts of words, with diacritics, punctuation and a one-letter
/// word.
const NAMES: &[&str] = &[
    "Novák",
    "Nováková",
    "Anna",
    "Ana Kováč",
    "Agro s.r.o.",
    "Kovács Kft.",
    "A",
    "novakova-kovac",
];
/// Search words: whole words, parts, short words, several words, and nothing.
const SEARCHES: &[&str] = &[
    "novak",
    "ova",
    "an",
    "a",
    "kova",
    "s.r",
    "agro s.r.o",
    "nova kov",
    "zz",
    "kft. a",
];

#[derive(Debug, Clone)]
enum Op {
    Put {
        customer: usize,
        first: usize,
        last: usize,
        note: Option<usize>,
    },
    Delete {
        customer: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let index = 0..NAMES.len();
    prop_oneof![
        3 => (0..5usize, index.clone(), index.clone(), proptest::option::of(index)).prop_map(
            |(customer, first, last, note)| Op::Put { customer, first, last, note }
        ),
        1 => (0..5usize).prop_map(|customer| Op::Delete { customer }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn search_matches_a_scan_after_any_writes(ops in proptest::collection::vec(op(), 1..24)) {
        let clock = Arc::new(FixedClock::new("2026-06-01T12:00:00Z".parse().expect("time")));
        let api = LocalApi::new(Store::open_in_memory().expect("store"), clock);
        let admin = Actor::new("admin", Rights::admin());
        for op in &ops {
            match *op {
                Op::Put { customer, first, last, note } => {
                    let body = json!({
                        "firstName": NAMES[first],
                        "lastName": NAMES[last],
                        "note": note.map(|n| NAMES[n]),
                    });
                    api.upsert(&admin, &format!("c{customer}"), &body).expect("put");
                }
                Op::Delete { customer } => {
                    let _ = api.delete(&admin, &format!("c{customer}"));
                }
            }
        }
        let everyone = api
            .list(&admin, &ListParams::from_query_string("$sort=id"))
            .expect("list")
            .items
            .expect("items");
        for search in SEARCHES {
            let words: Vec<String> =
                search.split_whitespace().map(|w| fold(w).into_owned()).collect();
            let expected: Vec<&str> = everyone
                .iter()
                .filter(|c| {
                    let text = search_text(c);
                    words.iter().all(|w| text.contains(w.as_str()))
                })
                .map(|c| c.id.as_str())
                .collect();
            let found = api
                .list(&admin, &ListParams::from_query_string(&format!("Search={search}&$sort=id")))
                .expect("search");
            let ids: Vec<String> =
                found.items.expect("items").into_iter().map(|c| c.id).collect();
            prop_assert_eq!(ids, expected, "Search={}", search);
        }

        // The vocabulary holds each word of the stored texts once, with its count of users.
        let mut expected_uses: BTreeMap<String, i64> = BTreeMap::new();
        for c in &everyone {
            let text = search_text(c);
            let mut words: Vec<&str> = text.split_whitespace().collect();
            words.sort_unstable();
            words.dedup();
            for word in words {
                *expected_uses.entry(word.to_owned()).or_default() += 1;
            }
        }
        let uses: BTreeMap<String, i64> = api
            .store()
            .read_sql(|conn| {
                conn.prepare("SELECT word, uses FROM search_words")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()
            })
            .expect("vocabulary");
        prop_assert_eq!(uses, expected_uses);
    }
}
