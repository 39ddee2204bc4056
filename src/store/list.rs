//! `GET /customers` as SQL. SQL text is only ever built from fixed fragments; every value
//! goes in as a placeholder.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use super::decimal::{ceil_micros, floor_micros, to_micros};
use super::search::SearchPlan;
use crate::api::ApiError;
use crate::ndata::{Filter, ListQuery, Member, Operator, Scalar, SortField};

/// The rough cost, in row visits, of reading one search match and sorting it: with an id
/// sort the match only joins its row; with a text key the key is folded and compared too.
const READ_MATCH_COST_BY_ID: f64 = 3.0;
const READ_MATCH_COST_BY_KEY: f64 = 15.0;

/// A search with at most this many matches has them read into memory once (8 bytes each,
/// 3.2 MB at most):
/// their number is the count and the page is picked from them, so the index answers the
/// search once instead of once for the count and once for the page. A broader search
/// (found out by reading one more) counts in SQL and picks its page by `ReadMatches` or
/// `WalkSortIndex`, never holding its matches.
const COLLECT_MATCHES_UP_TO: usize = 400_000;

/// The rough cost, in the same units, of one entry of a sort index walked for a page of
/// matches held in memory: an index-only step and a binary search, about a fifth of a
/// matching row read and sorted by id (measured at 1,000,000 customers).
const WALK_ENTRY_COST: f64 = 0.5;

/// How a page of a search is picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchStrategy {
    /// Read every match and sort them: best when matches are few or the page is deep.
    ReadMatches,
    /// Walk the sort index and test each customer's text: best for an early page of a
    /// search that many customers match.
    WalkSortIndex,
}

/// A list query turned into SQL conditions, their parameters and an ORDER BY clause.
#[derive(Debug, Clone)]
pub struct ListPlan {
    /// Conditions on `customers c` (filters, `IsExpired`), all of which must hold.
    conditions: Vec<String>,
    params: Vec<SqlValue>,
    order_sql: String,
    /// Whether the order is by `id` alone (no key to fold per row).
    sorted_by_id: bool,
    /// Whether one index gives the order (one key, or `id` alone), so it can be walked.
    sort_indexed: bool,
    search: Option<SearchPlan>,
}

