//! The rules a customer must satisfy before it is stored, and the normalisation the logic
//! applies (derived full name, empty external id, card status times).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::model::{CreditAdjustment, Customer, FieldError, derived_full_name};
use crate::store::decimal::SCALE;

/// The longest id accepted; ids travel in URL paths.
const MAX_ID_CHARS: usize = 100;
/// The longest value of an ordinary text member.
const MAX_TEXT_CHARS: usize = 1_000;
/// The longest note.
const MAX_NOTE_CHARS: usize = 10_000;
/// The longest card serial number.
const MAX_SERIAL_CHARS: usize = 64;
/// The deepest `meta`: a list page adds a few levels of its own, and a client's JSON reader
/// refuses past 128 (serde_json's limit), so one customer nested deeper would make every
/// page holding it unreadable.
const MAX_META_DEPTH: usize = 32;

/// Normalises `c` and returns every rule it breaks (empty when valid).
pub fn normalise_and_check(
    c: &mut Customer,
    previous: Option<&Customer>,
    now: DateTime<Utc>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_id(&c.id, &mut errors);

    c.external_id = c
        .external_id
        .take()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    check_texts(c, &mut errors);

    if c.full_name.as_deref().is_none_or(|f| f.trim().is_empty()) {
        c.full_name = derived_full_name(c);
    }
    c.email = c
        .email
        .take()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty());
    if let Some(email) = &c.email
        && !looks_like_email(email)
    {
        errors.push(FieldError::new(
            "Email",
            format!("\"{email}\" is not an e-mail address"),
        ));
    }
    if let (Some(a), Some(e)) = (c.activation_time, c.expiration_time)
        && e < a
    {
        errors.push(FieldError::new(
            "ExpirationTime",
            "must not be before the activation time",
        ));
    }

    check_decimal(
        &mut errors,
        "CreditRate",
        c.credit_rate,
        SCALE,
        Some(Decimal::ZERO),
        None,
    );
    check_decimal(
        &mut errors,
        "DiscountRate",
        c.discount_rate,
        2,
        Some(Decimal::ZERO),
        Some(Decimal::ONE_HUNDRED),
    );
    check_decimal(
        &mut errors,
        "Credit.Amount",
        c.credit.amount,
        SCALE,
        Some(Decimal::ZERO),
        None,
    );

    match &c.meta {
        Value::Null => c.meta = Value::Object(Default::default()),
        Value::Object(_) => check_depth("Meta", &c.meta, &mut errors),
        _ => errors.push(FieldError::new("Meta", "must be a JSON object")),
    }

    check_cards(c, previous, now, &mut errors);
    check_findable(c, &mut errors);
    errors
}

/// **[ours]** A customer must carry something a person can find it by: a name, a company
/// name, an e-mail, a phone or a card. An empty one shows in the grid as its id and no search
/// or scan ever reaches it.
fn check_findable(c: &Customer, errors: &mut Vec<FieldError>) {
    let given = |t: Option<&str>| t.is_some_and(|t| !t.trim().is_empty());
    let findable = given(c.first_name.as_deref())
        || given(c.last_name.as_deref())
        || given(c.full_name.as_deref())
        || given(c.company.as_ref().and_then(|co| co.name.as_deref()))
        || given(c.email.as_deref())
        || given(c.phone.as_deref())
        || c.cards
            .iter()
            .any(|card| given(card.serial_number.as_deref()));
    if !findable {
        let member = if c.is_company {
            "Company.Name"
        } else {
            "LastName"
        };
        errors.push(FieldError::new(
            member,
            "a customer needs something to be found by: a name, a company name, an e-mail, a phone or a card",
        ));
    }
}

/// How deep `value` nests: 1 for a scalar or an empty object, one more per level.
fn depth(value: &Value) -> usize {
    let inner = match value {
        Value::Array(items) => items.iter().map(depth).max(),
        Value::Object(members) => members.values().map(depth).max(),
        _ => return 1,
    };
    1 + inner.unwrap_or(0)
}

fn check_depth(member: &str, value: &Value, errors: &mut Vec<FieldError>) {
    let levels = depth(value);
    if levels > MAX_META_DEPTH {
        errors.push(FieldError::new(
            member,
            format!("is nested {levels} levels deep (at most {MAX_META_DEPTH})"),
        ));
    }
}

