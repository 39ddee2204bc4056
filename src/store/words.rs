//! The word index behind `Search`.
//!
//! A search word must be contained in the customer's folded search text (`search_text`).
//! A word has no white space, so it is contained in the text exactly when it is contained
//! in one of the text's own words (its white-space separated pieces). The index therefore
//! works in two steps:
//!
//! 1. `search_words` is the vocabulary: every distinct word of every customer's text, with
//!    a number and how many customers use it. `search_word_grams` is a trigram index with positions over it, so the
//!    vocabulary words containing a search word are one exact phrase match on a small index.
//! 2. `customer_words` lists, for each customer, the numbers of the words in its text (as
//!    tokens `w17 w4032`), without positions or a copy. The customers containing a search
//!    word are the union of the lists of its vocabulary words.
//!
//! A customer has about four words, so the lists are short and a surname with 10,000
//! matches reads 10,000 entries, where a trigram index over the whole text reads every
//! entry of each of the word's trigrams (`ova` alone has a third of all customers). Words
//! of one or two characters have no trigram and are checked on `search_text` instead.
//!
//! The vocabulary holds only words some customer still has: a write that takes the last
//! use of a word away removes it, so a deleted customer's tax id does not linger.
//!
//! The lists of a search word's vocabulary words are read one query per common word and
//! in `OR` groups for rare ones (FTS5 steps through every term of an `OR` for each row it
//! returns), and joined in a bitmap of row ids.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

/// How many rare vocabulary words one `customer_words` query asks for together.
const RARE_WORDS_PER_QUERY: usize = 32;
/// A word used by at least this many customers has its list read by a query of its own.
const COMMON_WORD_USES: i64 = 64;

/// The distinct words of a folded search text.
pub fn words_of(text: &str) -> Vec<&str> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// The `customer_words` token of vocabulary word `id`.
fn token(id: i64) -> String {
    format!("w{id}")
}

/// The vocabulary number of `word`, if some customer has it.
fn word_id(conn: &Connection, word: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT id FROM search_words WHERE word = ?1")?
        .query_row([word], |r| r.get(0))
        .optional()
}

/// The vocabulary number of `word`, counting one more use, and adding it when it is new.
fn use_word(conn: &Connection, word: &str) -> rusqlite::Result<i64> {
    if let Some(id) = word_id(conn, word)? {
        conn.prepare_cached("UPDATE search_words SET uses = uses + 1 WHERE id = ?1")?
            .execute([id])?;
        return Ok(id);
    }
    conn.prepare_cached("INSERT INTO search_words (word, uses) VALUES (?1, 1)")?
        .execute([word])?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("INSERT INTO search_word_grams (rowid, word) VALUES (?1, ?2)")?
        .execute(params![id, word])?;
    Ok(id)
}

/// Adds customer `rid`, whose search text is `text`, to the index.
pub fn index(conn: &Connection, rid: i64, text: &str) -> rusqlite::Result<()> {
    let tokens = words_of(text)
        .into_iter()
        .map(|word| use_word(conn, word).map(token))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    conn.prepare_cached("INSERT INTO customer_words (rowid, words) VALUES (?1, ?2)")?
        .execute(params![rid, tokens.join(" ")])?;
    Ok(())
}

/// Takes customer `rid`, whose search text was `text`, out of the index, and drops the
/// words no other customer has from the vocabulary.
pub fn unindex(conn: &Connection, rid: i64, text: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM customer_words WHERE rowid = ?1")?
        .execute([rid])?;
    for word in words_of(text) {
        let Some(id) = word_id(conn, word)? else {
            continue;
        };
        let uses: i64 = conn
            .prepare_cached("UPDATE search_words SET uses = uses - 1 WHERE id = ?1 RETURNING uses")?
            .query_row([id], |r| r.get(0))?;
        if uses > 0 {
            continue;
        }
        // The trigram index has no copy of the word: it is told which text leaves it.
        conn.prepare_cached(
            "INSERT INTO search_word_grams (search_word_grams, rowid, word) \
             VALUES ('delete', ?1, ?2)",
        )?
        .execute(params![id, word])?;
        conn.prepare_cached("DELETE FROM search_words WHERE id = ?1")?
            .execute([id])?;
    }
    Ok(())
}

