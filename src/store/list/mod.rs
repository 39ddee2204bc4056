//! `GET /customers` as SQL. SQL text is only ever built from fixed fragments; every value
//! goes in as a placeholder. A search's matches come from [`SearchPlan`] as a list of row
//! ids, which filters narrow, and the page is picked from that list.

use std::rc::Rc;

use chrono::{DateTime, Utc};
use rusqlite::ToSql;
use rusqlite::types::Value as SqlValue;

mod filters;
mod walk;

pub(super) use filters::like_escape;
use filters::{
    all_of, condition, counted_of, decimal_condition, decimal_counted, like_text, scalar_value,
};

use super::codes::{self, Codes};
use super::counted::{self, Bound, Counted};
use super::search::SearchPlan;
use super::{Result, Snapshot, schema};
use crate::ndata::{Filter, ListQuery, Member, Operator, SortField};

/// The rough cost, in index entries walked, of reading one search match and sorting it:
/// with an id sort the match only joins its row; with a text key the key is compared too.
/// Walking one entry of a sort index (an index-only step and a bitmap test) costs 1.
const READ_MATCH_COST_BY_ID: f64 = 6.0;
const READ_MATCH_COST_BY_KEY: f64 = 30.0;
/// How many times its estimate a page walk may take before the matches are sorted instead,
/// and the entries it may always take beyond the estimate (for small pages, whose walks vary
/// most).
const WALK_PATIENCE: f64 = 4.0;
const WALK_SLACK: f64 = 2000.0;
/// The entries a filtered walk in id order may take beyond its estimate before it reads
/// the zones of the id blocks instead ([`counted::zone_runs`]); unit tests read the zones
/// at once, so that they answer every such page.
const ZONE_FREE_SLACK: f64 = 256.0;
const ZONE_FREE_WALK: bool = !cfg!(test);
/// Fewer matches than a block holds are found by their own index faster than by any walk:
/// the zones are not read for them.
const ZONE_MIN_MATCHES: u64 = if cfg!(test) { 1 } else { 256 };
/// Pages up to this size are walked into a buffer, so that a walk given up leaves nothing
/// visited; longer ones (a streamed whole list) are walked to the end.
const WALK_BUFFER_MAX: u64 = 10_000;
/// A filtered page walks the sort index when that walks at most this many entries per
/// match (sorting the matches costs each one more than an entry walked).
const ALONG_SORT_INDEX_MAX: f64 = 2.0;
/// From this `$skip` on, a page of every customer starts at the entry the counted key puts
/// at that rank ([`counted::page`]) instead of walking the index past the skipped ones.
const COUNTED_SKIP_FROM: u64 = if cfg!(test) { 1 } else { 1_000 };

/// A list query turned into SQL conditions, their parameters and an ORDER BY clause.
#[derive(Debug, Clone)]
pub struct ListPlan {
    /// Conditions on `customers c` (filters, `IsExpired`), all of which must hold.
    conditions: Vec<String>,
    /// The same conditions as a walk checks them, one row at a time, with the same
    /// parameters: a card condition looks up that customer's cards rather than gathering
    /// every customer whose card matches first.
    row_conditions: Vec<String>,
    params: Vec<SqlValue>,
    order_sql: String,
    /// Whether the order is by `id` alone (no key to compare per row).
    sorted_by_id: bool,
    /// Whether one index gives the order (one key, or `id` alone), so it can be walked.
    sort_indexed: bool,
    /// The counted key of the order and whether it runs descending, when one index gives
    /// the order with the tie-breaker in the same direction.
    sort_key: Option<(usize, bool)>,
    /// What the blocks of a counted key can count, one per condition (`None` where they
    /// cannot).
    counted: Vec<Option<Counted>>,
    /// `like` patterns on codes, each answered as the set of customers it matches
    /// ([`codes::matching`]), which the conditions then narrow as they narrow a search.
    code_likes: Vec<(Codes, String)>,
    /// Whether `code_likes` may use the trigram indexes (else they scan the codes).
    code_index: bool,
    search: Option<SearchPlan>,
}

