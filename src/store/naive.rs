//! The questions `bench` times, answered the naive way for comparison: a plain `LIKE` over
//! the raw columns and the JSON documents, no word index, no card table. Nothing but the
//! benchmark uses these.

use rand::Rng;
use rand::rngs::StdRng;

use super::{Result, Snapshot};

/// Counts the customers whose names, company name or note contain `term` (SQLite's `LIKE`),
/// and reads the first 50 of them in id order.
pub fn search(snapshot: &Snapshot<'_>, term: &str) -> Result<()> {
    let conn = snapshot.conn();
    let pattern = format!("%{term}%");
    let _: i64 = conn.query_row(
        "SELECT count(*) FROM customers
         WHERE first_name LIKE ?1 OR last_name LIKE ?1 OR company_name LIKE ?1 OR note LIKE ?1",
        [&pattern],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(
        "SELECT doc_json(d.doc) FROM customers JOIN customer_docs d USING (rid)
         WHERE first_name LIKE ?1 OR last_name LIKE ?1 OR company_name LIKE ?1 OR note LIKE ?1
         ORDER BY id LIMIT 50",
    )?;
    let rows = stmt.query_map([&pattern], |r| r.get::<_, String>(0))?;
    for row in rows {
        std::hint::black_box(row?);
    }
    Ok(())
}

/// Finds the customer holding the card `serial` by scanning every document's JSON.
pub fn card(snapshot: &Snapshot<'_>, serial: &str) -> Result<()> {
    let pattern = format!("%\"serialNumber\":\"{serial}\"%");
    let mut stmt = snapshot.conn().prepare(
        "SELECT json FROM (SELECT doc_json(doc) AS json FROM customer_docs) WHERE json LIKE ?1 LIMIT 1",
    )?;
    let rows = stmt.query_map([&pattern], |r| r.get::<_, String>(0))?;
    for row in rows {
        std::hint::black_box(row?);
    }
    Ok(())
}

/// Counts the customers whose phone number, with spaces, dashes, dots, brackets and
/// slashes taken out, contains `digits` (SQLite's `LIKE`), and reads the first 50.
pub fn phone(snapshot: &Snapshot<'_>, digits: &str) -> Result<()> {
    column_scan(
        snapshot,
        "replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), '.', ''), \
         '(', ''), ')', ''), '/', '')",
        &format!("%{digits}%"),
    )
}

/// Counts the customers whose e-mail contains `part` (SQLite's `LIKE`), and reads the
/// first 50.
pub fn email(snapshot: &Snapshot<'_>, part: &str) -> Result<()> {
    column_scan(snapshot, "email", &format!("%{part}%"))
}

/// A count and the first 50 documents of the customers whose `expr` is `LIKE` `pattern`.
fn column_scan(snapshot: &Snapshot<'_>, expr: &str, pattern: &str) -> Result<()> {
    let conn = snapshot.conn();
    let _: i64 = conn.query_row(
        &format!("SELECT count(*) FROM customers WHERE {expr} LIKE ?1"),
        [pattern],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT doc_json(d.doc) FROM customers JOIN customer_docs d USING (rid)
         WHERE {expr} LIKE ?1 ORDER BY id LIMIT 50"
    ))?;
    let rows = stmt.query_map([pattern], |r| r.get::<_, String>(0))?;
    for row in rows {
        std::hint::black_box(row?);
    }
    Ok(())
}

/// `n` customer ids picked at random (with repeats), for a benchmark's lookups.
pub fn sample_ids(snapshot: &Snapshot<'_>, n: usize, rng: &mut StdRng) -> Result<Vec<String>> {
    let conn = snapshot.conn();
    let max: i64 = conn.query_row("SELECT coalesce(max(rid), 1) FROM customers", [], |r| {
        r.get(0)
    })?;
    let mut stmt = conn.prepare("SELECT id FROM customers WHERE rid >= ?1 ORDER BY rid LIMIT 1")?;
    (0..n)
        .map(|_| Ok(stmt.query_row([rng.random_range(1..=max.max(1))], |r| r.get(0))?))
        .collect()
}
