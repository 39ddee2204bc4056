//! A vocabulary word's customers (`store::words`; each vocabulary has a table of its own), as posting lists: the row ids of the
//! customers using the word, cut into chunks of [`CHUNK`] consecutive row ids. Each (word,
//! chunk) is one row of `word_postings`, keyed by an integer made of both, so a word's
//! chunks are one range of the table and come in row-id order. The chunk's row ids are a
//! blob of their ascending offsets in the chunk, two bytes each (little endian).
//!
//! Reading a word's 10,000 customers this way is a few dozen rows and a loop over a blob,
//! where a table of (word, customer) pairs made SQLite step through 10,000 rows. A write
//! rewrites one chunk per word of the customer, at most 32 KiB, usually a few hundred bytes.

use rusqlite::{Connection, OptionalExtension, params};

/// Bits of a row id that are its offset in its chunk.
const CHUNK_BITS: u32 = 14;
/// Row ids per chunk.
pub const CHUNK: i64 = 1 << CHUNK_BITS;
/// Bits of a key that are the chunk number; the word number stands above them.
const CHUNK_NUMBER_BITS: u32 = 24;
/// The largest row id a posting can hold (about 275 billion).
pub const MAX_RID: i64 = (1 << (CHUNK_BITS + CHUNK_NUMBER_BITS)) - 1;
/// The largest word number a key can hold.
const MAX_WORD: i64 = (1 << (63 - CHUNK_NUMBER_BITS)) - 1;

/// The key of the chunk of `word_id` that holds `rid`.
fn key(word_id: i64, rid: i64) -> rusqlite::Result<i64> {
    if !(0..=MAX_RID).contains(&rid) {
        return Err(rusqlite::Error::IntegralValueOutOfRange(1, rid));
    }
    if !(0..=MAX_WORD).contains(&word_id) {
        return Err(rusqlite::Error::IntegralValueOutOfRange(0, word_id));
    }
    Ok((word_id << CHUNK_NUMBER_BITS) | (rid >> CHUNK_BITS))
}

/// The offset of `rid` in its chunk.
fn offset(rid: i64) -> u16 {
    (rid & (CHUNK - 1)) as u16
}

/// The offsets of a chunk blob.
fn offsets(blob: &[u8]) -> impl Iterator<Item = u16> + '_ {
    blob.chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

/// The blob of a chunk in the postings `table`, if it has one.
fn chunk(conn: &Connection, table: &str, key: i64) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached(&format!("SELECT rids FROM {table} WHERE key = ?1"))?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// Adds customer `rid` to the postings of `word_id` in `table`.
pub fn add(conn: &Connection, table: &str, word_id: i64, rid: i64) -> rusqlite::Result<()> {
    let key = key(word_id, rid)?;
    let mut blob = chunk(conn, table, key)?.unwrap_or_default();
    let new = offset(rid);
    // New customers have the highest row ids: almost always an append.
    let at = offsets(&blob).position(|o| o >= new);
    match at {
        Some(index) if offsets(&blob).nth(index) == Some(new) => return Ok(()),
        Some(index) => {
            blob.splice(2 * index..2 * index, new.to_le_bytes());
        }
        None => blob.extend_from_slice(&new.to_le_bytes()),
    }
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {table} (key, rids) VALUES (?1, ?2)"
    ))?
    .execute(params![key, blob])?;
    Ok(())
}

/// Adds customers `rids` (ascending, distinct) to the postings of `word_id` in `table`:
/// one read and one write per chunk they fall in, where [`add`] costs each customer both.
/// A bulk load that keeps the word index as it goes writes each batch's words this way.
pub fn add_many(
    conn: &Connection,
    table: &str,
    word_id: i64,
    rids: &[i64],
) -> rusqlite::Result<()> {
    let mut rest = rids;
    while let Some(&first) = rest.first() {
        let key = key(word_id, first)?;
        let in_chunk = rest.partition_point(|&rid| rid >> CHUNK_BITS == first >> CHUNK_BITS);
        let (these, after) = rest.split_at(in_chunk);
        rest = after;
        let stored = chunk(conn, table, key)?.unwrap_or_default();
        let mut merged: Vec<u16> = offsets(&stored).collect();
        // New customers come after the chunk's last, so this is almost always an append.
        let appends = merged.last().is_none_or(|&last| last < offset(first));
        merged.extend(these.iter().map(|&rid| offset(rid)));
        if !appends {
            merged.sort_unstable();
            merged.dedup();
        }
        let blob: Vec<u8> = merged.iter().flat_map(|o| o.to_le_bytes()).collect();
        conn.prepare_cached(&format!(
            "INSERT OR REPLACE INTO {table} (key, rids) VALUES (?1, ?2)"
        ))?
        .execute(params![key, blob])?;
    }
    Ok(())
}

