//! Times on the wire: RFC 3339 in UTC with `Z` on output; on input also a plain date
//! (`YYYY-MM-DD`, midnight UTC) and a date-time without an offset (taken as UTC).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Parses an RFC 3339 time, a plain date or an offset-less date-time (UTC).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    // chrono's `%Y-%m-%d` also reads `2000-1-1`; the contract's dates have every digit.
    if !starts_with_full_date(text) {
        return Err(not_a_time(text));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc());
        }
    }
    Err(not_a_time(text))
}

fn not_a_time(text: &str) -> String {
    format!(
        "\"{text}\" is not a time (expected RFC 3339, e.g. 2024-01-31T10:00:00Z, or a date YYYY-MM-DD)"
    )
}

/// Whether `text` starts with `YYYY-MM-DD`, all ten characters there.
fn starts_with_full_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
        && b.get(10).is_none_or(|c| matches!(c, b'T' | b't' | b' '))
}

/// Formats a time the way the contract writes it: RFC 3339, UTC, `Z`.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Serde adapter for `Option<DateTime<Utc>>` fields with the lenient input rules above.
pub mod opt {
    use super::*;

    /// Writes the time as RFC 3339 with `Z`, or `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(t) => s.serialize_str(&format_time(t)),
            None => s.serialize_none(),
        }
    }

    /// Reads a time, a date, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => parse_time(&s).map(Some).map_err(serde::de::Error::custom),
        }
    }
}

/// Serde adapter for a required `DateTime<Utc>`.
pub mod required {
    use super::*;

    /// Writes the time as RFC 3339 with `Z`.
    pub fn serialize<S: Serializer>(value: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_time(value))
    }

    /// Reads a time or a date.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        parse_time(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_input_forms() {
        let full = parse_time("2024-01-31T10:00:00+01:00").unwrap();
        assert_eq!(format_time(&full), "2024-01-31T09:00:00Z");
        assert_eq!(
            format_time(&parse_time("2024-01-31").unwrap()),
            "2024-01-31T00:00:00Z"
        );
        assert_eq!(
            format_time(&parse_time("2024-01-31T10:00:00").unwrap()),
            "2024-01-31T10:00:00Z"
        );
        assert!(parse_time("31.1.2024").unwrap_err().contains("31.1.2024"));
    }
}
