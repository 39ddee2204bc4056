//! The word index behind `Search`.
//!
//! A search word must be contained in the customer's folded search text (`search_text`).
//! A word has no white space, so it is contained in the text exactly when it is contained
//! in one of the text's own words (its white-space separated pieces). The index therefore
//! works in two steps:
//!
//! 1. `search_words` is the vocabulary: every distinct word of every customer's text, with
//!    a number and how many customers use it. `search_word_grams` is a trigram index with
//!    positions over it, so the vocabulary words containing a search word are one exact
//!    phrase match on a small index.
//! 2. `word_postings` holds each vocabulary word's customers as posting lists
//!    (`store::postings`). The customers containing a search word are the union of the
//!    postings of its vocabulary words, joined in a bitmap of row ids.
//!
//! So a surname with 10,000 matches reads its own 10,000 row ids, where a trigram index
//! over the whole text reads every entry of each of the word's trigrams (`ova` alone has a
//! third of all customers). Words of one or two characters have no trigram: the vocabulary
//! words containing them are found by a scan of the vocabulary instead (`store::search`
//! decides when a scan of every customer's text costs less).
//!
//! The vocabulary holds only words some customer still has: a write that takes the last
//! use of a word away removes it, so a deleted customer's tax id does not linger.
//!
//! The same kind of index, in tables of its own ([`EMAIL`]), holds the pieces of the
//! customers' e-mail addresses for the `Email` filter (`store::contacts`).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::postings;
use super::rids::RidSet;

/// The tables of one word index: the vocabulary, its trigram index and the postings.
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary {
    words: &'static str,
    grams: &'static str,
    postings: &'static str,
}

/// The index behind `Search`, over `search_text`.
pub const SEARCH: Vocabulary = Vocabulary {
    words: "search_words",
    grams: "search_word_grams",
    postings: "word_postings",
};

/// The index of the pieces of e-mail addresses (`store::contacts`).
pub const EMAIL: Vocabulary = Vocabulary {
    words: "email_words",
    grams: "email_word_grams",
    postings: "email_postings",
};

/// The distinct words of a folded search text.
pub fn words_of(text: &str) -> Vec<&str> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// The vocabulary number of `word`, if some customer has it.
fn word_id(conn: &Connection, v: Vocabulary, word: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(&format!("SELECT id FROM {} WHERE word = ?1", v.words))?
        .query_row([word], |r| r.get(0))
        .optional()
}

/// The vocabulary number of `word`, counting `uses` more uses, and adding it when it is new.
fn use_word(conn: &Connection, v: Vocabulary, word: &str, uses: i64) -> rusqlite::Result<i64> {
    if let Some(id) = word_id(conn, v, word)? {
        conn.prepare_cached(&format!(
            "UPDATE {} SET uses = uses + ?2 WHERE id = ?1",
            v.words
        ))?
        .execute([id, uses])?;
        return Ok(id);
    }
    conn.prepare_cached(&format!(
        "INSERT INTO {} (word, uses) VALUES (?1, ?2)",
        v.words
    ))?
    .execute(params![word, uses])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached(&format!(
        "INSERT INTO {} (rowid, word) VALUES (?1, ?2)",
        v.grams
    ))?
    .execute(params![id, word])?;
    Ok(id)
}

/// Adds customer `rid`, whose search text is `text`, to the index.
pub fn index(conn: &Connection, rid: i64, text: &str) -> rusqlite::Result<()> {
    reindex(conn, rid, "", text)
}

/// Takes customer `rid`, whose search text was `text`, out of the index, and drops the
/// words no other customer has from the vocabulary.
pub fn unindex(conn: &Connection, rid: i64, text: &str) -> rusqlite::Result<()> {
    reindex(conn, rid, text, "")
}

/// Moves customer `rid` in the index from search text `old` to `new`. Only the words that
/// differ are touched: an edit that keeps the names leaves their postings alone.
pub fn reindex(conn: &Connection, rid: i64, old: &str, new: &str) -> rusqlite::Result<()> {
    reindex_words(conn, SEARCH, rid, &words_of(old), &words_of(new))
}

/// Moves customer `rid` in the index `v` from the words `old` to `new`, both sorted and
/// distinct.
pub fn reindex_words(
    conn: &Connection,
    v: Vocabulary,
    rid: i64,
    old: &[&str],
    new: &[&str],
) -> rusqlite::Result<()> {
    for word in old.iter().filter(|w| new.binary_search(w).is_err()) {
        remove_use(conn, v, rid, word)?;
    }
    for word in new.iter().filter(|w| old.binary_search(w).is_err()) {
        postings::add(conn, v.postings, use_word(conn, v, word, 1)?, rid)?;
    }
    Ok(())
}

