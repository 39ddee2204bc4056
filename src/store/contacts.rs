//! The `Email` and `Phone` filters **[ours]**: a customer's e-mail and phone number as they
//! are compared, and the indexes that find a part of either among a million customers as
//! fast as `Search` finds a name.
//!
//! `contact_text` holds each customer's e-mail folded (lower case, no diacritics) and phone
//! number normalised ([`crate::text::phone_key`]: digits and letters only, no leading
//! zeros), one row per customer who has either.
//!
//! - **Phone numbers** are digits, nearly every one a customer's own: `phone_grams` is a
//!   trigram index over `contact_text.phone` whose row ids are the customers', so a part of
//!   three digits or more is one phrase query. Digit trigrams are few and evenly spread, so
//!   the query reads little beyond its matches.
//! - **E-mail addresses** are mostly made of names, and a trigram index over whole
//!   addresses reads a third of the store for `kova` (measured: 16 ms for a surname at 1M,
//!   where `Search` takes 1). So they are cut into pieces (runs of letters, runs of digits:
//!   `jana.novakova12@example.sk` is `jana novakova 12 example sk`), and the pieces are a
//!   word index like `Search`'s (`store::words`, [`words::EMAIL`]): a vocabulary with its
//!   trigram index, and each piece's customers as posting lists. A part that is one piece
//!   (`novakova`) is exactly the customers of the vocabulary pieces containing it. A part
//!   of several (`na.novakova1`) takes the customers of each piece where the part puts it
//!   (`na` ends a piece, `novakova` is a whole one, `1` starts one), fewest first, and
//!   checks the address itself (`instr`) of the few left.
//!
//! Parts of one or two characters have no trigram and are checked with `instr` on the
//! compact `contact_text`. The operators other than `like` compare the whole normalised
//! value: an e-mail through the sort index on `fold(email)`, a phone number through the
//! index on `contact_text.phone`.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params};

use super::words::{self, EMAIL};
use crate::model::Customer;
use crate::ndata::{Filter, Member, Operator, Scalar};
use crate::text::{fold, phone_key};

/// Candidates few enough that checking each address costs less than reading one more
/// piece's customers. The unit tests, with a handful of customers, read nearly every piece.
const CHECK_DIRECTLY: usize = if cfg!(test) { 1 } else { 2000 };

/// The e-mail and phone number of `c` as the filters compare them; `None` when absent.
fn keys(c: &Customer) -> (Option<String>, Option<String>) {
    (
        c.email.as_deref().map(|e| fold(e).into_owned()),
        c.phone.as_deref().map(phone_key),
    )
}

/// Where the pieces of a folded address (or a part of one) are: maximal runs of letters and
/// maximal runs of digits, as byte ranges.
fn piece_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut open: Option<(usize, bool)> = None;
    for (at, ch) in text.char_indices() {
        let class = if ch.is_alphabetic() {
            Some(true)
        } else if ch.is_numeric() {
            Some(false)
        } else {
            None
        };
        match (open, class) {
            (Some((_, was)), Some(now)) if was == now => {}
            (Some((start, _)), _) => {
                spans.push((start, at));
                open = class.map(|c| (at, c));
            }
            (None, _) => open = class.map(|c| (at, c)),
        }
    }
    if let Some((start, _)) = open {
        spans.push((start, text.len()));
    }
    spans
}

/// The distinct pieces of a folded address, sorted: its words in the e-mail index.
pub(super) fn pieces(email: &str) -> Vec<&str> {
    let mut pieces: Vec<&str> = piece_spans(email)
        .into_iter()
        .map(|(s, e)| &email[s..e])
        .collect();
    pieces.sort_unstable();
    pieces.dedup();
    pieces
}