impl ListPlan {
    /// Plans `query` as of `now` (for `IsExpired`).
    pub fn new(query: &ListQuery, now: DateTime<Utc>) -> Self {
        let mut plan = ListPlan {
            conditions: Vec::new(),
            row_conditions: Vec::new(),
            params: Vec::new(),
            order_sql: order_by(query),
            sorted_by_id: query.sort.first().is_none_or(|k| k.field == SortField::Id),
            sort_indexed: query.sort.len() <= 1
                || query.sort.get(1).is_some_and(|k| k.field == SortField::Id),
            sort_key: sort_key(query),
            counted: Vec::new(),
            code_likes: Vec::new(),
            code_index: true,
            search: None,
        };
        let words: Vec<String> = query
            .search
            .iter()
            .filter(|w| !w.is_empty())
            .cloned()
            .collect();
        if !words.is_empty() {
            plan.search = Some(SearchPlan::new(&words));
        }
        for filter in &query.filters {
            plan.add_filter(filter);
        }
        if let Some(expired) = query.is_expired {
            let now = SqlValue::Integer(now.timestamp_micros());
            let before_now = Counted {
                key: counted::EXPIRATION_TIME,
                ranges: vec![(Bound::NullsEnd, Bound::Before(now.clone()))],
                negated: !expired,
            };
            if expired {
                plan.and("c.expiration_time < ?", vec![now]);
            } else {
                plan.and(
                    "(c.expiration_time IS NULL OR c.expiration_time >= ?)",
                    vec![now],
                );
            }
            plan.counted_as(Some(before_now));
        }
        plan
    }

    /// The same plan answered without blocks or code indexes: by plain SQL over the table
    /// and its indexes, what the counted paths are checked against.
    #[cfg(test)]
    pub(super) fn plain(&self) -> Self {
        Self {
            sort_key: None,
            counted: vec![None; self.counted.len()],
            code_index: false,
            ..self.clone()
        }
    }

    fn and(&mut self, sql: &str, params: Vec<SqlValue>) {
        self.row_conditions.push(sql.to_owned());
        self.conditions.push(sql.to_owned());
        self.params.extend(params);
        self.counted.push(None);
    }

    /// Says what the blocks count for the condition added last.
    fn counted_as(&mut self, counted: Option<Counted>) {
        if let Some(last) = self.counted.last_mut() {
            *last = counted;
        }
    }

    fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", all_of(&self.conditions))
        }
    }

    fn add_filter(&mut self, filter: &Filter) {
        match filter.member {
            Member::CardSerialNumber | Member::ExternalId if filter.op == Operator::Like => {
                // Answered as a set of row ids, like a search ([`codes::matching`]).
                let codes = if filter.member == Member::CardSerialNumber {
                    Codes::Cards
                } else {
                    Codes::ExternalId
                };
                self.code_likes
                    .push((codes, like_text(filter).unwrap_or_default().to_owned()));
            }
            Member::CardSerialNumber => {
                // True when any card of the customer matches.
                let (cond, params) = condition("k.serial", false, filter);
                let args: Vec<SqlValue> = filter.args.iter().map(scalar_value).collect();
                self.and(
                    &format!("c.rid IN (SELECT k.customer_rid FROM cards k WHERE {cond})"),
                    params,
                );
                if let Some(last) = self.row_conditions.last_mut() {
                    *last = format!(
                        "EXISTS (SELECT 1 FROM cards k WHERE k.customer_rid = c.rid AND {cond})"
                    );
                }
                // A range is one range of cards, whose customers the card keys count
                // ([`counted::count_customers`]); `eq` and `in` are lookups already.
                if matches!(
                    filter.op,
                    Operator::Gt | Operator::Ge | Operator::Lt | Operator::Le | Operator::Between
                ) {
                    self.counted_as(counted_of(counted::CARDS, filter.op, &args));
                }
            }
            Member::ExternalId => {
                let (cond, params) = condition("c.external_id", true, filter);
                let args: Vec<SqlValue> = filter.args.iter().map(scalar_value).collect();
                self.and(&cond, params);
                self.counted_as(counted_of(counted::EXTERNAL_ID, filter.op, &args));
            }
            Member::CreditRate | Member::DiscountRate | Member::CreditAmount => {
                let (column, key) = match filter.member {
                    Member::CreditRate => ("c.credit_rate", counted::CREDIT_RATE),
                    Member::DiscountRate => ("c.discount_rate", counted::DISCOUNT_RATE),
                    _ => ("c.credit_amount", counted::CREDIT_AMOUNT),
                };
                let (cond, params) = decimal_condition(column, filter);
                self.and(&cond, params);
                self.counted_as(decimal_counted(key, filter));
            }
            Member::Email | Member::Phone => match super::contacts::Part::of(filter) {
                // A part is answered by the indexes as a search's words are: row ids.
                Some(part) => self
                    .search
                    .get_or_insert_with(SearchPlan::default)
                    .add_contact(part),
                None => {
                    let (cond, params) = super::contacts::condition(filter);
                    self.and(&cond, params);
                }
            },
            Member::IsActive | Member::ExpirationTime => {
                let (column, key) = if filter.member == Member::IsActive {
                    ("c.is_active", counted::IS_ACTIVE)
                } else {
                    ("c.expiration_time", counted::EXPIRATION_TIME)
                };
                let (cond, params) = condition(column, true, filter);
                let args: Vec<SqlValue> = filter.args.iter().map(scalar_value).collect();
                self.and(&cond, params);
                self.counted_as(counted_of(key, filter.op, &args));
            }
        }
    }

    /// Finds what the query selects: with a search, every match held in memory (8 bytes
    /// each), so the count is their number and the page comes from them without asking
    /// the index again; without one, just the count.
    pub fn select(&self, snapshot: &Snapshot<'_>) -> Result<Selection<'_>> {
        let conn = snapshot.conn();
        if self.search.is_none() && self.code_likes.is_empty() {
            let total = if self.conditions.is_empty() {
                super::customers::count_of(conn)?
            } else if let [Some(counted)] = self.counted.as_slice()
                && !counted::is_stale(conn)?
            {
                counted.count(conn, super::customers::count_of(conn)?)?
            } else {
                let sql = format!("SELECT count(*) FROM customers c{}", self.where_clause());
                let n: i64 = conn
                    .prepare_cached(&sql)?
                    .query_row(rusqlite::params_from_iter(self.params.iter()), |r| r.get(0))?;
                n as u64
            };
            return Ok(Selection {
                plan: self,
                matches: None,
                total,
            });
        }
        let mut matches: Option<Vec<i64>> = match &self.search {
            Some(search) => Some(search.matches(conn)?),
            None => None,
        };
        if !self.code_likes.is_empty() {
            let indexed = self.code_index && !codes::is_stale(conn)?;
            for (codes, pattern) in &self.code_likes {
                if matches.as_ref().is_some_and(Vec::is_empty) {
                    break;
                }
                let found = codes::matching(conn, *codes, pattern, indexed)?;
                matches = Some(match matches {
                    None => found,
                    Some(before) => super::search::intersect(&before, &found),
                });
            }
        }
        let mut matches = matches.unwrap_or_default();
        if !self.conditions.is_empty() && !matches.is_empty() {
            let sql = format!(
                "SELECT c.rid FROM rarray(?) m CROSS JOIN customers c ON c.rid = m.value{}",
                self.where_clause()
            );
            let mut params: Vec<Box<dyn ToSql>> = vec![Box::new(as_array(&matches))];
            params.extend(
                self.params
                    .iter()
                    .map(|p| Box::new(p.clone()) as Box<dyn ToSql>),
            );
            matches = conn
                .prepare_cached(&sql)?
                .query_map(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()?;
            matches.sort_unstable();
        }
        Ok(Selection {
            plan: self,
            total: matches.len() as u64,
            matches: Some(matches),
        })
    }
}

/// A list query's selection: how many customers it holds and, for a search, which.
#[derive(Debug)]
pub struct Selection<'p> {
    plan: &'p ListPlan,
    /// The matches of a search, ascending row ids; `None` without a search.
    matches: Option<Vec<i64>>,
    total: u64,
}