/// Adds a batch of new customers to the index `v`: `rows` are their row ids, each with its
/// distinct words. Each word of the batch is looked up, counted and has its postings
/// written once, not once per customer: a replica's first sync keeps the word index this
/// way, page by page, so the window can search what has arrived.
pub fn index_many<'t>(
    conn: &Connection,
    v: Vocabulary,
    rows: impl IntoIterator<Item = (i64, Vec<&'t str>)>,
) -> rusqlite::Result<()> {
    // In alphabetical order, so new words go into the vocabulary's index in order.
    let mut by_word: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for (rid, words) in rows {
        for word in words {
            by_word.entry(word).or_default().push(rid);
        }
    }
    for (word, mut rids) in by_word {
        rids.sort_unstable();
        rids.dedup();
        let id = use_word(conn, v, word, rids.len() as i64)?;
        postings::add_many(conn, v.postings, id, &rids)?;
    }
    Ok(())
}

/// Takes customer `rid` out of the postings of `word`, dropping the word from the
/// vocabulary with its last use.
fn remove_use(conn: &Connection, v: Vocabulary, rid: i64, word: &str) -> rusqlite::Result<()> {
    let Some(id) = word_id(conn, v, word)? else {
        return Ok(());
    };
    postings::remove(conn, v.postings, id, rid)?;
    let uses: i64 = conn
        .prepare_cached(&format!(
            "UPDATE {} SET uses = uses - 1 WHERE id = ?1 RETURNING uses",
            v.words
        ))?
        .query_row([id], |r| r.get(0))?;
    if uses > 0 {
        return Ok(());
    }
    // The trigram index has no copy of the word: it is told which text leaves it.
    conn.prepare_cached(&format!(
        "INSERT INTO {0} ({0}, rowid, word) VALUES ('delete', ?1, ?2)",
        v.grams
    ))?
    .execute(params![id, word])?;
    conn.prepare_cached(&format!("DELETE FROM {} WHERE id = ?1", v.words))?
        .execute([id])?;
    Ok(())
}

/// The whole word index worked out in memory from `search_text`, ready to be written by
/// [`write_all`]. Working it out only reads, so a bulk load does it on a read connection
/// while the writer builds the sort indexes.
#[derive(Debug, Default)]
pub struct WordIndex {
    /// Every word with its number of customers, in alphabetical order: a word's number is
    /// its place here plus one, so both the vocabulary table and its index on `word` are
    /// written in order (random inserts into the index took three times as long).
    words: Vec<(String, i64)>,
    /// (word number, row id) pairs, sorted: 8 bytes a pair, about 28 MB at 1M customers.
    pairs: Vec<(u32, u32)>,
    /// Pairs whose row id is past u32 (over four billion), kept apart exactly; sorted.
    wide: Vec<(i64, i64)>,
}

/// Reads every customer's search text and works out the whole word index, in one pass with
/// the vocabulary in memory.
pub fn compute_all(conn: &Connection) -> rusqlite::Result<WordIndex> {
    compute_from(conn, "SELECT rid, text FROM search_text", words_of)
}

/// Works out a whole word index from the (row id, text) rows `sql` reads, each text cut into
/// its distinct words by `split`.
pub fn compute_from(
    conn: &Connection,
    sql: &str,
    split: fn(&str) -> Vec<&str>,
) -> rusqlite::Result<WordIndex> {
    // Words are numbered in order of first use while reading, then renumbered.
    let mut vocabulary: HashMap<String, (u32, i64)> = HashMap::new();
    let mut index = WordIndex::default();
    let mut texts = conn.prepare(sql)?;
    let mut rows = texts.query([])?;
    while let Some(row) = rows.next()? {
        let rid: i64 = row.get(0)?;
        let text = row.get_ref(1)?.as_str()?;
        for word in split(text) {
            let id = match vocabulary.get_mut(word) {
                Some((id, uses)) => {
                    *uses += 1;
                    *id
                }
                None => {
                    let id = vocabulary.len() as u32;
                    vocabulary.insert(word.to_owned(), (id, 1));
                    id
                }
            };
            match u32::try_from(rid) {
                Ok(small) => index.pairs.push((id, small)),
                Err(_) => index.wide.push((i64::from(id), rid)),
            }
        }
    }
    let mut words: Vec<(String, u32, i64)> = vocabulary
        .into_iter()
        .map(|(word, (id, uses))| (word, id, uses))
        .collect();
    words.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // renumbered[first-use number] = alphabetical number, from 1.
    let mut renumbered = vec![0u32; words.len()];
    for (place, (_, id, _)) in (1..).zip(&words) {
        renumbered[*id as usize] = place;
    }
    index.words = words
        .into_iter()
        .map(|(word, _, uses)| (word, uses))
        .collect();
    for (id, _) in &mut index.pairs {
        *id = renumbered[*id as usize];
    }
    for (id, _) in &mut index.wide {
        *id = i64::from(renumbered[*id as usize]);
    }
    index.pairs.sort_unstable();
    index.wide.sort_unstable();
    Ok(index)
}