/// The keys stored for customer `rid`, if it has a row.
fn stored(
    conn: &Connection,
    rid: i64,
) -> rusqlite::Result<Option<(Option<String>, Option<String>)>> {
    conn.prepare_cached("SELECT email, phone FROM contact_text WHERE rid = ?1")?
        .query_row([rid], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// Adds customer `rid` to the indexes.
pub(super) fn index(conn: &Connection, rid: i64, c: &Customer) -> rusqlite::Result<()> {
    let (email, phone) = keys(c);
    if email.is_none() && phone.is_none() {
        return Ok(());
    }
    conn.prepare_cached("INSERT INTO contact_text (rid, email, phone) VALUES (?1, ?2, ?3)")?
        .execute(params![rid, email, phone])?;
    conn.prepare_cached("INSERT INTO phone_grams (rowid, phone) VALUES (?1, ?2)")?
        .execute(params![rid, phone])?;
    if let Some(email) = &email {
        words::reindex_words(conn, EMAIL, rid, &[], &pieces(email))?;
    }
    Ok(())
}

/// Takes customer `rid` out of the indexes.
pub(super) fn unindex(conn: &Connection, rid: i64) -> rusqlite::Result<()> {
    let Some((email, phone)) = stored(conn, rid)? else {
        return Ok(());
    };
    // The trigram index keeps no copy: it is told which text leaves it.
    conn.prepare_cached(
        "INSERT INTO phone_grams (phone_grams, rowid, phone) VALUES ('delete', ?1, ?2)",
    )?
    .execute(params![rid, phone])?;
    if let Some(email) = &email {
        words::reindex_words(conn, EMAIL, rid, &pieces(email), &[])?;
    }
    conn.prepare_cached("DELETE FROM contact_text WHERE rid = ?1")?
        .execute([rid])?;
    Ok(())
}

/// Brings customer `rid` in the indexes in line with `c`; an edit that keeps the e-mail and
/// phone number writes nothing here.
pub(super) fn reindex(conn: &Connection, rid: i64, c: &Customer) -> rusqlite::Result<()> {
    let now = keys(c);
    let before = stored(conn, rid)?.unwrap_or((None, None));
    if before == now {
        return Ok(());
    }
    unindex(conn, rid)?;
    index(conn, rid, c)
}

/// Builds the indexes again from the stored customers: after a bulk load that deferred
/// them, or the migration that made them.
pub(super) fn rebuild(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM contact_text;
         INSERT INTO phone_grams (phone_grams) VALUES ('delete-all');",
    )?;
    {
        let mut read = conn.prepare(
            "SELECT rid, email, phone FROM customers \
             WHERE email IS NOT NULL OR phone IS NOT NULL ORDER BY rid",
        )?;
        let mut write =
            conn.prepare("INSERT INTO contact_text (rid, email, phone) VALUES (?1, ?2, ?3)")?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            let rid: i64 = row.get(0)?;
            let email = row.get_ref(1)?.as_str_or_null()?.map(fold);
            let phone = row.get_ref(2)?.as_str_or_null()?.map(phone_key);
            write.execute(params![rid, email, phone])?;
        }
    }
    // One segment, as the word indexes are written: a query then seeks each trigram once
    // (measured at 1M: a part of a number in 0.8 ms instead of 1.7).
    conn.execute_batch(
        "INSERT INTO phone_grams (phone_grams) VALUES ('rebuild');
         INSERT INTO phone_grams (phone_grams) VALUES ('optimize');",
    )?;
    let emails = words::compute_from(
        conn,
        "SELECT rid, email FROM contact_text WHERE email IS NOT NULL",
        pieces,
    )?;
    words::write_all_in(conn, EMAIL, emails)
}

/// A `like` on `Email` or `Phone` answered by the indexes: the part's key, not empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    phone: bool,
    key: String,
}

impl Part {
    /// The part a `like` filter looks for, when the indexes can answer it (its key is not
    /// empty); `None` for other operators and members.
    pub(super) fn of(filter: &Filter) -> Option<Self> {
        let phone = match filter.member {
            Member::Phone => true,
            Member::Email => false,
            _ => return None,
        };
        let key = match (filter.op, filter.args.first()) {
            (Operator::Like, Some(Scalar::Text(t))) if phone => phone_key(t),
            (Operator::Like, Some(Scalar::Text(t))) => fold(t).into_owned(),
            _ => return None,
        };
        (!key.is_empty()).then_some(Self { phone, key })
    }