/// Takes customer `rid` out of the postings of `word_id` in `table`.
pub fn remove(conn: &Connection, table: &str, word_id: i64, rid: i64) -> rusqlite::Result<()> {
    let key = key(word_id, rid)?;
    let Some(mut blob) = chunk(conn, table, key)? else {
        return Ok(());
    };
    let Some(index) = offsets(&blob).position(|o| o == offset(rid)) else {
        return Ok(());
    };
    blob.drain(2 * index..2 * index + 2);
    if blob.is_empty() {
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE key = ?1"))?
            .execute([key])?;
    } else {
        conn.prepare_cached(&format!("UPDATE {table} SET rids = ?2 WHERE key = ?1"))?
            .execute(params![key, blob])?;
    }
    Ok(())
}

/// Appends the customers of `word_id` in `table` to `out`, in ascending row ids.
pub fn append_customers(
    conn: &Connection,
    table: &str,
    word_id: i64,
    out: &mut Vec<i64>,
) -> rusqlite::Result<()> {
    let first = key(word_id, 0)?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT key, rids FROM {table} WHERE key BETWEEN ?1 AND ?2"
    ))?;
    let mut rows = stmt.query(params![first, first | ((1 << CHUNK_NUMBER_BITS) - 1)])?;
    while let Some(row) = rows.next()? {
        let key: i64 = row.get(0)?;
        let base = (key & ((1 << CHUNK_NUMBER_BITS) - 1)) << CHUNK_BITS;
        out.extend(offsets(row.get_ref(1)?.as_blob()?).map(|o| base | i64::from(o)));
    }
    Ok(())
}

