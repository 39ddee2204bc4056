//! From query parameters to a [`ListQuery`].

use rust_decimal::Decimal;

use super::{
    Filter, ListQuery, Member, Operator, QueryError, Scalar, SortField, SortKey, ValueKind,
};
use crate::model::time::parse_time;
use crate::text::fold;

/// The longest `Search` text accepted; longer is a 400, not a slow query.
const MAX_SEARCH_CHARS: usize = 200;
/// The most operations one request may carry, and the most arguments of `in`/`nin`.
const MAX_OPERATIONS: usize = 1000;

/// The raw query parameters of a list request, in order, already percent-decoded.
///
/// Both the local store and the remote client take these, so one parser (this module) gives
/// the same answer, and the same errors, whichever API a caller holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams(pub Vec<(String, String)>);

impl ListParams {
    /// No parameters: every customer, in id order.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter (builder style): `ListParams::new().with("Search", "novak")`.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.push((name.into(), value.into()));
        self
    }

    /// Reads a URL query string (`Search=novak&$take=20`, with or without the leading `?`).
    pub fn from_query_string(query: &str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        Self(
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// Writes the parameters as a percent-encoded URL query string.
    pub fn to_query_string(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.0 {
            out.append_pair(name, value);
        }
        out.finish()
    }
}

/// Parses list parameters. Unknown parameters are ignored; everything else must be valid, and
/// an error names the parameter it is about.
pub fn parse_list_query(params: &ListParams) -> Result<ListQuery, QueryError> {
    let mut query = ListQuery::default();
    let mut seen_sort = Vec::new();
    let mut operations = 0usize;
    for (raw_name, value) in &params.0 {
        let name = raw_name.trim();
        if name.eq_ignore_ascii_case("$skip") {
            query.skip = parse_count("$skip", value)?;
        } else if name.eq_ignore_ascii_case("$take") {
            query.take = Some(parse_count("$take", value)?);
        } else if name.eq_ignore_ascii_case("$count") {
            query.count_only = parse_bool(value)
                .ok_or_else(|| invalid("$count", format!("\"{value}\" is not true or false")))?;
        } else if name.eq_ignore_ascii_case("$sort") {
            parse_sort(value, &mut query.sort, &mut seen_sort)?;
        } else if name.eq_ignore_ascii_case("Search") {
            query.search.extend(parse_search(value)?);
        } else if name.eq_ignore_ascii_case("IsExpired") {
            let flag = parse_bool(value)
                .ok_or_else(|| invalid("IsExpired", format!("\"{value}\" is not true or false")))?;
            query.is_expired = Some(flag);
        } else if let Some(member) = Member::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(m, _)| *m)
        {
            for operation in split_unescaped(value, ';') {
                operations += 1;
                if operations > MAX_OPERATIONS {
                    return Err(invalid(member.name(), "too many operations in one request"));
                }
                query.filters.push(parse_operation(member, &operation)?);
            }
        }
    }
    query.search.dedup();
    Ok(query)
}

fn invalid(parameter: &str, message: impl Into<String>) -> QueryError {
    QueryError {
        parameter: parameter.to_owned(),
        message: message.into(),
    }
}

fn parse_count(name: &str, value: &str) -> Result<u64, QueryError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n <= i64::MAX as u64)
        .ok_or_else(|| {
            invalid(
                name,
                format!("\"{value}\" is not a non-negative whole number"),
            )
        })
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

fn parse_sort(
    value: &str,
    keys: &mut Vec<SortKey>,
    seen: &mut Vec<SortField>,
) -> Result<(), QueryError> {
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, descending) = if let Some(rest) = part.strip_prefix('-') {
            (rest, true)
        } else if let Some((name, dir)) = part.rsplit_once(':') {
            match dir.trim() {
                d if d.eq_ignore_ascii_case("asc") => (name, false),
                d if d.eq_ignore_ascii_case("desc") => (name, true),
                d => {
                    return Err(invalid(
                        "$sort",
                        format!("\"{d}\" is not a direction (expected asc or desc)"),
                    ));
                }
            }
        } else {
            (part, false)
        };
        let field = SortField::from_name(name.trim()).ok_or_else(|| {
            let shown: String = name.chars().take(60).collect();
            invalid("$sort", format!("\"{shown}\" is not a sort key"))
        })?;
        if !seen.contains(&field) {
            seen.push(field);
            keys.push(SortKey { field, descending });
        }
    }
    Ok(())
}