/// How a text member may be written.
#[derive(Debug, Clone, Copy)]
enum Text {
    /// One line of at most [`MAX_TEXT_CHARS`], without control characters: names and codes,
    /// where a NUL or an escape sequence would hide the value from every filter and search.
    Line,
    /// Up to [`MAX_NOTE_CHARS`], line breaks and tabs allowed.
    Note,
}

fn check_text(member: &str, value: Option<&str>, kind: Text, errors: &mut Vec<FieldError>) {
    let Some(value) = value else { return };
    let (max, allowed): (usize, &[char]) = match kind {
        Text::Line => (MAX_TEXT_CHARS, &[]),
        Text::Note => (MAX_NOTE_CHARS, &['\n', '\r', '\t']),
    };
    if value.chars().count() > max {
        errors.push(FieldError::new(
            member,
            format!("is longer than {max} characters"),
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|ch| ch.is_control() && !allowed.contains(ch))
    {
        errors.push(FieldError::new(
            member,
            format!("contains the control character U+{:04X}", u32::from(bad)),
        ));
    }
}

/// Every text member of the customer and its company, addresses, credit and cards (the
/// card serial numbers have their own, shorter, limit in [`check_cards`]).
fn check_texts(c: &Customer, errors: &mut Vec<FieldError>) {
    use Text::{Line, Note};
    let mut texts: Vec<(String, Option<&str>, Text)> = vec![
        ("ExternalId".into(), c.external_id.as_deref(), Line),
        ("FirstName".into(), c.first_name.as_deref(), Line),
        ("LastName".into(), c.last_name.as_deref(), Line),
        ("FullName".into(), c.full_name.as_deref(), Line),
        ("Gender".into(), c.gender.as_deref(), Line),
        ("Email".into(), c.email.as_deref(), Line),
        ("Phone".into(), c.phone.as_deref(), Line),
        ("Note".into(), c.note.as_deref(), Note),
        (
            "Credit.CurrencyLabel".into(),
            c.credit.currency_label.as_deref(),
            Line,
        ),
    ];
    if let Some(co) = &c.company {
        texts.extend([
            ("Company.Name".into(), co.name.as_deref(), Line),
            ("Company.Crn".into(), co.crn.as_deref(), Line),
            ("Company.VatId".into(), co.vat_id.as_deref(), Line),
            ("Company.TaxId".into(), co.tax_id.as_deref(), Line),
        ]);
    }
    for (name, address) in [
        ("Address", &c.address),
        ("DeliveryAddress", &c.delivery_address),
    ] {
        if let Some(a) = address {
            texts.extend([
                (format!("{name}.Street"), a.street.as_deref(), Line),
                (format!("{name}.City"), a.city.as_deref(), Line),
                (format!("{name}.PostalCode"), a.postal_code.as_deref(), Line),
                (format!("{name}.Country"), a.country.as_deref(), Line),
                (format!("{name}.Note"), a.note.as_deref(), Note),
            ]);
        }
    }
    for (i, card) in c.cards.iter().enumerate() {
        texts.extend([
            (
                format!("Cards[{i}].ExternalId"),
                card.external_id.as_deref(),
                Line,
            ),
            (
                format!("Cards[{i}].Processor"),
                card.processor.as_deref(),
                Line,
            ),
            (
                format!("Cards[{i}].StatusReason"),
                card.status_reason.as_deref(),
                Line,
            ),
            (format!("Cards[{i}].Note"), card.note.as_deref(), Note),
        ]);
    }
    for (member, value, kind) in texts {
        check_text(&member, value, kind, errors);
    }
}

/// The rules for the texts of a credit adjustment: its note and its operation id.
pub fn check_adjustment(adjustment: &CreditAdjustment) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_text("Note", adjustment.note.as_deref(), Text::Note, &mut errors);
    check_text(
        "OperationId",
        adjustment.operation_id.as_deref(),
        Text::Line,
        &mut errors,
    );
    errors
}

fn check_id(id: &str, errors: &mut Vec<FieldError>) {
    if id.is_empty() {
        errors.push(FieldError::coded("Id", "is required", "Required"));
    } else if id == "." || id == ".." {
        errors.push(FieldError::new(
            "Id",
            format!("\"{id}\" cannot be an id: a URL path drops it, so the customer could not be reached"),
        ));
    } else if id.chars().count() > MAX_ID_CHARS
        || id.trim() != id
        || id
            .chars()
            .any(|ch| ch.is_control() || matches!(ch, '/' | '?' | '#' | '%'))
    {
        errors.push(FieldError::new(
            "Id",
            format!("use at most {MAX_ID_CHARS} characters without spaces at the ends, '/', '?', '#' or '%'"),
        ));
    }
}

fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

fn check_decimal(
    errors: &mut Vec<FieldError>,
    member: &str,
    value: Decimal,
    max_scale: u32,
    min: Option<Decimal>,
    max: Option<Decimal>,
) {
    if value.normalize().scale() > max_scale {
        errors.push(FieldError::new(
            member,
            format!("has more than {max_scale} decimal places"),
        ));
    }
    if min.is_some_and(|m| value < m) {
        errors.push(FieldError::new(
            member,
            format!("must not be below {}", min.unwrap_or_default()),
        ));
    }
    if max.is_some_and(|m| value > m) {
        errors.push(FieldError::new(
            member,
            format!("must not be above {}", max.unwrap_or_default()),
        ));
    }
    if crate::store::decimal::to_micros(value).is_none() && value.normalize().scale() <= max_scale {
        errors.push(FieldError::new(member, "is too large"));
    }
}

fn check_cards(
    c: &mut Customer,
    previous: Option<&Customer>,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) {
    let mut seen: Vec<String> = Vec::new();
    for (i, card) in c.cards.iter_mut().enumerate() {
        let member = format!("Cards[{i}].SerialNumber");
        card.serial_number = card
            .serial_number
            .take()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        match &card.serial_number {
            None => errors.push(FieldError::coded(member, "is required", "Required")),
            Some(serial) if serial.chars().count() > MAX_SERIAL_CHARS => {
                errors.push(FieldError::new(
                    member,
                    format!("is longer than {MAX_SERIAL_CHARS} characters"),
                ))
            }
            Some(serial) if serial.chars().any(char::is_control) => errors.push(FieldError::new(
                member,
                "contains a control character, which no scanner sends and no filter finds",
            )),
            Some(serial) if seen.contains(serial) => errors.push(FieldError::coded(
                member,
                format!("card {serial} is listed twice"),
                "Unique",
            )),
            Some(serial) => seen.push(serial.clone()),
        }
        if let (Some(a), Some(e)) = (card.activation_time, card.expiration_time)
            && e < a
        {
            errors.push(FieldError::new(
                format!("Cards[{i}].ExpirationTime"),
                "must not be before the activation time",
            ));
        }
        if card.meta.is_null() {
            card.meta = Value::Object(Default::default());
        } else if !card.meta.is_object() {
            errors.push(FieldError::new(
                format!("Cards[{i}].Meta"),
                "must be a JSON object",
            ));
        } else {
            check_depth(&format!("Cards[{i}].Meta"), &card.meta, errors);
        }
        // **[ours]** A replaced card is never active: the new card took its place.
        if card.status == crate::model::CardStatus::Replaced {
            card.is_active = false;
        }
        // The status time follows the status: set to now when the status changes without one.
        let before = previous.and_then(|p| {
            p.cards
                .iter()
                .find(|old| old.serial_number.is_some() && old.serial_number == card.serial_number)
        });
        let changed = match before {
            Some(old) => old.status != card.status,
            None => card.status != crate::model::CardStatus::Valid,
        };
        if card.status_time.is_none() {
            if changed {
                card.status_time = Some(now);
            } else if let Some(old) = before {
                card.status_time = old.status_time;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        crate::model::time::parse_time("2026-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn derives_full_name_and_checks_rates() {
        let mut c = Customer {
            id: "x".into(),
            first_name: Some("Ján".into()),
            last_name: Some("Novák".into()),
            ..Default::default()
        };
        c.discount_rate = "12.345".parse().unwrap();
        let errors = normalise_and_check(&mut c, None, now());
        assert_eq!(c.full_name.as_deref(), Some("Ján Novák"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].member_name, "DiscountRate");
    }

    #[test]
    fn company_name_is_the_full_name_of_a_nameless_company() {
        let mut c = Customer {
            id: "x".into(),
            is_company: true,
            ..Default::default()
        };
        c.company = Some(crate::model::Company {
            name: Some("ACME s.r.o.".into()),
            ..Default::default()
        });
        assert!(normalise_and_check(&mut c, None, now()).is_empty());
        assert_eq!(c.full_name.as_deref(), Some("ACME s.r.o."));
    }

    #[test]
    fn emails_are_checked() {
        for bad in ["novak", "a@b", "a b@c.sk", "@c.sk"] {
            assert!(!looks_like_email(bad), "{bad}");
        }
        assert!(looks_like_email("jan.novak@example.sk"));
    }
}