/// Writes the postings of (word, customer) pairs sorted by word and then row id, into
/// `table`, which has none of those words yet (a rebuild).
pub fn write_sorted(
    conn: &Connection,
    table: &str,
    pairs: impl IntoIterator<Item = (i64, i64)>,
) -> rusqlite::Result<()> {
    let mut insert = conn.prepare(&format!("INSERT INTO {table} (key, rids) VALUES (?1, ?2)"))?;
    let mut current: Option<(i64, Vec<u8>)> = None;
    for (word_id, rid) in pairs {
        let key = key(word_id, rid)?;
        match &mut current {
            Some((open, blob)) if *open == key => {
                blob.extend_from_slice(&offset(rid).to_le_bytes())
            }
            _ => {
                if let Some((done, blob)) = current.take() {
                    insert.execute(params![done, blob])?;
                }
                current = Some((key, offset(rid).to_le_bytes().to_vec()));
            }
        }
    }
    if let Some((done, blob)) = current {
        insert.execute(params![done, blob])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "word_postings";

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE word_postings (key INTEGER PRIMARY KEY, rids BLOB NOT NULL)",
        )
        .unwrap();
        conn
    }

    fn customers(conn: &Connection, word_id: i64) -> Vec<i64> {
        let mut out = Vec::new();
        append_customers(conn, T, word_id, &mut out).unwrap();
        out
    }

    #[test]
    fn postings_keep_every_row_id_in_order_across_chunks() {
        let conn = table();
        let rids = [5, 1, CHUNK - 1, CHUNK, 3 * CHUNK + 7, 2, MAX_RID];
        for rid in rids {
            add(&conn, T, 9, rid).unwrap();
        }
        add(&conn, T, 9, 2).unwrap(); // twice is once
        add(&conn, T, 8, 3).unwrap();
        add(&conn, T, 10, 4).unwrap();
        assert_eq!(
            customers(&conn, 9),
            vec![1, 2, 5, CHUNK - 1, CHUNK, 3 * CHUNK + 7, MAX_RID]
        );
        assert_eq!(customers(&conn, 8), vec![3]);

        remove(&conn, T, 9, 5).unwrap();
        remove(&conn, T, 9, CHUNK).unwrap();
        remove(&conn, T, 9, 77).unwrap(); // not there
        assert_eq!(
            customers(&conn, 9),
            vec![1, 2, CHUNK - 1, 3 * CHUNK + 7, MAX_RID]
        );
        // An emptied chunk is gone.
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM word_postings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 5);

        let rebuilt = table();
        let mut pairs: Vec<(i64, i64)> = [8, 9, 10]
            .iter()
            .flat_map(|&w| customers(&conn, w).into_iter().map(move |r| (w, r)))
            .collect();
        pairs.sort_unstable();
        write_sorted(&rebuilt, T, pairs).unwrap();
        for word in [8, 9, 10] {
            assert_eq!(customers(&rebuilt, word), customers(&conn, word));
        }
    }

    proptest::proptest! {
        /// Any mix of adds and removes over a few words, with row ids spread over many
        /// chunks, leaves each word with exactly the set a plain model keeps, and a rebuild
        /// from that set reads back the same.
        #[test]
        fn postings_hold_what_a_set_holds(
            steps in proptest::collection::vec(
                (0i64..3, proptest::prop_oneof![0i64..40, 0i64..(5 * CHUNK), (MAX_RID - 40)..=MAX_RID], proptest::bool::weighted(0.7)),
                0..200,
            )
        ) {
            let conn = table();
            let mut model = vec![std::collections::BTreeSet::new(); 3];
            for (word, rid, adding) in steps {
                if adding {
                    add(&conn, T, word, rid).unwrap();
                    model[word as usize].insert(rid);
                } else {
                    remove(&conn, T, word, rid).unwrap();
                    model[word as usize].remove(&rid);
                }
            }
            let rebuilt = table();
            write_sorted(
                &rebuilt,
                T,
                (0..3i64).flat_map(|w| model[w as usize].iter().map(move |&r| (w, r))),
            )
            .unwrap();
            for word in 0..3i64 {
                let want: Vec<i64> = model[word as usize].iter().copied().collect();
                proptest::prop_assert_eq!(customers(&conn, word), want.clone());
                proptest::prop_assert_eq!(customers(&rebuilt, word), want);
            }
        }
    }

    proptest::proptest! {
        /// Batches added at once (a bulk load's, usually past every row id before, sometimes
        /// not), between single adds, leave each word with exactly the union of them.
        #[test]
        fn batches_hold_what_single_adds_would(
            steps in proptest::collection::vec(
                (0i64..3, proptest::collection::btree_set(
                    proptest::prop_oneof![0i64..40, 0i64..(5 * CHUNK), (MAX_RID - 40)..=MAX_RID],
                    1..60,
                )),
                0..40,
            )
        ) {
            let conn = table();
            let mut model = vec![std::collections::BTreeSet::new(); 3];
            for (step, (word, rids)) in steps.into_iter().enumerate() {
                let rids: Vec<i64> = rids.into_iter().collect();
                if step % 3 == 2 {
                    for &rid in &rids {
                        add(&conn, T, word, rid).unwrap();
                    }
                } else {
                    add_many(&conn, T, word, &rids).unwrap();
                }
                model[word as usize].extend(rids);
            }
            for word in 0..3i64 {
                let want: Vec<i64> = model[word as usize].iter().copied().collect();
                proptest::prop_assert_eq!(customers(&conn, word), want);
            }
        }
    }

    #[test]
    fn row_ids_out_of_range_are_refused() {
        let conn = table();
        assert!(add(&conn, T, 1, MAX_RID + 1).is_err());
        assert!(add(&conn, T, 1, -1).is_err());
        assert!(customers(&conn, 1).is_empty());
    }
}
