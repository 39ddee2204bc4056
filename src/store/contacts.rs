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

/// The part of a folded address before its (last) `@`: its words in the e-mail index.
fn local_part(email: &str) -> &str {
    email.rsplit_once('@').map_or(email, |(local, _)| local)
}

/// The domain of a folded address, after its last `@`: the trigram index has it.
fn domain(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, domain)| domain)
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

/// The distinct pieces of `text`, sorted.
fn pieces(text: &str) -> Vec<&str> {
    let mut pieces: Vec<&str> = piece_spans(text)
        .into_iter()
        .map(|(s, e)| &text[s..e])
        .collect();
    pieces.sort_unstable();
    pieces.dedup();
    pieces
}

/// The words of a folded address in the e-mail index: the pieces of its local part.
fn local_pieces(email: &str) -> Vec<&str> {
    pieces(local_part(email))
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
    let domain = email.as_deref().and_then(domain);
    conn.prepare_cached(
        "INSERT INTO contact_text (rid, email, phone, domain) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![rid, email, phone, domain])?;
    conn.prepare_cached("INSERT INTO contact_grams (rowid, phone, domain) VALUES (?1, ?2, ?3)")?
        .execute(params![rid, phone, domain])?;
    if let Some(email) = &email {
        words::reindex_words(conn, EMAIL, rid, &[], &local_pieces(email))?;
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
        "INSERT INTO contact_grams (contact_grams, rowid, phone, domain) \
         VALUES ('delete', ?1, ?2, ?3)",
    )?
    .execute(params![rid, phone, email.as_deref().and_then(domain)])?;
    if let Some(email) = &email {
        words::reindex_words(conn, EMAIL, rid, &local_pieces(email), &[])?;
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
         INSERT INTO contact_grams (contact_grams) VALUES ('delete-all');",
    )?;
    {
        let mut read = conn.prepare(
            "SELECT rid, email, phone FROM customers \
             WHERE email IS NOT NULL OR phone IS NOT NULL ORDER BY rid",
        )?;
        let mut write = conn.prepare(
            "INSERT INTO contact_text (rid, email, phone, domain) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut rows = read.query([])?;
        while let Some(row) = rows.next()? {
            let rid: i64 = row.get(0)?;
            let email = row.get_ref(1)?.as_str_or_null()?.map(fold);
            let phone = row.get_ref(2)?.as_str_or_null()?.map(phone_key);
            let domain = email.as_deref().and_then(domain);
            write.execute(params![rid, email, phone, domain])?;
        }
    }
    // One segment, as the word indexes are written: a query then seeks each trigram once
    // (measured at 1M: a part of a number in 0.8 ms instead of 1.7).
    conn.execute_batch(
        "INSERT INTO contact_grams (contact_grams) VALUES ('rebuild');
         INSERT INTO contact_grams (contact_grams) VALUES ('optimize');",
    )?;
    let emails = words::compute_from(
        conn,
        "SELECT rid, email FROM contact_text WHERE email IS NOT NULL",
        local_pieces,
    )?;
    words::write_all_in(conn, EMAIL, emails)
}

/// A `like` on `Email` or `Phone` answered by the indexes: the part's key, not empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    phone: bool,
    key: String,
}

/// Row ids, ascending, in either list.
fn union(a: Vec<i64>, b: Vec<i64>) -> Vec<i64> {
    let mut all = a;
    all.extend(b);
    all.sort_unstable();
    all.dedup();
    all
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
        let key = self.key.as_str();
        if self.phone {
            return match grams(conn, "phone", key)? {
                Some(rids) => Ok(rids),
                None => scan(conn, "phone", key),
            };
        }
        let found = match key.split_once('@') {
            // Wholly in the local part, or wholly in the domain.
            None => match (local_candidates(conn, key)?, grams(conn, "domain", key)?) {
                (Some((local, true)), Some(domain)) => Some(union(local, domain)),
                (Some((local, false)), Some(domain)) => {
                    Some(union(check(conn, key, &local)?, domain))
                }
                _ => None,
            },
            // The local part ends with what is left of the `@`, the domain starts with what
            // is right of it: each narrows, and the addresses left are checked.
            Some((local, domain)) => {
                let local = local_candidates(conn, local)?.map(|(rids, _)| rids);
                let domain = grams(conn, "domain", domain)?;
                let narrowed = match (local, domain) {
                    (Some(l), Some(d)) => Some(super::search::intersect(&l, &d)),
                    (one, other) => one.or(other),
                };
                match narrowed {
                    Some(rids) => Some(check(conn, key, &rids)?),
                    None => None,
                }
            }
        };
        match found {
            Some(rids) => Ok(rids),
            None => scan(conn, "email", key),
        }
    }
}

