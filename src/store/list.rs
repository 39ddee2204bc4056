//! `GET /customers` as SQL. SQL text is only ever built from fixed fragments; every value
//! goes in as a placeholder.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use super::decimal::{ceil_micros, floor_micros, to_micros};
use crate::api::ApiError;
use crate::model::Customer;
use crate::ndata::{Filter, ListQuery, Member, Operator, Scalar, SortField};

/// A list query turned into a WHERE clause, its parameters and an ORDER BY clause.
#[derive(Debug, Clone)]
pub struct ListPlan {
    where_sql: String,
    params: Vec<SqlValue>,
    order_sql: String,
    /// Whether any condition applies (else the count is the stored counter).
    filtered: bool,
}

impl ListPlan {
    /// Plans `query` as of `now` (for `IsExpired`).
    pub fn new(query: &ListQuery, now: DateTime<Utc>) -> Self {
        let mut plan = ListPlan {
            where_sql: String::new(),
            params: Vec::new(),
            order_sql: String::new(),
            filtered: false,
        };
        for filter in &query.filters {
            plan.add_filter(filter);
        }
        if let Some(expired) = query.is_expired {
            let now = SqlValue::Integer(now.timestamp_micros());
            if expired {
                plan.and("c.expiration_time < ?", vec![now]);
            } else {
                plan.and(
                    "(c.expiration_time IS NULL OR c.expiration_time >= ?)",
                    vec![now],
                );
            }
        }
        if !query.search.is_empty() {
            let mut sql = String::from("c.rid IN (SELECT rowid FROM customer_search WHERE ");
            let mut params = Vec::new();
            for (i, word) in query.search.iter().enumerate() {
                if i > 0 {
                    sql.push_str(" AND ");
                }
                sql.push_str("text GLOB ?");
                params.push(SqlValue::Text(format!("*{}*", glob_escape(word))));
            }
            sql.push(')');
            plan.and(&sql, params);
        }
        plan.order_sql = order_by(query);
        plan
    }

    fn and(&mut self, sql: &str, params: Vec<SqlValue>) {
        self.where_sql
            .push_str(if self.filtered { " AND " } else { " WHERE " });
        self.where_sql.push_str(sql);
        self.params.extend(params);
        self.filtered = true;
    }

    fn add_filter(&mut self, filter: &Filter) {
        match filter.member {
            Member::CardSerialNumber => {
                // True when any card of the customer matches.
                let (cond, params) = condition("k.serial", false, filter);
                self.and(
                    &format!("c.rid IN (SELECT k.customer_rid FROM cards k WHERE {cond})"),
                    params,
                );
            }
            Member::ExternalId => {
                let (cond, params) = condition("c.external_id", true, filter);
                self.and(&cond, params);
            }
            Member::CreditRate | Member::DiscountRate => {
                let column = if filter.member == Member::CreditRate {
                    "c.credit_rate"
                } else {
                    "c.discount_rate"
                };
                let (cond, params) = decimal_condition(column, filter);
                self.and(&cond, params);
            }
            Member::IsActive | Member::ExpirationTime => {
                let column = if filter.member == Member::IsActive {
                    "c.is_active"
                } else {
                    "c.expiration_time"
                };
                let (cond, params) = condition(column, true, filter);
                self.and(&cond, params);
            }
        }
    }

