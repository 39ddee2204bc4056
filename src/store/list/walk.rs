//! Pages found by walking a sort index: of a filter, each row checked against its
//! conditions (in id order, across the blocks whose zones may match), or of a search,
//! each entry tested against its matches.

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use super::filters::all_of;
use super::{Selection, counted};
use crate::store::Result;
use crate::store::rids::RidSet;

impl Selection<'_> {
    /// The page of a filter without a search along the index of counted key `key`, each
    /// entry's row checked against the conditions; `None` if that took more than `budget`
    /// entries. With `runs` (the id key's, [`counted::zone_runs`]), only the ids in them
    /// are walked.
    pub(super) fn walk_filtered(
        &self,
        conn: &Connection,
        key: usize,
        runs: Option<&[counted::IdRun]>,
        skip: u64,
        take: u64,
        budget: u64,
    ) -> Result<Option<Vec<i64>>> {
        let plan = self.plan;
        let whole = [(None, None)];
        let runs = runs.unwrap_or(&whole);
        let descending = plan.sort_key.is_some_and(|(_, d)| d);
        let (mut to_skip, mut page, mut walked) = (skip, Vec::new(), 0u64);
        // Whether the run was walked within the budget; the page is full or every run walked.
        let mut walk_run = |from: &Option<String>, to: &Option<String>| -> Result<Option<bool>> {
            // A run's bounds are placeholders after the conditions' own.
            let mut params = plan.params.clone();
            let mut bounds = String::new();
            if let Some(from) = from {
                params.push(SqlValue::Text(from.clone()));
                bounds.push_str(&format!(" AND c.id >= ?{}", params.len()));
            }
            if let Some(to) = to {
                params.push(SqlValue::Text(to.clone()));
                bounds.push_str(&format!(" AND c.id < ?{}", params.len()));
            }
            let sql = format!(
                "SELECT c.rid, {} FROM customers c INDEXED BY {} WHERE 1{bounds} ORDER BY {}",
                all_of(&plan.row_conditions),
                counted::index_of(key),
                plan.order_sql
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
            while let Some(row) = rows.next()? {
                walked += 1;
                if walked > budget {
                    return Ok(None);
                }
                if row.get::<_, Option<i64>>(1)? != Some(1) {
                    continue;
                }
                if to_skip > 0 {
                    to_skip -= 1;
                    continue;
                }
                page.push(row.get(0)?);
                if page.len() as u64 == take {
                    return Ok(Some(true));
                }
            }
            Ok(Some(false))
        };
        let in_order: Vec<&counted::IdRun> = if descending {
            runs.iter().rev().collect()
        } else {
            runs.iter().collect()
        };
        for (from, to) in in_order {
            match walk_run(from, to)? {
                None => return Ok(None),
                Some(true) => break,
                Some(false) => {}
            }
        }
        Ok(Some(page))
    }

    /// Walks the sort index, visiting the matches from `skip` on, at most `take`. Returns
    /// `false` if it stopped after `budget` index entries before the page was complete.
    pub(super) fn walk(
        &self,
        conn: &Connection,
        matches: &[i64],
        skip: u64,
        take: u64,
        budget: u64,
        visit: &mut impl FnMut(i64) -> Result<bool>,
    ) -> Result<bool> {
        let sql = format!(
            "SELECT c.rid FROM customers c ORDER BY {}",
            self.plan.order_sql
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([])?;
        let is_match = RidSet::of(matches);
        let (mut to_skip, mut left, mut walked) = (skip, take, 0u64);
        while let Some(row) = rows.next()? {
            walked += 1;
            if walked > budget {
                return Ok(false);
            }
            let rid: i64 = row.get(0)?;
            if !is_match.contains(rid) {
                continue;
            }
            if to_skip > 0 {
                to_skip -= 1;
                continue;
            }
            left -= 1;
            if !visit(rid)? || left == 0 {
                break;
            }
        }
        Ok(true)
    }
}
