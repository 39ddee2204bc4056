//! `Search` on the FTS5 trigram index.
//!
//! `customer_search` indexes every three-character sequence of each customer's folded search
//! text (`search_text`, rowid = customer), without positions or a copy of the text, which
//! keeps it small. A word of exactly three characters is one trigram, which the index answers
//! exactly. A longer word is looked up by its rarest trigrams (document counts from the
//! `fts5vocab` table) and each candidate is then checked against its text with `instr`, so a
//! common trigram (`ova`) is never read for a selective word (`horvathova`). Words of one or
//! two characters have no trigram and are checked by a scan of `search_text`.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension};

use crate::api::ApiError;

/// At most this many trigrams of one word go into the index lookup.
const MAX_TRIGRAMS_PER_WORD: usize = 4;
/// A trigram more than this many times as common as the word's rarest one narrows the
/// candidates too little to be worth reading.
const MAX_TRIGRAM_SPREAD: i64 = 8;

/// How the words of one `Search` are answered.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    /// An FTS5 MATCH expression giving a superset of the matches (exact when `verify` is
    /// empty); `None` when no word has a trigram.
    pub match_expr: Option<String>,
    /// Words every match must contain, checked on `search_text`.
    pub verify: Vec<String>,
    /// Every word, for checking one customer's text directly.
    pub words: Vec<String>,
    /// At most this many customers can match (the rarest trigram's document count); `None`
    /// when no word has a trigram.
    pub bound: Option<u64>,
}

fn trigrams(word: &str) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    out.sort();
    out.dedup();
    out
}

fn quote(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

impl SearchPlan {
    /// Plans a search for folded, non-empty `words`.
    pub fn new(conn: &Connection, words: &[String]) -> Result<Self, ApiError> {
        let mut vocab =
            conn.prepare_cached("SELECT doc FROM customer_search_vocab WHERE term = ?1")?;
        let mut parts = Vec::new();
        let mut verify = Vec::new();
        let mut bound: Option<u64> = None;
        for word in words {
            let grams = trigrams(word);
            if grams.is_empty() {
                verify.push(word.clone());
                continue;
            }
            let mut counted = Vec::with_capacity(grams.len());
            for gram in grams {
                let docs: i64 = vocab
                    .query_row([&gram], |r| r.get(0))
                    .optional()?
                    .unwrap_or(0);
                counted.push((docs, gram));
            }
            counted.sort();
            let rarest = counted[0].0;
            bound = Some(bound.map_or(rarest as u64, |b| b.min(rarest as u64)));
            parts.extend(
                counted
                    .iter()
                    .take(MAX_TRIGRAMS_PER_WORD)
                    .take_while(|(docs, _)| *docs <= rarest.max(1) * MAX_TRIGRAM_SPREAD)
                    .map(|(_, gram)| quote(gram)),
            );
            if word.chars().count() != 3 {
                verify.push(word.clone());
            }
        }
        parts.sort();
        parts.dedup();
        let match_expr = (!parts.is_empty()).then(|| parts.join(" AND "));
        Ok(Self {
            match_expr,
            verify,
            words: words.to_vec(),
            bound,
        })
    }

    /// No customer can match: some word has a trigram no customer has.
    pub fn is_impossible(&self) -> bool {
        self.bound == Some(0)
    }

    /// The candidates: a FROM clause, the expression of their customer row id, and the
    /// condition (with its parameters) that makes a candidate a match.
    pub fn source(&self) -> (&'static str, &'static str, String, Vec<SqlValue>) {
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        let (from, rid) = match &self.match_expr {
            Some(expr) => {
                conditions.push("s.customer_search MATCH ?".to_owned());
                params.push(SqlValue::Text(expr.clone()));
                if self.verify.is_empty() {
                    ("customer_search s", "s.rowid")
                } else {
                    (
                        "customer_search s CROSS JOIN search_text t ON t.rid = s.rowid",
                        "s.rowid",
                    )
                }
            }
            None => ("search_text t", "t.rid"),
        };
        for word in &self.verify {
            conditions.push("instr(t.text, ?) > 0".to_owned());
            params.push(SqlValue::Text(word.clone()));
        }
        (from, rid, conditions.join(" AND "), params)
    }

    /// The same test for one customer row `c`, reading its text: for walking a sort index
    /// when most customers match.
    pub fn row_condition(&self) -> (String, Vec<SqlValue>) {
        let sql = vec![
            "instr((SELECT t.text FROM search_text t WHERE t.rid = c.rid), ?) > 0";
            self.words.len()
        ];
        (
            sql.join(" AND "),
            self.words
                .iter()
                .map(|w| SqlValue::Text(w.clone()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_of_a_word() {
        assert_eq!(trigrams("novak"), vec!["nov", "ova", "vak"]);
        assert!(trigrams("ab").is_empty());
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
