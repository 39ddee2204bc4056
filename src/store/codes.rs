//! Trigram indexes over the codes a cashier types part of: external ids and card serial
//! numbers, for `like` (contains) on `ExternalId` and `CardSerialNumber`.
//!
//! Each is a contentless FTS5 table with the trigram tokenizer, one row per customer (its
//! row id): the external id, or every card's serial number, one a line. A pattern of three
//! characters or more gives the customers whose row has all of its trigrams: every customer
//! the `LIKE` matches, and perhaps a few more (the trigrams in another order, or another
//! case of a letter beyond ASCII; the tokenizer folds case, as `LIKE` does for ASCII). Each
//! candidate is then checked with the `LIKE` itself, so the answer is exact; the index only
//! spares the scan of every code. A pattern so common that checking its candidates would
//! cost more than that scan (`290` is in every demo card number) is scanned for instead.

use rusqlite::{Connection, OptionalExtension, params};

/// One code index: its table and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Codes {
    /// `code_grams_external_id`: the external id.
    ExternalId,
    /// `code_grams_cards`: the serial numbers of the customer's cards.
    Cards,
}

impl Codes {
    fn table(self) -> &'static str {
        match self {
            Codes::ExternalId => "code_grams_external_id",
            Codes::Cards => "code_grams_cards",
        }
    }
}

/// Whether a `like` pattern can be answered from the index: it has a trigram.
pub(super) fn indexable(pattern: &str) -> bool {
    pattern.chars().count() >= 3
}

/// Sets customer `rid`'s row in `codes` to `text` (none: no row), replacing what was there.
pub(super) fn set(
    conn: &Connection,
    codes: Codes,
    rid: i64,
    text: Option<&str>,
) -> rusqlite::Result<()> {
    let table = codes.table();
    conn.prepare_cached(&format!("DELETE FROM {table} WHERE rowid = ?1"))?
        .execute([rid])?;
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        conn.prepare_cached(&format!(
            "INSERT INTO {table} (rowid, code) VALUES (?1, ?2)"
        ))?
        .execute(params![rid, text])?;
    }
    Ok(())
}

/// Adds customer `rid` (new, no row yet) to `codes`.
pub(super) fn add(conn: &Connection, codes: Codes, rid: i64, text: &str) -> rusqlite::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let table = codes.table();
    conn.prepare_cached(&format!(
        "INSERT INTO {table} (rowid, code) VALUES (?1, ?2)"
    ))?
    .execute(params![rid, text])?;
    Ok(())
}

/// From this share of all customers on, the candidates of a pattern are not checked one
/// by one: a scan of every code costs less.
const CANDIDATES_MAX_SHARE: u64 = 8;

