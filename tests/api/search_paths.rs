//! Both ways `Search` picks a page give the answer a plain scan gives: reading and sorting
//! every match (few matches) and walking the sort index (many matches, here over 20,000),
//! and a walk given up for sorting when the matches sit at the far end of the sort order;
//! and so does a word index rebuilt at open after a bulk load that deferred it.

use std::sync::Arc;

use customer_desk::api::LocalApi;
use customer_desk::clock::FixedClock;
use customer_desk::model::{Actor, Customer, Rights};
use customer_desk::ndata::ListParams;
use customer_desk::store::{Store, search_text};

#[test]
fn search_pages_match_a_plain_scan() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FixedClock::new(
        "2026-06-01T12:00:00Z".parse().expect("time"),
    ));
    let path = dir.path().join("s.db");
    let api = LocalApi::new(Store::open(&path).expect("store"), clock.clone());
    customer_desk::demo::load(&api, 25_000, 3, &mut |_| true).expect("demo");
    check_searches(&api);

    // A bulk load that stopped before indexing: the mark is set and the index is empty.
    api.store().with_writer(|conn| {
        customer_desk::store::mark_search_index_stale(conn).expect("mark");
        conn.execute_batch(
            "DELETE FROM word_postings;
             DELETE FROM search_words;",
        )
        .expect("empty the index");
    });
    drop(api);
    let api = LocalApi::new(Store::open(&path).expect("reopen"), clock);
    check_searches(&api);
}

fn check_searches(api: &LocalApi) {
    let actor = Actor::new("t", Rights::admin());
    let list = |query: &str| {
        api.list(&actor, &ListParams::from_query_string(query))
            .expect("list")
    };

    let everyone = list("$sort=lastName").items.expect("items");
    for words in [
        vec!["ova"],
        vec!["a"],
        vec!["an"],
        // In so many tax ids that every customer's text is scanned instead.
        vec!["20"],
        vec!["horvath"],
        // All at the far end of the lastName order: the index walk gives up and sorts.
        vec!["zeman"],
        vec!["jan", "ova"],
        vec!["s.r.o", "agro"],
        vec!["zz9"],
    ] {
        let expected: Vec<&Customer> = everyone
            .iter()
            .filter(|c| {
                let text = search_text(c);
                words.iter().all(|w| text.contains(w))
            })
            .collect();
        let query = format!("Search={}&$sort=lastName", words.join("+"));
        let first = list(&format!("{query}&$take=50"));
        assert_eq!(first.total_count, expected.len() as u64, "{query}");
        let ids: Vec<&str> = first
            .items
            .as_ref()
            .expect("items")
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let want: Vec<&str> = expected.iter().take(50).map(|c| c.id.as_str()).collect();
        assert_eq!(ids, want, "first page of {query}");
        let skip = expected.len().saturating_sub(10);
        let last = list(&format!("{query}&$skip={skip}&$take=50"));
        let ids: Vec<&str> = last
            .items
            .as_ref()
            .expect("items")
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let want: Vec<&str> = expected.iter().skip(skip).map(|c| c.id.as_str()).collect();
        assert_eq!(ids, want, "last page of {query}");
    }
    assert!(
        list("Search=a&$count=true").total_count > 20_000,
        "the broad path is exercised"
    );
}