/// Builds the whole index again from `search_text`, in one pass with the vocabulary in
/// memory: after a bulk load that deferred it, or a schema change.
pub fn rebuild(conn: &Connection) -> rusqlite::Result<()> {
    // No merging while the lists go in: one merge at the end ('optimize') instead of
    // merging and merging again as segments pile up.
    conn.execute_batch(
        "INSERT INTO customer_words (customer_words) VALUES ('delete-all');
         DELETE FROM search_words;
         INSERT INTO customer_words (customer_words, rank) VALUES ('automerge', 0);
         INSERT INTO customer_words (customer_words, rank) VALUES ('crisismerge', 64);
         INSERT INTO search_word_grams (search_word_grams, rank) VALUES ('automerge', 0);
         INSERT INTO search_word_grams (search_word_grams, rank) VALUES ('crisismerge', 64);",
    )?;
    // word -> (number, uses)
    let mut vocabulary: HashMap<String, (i64, i64)> = HashMap::new();
    {
        let mut texts = conn.prepare("SELECT rid, text FROM search_text")?;
        let mut add_customer =
            conn.prepare("INSERT INTO customer_words (rowid, words) VALUES (?1, ?2)")?;
        let mut rows = texts.query([])?;
        let mut tokens = String::new();
        while let Some(row) = rows.next()? {
            let rid: i64 = row.get(0)?;
            let text = row.get_ref(1)?.as_str()?;
            tokens.clear();
            for word in words_of(text) {
                let id = match vocabulary.get_mut(word) {
                    Some((id, uses)) => {
                        *uses += 1;
                        *id
                    }
                    None => {
                        let id = vocabulary.len() as i64 + 1;
                        vocabulary.insert(word.to_owned(), (id, 1));
                        id
                    }
                };
                if !tokens.is_empty() {
                    tokens.push(' ');
                }
                tokens.push_str(&token(id));
            }
            add_customer.execute(params![rid, tokens])?;
        }
        let mut add_word =
            conn.prepare("INSERT INTO search_words (id, word, uses) VALUES (?1, ?2, ?3)")?;
        let mut words: Vec<(&String, &(i64, i64))> = vocabulary.iter().collect();
        words.sort_unstable_by_key(|(_, (id, _))| *id);
        for (word, (id, uses)) in words {
            add_word.execute(params![id, word, uses])?;
        }
    }
    // One segment each: a search reads one list per word instead of one per segment.
    conn.execute_batch(
        "INSERT INTO search_word_grams (search_word_grams) VALUES ('rebuild');
         INSERT INTO search_word_grams (search_word_grams) VALUES ('optimize');
         INSERT INTO customer_words (customer_words) VALUES ('optimize');
         INSERT INTO customer_words (customer_words, rank) VALUES ('automerge', 4);
         INSERT INTO customer_words (customer_words, rank) VALUES ('crisismerge', 16);
         INSERT INTO search_word_grams (search_word_grams, rank) VALUES ('automerge', 4);
         INSERT INTO search_word_grams (search_word_grams, rank) VALUES ('crisismerge', 16);",
    )
}

/// The customers (ascending row ids) whose search text contains `word`, which has at least
/// three characters.
pub fn customers_containing(conn: &Connection, word: &str) -> rusqlite::Result<Vec<i64>> {
    let phrase = format!("\"{}\"", word.replace('"', "\"\""));
    let found = conn
        .prepare_cached(
            "SELECT w.id, w.uses FROM search_word_grams g \
             CROSS JOIN search_words w ON w.id = g.rowid \
             WHERE g.search_word_grams MATCH ?1",
        )?
        .query_map([phrase], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (common, rare): (Vec<_>, Vec<_>) = found
        .iter()
        .partition(|(_, uses)| *uses >= COMMON_WORD_USES);
    let mut groups: Vec<String> = common.iter().map(|(id, _)| token(*id)).collect();
    groups.extend(rare.chunks(RARE_WORDS_PER_QUERY).map(|chunk| {
        chunk
            .iter()
            .map(|(id, _)| token(*id))
            .collect::<Vec<_>>()
            .join(" OR ")
    }));
    let mut lists =
        conn.prepare_cached("SELECT rowid FROM customer_words WHERE customer_words MATCH ?1")?;
    let mut read = |expr: &str| -> rusqlite::Result<Vec<i64>> {
        lists.query_map([expr], |r| r.get(0))?.collect()
    };
    match groups.as_slice() {
        [] => Ok(Vec::new()),
        [only] => read(only),
        _ => {
            let lists = groups
                .iter()
                .map(|expr| read(expr))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(union(&lists))
        }
    }
}

/// The union of ascending lists of row ids, ascending, through a bitmap.
fn union(lists: &[Vec<i64>]) -> Vec<i64> {
    let max = lists
        .iter()
        .filter_map(|l| l.last())
        .copied()
        .max()
        .unwrap_or(0)
        .max(0);
    let mut bits = vec![0u64; (max as usize >> 6) + 1];
    let mut count = 0;
    for &rid in lists.iter().flatten() {
        // Row ids are positive; anything else cannot be a customer.
        let Ok(rid) = usize::try_from(rid) else {
            continue;
        };
        let (word, bit) = (rid >> 6, 1u64 << (rid & 63));
        if bits[word] & bit == 0 {
            bits[word] |= bit;
            count += 1;
        }
    }
    let mut out = Vec::with_capacity(count);
    for (index, &word) in bits.iter().enumerate() {
        let mut rest = word;
        while rest != 0 {
            let bit = rest.trailing_zeros() as usize;
            out.push(((index << 6) | bit) as i64);
            rest &= rest - 1;
        }
    }
    out
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
            .write(|conn| -> rusqlite::Result<()> {
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

    #[test]
    fn union_is_ascending_and_distinct() {
        assert_eq!(
            union(&[vec![1, 64, 130], vec![2, 64, 700]]),
            vec![1, 2, 64, 130, 700]
        );
        assert!(union(&[vec![], vec![]]).is_empty());
    }
}