    /// How many customers match.
    pub fn count(&self, conn: &Connection) -> Result<u64, ApiError> {
        if !self.filtered {
            return super::customers::total_count(conn);
        }
        let sql = format!("SELECT count(*) FROM customers c{}", self.where_sql);
        let n: i64 = conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(self.params.iter()), |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The customers of one page, sorted. The page is picked on the indexes alone (row ids
    /// only), then just its documents are read.
    pub fn page(
        &self,
        conn: &Connection,
        skip: u64,
        take: Option<u64>,
    ) -> Result<Vec<Customer>, ApiError> {
        let rids = self.page_rids(conn, skip, take)?;
        super::customers::load_docs(conn, &rids)
    }

    /// The row ids of one page, in order.
    pub fn page_rids(
        &self,
        conn: &Connection,
        skip: u64,
        take: Option<u64>,
    ) -> Result<Vec<i64>, ApiError> {
        let mut rids = Vec::new();
        self.for_each_rid(conn, skip, take, |rid| {
            rids.push(rid);
            Ok(true)
        })?;
        Ok(rids)
    }

    fn page_sql(&self, skip: u64, take: Option<u64>) -> (String, Vec<SqlValue>) {
        let sql = format!(
            "SELECT c.rid FROM customers c{} ORDER BY {} LIMIT ? OFFSET ?",
            self.where_sql, self.order_sql
        );
        let mut params = self.params.clone();
        params.push(SqlValue::Integer(
            take.map_or(-1, |t| t.min(i64::MAX as u64) as i64),
        ));
        params.push(SqlValue::Integer(skip.min(i64::MAX as u64) as i64));
        (sql, params)
    }

    /// Walks the row ids of the matching customers in order, from `skip` on, at most `take`,
    /// until `visit` returns `false`.
    pub fn for_each_rid(
        &self,
        conn: &Connection,
        skip: u64,
        take: Option<u64>,
        mut visit: impl FnMut(i64) -> Result<bool, ApiError>,
    ) -> Result<(), ApiError> {
        let (sql, params) = self.page_sql(skip, take);
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(row) = rows.next()? {
            if !visit(row.get(0)?)? {
                break;
            }
        }
        Ok(())
    }
}

/// The SQL expression a sort key orders by; it matches the expression of its index.
fn sort_expr(field: SortField) -> &'static str {
    match field {
        SortField::Id => "c.id",
        SortField::ExternalId => "fold(c.external_id)",
        SortField::IsActive => "c.is_active",
        SortField::ActivationTime => "c.activation_time",
        SortField::ExpirationTime => "c.expiration_time",
        SortField::FirstName => "fold(c.first_name)",
        SortField::LastName => "fold(c.last_name)",
        SortField::FullName => "fold(c.full_name)",
        SortField::Gender => "fold(c.gender)",
        SortField::BirthDate => "c.birth_date",
        SortField::Email => "fold(c.email)",
        SortField::Phone => "fold(c.phone)",
        SortField::IsCompany => "c.is_company",
        SortField::CreditRate => "c.credit_rate",
        SortField::DiscountRate => "c.discount_rate",
        SortField::Note => "fold(c.note)",
        SortField::CompanyName => "fold(c.company_name)",
        SortField::CreditAmount => "c.credit_amount",
    }
}

/// ORDER BY for the keys, then `id` as the final tie-breaker. The tie-breaker runs in the
/// direction of the last key, so a one-key sort in either direction is a plain index walk.
fn order_by(query: &ListQuery) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut last_desc = false;
    for key in &query.sort {
        if key.field == SortField::Id {
            last_desc = key.descending;
            break;
        }
        parts.push(format!(
            "{} {}",
            sort_expr(key.field),
            if key.descending { "DESC" } else { "ASC" }
        ));
        last_desc = key.descending;
    }
    parts.push(format!("c.id {}", if last_desc { "DESC" } else { "ASC" }));
    parts.join(", ")
}

fn scalar_value(s: &Scalar) -> SqlValue {
    match s {
        Scalar::Text(t) => SqlValue::Text(t.clone()),
        Scalar::Bool(b) => SqlValue::Integer(*b as i64),
        Scalar::Time(t) => SqlValue::Integer(t.timestamp_micros()),
        // Decimals go through decimal_condition; never reached for them.
        Scalar::Decimal(d) => SqlValue::Text(d.to_string()),
    }
}

/// A condition on a text, bool or time column. `nulls_mean_not_equal`: a null value counts
/// as "not equal" for `ne`/`nin` (cards have no null serials).
fn condition(column: &str, nulls_mean_not_equal: bool, f: &Filter) -> (String, Vec<SqlValue>) {
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
            let pattern = match f.args.first() {
                Some(Scalar::Text(t)) => format!("%{}%", like_escape(&crate::text::fold(t))),
                _ => "%".to_owned(),
            };
            return (
                format!("fold({column}) LIKE ? ESCAPE '\\'"),
                vec![SqlValue::Text(pattern)],
            );
        }
    };
    (sql, args)
}

/// A condition on a decimal column stored as exact millionths. A bound with more than six
/// decimal places is rounded in the direction that keeps the comparison exact; an equality
/// with such a value can match nothing.
fn decimal_condition(column: &str, f: &Filter) -> (String, Vec<SqlValue>) {
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
            let exact: Vec<SqlValue> = decimals
                .iter()
                .filter_map(|d| to_micros(*d))
                .map(int)
                .collect();
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

fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escapes GLOB's special characters by putting each in a bracket class.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' | '?' | '[' | ']' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}
