//! JSON Lines: one customer a line in the API's JSON shape; blank lines are skipped.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::api::{ApiError, ImportError, ImportRow, parse_json};

/// The rows of a JSON Lines file, one line at a time. A line that is not JSON is a refused
/// row (with the parser's message); a file that cannot be read stops the import.
pub fn read<R: Read>(
    input: R,
    bytes_read: Arc<AtomicU64>,
) -> impl Iterator<Item = Result<ImportRow, ImportError>> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let mut line_number = 0u64;
    let mut offset = 0u64;
    let mut buffer = Vec::new();
    std::iter::from_fn(move || {
        loop {
            buffer.clear();
            let read = match input.read_until(b'\n', &mut buffer) {
                Ok(0) => return None,
                Ok(read) => read,
                Err(err) => {
                    return Some(Err(ImportError::Unreadable {
                        line: line_number + 1,
                        message: err.to_string(),
                    }));
                }
            };
            line_number += 1;
            offset += read as u64;
            bytes_read.store(offset, Ordering::Relaxed);
            let mut text: &[u8] = &buffer;
            if line_number == 1 {
                text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
            }
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let body = match parse_json(text) {
                Ok(value) => Ok(value),
                Err(ApiError::Validation(errors)) => Err(errors),
                Err(other) => Err(vec![crate::model::FieldError::new("", other.to_string())]),
            };
            return Some(Ok(ImportRow {
                line: line_number,
                body,
            }));
        }
    })
}