/// The customers whose `column` of `contact_grams` contains `key`, if it has a trigram.
fn grams(conn: &Connection, column: &str, key: &str) -> rusqlite::Result<Option<Vec<i64>>> {
    if !words::has_trigram(key) {
        return Ok(None);
    }
    let phrase = format!("{column} : \"{}\"", key.replace('"', "\"\""));
    let mut rids = conn
        .prepare_cached("SELECT rowid FROM contact_grams WHERE contact_grams MATCH ?1")?
        .query_map([phrase], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    rids.sort_unstable();
    Ok(Some(rids))
}

/// The customers whose `column` of `contact_text` contains `key`, by a scan.
fn scan(conn: &Connection, column: &str, key: &str) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached(&format!(
        "SELECT rid FROM contact_text WHERE instr({column}, ?1) > 0 ORDER BY rid"
    ))?
    .query_map([key], |r| r.get(0))?
    .collect()
}

/// Those of `rids` (ascending) whose address contains `key`.
fn check(conn: &Connection, key: &str, rids: &[i64]) -> rusqlite::Result<Vec<i64>> {
    if rids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = conn
        .prepare_cached(
            "SELECT t.rid FROM rarray(?1) m CROSS JOIN contact_text t ON t.rid = m.value \
             WHERE instr(t.email, ?2) > 0",
        )?
        .query_map(params![super::list::as_array(rids), key], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    found.sort_unstable();
    Ok(found)
}

/// The customers whose local parts have the pieces of `part` where it puts them, and whether
/// that is the answer (a part of one piece) or still to be checked. `None` when the part has
/// no piece of three characters or more.
fn local_candidates(conn: &Connection, part: &str) -> rusqlite::Result<Option<(Vec<i64>, bool)>> {
    let spans = piece_spans(part);
    if !spans.iter().any(|&(s, e)| words::has_trigram(&part[s..e])) {
        return Ok(None);
    }
    let exact = spans == [(0, part.len())];
    // Each piece's vocabulary words, kept where the part puts the piece: with something
    // before it in the part it starts a word, with something after it it ends one.
    let mut pieces = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        let piece = &part[start..end];
        let (before, after) = (start > 0, end < part.len());
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
            // The later pieces have more customers: only those still in are kept, with no
            // union of them all made first.
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
        assert_eq!(
            local_pieces("jana.novakova12@example.sk"),
            vec!["12", "jana", "novakova"]
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
                    "INSERT INTO contact_grams (contact_grams) VALUES ('integrity-check');
                     INSERT INTO email_word_grams (email_word_grams) VALUES ('integrity-check');",
                )?;
                rebuild(conn)?;
                // The rebuild reads the customers' own columns, where 1 still has its phone.
                assert_eq!(matching(conn, "Phone=like:0905 111"), vec![1, 2]);
                conn.execute_batch(
                    "INSERT INTO contact_grams (contact_grams) VALUES ('integrity-check');
                     INSERT INTO email_word_grams (email_word_grams) VALUES ('integrity-check');",
                )?;
                Ok(())
            })
            .unwrap();
    }
}