impl Selection<'_> {
    /// How many customers match.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The row ids of one page, in order.
    pub fn page(&self, snapshot: &Snapshot<'_>, skip: u64, take: Option<u64>) -> Result<Vec<i64>> {
        let mut rids = Vec::new();
        self.for_each_rid(snapshot, skip, take, |rid| {
            rids.push(rid);
            Ok(true)
        })?;
        Ok(rids)
    }

    /// Walks the row ids of the selection in order, from `skip` on, at most `take`, until
    /// `visit` returns `false`.
    pub fn for_each_rid(
        &self,
        snapshot: &Snapshot<'_>,
        skip: u64,
        take: Option<u64>,
        mut visit: impl FnMut(i64) -> Result<bool>,
    ) -> Result<()> {
        if self.total <= skip || take == Some(0) {
            return Ok(());
        }
        let conn = snapshot.conn();
        let take = take.unwrap_or(self.total).min(self.total - skip);
        let plan = self.plan;
        // A bulk load into an empty store (a replica's first sync) drops the sort indexes
        // and marks the blocks stale until it has built both again. Meanwhile nothing walks
        // an index: it may be missing, and SQLite would sort the whole table first (or
        // refuse `INDEXED BY`).
        let indexes_ready = !counted::is_stale(conn)?;
        let Some(matches) = &self.matches else {
            if let Some((key, descending)) = plan.sort_key
                && plan.conditions.is_empty()
                && skip >= COUNTED_SKIP_FROM
                && take <= WALK_BUFFER_MAX
                && indexes_ready
            {
                for rid in counted::page(conn, key, descending, skip, take, self.total)? {
                    if !visit(rid)? {
                        break;
                    }
                }
                return Ok(());
            }
            // A filter that matches many customers is answered along the sort index, which
            // finds the page after about (skip + take) × customers / matches entries; SQLite
            // would rather take the filter's own index and sort every match. Matches
            // bunched far along the order (external ids grow with ids) make the walk give
            // up once it has cost what sorting them would, and SQLite's plan answers.
            if let Some((key, _)) = plan.sort_key
                && !plan.conditions.is_empty()
                && take <= WALK_BUFFER_MAX
                && indexes_ready
            {
                let customers = super::customers::count_of(conn)?.max(self.total) as f64;
                let walk = (skip + take) as f64 * customers / self.total as f64;
                // Up to what sorting the matches would cost: their number, each read.
                let sort = self.total as f64 * READ_MATCH_COST_BY_ID;
                let budget = patience(walk, WALK_SLACK).max(sort) as u64;
                // In id order, the zones of the id blocks leave out the blocks where no
                // customer can match ([`counted::zone_runs`]), and the walk crosses only
                // the rest. Reading them costs a few tenths of a millisecond, so a short
                // walk without them comes first: matches spread along the ids fill the page
                // within it.
                let zoned: Vec<&Counted> = plan.counted.iter().flatten().collect();
                if key == 0
                    && !zoned.is_empty()
                    && self.total >= ZONE_MIN_MATCHES
                    && (skip + take) as f64 <= ALONG_SORT_INDEX_MAX * self.total as f64
                {
                    let short = patience(walk, ZONE_FREE_SLACK) as u64;
                    let mut page =
                        if ZONE_FREE_WALK && walk <= ALONG_SORT_INDEX_MAX * self.total as f64 {
                            self.walk_filtered(conn, key, None, skip, take, short)?
                        } else {
                            None
                        };
                    if page.is_none() {
                        let (runs, held) = counted::zone_runs(conn, &zoned)?;
                        let walk =
                            (skip + take) as f64 * held.max(self.total) as f64 / self.total as f64;
                        if walk <= ALONG_SORT_INDEX_MAX * self.total as f64 {
                            let budget = patience(walk, WALK_SLACK).max(sort);
                            page = self.walk_filtered(
                                conn,
                                key,
                                Some(&runs),
                                skip,
                                take,
                                budget as u64,
                            )?;
                        }
                    }
                    if let Some(page) = page {
                        return visit_page(page, &mut visit);
                    }
                } else if walk <= ALONG_SORT_INDEX_MAX * self.total as f64
                    && let Some(page) = self.walk_filtered(conn, key, None, skip, take, budget)?
                {
                    return visit_page(page, &mut visit);
                }
            }
            let sql = format!(
                "SELECT c.rid FROM customers c{} ORDER BY {} LIMIT ? OFFSET ?",
                plan.where_clause(),
                plan.order_sql
            );
            let mut params = plan.params.clone();
            params.push(SqlValue::Integer(take.min(i64::MAX as u64) as i64));
            params.push(SqlValue::Integer(skip.min(i64::MAX as u64) as i64));
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
            while let Some(row) = rows.next()? {
                if !visit(row.get(0)?)? {
                    break;
                }
            }
            return Ok(());
        };
        // Walking the sort index finds the page after about (skip + take) × customers /
        // matches entries (each checked in a bitmap); reading the matches costs each one a
        // row and a sort.
        let customers = super::customers::count_of(conn)?.max(self.total) as f64;
        let walk = (skip + take) as f64 * customers / self.total as f64;
        let per_match = if plan.sorted_by_id {
            READ_MATCH_COST_BY_ID
        } else {
            READ_MATCH_COST_BY_KEY
        };
        let read = self.total as f64 * per_match;
        // While a replica's first sync loads, the grid's default order keeps its index
        // ([`super::bulk::BulkOptions::searchable_while_loading`]): a search walks it then.
        let order_ready = indexes_ready
            || match plan.sort_key {
                Some((key, _)) => schema::index_exists(conn, counted::index_of(key))?,
                None => false,
            };
        if plan.sort_indexed && order_ready && walk < read {
            if take > WALK_BUFFER_MAX {
                self.walk(conn, matches, skip, take, u64::MAX, &mut visit)?;
                return Ok(());
            }
            // The estimate holds when the matches are spread along the sort key. A search
            // that goes with the key (a surname, sorted by last name) puts them all in one
            // place, maybe at the far end: the walk then gives up after a few times its
            // estimate and the matches are read and sorted instead.
            let budget = patience(walk, WALK_SLACK).min(read) as u64;
            let mut page = Vec::with_capacity(take as usize);
            let complete = self.walk(conn, matches, skip, take, budget, &mut |rid| {
                page.push(rid);
                Ok(true)
            })?;
            if complete {
                return visit_page(page, &mut visit);
            }
        }
        let sql = format!(
            "SELECT c.rid FROM rarray(?1) m CROSS JOIN customers c ON c.rid = m.value \
             ORDER BY {} LIMIT ?2 OFFSET ?3",
            plan.order_sql
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params![
            as_array(matches),
            take.min(i64::MAX as u64) as i64,
            skip.min(i64::MAX as u64) as i64
        ])?;
        while let Some(row) = rows.next()? {
            if !visit(row.get(0)?)? {
                break;
            }
        }
        Ok(())
    }
}