/// Replaces the whole index with `index`. The pairs go in sorted, so the postings are written
/// whole and in key order.
pub fn write_all(conn: &Connection, index: WordIndex) -> rusqlite::Result<()> {
    write_all_in(conn, SEARCH, index)
}

/// Replaces the whole index `v` with `index`.
pub fn write_all_in(conn: &Connection, v: Vocabulary, index: WordIndex) -> rusqlite::Result<()> {
    let Vocabulary {
        words,
        grams,
        postings,
    } = v;
    conn.execute_batch(&format!(
        "DELETE FROM {postings};
         DELETE FROM {words};
         INSERT INTO {grams} ({grams}) VALUES ('delete-all');"
    ))?;
    // A wide row id is in a chunk of its own, past every small one: no chunk is split
    // between the two lists.
    postings::write_sorted(
        conn,
        postings,
        index
            .pairs
            .into_iter()
            .map(|(id, rid)| (i64::from(id), i64::from(rid)))
            .chain(index.wide),
    )?;
    let mut add_word = conn.prepare(&format!(
        "INSERT INTO {words} (id, word, uses) VALUES (?1, ?2, ?3)"
    ))?;
    for (id, (word, uses)) in (1_i64..).zip(&index.words) {
        add_word.execute(params![id, word, uses])?;
    }
    // No merging while the vocabulary goes in, then one merge into a single segment.
    //
    // The words go in in number order. FTS5 writes its pending terms out whenever a row id
    // comes in below the one before, and its own 'rebuild' reads the vocabulary in the
    // order SQLite likes best, which is that of the `word` index: that wrote a segment per
    // word and merged them, 10 times slower (3 s instead of 0.3 at 400,000 words).
    conn.execute_batch(&format!(
        "INSERT INTO {grams} ({grams}, rank) VALUES ('automerge', 0);
         INSERT INTO {grams} ({grams}, rank) VALUES ('crisismerge', 64);
         INSERT INTO {grams} (rowid, word) SELECT id, word FROM {words} ORDER BY id;
         INSERT INTO {grams} ({grams}) VALUES ('optimize');
         INSERT INTO {grams} ({grams}, rank) VALUES ('automerge', 4);
         INSERT INTO {grams} ({grams}, rank) VALUES ('crisismerge', 16);"
    ))
}

/// Builds the whole index again from `search_text`: after a bulk load that deferred it, or a
/// schema change.
pub fn rebuild(conn: &Connection) -> rusqlite::Result<()> {
    let index = compute_all(conn)?;
    write_all(conn, index)
}

/// Whether `word` has a trigram (three characters or more), so the trigram index of the
/// vocabulary can find the words containing it.
pub fn has_trigram(word: &str) -> bool {
    word.chars().nth(2).is_some()
}

/// The customers (ascending row ids) whose search text contains `word`.
pub fn customers_containing(conn: &Connection, word: &str) -> rusqlite::Result<Vec<i64>> {
    customers_of(conn, &vocabulary_containing(conn, word)?)
}