/// The row ids, ascending, of the customers whose codes contain `pattern`, ignoring the
/// case of ASCII letters (SQLite's `LIKE`): from the trigram index when `indexed` and the
/// pattern has a trigram, then checked one by one, or by a scan of every code.
pub(super) fn matching(
    conn: &Connection,
    codes: Codes,
    pattern: &str,
    indexed: bool,
) -> rusqlite::Result<Vec<i64>> {
    let like = format!("%{}%", super::list::like_escape(pattern));
    if indexed && indexable(pattern) {
        let customers: i64 = conn
            .prepare_cached("SELECT value FROM counters WHERE name = 'customers'")?
            .query_row([], |r| r.get(0))?;
        let most = customers.max(0) as u64 / CANDIDATES_MAX_SHARE;
        if let Some(found) = candidates(conn, codes, pattern, most)? {
            let sql = match codes {
                Codes::Cards => {
                    "SELECT m.value FROM rarray(?1) m WHERE EXISTS (SELECT 1 FROM cards k \
                     WHERE k.customer_rid = m.value AND k.serial LIKE ?2 ESCAPE '\\')"
                }
                Codes::ExternalId => {
                    "SELECT m.value FROM rarray(?1) m CROSS JOIN customers c ON c.rid = m.value \
                     WHERE c.external_id LIKE ?2 ESCAPE '\\'"
                }
            };
            return conn
                .prepare_cached(sql)?
                .query_map(params![super::list::as_array(&found), like], |r| r.get(0))?
                .collect();
        }
    }
    // A pattern with a leading % cannot seek: the small partial index of external ids and
    // the card table are scanned, not every customer's row.
    let sql = match codes {
        Codes::Cards => "SELECT DISTINCT customer_rid FROM cards WHERE serial LIKE ?1 ESCAPE '\\'",
        Codes::ExternalId => {
            "SELECT rid FROM customers WHERE external_id IS NOT NULL \
             AND external_id LIKE ?1 ESCAPE '\\'"
        }
    };
    let mut rids: Vec<i64> = conn
        .prepare_cached(sql)?
        .query_map([like], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    rids.sort_unstable();
    rids.dedup();
    Ok(rids)
}

/// How many of a pattern's trigrams, the rarest, the index is asked for.
const TRIGRAMS_ASKED: usize = 3;

/// The row ids, ascending, of the customers whose codes may contain `pattern` (of three
/// characters or more): a superset of those that do. `None` when that would be more than
/// `most`: then a scan costs less than checking them.
///
/// The index is asked for the rows holding the pattern's rarest trigrams, by the counts of
/// [`estimate_uses`]: `290` is in every demo card number and costs a million row ids to
/// read, where `115` narrows the search as much at a hundredth of the cost. Counts that
/// are behind the index only make the choice worse, never the answer wrong; a trigram
/// without a count is taken for a rare one.
fn candidates(
    conn: &Connection,
    codes: Codes,
    pattern: &str,
    most: u64,
) -> rusqlite::Result<Option<Vec<i64>>> {
    let table = codes.table();
    let mut grams: Vec<(i64, String)> = Vec::new();
    let chars: Vec<char> = pattern.chars().collect();
    for window in chars.windows(3) {
        let gram: String = window.iter().collect();
        if grams.iter().any(|(_, g)| *g == gram) {
            continue;
        }
        // The tokenizer folds case; a trigram it folds otherwise is not found here and
        // counts as rare, so it is asked for, and the index folds it its own way.
        let folded = gram.to_lowercase();
        let uses: i64 = conn
            .prepare_cached("SELECT uses FROM code_gram_uses WHERE codes = ?1 AND gram = ?2")?
            .query_row([table, &folded], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        grams.push((uses, gram));
    }
    grams.sort();
    if grams.first().is_some_and(|(uses, _)| *uses as u64 > most) {
        return Ok(None);
    }
    let asked: Vec<String> = grams
        .iter()
        .take(TRIGRAMS_ASKED)
        .map(|(_, gram)| format!("\"{}\"", gram.replace('"', "\"\"")))
        .collect();
    let found: Vec<i64> = conn
        .prepare_cached(&format!(
            "SELECT rowid FROM {table} WHERE {table} MATCH ?1 ORDER BY rowid"
        ))?
        .query_map([asked.join(" AND ")], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok((found.len() as u64 <= most).then_some(found))
}

/// Merges each code index into one segment: the end of [`rebuild`], and schema 12 for the
/// stores built before it.
pub(super) const MERGE_INTO_ONE_SEGMENT: &str =
    "INSERT INTO code_grams_external_id (code_grams_external_id) VALUES ('optimize');
     INSERT INTO code_grams_cards (code_grams_cards) VALUES ('optimize');";

/// Fills both indexes from the table in one pass, merges each into one segment, and clears
/// the stale mark.
///
/// One pass leaves FTS5 with several large segments per level, some of them half merged,
/// and FTS5 finishes those merges inside the writes that come next: on a store of 1M the
/// 326th create after a load wrote 2,155 pages of the log (2,016 of them the cards' index)
/// and took 250 ms, and a few of the first 2,000 creates took 60–375 ms. `optimize` does
/// that merge here, once, in the load's time.
pub(super) fn rebuild(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "INSERT INTO code_grams_external_id (code_grams_external_id) VALUES ('delete-all');
         INSERT INTO code_grams_cards (code_grams_cards) VALUES ('delete-all');
         INSERT INTO code_grams_external_id (rowid, code)
             SELECT rid, external_id FROM customers WHERE external_id IS NOT NULL ORDER BY rid;
         INSERT INTO code_grams_cards (rowid, code)
             SELECT customer_rid, group_concat(serial, char(10)) FROM cards
             GROUP BY customer_rid ORDER BY customer_rid;
         DELETE FROM counters WHERE name = 'codes_stale';",
    )?;
    conn.execute_batch(MERGE_INTO_ONE_SEGMENT)?;
    estimate_uses(conn)
}

/// Counts how many codes hold each trigram, for [`candidates`] to ask for the rarest: each
/// count reads the trigram's whole list, so they are taken when the indexes are built and
/// when the store has doubled since.
pub(super) fn estimate_uses(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM code_gram_uses;
         INSERT INTO code_gram_uses (codes, gram, uses)
             SELECT 'code_grams_external_id', term, doc FROM code_grams_external_id_vocab;
         INSERT INTO code_gram_uses (codes, gram, uses)
             SELECT 'code_grams_cards', term, doc FROM code_grams_cards_vocab;
         INSERT OR REPLACE INTO counters (name, value)
             SELECT 'codes_estimated_at', value FROM counters WHERE name = 'customers';",
    )
}

/// Whether the store has more than doubled since the trigram counts were taken.
pub(super) fn estimates_behind(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT coalesce((SELECT value FROM counters WHERE name = 'customers'), 0)
              > 2 * coalesce((SELECT value FROM counters WHERE name = 'codes_estimated_at'), 0)
                + 1000",
        [],
        |r| r.get(0),
    )
}

