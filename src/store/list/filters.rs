//! A filter as SQL: the conditions on `customers c` it stands for, and what the counted
//! keys ([`crate::store::counted`]) count for it.

use rusqlite::types::Value as SqlValue;

use crate::ndata::{Filter, Operator, Scalar};
use crate::store::counted::{self, Bound, Counted};
use crate::store::decimal::{ceil_micros, floor_micros, to_micros};

/// The text of a `like` filter.
pub(super) fn like_text(filter: &Filter) -> Option<&str> {
    match filter.args.first() {
        Some(Scalar::Text(t)) => Some(t),
        _ => None,
    }
}

/// What the blocks of `key` count for a condition `op` with `args` on its column; a null
/// counts as "not equal", as in [`condition`].
pub(super) fn counted_of(key: usize, op: Operator, args: &[SqlValue]) -> Option<Counted> {
    let first = args.first().cloned();
    let one = |v: SqlValue| (Bound::Before(v.clone()), Bound::After(v));
    let partial = key == counted::EXTERNAL_ID;
    let (ranges, negated) = match op {
        Operator::Eq => (vec![one(first?)], false),
        Operator::Ne => (vec![one(first?)], true),
        Operator::Gt => (vec![(Bound::After(first?), Bound::End)], false),
        Operator::Ge => (vec![(Bound::Before(first?), Bound::End)], false),
        Operator::Lt => (vec![(Bound::NullsEnd, Bound::Before(first?))], false),
        Operator::Le => (vec![(Bound::NullsEnd, Bound::After(first?))], false),
        Operator::In | Operator::Nin => {
            let mut distinct: Vec<SqlValue> = Vec::new();
            for v in args {
                if !distinct.contains(v) {
                    distinct.push(v.clone());
                }
            }
            (distinct.into_iter().map(one).collect(), op == Operator::Nin)
        }
        Operator::Between => (
            vec![(Bound::Before(first?), Bound::After(args.get(1)?.clone()))],
            false,
        ),
        // A partial key holds only the customers with a value.
        Operator::Null if partial => (vec![(Bound::Begin, Bound::End)], true),
        Operator::NotNull if partial => (vec![(Bound::Begin, Bound::End)], false),
        Operator::Null => (vec![(Bound::Begin, Bound::NullsEnd)], false),
        Operator::NotNull => (vec![(Bound::NullsEnd, Bound::End)], false),
        Operator::Like => return None,
    };
    Some(Counted {
        key,
        ranges,
        negated,
    })
}

/// [`counted_of`] for a decimal member, with its bounds rounded as [`decimal_condition`]
/// rounds them.
pub(super) fn decimal_counted(key: usize, f: &Filter) -> Option<Counted> {
    let decimals: Vec<_> = f
        .args
        .iter()
        .filter_map(|a| match a {
            Scalar::Decimal(d) => Some(*d),
            _ => None,
        })
        .collect();
    let first = decimals.first().copied().unwrap_or_default();
    let int = SqlValue::Integer;
    let nothing = Some(Counted {
        key,
        ranges: Vec::new(),
        negated: false,
    });
    let everyone = Some(Counted {
        key,
        ranges: Vec::new(),
        negated: true,
    });
    let bound = match f.op {
        Operator::Eq | Operator::Ne => to_micros(first),
        Operator::Gt | Operator::Le => floor_micros(first),
        Operator::Ge | Operator::Lt => ceil_micros(first),
        Operator::In | Operator::Nin => {
            let exact = exact_micros(&decimals);
            return counted_of(key, f.op, &exact);
        }
        Operator::Between => {
            let low = ceil_micros(first);
            let high = decimals.get(1).and_then(|d| floor_micros(*d));
            return match (low, high) {
                (Some(l), Some(h)) => counted_of(key, f.op, &[int(l), int(h)]),
                _ => nothing,
            };
        }
        Operator::Null | Operator::NotNull | Operator::Like => return nothing,
    };
    match bound {
        Some(v) => counted_of(key, f.op, &[int(v)]),
        None if f.op == Operator::Ne => everyone,
        None => nothing,
    }
}

pub(super) fn scalar_value(s: &Scalar) -> SqlValue {
    match s {
        Scalar::Text(t) => SqlValue::Text(t.clone()),
        Scalar::Bool(b) => SqlValue::Integer(*b as i64),
        Scalar::Time(t) => SqlValue::Integer(t.timestamp_micros()),
        // Decimals go through decimal_condition; never reached for them.
        Scalar::Decimal(d) => SqlValue::Text(d.to_string()),
    }
}

/// `conditions` joined with AND as a balanced tree. SQLite limits an expression's depth to
/// 1,000 and parses `a AND b AND c …` as a chain, one level per AND, so a chain of the 1,000
/// filter operations a request may have would fail; a balanced tree is 10 levels deep.
pub(super) fn all_of(conditions: &[String]) -> String {
    match conditions {
        [] => "1".to_owned(),
        [one] => one.clone(),
        _ => {
            let (left, right) = conditions.split_at(conditions.len() / 2);
            format!("({} AND {})", all_of(left), all_of(right))
        }
    }
}