/// How many entries a walk estimated at `walk` may take before it gives up: a few times
/// its estimate, and at least `slack` more.
fn patience(walk: f64, slack: f64) -> f64 {
    (walk * WALK_PATIENCE).max(walk + slack)
}

/// Visits a page found in full, until `visit` asks to stop.
fn visit_page(page: Vec<i64>, visit: &mut impl FnMut(i64) -> Result<bool>) -> Result<()> {
    for rid in page {
        if !visit(rid)? {
            break;
        }
    }
    Ok(())
}

/// Row ids as an `rarray(?)` parameter.
pub(super) fn as_array(rids: &[i64]) -> Rc<Vec<SqlValue>> {
    Rc::new(rids.iter().map(|&rid| SqlValue::Integer(rid)).collect())
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

/// The counted key whose index gives the order of `query`, and whether it runs
/// descending: a sort by one key (or none, which is by `id`), with the tie-breaker in the
/// same direction.
fn sort_key(query: &ListQuery) -> Option<(usize, bool)> {
    match query.sort.as_slice() {
        [] => Some((0, false)),
        [one, rest @ ..]
            if one.field == SortField::Id
                || rest
                    .first()
                    .is_none_or(|k| k.field == SortField::Id && k.descending == one.descending) =>
        {
            Some((counted::of_sort(one.field), one.descending))
        }
        _ => None,
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