impl ListPlan {
    /// Plans `query` as of `now` (for `IsExpired`).
    pub fn new(query: &ListQuery, now: DateTime<Utc>) -> Self {
        let mut plan = ListPlan {
            conditions: Vec::new(),
            params: Vec::new(),
            order_sql: order_by(query),
            sorted_by_id: query.sort.first().is_none_or(|k| k.field == SortField::Id),
            sort_indexed: query.sort.len() <= 1
                || query.sort.get(1).is_some_and(|k| k.field == SortField::Id),
            search: None,
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
        let words: Vec<String> = query
            .search
            .iter()
            .filter(|w| !w.is_empty())
            .cloned()
            .collect();
        if !words.is_empty() {
            plan.search = Some(SearchPlan::new(&words));
        }
        plan
    }

    fn and(&mut self, sql: &str, params: Vec<SqlValue>) {
        self.conditions.push(sql.to_owned());
        self.params.extend(params);
    }

    fn where_clause(&self, extra: Option<&str>) -> String {
        let mut all: Vec<&str> = self.conditions.iter().map(String::as_str).collect();
        all.extend(extra);
        if all.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", all.join(" AND "))
        }
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

    /// Picks the cheaper way to a page of a search with `matches` matches: reading all of
    /// them costs about `matches` × the per-match cost; walking the sort index costs about
    /// (`skip` + `take`) × customers / `matches` text checks.
    fn strategy(
        &self,
        conn: &Connection,
        matches: u64,
        skip: u64,
        take: Option<u64>,
    ) -> Result<SearchStrategy, ApiError> {
        let customers = super::customers::total_count(conn)? as f64;
        let wanted = skip.saturating_add(take.unwrap_or(matches)).min(matches) as f64;
        let per_match = if self.sorted_by_id {
            READ_MATCH_COST_BY_ID
        } else {
            READ_MATCH_COST_BY_KEY
        };
        let read_all = matches as f64 * per_match;
        let walk = wanted * customers / matches.max(1) as f64;
        Ok(if read_all <= walk {
            SearchStrategy::ReadMatches
        } else {
            SearchStrategy::WalkSortIndex
        })
    }

    /// How many customers match.
    pub fn count(&self, conn: &Connection) -> Result<u64, ApiError> {
        let (sql, params) = match &self.search {
            Some(search) => {
                let (from, rid, cond, search_params) = search.source();
                // Parameters in the order of the conditions: filters first, then the search.
                let mut params = self.params.clone();
                params.extend(search_params);
                let sql = if self.conditions.is_empty() {
                    format!("SELECT count(*) FROM {from} WHERE {cond}")
                } else {
                    format!(
                        "SELECT count(*) FROM {from} CROSS JOIN customers c ON c.rid = {rid}{}",
                        self.where_clause(Some(&cond))
                    )
                };
                (sql, params)
            }
            None if self.conditions.is_empty() => return super::customers::total_count(conn),
            None => (
                format!(
                    "SELECT count(*) FROM customers c{}",
                    self.where_clause(None)
                ),
                self.params.clone(),
            ),
        };
        let n: i64 = conn
            .prepare_cached(&sql)?
            .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
        Ok(n as u64)
    }

    /// The number of all matches and the row ids of one page, in order.
    pub fn count_and_page(
        &self,
        conn: &Connection,
        skip: u64,
        take: Option<u64>,
    ) -> Result<(u64, Vec<i64>), ApiError> {
        if let Some(matches) = self.collect_matches(conn)? {
            let rids = self.page_of_matches(conn, &matches, skip, take)?;
            return Ok((matches.len() as u64, rids));
        }
        let total = self.count(conn)?;
        let mut rids = Vec::new();
        if total > skip && take != Some(0) {
            self.for_each_rid(conn, total, skip, take, |rid| {
                rids.push(rid);
                Ok(true)
            })?;
        }
        Ok((total, rids))
    }

    /// The row ids of every match, ascending, when the search uses the trigram index and
    /// has at most [`COLLECT_MATCHES_UP_TO`] matches; `None` otherwise.
    fn collect_matches(&self, conn: &Connection) -> Result<Option<Vec<i64>>, ApiError> {
        let Some(search) = self.search.as_ref().filter(|s| s.match_expr.is_some()) else {
            return Ok(None);
        };
        let (from, rid, cond, search_params) = search.source();
        let mut params = self.params.clone();
        params.extend(search_params);
        let sql = if self.conditions.is_empty() {
            format!("SELECT {rid} FROM {from} WHERE {cond}")
        } else {
            format!(
                "SELECT {rid} FROM {from} CROSS JOIN customers c ON c.rid = {rid}{}",
                self.where_clause(Some(&cond))
            )
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut rids = Vec::new();
        while let Some(row) = rows.next()? {
            if rids.len() == COLLECT_MATCHES_UP_TO {
                return Ok(None);
            }
            rids.push(row.get(0)?);
        }
        // The index gives them in row-id order already; the walk below relies on it.
        rids.sort_unstable();
        Ok(Some(rids))
    }

    /// One page of `matches` (ascending row ids), in order: by walking the sort index and
    /// keeping the entries that are matches when matches are dense enough for the page to
    /// come early, otherwise by sorting the matches' keys.
    fn page_of_matches(
        &self,
        conn: &Connection,
        matches: &[i64],
        skip: u64,
        take: Option<u64>,
    ) -> Result<Vec<i64>, ApiError> {
        let total = matches.len() as u64;
        if total <= skip || take == Some(0) {
            return Ok(Vec::new());
        }
        let take = take.unwrap_or(total).min(total - skip);
        let customers = super::customers::total_count(conn)?.max(total) as f64;
        let walk = (skip + take) as f64 * customers / total as f64 * WALK_ENTRY_COST;
        let per_match = if self.sorted_by_id {
            READ_MATCH_COST_BY_ID
        } else {
            READ_MATCH_COST_BY_KEY
        };
        let mut page = Vec::with_capacity(take as usize);
        if self.sort_indexed && walk < total as f64 * per_match {
            let sql = format!("SELECT c.rid FROM customers c ORDER BY {}", self.order_sql);
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query([])?;
            let mut to_skip = skip;
            while let Some(row) = rows.next()? {
                let rid: i64 = row.get(0)?;
                if matches.binary_search(&rid).is_err() {
                    continue;
                }
                if to_skip > 0 {
                    to_skip -= 1;
                    continue;
                }
                page.push(rid);
                if page.len() as u64 == take {
                    break;
                }
            }
        } else {
            let sql = format!(
                "SELECT c.rid FROM rarray(?1) m CROSS JOIN customers c ON c.rid = m.value \
                 ORDER BY {} LIMIT ?2 OFFSET ?3",
                self.order_sql
            );
            let array: Rc<Vec<SqlValue>> =
                Rc::new(matches.iter().map(|&rid| SqlValue::Integer(rid)).collect());
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params![
                array,
                take.min(i64::MAX as u64) as i64,
                skip.min(i64::MAX as u64) as i64
            ])?;
            while let Some(row) = rows.next()? {
                page.push(row.get(0)?);
            }
        }
        Ok(page)
    }

    /// The ordered row-id query of a page of `matches` matches.
    fn page_sql(
        &self,
        conn: &Connection,
        matches: u64,
        skip: u64,
        take: Option<u64>,
    ) -> Result<(String, Vec<SqlValue>), ApiError> {
        let (from_where, mut params) = match &self.search {
            Some(search)
                if self.strategy(conn, matches, skip, take)? == SearchStrategy::ReadMatches =>
            {
                let (from, rid, cond, search_params) = search.source();
                let mut params = self.params.clone();
                params.extend(search_params);
                (
                    format!(
                        "{from} CROSS JOIN customers c ON c.rid = {rid}{}",
                        self.where_clause(Some(&cond))
                    ),
                    params,
                )
            }
            Some(search) => {
                let (cond, row_params) = search.row_condition();
                let mut params = self.params.clone();
                params.extend(row_params);
                (
                    format!("customers c{}", self.where_clause(Some(&cond))),
                    params,
                )
            }
            None => (
                format!("customers c{}", self.where_clause(None)),
                self.params.clone(),
            ),
        };
        let sql = format!(
            "SELECT c.rid FROM {from_where} ORDER BY {} LIMIT ? OFFSET ?",
            self.order_sql
        );
        params.push(SqlValue::Integer(
            take.map_or(-1, |t| t.min(i64::MAX as u64) as i64),
        ));
        params.push(SqlValue::Integer(skip.min(i64::MAX as u64) as i64));
        Ok((sql, params))
    }

    /// Walks the row ids of the matching customers in order, from `skip` on, at most `take`,
    /// until `visit` returns `false`.
    /// `matches` is the count of all matches (from [`ListPlan::count`]).
    pub fn for_each_rid(
        &self,
        conn: &Connection,
        matches: u64,
        skip: u64,
        take: Option<u64>,
        mut visit: impl FnMut(i64) -> Result<bool, ApiError>,
    ) -> Result<(), ApiError> {
        let (sql, params) = self.page_sql(conn, matches, skip, take)?;
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
