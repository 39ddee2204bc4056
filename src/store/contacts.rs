//! The `Email` and `Phone` filters **[ours]**: a customer's e-mail and phone number as they
//! are compared, and the index that finds a part of either among a million customers.
//!
//! `contact_text` holds each customer's e-mail folded (lower case, no diacritics) and phone
//! number normalised ([`crate::text::phone_key`]: digits and letters only, no leading
//! zeros), one row per customer who has either. `contact_grams` is a trigram index over it
//! (row id = the customer's row id), so `like` with three characters or more is one exact
//! phrase match: it reads only the customers whose text has every trigram of the part, in
//! order. Unlike the names behind `Search` (`store::words`), almost every e-mail and phone
//! number is a customer's own, so a vocabulary of distinct values would be as large as the
//! table and add a step: the index points at the customers directly.
//!
//! Parts of one or two characters have no trigram and are checked with `instr` on the
//! compact `contact_text`. The other operators compare the whole normalised value: an
//! e-mail through the sort index on `fold(email)`, a phone number through the index on
//! `contact_text.phone`.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params};

use crate::model::Customer;
use crate::ndata::{Filter, Member, Operator, Scalar};
use crate::text::{fold, phone_key};

/// The e-mail and phone number of `c` as the filters compare them; `None` when absent.
fn keys(c: &Customer) -> (Option<String>, Option<String>) {
    (
        c.email.as_deref().map(|e| fold(e).into_owned()),
        c.phone.as_deref().map(phone_key),
    )
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

/// Adds customer `rid` to the index.
pub(super) fn index(conn: &Connection, rid: i64, c: &Customer) -> rusqlite::Result<()> {
    let (email, phone) = keys(c);
    if email.is_none() && phone.is_none() {
        return Ok(());
    }
    conn.prepare_cached("INSERT INTO contact_text (rid, email, phone) VALUES (?1, ?2, ?3)")?
        .execute(params![rid, email, phone])?;
    conn.prepare_cached("INSERT INTO contact_grams (rowid, email, phone) VALUES (?1, ?2, ?3)")?
        .execute(params![rid, email, phone])?;
    Ok(())
}

/// Takes customer `rid` out of the index.
pub(super) fn unindex(conn: &Connection, rid: i64) -> rusqlite::Result<()> {
    let Some((email, phone)) = stored(conn, rid)? else {
        return Ok(());
    };
    // The trigram index keeps no copy: it is told which text leaves it.
    conn.prepare_cached(
        "INSERT INTO contact_grams (contact_grams, rowid, email, phone) \
         VALUES ('delete', ?1, ?2, ?3)",
    )?
    .execute(params![rid, email, phone])?;
    conn.prepare_cached("DELETE FROM contact_text WHERE rid = ?1")?
        .execute([rid])?;
    Ok(())
}

/// Brings customer `rid` in the index in line with `c`; an edit that keeps the e-mail and
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

/// Builds the whole index again from the stored customers: after a bulk load that deferred
/// it, or the migration that made it.
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
    conn.execute_batch("INSERT INTO contact_grams (contact_grams) VALUES ('rebuild');")
}

/// A filter on `Email` or `Phone` as a condition on `customers c` with its parameters.
pub(super) fn condition(filter: &Filter) -> (String, Vec<SqlValue>) {
    let phone = filter.member == Member::Phone;
    let (column, raw) = if phone {
        ("phone", "c.phone")
    } else {
        ("email", "c.email")
    };
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
        Operator::Like => return like(column, raw, keys.into_iter().next()),
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

/// `like`: the customers whose key contains `part`'s key.
fn like(column: &str, raw: &str, part: Option<SqlValue>) -> (String, Vec<SqlValue>) {
    let part = match part {
        Some(SqlValue::Text(t)) => t,
        _ => String::new(),
    };
    if part.is_empty() {
        // Nothing left to look for (`+`, or only spaces): every customer who has one.
        return (format!("{raw} IS NOT NULL"), Vec::new());
    }
    if super::words::has_trigram(&part) {
        let phrase = format!("{column} : \"{}\"", part.replace('"', "\"\""));
        return (
            "c.rid IN (SELECT rowid FROM contact_grams WHERE contact_grams MATCH ?)".to_owned(),
            vec![SqlValue::Text(phrase)],
        );
    }
    (
        format!("c.rid IN (SELECT rid FROM contact_text WHERE instr({column}, ?) > 0)"),
        vec![SqlValue::Text(part)],
    )
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
                assert_eq!(matching(conn, "Email=eq:PETER@example.cz"), vec![2]);
                assert_eq!(matching(conn, "Email=nin:peter@example.cz"), vec![1, 3, 4]);

                reindex(conn, 1, &customer(Some("jana@example.hu"), None))?;
                assert_eq!(matching(conn, "Phone=like:0905 111"), vec![2]);
                assert!(matching(conn, "Email=like:novak").is_empty());
                unindex(conn, 2)?;
                assert!(matching(conn, "Phone=like:0905 111").is_empty());
                conn.execute_batch(
                    "INSERT INTO contact_grams (contact_grams) VALUES ('integrity-check')",
                )?;
                rebuild(conn)?;
                // The rebuild reads the customers' own columns, where 1 still has its phone.
                assert_eq!(matching(conn, "Phone=like:0905 111"), vec![1, 2]);
                conn.execute_batch(
                    "INSERT INTO contact_grams (contact_grams) VALUES ('integrity-check')",
                )?;
                Ok(())
            })
            .unwrap();
    }
}
