//! `Search` on the FTS5 trigram index.
//!
//! The index holds every three-character sequence of the folded search text (rowid =
//! customer), without positions (`detail=none`), which keeps it small. A word of exactly three
//! characters is one trigram: the index answers it exactly. A longer word is looked up by its
//! two rarest trigrams (their document counts come from the `fts5vocab` table) and each
//! candidate is then checked against the folded text with `instr`, so a common trigram
//! (`ova`) never has to be read for a selective word (`horvathova`). Words of one or two
//! characters have no trigram: they are checked by a scan of the folded text.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension};

use crate::api::ApiError;

/// How the words of one `Search` are answered.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchPlan {
    /// An FTS5 MATCH expression giving a superset of the matches (exact when `verify` is
    /// empty); `None` when no word has a trigram.
    pub match_expr: Option<String>,
    /// Words every match must contain, checked on the folded text.
    pub verify: Vec<String>,
    /// Some word has a trigram that no customer has: nothing can match.
    pub impossible: bool,
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
    /// Plans a search for folded `words` (each non-empty).
    pub fn new(conn: &Connection, words: &[String]) -> Result<Self, ApiError> {
        let mut vocab =
            conn.prepare_cached("SELECT doc FROM customer_search_vocab WHERE term = ?1")?;
        let mut parts = Vec::new();
        let mut verify = Vec::new();
        let mut impossible = false;
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
            if counted[0].0 == 0 {
                impossible = true;
            }
            let exact = word.chars().count() == 3;
            parts.extend(counted.iter().take(2).map(|(_, gram)| quote(gram)));
            if !exact {
                verify.push(word.clone());
            }
        }
        parts.dedup();
        let match_expr = (!parts.is_empty()).then(|| parts.join(" AND "));
        Ok(Self {
            match_expr,
            verify,
            impossible,
        })
    }

    /// The condition on the FTS table aliased `s`, with its parameters.
    pub fn condition(&self) -> (String, Vec<SqlValue>) {
        let mut sql = Vec::new();
        let mut params = Vec::new();
        if let Some(expr) = &self.match_expr {
            sql.push("s.customer_search MATCH ?".to_owned());
            params.push(SqlValue::Text(expr.clone()));
        }
        for word in &self.verify {
            sql.push("instr(s.text, ?) > 0".to_owned());
            params.push(SqlValue::Text(word.clone()));
        }
        (sql.join(" AND "), params)
    }

    /// The same test for one customer row `c`, by reading its folded text: for walking a
    /// sort index when most customers match.
    pub fn row_condition(&self, words: &[String]) -> (String, Vec<SqlValue>) {
        let sql = vec![
            "instr((SELECT s.text FROM customer_search s WHERE s.rowid = c.rid), ?) > 0";
            words.len()
        ];
        (
            sql.join(" AND "),
            words.iter().map(|w| SqlValue::Text(w.clone())).collect(),
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