/// The vocabulary words of `v` that contain `word`, with their numbers and uses.
pub fn words_containing(
    conn: &Connection,
    v: Vocabulary,
    word: &str,
) -> rusqlite::Result<Vec<(i64, String, i64)>> {
    let Vocabulary { words, grams, .. } = v;
    if has_trigram(word) {
        let phrase = format!("\"{}\"", word.replace('"', "\"\""));
        conn.prepare_cached(&format!(
            "SELECT w.id, w.word, w.uses FROM {grams} g CROSS JOIN {words} w ON w.id = g.rowid \
             WHERE {grams} MATCH ?1"
        ))?
        .query_map([phrase], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
    } else {
        conn.prepare_cached(&format!(
            "SELECT id, word, uses FROM {words} WHERE instr(word, ?1) > 0"
        ))?
        .query_map([word], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect()
    }
}

/// The numbers of the vocabulary words that contain `word`. A word of three characters or
/// more is looked up in the trigram index of the vocabulary; a shorter one, which has no
/// trigram, by a scan of the vocabulary.
pub fn vocabulary_containing(conn: &Connection, word: &str) -> rusqlite::Result<Vec<i64>> {
    if has_trigram(word) {
        let phrase = format!("\"{}\"", word.replace('"', "\"\""));
        conn.prepare_cached("SELECT rowid FROM search_word_grams WHERE search_word_grams MATCH ?1")?
            .query_map([phrase], |r| r.get(0))?
            .collect()
    } else {
        conn.prepare_cached("SELECT id FROM search_words WHERE instr(word, ?1) > 0")?
            .query_map([word], |r| r.get(0))?
            .collect()
    }
}

/// The customers (ascending row ids) who use any of the vocabulary words `ids`.
pub fn customers_of(conn: &Connection, ids: &[i64]) -> rusqlite::Result<Vec<i64>> {
    customers_of_in(conn, SEARCH, ids)
}

/// The customers of `among` (ascending row ids) who use any of the words `ids` of the index
/// `v`: an intersection that reads the words' postings without joining them first.
pub fn customers_of_among(
    conn: &Connection,
    v: Vocabulary,
    ids: &[i64],
    among: &[i64],
) -> rusqlite::Result<Vec<i64>> {
    let keep = RidSet::of(among);
    let (mut rids, mut chunk) = (Vec::new(), Vec::new());
    for &id in ids {
        chunk.clear();
        postings::append_customers(conn, v.postings, id, &mut chunk)?;
        rids.extend(chunk.iter().copied().filter(|&rid| keep.contains(rid)));
    }
    rids.sort_unstable();
    rids.dedup();
    Ok(rids)
}

/// The customers (ascending row ids) who use any of the words `ids` of the index `v`.
pub fn customers_of_in(
    conn: &Connection,
    v: Vocabulary,
    ids: &[i64],
) -> rusqlite::Result<Vec<i64>> {
    let mut rids = Vec::new();
    for &id in ids {
        postings::append_customers(conn, v.postings, id, &mut rids)?;
    }
    // One word's postings are in row-id order already.
    Ok(if ids.len() > 1 {
        RidSet::of(&rids).into_sorted()
    } else {
        rids
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn add(conn: &Connection, rid: i64, text: &str) {
        conn.execute(
            "INSERT INTO search_text (rid, text) VALUES (?1, ?2)",
            params![rid, text],
        )
        .unwrap();
        index(conn, rid, text).unwrap();
    }

    fn vocabulary(conn: &Connection) -> Vec<(String, i64)> {
        conn.prepare("SELECT word, uses FROM search_words ORDER BY word")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn a_word_finds_every_customer_containing_it_and_leaves_with_its_last_user() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_sql(|conn| -> crate::store::Result<()> {
                add(conn, 1, "jana\nnovakova\nsk2020123456");
                add(conn, 2, "petra\nnovakova");
                add(conn, 3, "novak\ns.r.o.");
                assert_eq!(customers_containing(conn, "novak")?, vec![1, 2, 3]);
                assert_eq!(customers_containing(conn, "kova")?, vec![1, 2]);
                assert_eq!(customers_containing(conn, "2020")?, vec![1]);
                assert_eq!(customers_containing(conn, "s.r.o")?, vec![3]);
                assert!(customers_containing(conn, "novakovaa")?.is_empty());

                unindex(conn, 1, "jana\nnovakova\nsk2020123456")?;
                conn.execute("DELETE FROM search_text WHERE rid = 1", [])?;
                assert_eq!(customers_containing(conn, "novak")?, vec![2, 3]);
                assert!(customers_containing(conn, "2020")?.is_empty());
                // The deleted customer's tax id and name are gone from the vocabulary.
                assert_eq!(
                    vocabulary(conn),
                    vec![
                        ("novak".to_owned(), 1),
                        ("novakova".to_owned(), 1),
                        ("petra".to_owned(), 1),
                        ("s.r.o.".to_owned(), 1)
                    ]
                );
                conn.execute_batch(
                    "INSERT INTO search_word_grams (search_word_grams) VALUES ('integrity-check')",
                )?;

                // A rebuild from search_text answers the same.
                rebuild(conn)?;
                assert_eq!(customers_containing(conn, "novak")?, vec![2, 3]);
                assert_eq!(vocabulary(conn).len(), 4);
                conn.execute_batch(
                    "INSERT INTO search_word_grams (search_word_grams) VALUES ('integrity-check')",
                )?;
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn words_are_the_distinct_white_space_pieces() {
        assert_eq!(
            words_of("jana novakova\nnovakova s.r.o.  x"),
            vec!["jana", "novakova", "s.r.o.", "x"]
        );
        assert!(words_of(" \n ").is_empty());
    }
}