/// Whether the code indexes are marked as behind the tables.
pub(super) fn is_stale(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM counters WHERE name = 'codes_stale')")?
        .query_row([], |r| r.get(0))
}

/// Marks the code indexes as behind the tables (a bulk load that fills them at its end).
pub(super) fn mark_stale(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("INSERT OR REPLACE INTO counters (name, value) VALUES ('codes_stale', 1)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// How many segments an FTS5 table's index holds, from its structure record (row 10 of
    /// its `_data` table): a 4-byte cookie, a 4-byte mark of the second format, then the
    /// number of levels and of segments as SQLite varints.
    fn segments(conn: &Connection, table: &str) -> u64 {
        let record: Vec<u8> = conn
            .query_row(
                &format!("SELECT block FROM {table}_data WHERE id = 10"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        let mut at = if record[4..8] == [0xff, 0, 0, 1] {
            8
        } else {
            4
        };
        let mut varint = || {
            let mut value = 0_u64;
            loop {
                let byte = record[at];
                at += 1;
                value = value << 7 | u64::from(byte & 0x7f);
                if byte < 0x80 {
                    return value;
                }
            }
        };
        let _levels = varint();
        varint()
    }

    #[test]
    fn a_rebuild_leaves_each_index_in_one_segment() {
        // FTS5 is made to write its pending terms out every 2 KB, so that 3,000 codes
        // make a dozen segments, as 1,000,000 do with its 1 MB. Segments a build left half
        // merged were merged by the writes after it: one create wrote 2,000 pages.
        let store = Store::open_in_memory().unwrap();
        store
            .write_sql(|conn| -> crate::store::Result<()> {
                for table in ["code_grams_external_id", "code_grams_cards"] {
                    conn.execute_batch(&format!(
                        "INSERT INTO {table} ({table}, rank) VALUES ('hashsize', 2048)"
                    ))?;
                }
                for rid in 1..=3_000_i64 {
                    conn.execute(
                        "INSERT INTO customers (rid, id, external_id, version, is_active, \
                         is_company, credit_amount, credit_rate, discount_rate) \
                         VALUES (?1, ?1, 'C' || (1000000 + ?1), 1, 1, 0, 0, 0, 0)",
                        [rid],
                    )?;
                    conn.execute(
                        "INSERT INTO cards (serial, customer_rid) VALUES (?1, ?2)",
                        params![format!("29{:011}", rid * 7919), rid],
                    )?;
                }
                rebuild(conn)?;
                assert_eq!(segments(conn, "code_grams_external_id"), 1);
                assert_eq!(segments(conn, "code_grams_cards"), 1);
                // The one segment still finds what the codes hold.
                let found = matching(conn, Codes::Cards, "9772046", true)?;
                assert_eq!(found, vec![1234]);
                let found = matching(conn, Codes::ExternalId, "1002999", true)?;
                assert_eq!(found, vec![2999]);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn patterns_of_three_characters_or_more_are_indexed() {
        assert!(indexable("abc") && !indexable("ab") && indexable("čšž"));
    }
}