/// A condition on a text, bool or time column. `nulls_mean_not_equal`: a null value counts
/// as "not equal" for `ne`/`nin` (cards have no null serials).
pub(super) fn condition(
    column: &str,
    nulls_mean_not_equal: bool,
    f: &Filter,
) -> (String, Vec<SqlValue>) {
    let args: Vec<SqlValue> = f.args.iter().map(scalar_value).collect();
    let marks = |n: usize| vec!["?"; n].join(", ");
    let or_null = |cond: String| {
        if nulls_mean_not_equal {
            format!("({column} IS NULL OR {cond})")
        } else {
            cond
        }
    };
    let sql = match f.op {
        Operator::Eq => format!("{column} = ?"),
        Operator::Ne => or_null(format!("{column} <> ?")),
        Operator::Gt => format!("{column} > ?"),
        Operator::Ge => format!("{column} >= ?"),
        Operator::Lt => format!("{column} < ?"),
        Operator::Le => format!("{column} <= ?"),
        Operator::In => format!("{column} IN ({})", marks(args.len())),
        Operator::Nin => or_null(format!("{column} NOT IN ({})", marks(args.len()))),
        Operator::Between => format!("{column} BETWEEN ? AND ?"),
        Operator::Null => format!("{column} IS NULL"),
        Operator::NotNull => format!("{column} IS NOT NULL"),
        Operator::Like => {
            // Plain LIKE: serial numbers and external ids are codes, and SQLite's LIKE is
            // case-insensitive for ASCII without a function call per row.
            let pattern = match f.args.first() {
                Some(Scalar::Text(t)) => format!("%{}%", like_escape(t)),
                _ => "%".to_owned(),
            };
            return (
                format!("{column} LIKE ? ESCAPE '\\'"),
                vec![SqlValue::Text(pattern)],
            );
        }
    };
    (sql, args)
}

/// A condition on a decimal column stored as exact millionths. A bound with more than six
/// decimal places is rounded in the direction that keeps the comparison exact; an equality
/// with such a value can match nothing.
pub(super) fn decimal_condition(column: &str, f: &Filter) -> (String, Vec<SqlValue>) {
    let decimals: Vec<_> = f
        .args
        .iter()
        .filter_map(|a| {
            if let Scalar::Decimal(d) = a {
                Some(*d)
            } else {
                None
            }
        })
        .collect();
    let int = |v: i64| SqlValue::Integer(v);
    let never = ("0".to_owned(), Vec::new());
    let always = ("1".to_owned(), Vec::new());
    let first = decimals.first().copied().unwrap_or_default();
    match f.op {
        Operator::Eq => to_micros(first).map_or(never, |v| (format!("{column} = ?"), vec![int(v)])),
        Operator::Ne => {
            to_micros(first).map_or(always, |v| (format!("{column} <> ?"), vec![int(v)]))
        }
        Operator::Gt => {
            floor_micros(first).map_or(never, |v| (format!("{column} > ?"), vec![int(v)]))
        }
        Operator::Ge => {
            ceil_micros(first).map_or(never, |v| (format!("{column} >= ?"), vec![int(v)]))
        }
        Operator::Lt => {
            ceil_micros(first).map_or(never, |v| (format!("{column} < ?"), vec![int(v)]))
        }
        Operator::Le => {
            floor_micros(first).map_or(never, |v| (format!("{column} <= ?"), vec![int(v)]))
        }
        Operator::In | Operator::Nin => {
            let exact = exact_micros(&decimals);
            let negate = f.op == Operator::Nin;
            if exact.is_empty() {
                return if negate { always } else { never };
            }
            let marks = vec!["?"; exact.len()].join(", ");
            (
                format!("{column} {}IN ({marks})", if negate { "NOT " } else { "" }),
                exact,
            )
        }
        Operator::Between => {
            let low = ceil_micros(first);
            let high = decimals.get(1).and_then(|d| floor_micros(*d));
            match (low, high) {
                (Some(l), Some(h)) => (format!("{column} BETWEEN ? AND ?"), vec![int(l), int(h)]),
                _ => never,
            }
        }
        // The parser does not let these reach a decimal member.
        Operator::Null | Operator::NotNull | Operator::Like => never,
    }
}

/// `text` with the `LIKE` wildcards and the escape character escaped.
pub(in crate::store) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The decimals that are exact in millionths, as the index columns hold them; a value with
/// more places equals none of them.
fn exact_micros(decimals: &[rust_decimal::Decimal]) -> Vec<SqlValue> {
    decimals
        .iter()
        .filter_map(|d| to_micros(*d))
        .map(SqlValue::Integer)
        .collect()
}
