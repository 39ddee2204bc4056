//! `Search`: the customers whose folded search text contains every word of the search.
//!
//! A word of three characters or more is answered exactly by the word index
//! ([`super::words`]); the lists of several such words are intersected. Words of one or two
//! characters have no trigram: they are checked with `instr` on `search_text`, against the
//! matches of the longer words. A search of short words only takes the customers of the
//! first from the word index too (its vocabulary words found by a scan of the vocabulary)
//! and checks the rest, unless so many vocabulary words contain it that a scan of every
//! customer's text costs less.

use rusqlite::Connection;
use rusqlite::ToSql;

use super::Result;
use super::words;

/// What reading one vocabulary word's postings costs, in customers' texts checked by a scan.
const VOCABULARY_WORD_COST: u64 = 6;

/// The words of one `Search`, folded.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    /// Words of three characters or more, answered by the word index.
    indexed: Vec<String>,
    /// Shorter words, checked on `search_text`.
    short: Vec<String>,
}

/// The row ids in both ascending lists.
pub(super) fn intersect(a: &[i64], b: &[i64]) -> Vec<i64> {
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

impl SearchPlan {
    /// Plans a search for folded, non-empty `words`.
    pub fn new(words: &[String]) -> Self {
        let (indexed, short) = words.iter().cloned().partition(|w| words::has_trigram(w));
        Self { indexed, short }
    }

    /// The row ids of every matching customer, ascending.
    pub fn matches(&self, conn: &Connection) -> Result<Vec<i64>> {
        let mut candidates: Option<Vec<i64>> = None;
        for word in &self.indexed {
            let rids = words::customers_containing(conn, word)?;
            let narrowed = match candidates {
                None => rids,
                Some(before) => intersect(&before, &rids),
            };
            let none_left = narrowed.is_empty();
            candidates = Some(narrowed);
            if none_left {
                break;
            }
        }
        let mut short = self.short.as_slice();
        let candidates = match (candidates, short.split_first()) {
            (Some(rids), _) => Some(rids),
            (None, Some((first, rest))) => {
                // Through the vocabulary unless the word is in so many vocabulary words (two
                // digits are in most tax ids) that reading their postings one by one costs
                // more than checking every customer's text.
                let ids = words::vocabulary_containing(conn, first)?;
                let customers = super::customers::count_of(conn)?;
                if (ids.len() as u64).saturating_mul(VOCABULARY_WORD_COST) < customers {
                    short = rest;
                    Some(words::customers_of(conn, &ids)?)
                } else {
                    None
                }
            }
            (None, None) => return Ok(Vec::new()),
        };
        if short.is_empty() {
            return Ok(candidates.unwrap_or_default());
        }
        let checks = vec!["instr(t.text, ?) > 0"; short.len()].join(" AND ");
        let mut params: Vec<Box<dyn ToSql>> = Vec::new();
        let sql = match candidates {
            Some(rids) if rids.is_empty() => return Ok(rids),
            Some(rids) => {
                params.push(Box::new(super::list::as_array(&rids)));
                format!(
                    "SELECT t.rid FROM rarray(?) m CROSS JOIN search_text t ON t.rid = m.value \
                     WHERE {checks}"
                )
            }
            None => format!("SELECT t.rid FROM search_text t WHERE {checks}"),
        };
        for word in short {
            params.push(Box::new(word.clone()));
        }
        let mut rids = conn
            .prepare_cached(&sql)?
            .query_map(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        rids.sort_unstable();
        Ok(rids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_use_the_index_and_short_ones_are_checked() {
        let words = ["novak", "ab", "jan"].map(str::to_owned);
        let plan = SearchPlan::new(&words);
        assert_eq!(plan.indexed, vec!["novak", "jan"]);
        assert_eq!(plan.short, vec!["ab"]);
    }

    #[test]
    fn intersection_keeps_common_ids() {
        assert_eq!(intersect(&[1, 3, 5, 9], &[2, 3, 9, 10]), vec![3, 9]);
        assert!(intersect(&[], &[1]).is_empty());
    }
}