    /// The customers (ascending row ids) whose key contains this part's.
    pub(super) fn matches(&self, conn: &Connection) -> rusqlite::Result<Vec<i64>> {
        let column = if self.phone { "phone" } else { "email" };
        if self.phone && words::has_trigram(&self.key) {
            let phrase = format!("\"{}\"", self.key.replace('"', "\"\""));
            let mut rids = conn
                .prepare_cached("SELECT rowid FROM phone_grams WHERE phone_grams MATCH ?1")?
                .query_map([phrase], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?;
            rids.sort_unstable();
            return Ok(rids);
        }
        let candidates = if self.phone {
            None
        } else {
            self.email_candidates(conn)?
        };
        let mut rids = match candidates {
            Some((rids, true)) => return Ok(rids),
            Some((rids, false)) if rids.is_empty() => return Ok(rids),
            Some((rids, false)) => conn
                .prepare_cached(
                    "SELECT t.rid FROM rarray(?1) m CROSS JOIN contact_text t ON t.rid = m.value \
                     WHERE instr(t.email, ?2) > 0",
                )?
                .query_map(params![super::list::as_array(&rids), self.key], |r| {
                    r.get(0)
                })?
                .collect::<rusqlite::Result<Vec<i64>>>()?,
            None => conn
                .prepare_cached(&format!(
                    "SELECT rid FROM contact_text WHERE instr({column}, ?1) > 0"
                ))?
                .query_map([&self.key], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?,
        };
        rids.sort_unstable();
        Ok(rids)
    }

    /// The customers whose addresses have this part's pieces where the part puts them, and
    /// whether that is the answer (a part of one piece) or still to be checked. `None` when
    /// the part has no piece of three characters or more: its addresses are scanned.
    fn email_candidates(&self, conn: &Connection) -> rusqlite::Result<Option<(Vec<i64>, bool)>> {
        let key = self.key.as_str();
        let spans = piece_spans(key);
        if !spans.iter().any(|&(s, e)| words::has_trigram(&key[s..e])) {
            return Ok(None);
        }
        let exact = spans == [(0, key.len())];
        // Each piece's vocabulary words, kept where the part puts the piece: with something
        // before it in the part it starts a word, with something after it it ends one.
        let mut pieces = Vec::with_capacity(spans.len());
        for (start, end) in spans {
            let piece = &key[start..end];
            let (before, after) = (start > 0, end < key.len());
            let found: Vec<(i64, String, i64)> = words::words_containing(conn, EMAIL, piece)?
                .into_iter()
                .filter(|(_, word, _)| match (before, after) {
                    (false, false) => true,
                    (true, false) => word.starts_with(piece),
                    (false, true) => word.ends_with(piece),
                    (true, true) => word == piece,
                })
                .collect();
            let uses: i64 = found.iter().map(|(_, _, uses)| uses).sum();
            pieces.push((
                uses,
                found.into_iter().map(|(id, _, _)| id).collect::<Vec<_>>(),
            ));
        }
        pieces.sort_unstable_by_key(|(uses, _)| *uses);
        let mut candidates: Option<Vec<i64>> = None;
        for (_, ids) in pieces {
            let narrowed = match candidates {
                None => words::customers_of_in(conn, EMAIL, &ids)?,
                Some(before) if before.len() <= CHECK_DIRECTLY => {
                    candidates = Some(before);
                    break;
                }
                // The later pieces have more customers: only those still in are kept, with
                // no union of them all made first.
                Some(before) => words::customers_of_among(conn, EMAIL, &ids, &before)?,
            };
            let none_left = narrowed.is_empty();
            candidates = Some(narrowed);
            if none_left {
                break;
            }
        }
        Ok(candidates.map(|rids| (rids, exact)))
    }
}

/// A filter on `Email` or `Phone` as a condition on `customers c` with its parameters (a
/// `like` the indexes answer goes through [`Part`] instead).
pub(super) fn condition(filter: &Filter) -> (String, Vec<SqlValue>) {
    let phone = filter.member == Member::Phone;
    let raw = if phone { "c.phone" } else { "c.email" };
    let key = |s: &Scalar| match s {
        Scalar::Text(t) if phone => phone_key(t),
        Scalar::Text(t) => fold(t).into_owned(),
        // The parser gives these members text only.
        _ => String::new(),
    };
    let keys: Vec<SqlValue> = filter.args.iter().map(|a| SqlValue::Text(key(a))).collect();
    let marks = |n: usize| vec!["?"; n].join(", ");
    // An e-mail's key is fold(email), whose sort index answers equality and ranges; a
    // phone number's is in contact_text, indexed.
    let compare = |cond: &str| -> String {
        if phone {
            format!("c.rid IN (SELECT rid FROM contact_text WHERE phone {cond})")
        } else {
            format!("fold(c.email) {cond}")
        }
    };
    // Null is not equal to any value: a customer without one passes `ne` and `nin`.
    let differs = |cond: &str| -> String {
        if phone {
            format!("c.rid NOT IN (SELECT rid FROM contact_text WHERE phone {cond})")
        } else {
            format!("(c.email IS NULL OR NOT fold(c.email) {cond})")
        }
    };
    let sql = match filter.op {
        Operator::Like => return like(raw),
        Operator::Null => return (format!("{raw} IS NULL"), Vec::new()),
        Operator::NotNull => return (format!("{raw} IS NOT NULL"), Vec::new()),
        Operator::Eq => compare("= ?"),
        Operator::Ne => differs("= ?"),
        Operator::Gt => compare("> ?"),
        Operator::Ge => compare(">= ?"),
        Operator::Lt => compare("< ?"),
        Operator::Le => compare("<= ?"),
        Operator::In => compare(&format!("IN ({})", marks(keys.len()))),
        Operator::Nin => differs(&format!("IN ({})", marks(keys.len()))),
        Operator::Between => compare("BETWEEN ? AND ?"),
    };
    (sql, keys)
}

/// `like` on SQL alone: the parts the indexes do not answer ([`Part::of`]), whose key is
/// empty (`+`, or only spaces): every customer who has one.
fn like(raw: &str) -> (String, Vec<SqlValue>) {
    (format!("{raw} IS NOT NULL"), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ndata::{ListParams, parse_list_query};
    use crate::store::Store;

    fn customer(email: Option<&str>, phone: Option<&str>) -> Customer {
        Customer {
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            ..Customer::default()
        }
    }

    fn matching(conn: &Connection, query: &str) -> Vec<i64> {
        let parsed = parse_list_query(&ListParams::from_query_string(query)).unwrap();
        if let Some(part) = Part::of(&parsed.filters[0]) {
            return part.matches(conn).unwrap();
        }
        let (cond, params) = condition(&parsed.filters[0]);
        conn.prepare(&format!(
            "SELECT c.rid FROM customers c WHERE {cond} ORDER BY c.rid"
        ))
        .unwrap()
        .query_map(rusqlite::params_from_iter(params), |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    #[test]
    fn addresses_are_cut_into_runs_of_letters_and_of_digits() {
        assert_eq!(
            pieces("jana.novakova12@example.sk"),
            vec!["12", "example", "jana", "novakova", "sk"]
        );
        assert_eq!(piece_spans("a.b12"), vec![(0, 1), (2, 3), (3, 5)]);
        assert!(pieces("@.-").is_empty());
    }

    #[test]
    fn parts_of_addresses_and_numbers_find_their_customers_and_leave_with_them() {
        let store = Store::open_in_memory().unwrap();
        store
            .write_sql(|conn| -> crate::store::Result<()> {
                let people = [
                    customer(Some("Jana.Novakova@Example.sk"), Some("+421 905 111 222")),
                    customer(Some("peter@example.cz"), Some("0905 111 333")),
                    customer(None, Some("+420 777 000 111, 02/123 456")),
                    customer(Some("čierny@example.sk"), None),
                ];
                for (rid, c) in (1..).zip(&people) {
                    conn.execute(
                        "INSERT INTO customers (rid, id, version, is_active, is_company, \
                         credit_amount, credit_rate, discount_rate, email, phone) \
                         VALUES (?1, ?1, 1, 1, 0, 0, 0, 0, ?2, ?3)",
                        params![rid, c.email, c.phone],
                    )?;
                    index(conn, rid, c)?;
                }
                assert_eq!(matching(conn, "Phone=like:0905 111"), vec![1, 2]);
                assert_eq!(matching(conn, "Phone=like:%2B421-905"), vec![1]);
                assert_eq!(matching(conn, "Phone=like:111 222"), vec![1]);
                assert_eq!(matching(conn, "Phone=like:2123"), vec![3]);
                assert_eq!(matching(conn, "Phone=like:12"), vec![1, 3]);
                assert_eq!(matching(conn, "Phone=eq:00421905111222"), vec![1]);
                assert_eq!(matching(conn, "Phone=ne:%2B421905111222"), vec![2, 3, 4]);
                assert_eq!(matching(conn, "Phone=null"), vec![4]);
                assert_eq!(matching(conn, "Email=like:NOVAK"), vec![1]);
                assert_eq!(matching(conn, "Email=like:cierny@"), vec![4]);
                assert_eq!(matching(conn, "Email=like:@example."), vec![1, 2, 4]);
                assert_eq!(matching(conn, "Email=like:.c"), vec![2]);
                assert_eq!(matching(conn, "Email=like:a.novakova@ex"), vec![1]);
                assert!(matching(conn, "Email=like:a.novakovaa").is_empty());
                assert!(matching(conn, "Email=like:jana_novakova").is_empty());
                assert_eq!(matching(conn, "Email=like:example.sk"), vec![1, 4]);
                assert_eq!(matching(conn, "Email=eq:PETER@example.cz"), vec![2]);
                assert_eq!(matching(conn, "Email=nin:peter@example.cz"), vec![1, 3, 4]);

                reindex(conn, 1, &customer(Some("jana@example.hu"), None))?;
                assert_eq!(matching(conn, "Phone=like:0905 111"), vec![2]);
                assert!(matching(conn, "Email=like:novak").is_empty());
                unindex(conn, 2)?;
                assert!(matching(conn, "Phone=like:0905 111").is_empty());
                conn.execute_batch(
                    "INSERT INTO phone_grams (phone_grams) VALUES ('integrity-check');
                     INSERT INTO email_word_grams (email_word_grams) VALUES ('integrity-check');",
                )?;
                rebuild(conn)?;
                // The rebuild reads the customers' own columns, where 1 still has its phone.
                assert_eq!(matching(conn, "Phone=like:0905 111"), vec![1, 2]);
                conn.execute_batch(
                    "INSERT INTO phone_grams (phone_grams) VALUES ('integrity-check');
                     INSERT INTO email_word_grams (email_word_grams) VALUES ('integrity-check');",
                )?;
                Ok(())
            })
            .unwrap();
    }
}