fn parse_search(value: &str) -> Result<Vec<String>, QueryError> {
    if value.chars().count() > MAX_SEARCH_CHARS {
        return Err(invalid(
            "Search",
            format!("is longer than {MAX_SEARCH_CHARS} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err(invalid("Search", "contains a control character"));
    }
    Ok(value
        .split_whitespace()
        .map(|w| fold(w).into_owned())
        .collect())
}

/// Splits on `sep` where it is not escaped by a backslash; the escapes stay in the parts.
fn split_unescaped(value: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            current.push(c);
            if let Some(next) = chars.next() {
                current.push(next);
            }
        } else if c == sep {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
}

/// Replaces `\:`, `\;` and `\\` by the character they stand for; other backslashes stay.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&next)) if matches!(next, ':' | ';' | '\\') => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn parse_operation(member: Member, operation: &str) -> Result<Filter, QueryError> {
    let name = member.name();
    let (op, rest) = match operation.split_once(':') {
        Some((head, rest)) => match Operator::from_name(head.trim()) {
            Some(op) => (op, Some(rest)),
            None => (Operator::Eq, Some(operation)),
        },
        None => match Operator::from_name(operation.trim()) {
            Some(op) if op.arity().0 == 0 => (op, None),
            Some(op) => {
                return Err(invalid(
                    name,
                    format!("operator \"{}\" needs an argument", op.name()),
                ));
            }
            None => (Operator::Eq, Some(operation)),
        },
    };
    if !member.allows(op) {
        return Err(invalid(
            name,
            format!("{name} does not take the operator \"{}\"", op.name()),
        ));
    }
    let (min, max) = op.arity();
    let raw_args: Vec<String> = match rest {
        None => Vec::new(),
        // A one-argument operator takes the whole rest, colons included.
        Some(rest) if max == 1 => vec![unescape(rest)],
        Some(rest) => split_unescaped(rest, ':')
            .iter()
            .map(|a| unescape(a))
            .collect(),
    };
    if raw_args.len() < min || raw_args.len() > max {
        let expected = match (min, max) {
            (0, 0) => "no arguments".to_owned(),
            (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
            (a, _) => format!("at least {a} argument"),
        };
        return Err(invalid(
            name,
            format!(
                "operator \"{}\" takes {expected}, not {}",
                op.name(),
                raw_args.len()
            ),
        ));
    }
    if raw_args.len() > MAX_OPERATIONS {
        return Err(invalid(name, "too many arguments"));
    }
    let args = raw_args
        .iter()
        .map(|raw| parse_scalar(member, op, raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter { member, op, args })
}

fn parse_scalar(member: Member, op: Operator, raw: &str) -> Result<Scalar, QueryError> {
    let name = member.name();
    let shown: String = raw.chars().take(60).collect();
    match member.kind() {
        // A NUL would end SQLite's pattern early and match everything.
        ValueKind::Text if raw.chars().any(char::is_control) => {
            Err(invalid(name, "contains a control character"))
        }
        ValueKind::Text => Ok(Scalar::Text(raw.to_owned())),
        ValueKind::Decimal => {
            let trimmed = raw.trim();
            let valid = !trimmed.is_empty()
                && trimmed
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
            valid
                .then(|| trimmed.parse::<Decimal>().ok())
                .flatten()
                .map(Scalar::Decimal)
                .ok_or_else(|| {
                    invalid(
                        name,
                        format!("\"{shown}\" is not a decimal number (e.g. 12.5)"),
                    )
                })
        }
        ValueKind::Bool => parse_bool(raw)
            .map(Scalar::Bool)
            .ok_or_else(|| invalid(name, format!("\"{shown}\" is not true or false"))),
        ValueKind::Time => parse_time(raw).map(Scalar::Time).map_err(|_| {
            invalid(
                name,
                format!(
                    "\"{shown}\" is not a time for \"{}\" (expected RFC 3339 or YYYY-MM-DD)",
                    op.name()
                ),
            )
        }),
    }
}

#[cfg(test)]
mod tests;
