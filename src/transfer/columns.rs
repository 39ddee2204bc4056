//! The CSV columns: PORTOS Link's names for customer accounts, which are the Customer's
//! members in PascalCase as the NData filters and the API's error messages name them
//! (`CardSerialNumber`, `Company.Name`, `Address.City`), and how each cell is read and
//! written.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::model::FieldError;

/// How a column's cells are read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A text member; an empty cell is null.
    Text,
    /// The customer's id: an empty cell gives none (a new customer gets one generated).
    Id,
    /// `true`/`false` (also `1`/`0`, `yes`/`no`); an empty cell leaves the member as it is.
    Bool,
    /// An exact decimal; an empty cell leaves the member as it is.
    Decimal,
    /// A coordinate of an address: an empty cell leaves it out, and with both empty the
    /// address has no coordinates.
    Coordinate,
    /// A time (RFC 3339) or a date (`YYYY-MM-DD`), read by the API; an empty cell is null.
    Time,
    /// The card serial numbers, separated by `|`.
    Cards,
    /// `meta` as JSON; an empty cell is an empty object.
    Meta,
}

/// One column: its name in the file, the member path in the API's JSON, and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub path: &'static [&'static str],
    pub kind: Kind,
}

const fn col(name: &'static str, path: &'static [&'static str], kind: Kind) -> Column {
    Column { name, path, kind }
}

/// Every column, in the order an export writes them.
pub const COLUMNS: &[Column] = &[
    col("CardSerialNumber", &["cards"], Kind::Cards),
    col("FirstName", &["firstName"], Kind::Text),
    col("LastName", &["lastName"], Kind::Text),
    col("FullName", &["fullName"], Kind::Text),
    col("DiscountRate", &["discountRate"], Kind::Decimal),
    col("CreditRate", &["creditRate"], Kind::Decimal),
    col("Credit.Amount", &["credit", "amount"], Kind::Decimal),
    col(
        "Credit.CurrencyLabel",
        &["credit", "currencyLabel"],
        Kind::Text,
    ),
    col("Id", &["id"], Kind::Id),
    col("ExternalId", &["externalId"], Kind::Text),
    col("IsActive", &["isActive"], Kind::Bool),
    col("ActivationTime", &["activationTime"], Kind::Time),
    col("ExpirationTime", &["expirationTime"], Kind::Time),
    col("Gender", &["gender"], Kind::Text),
    col("BirthDate", &["birthDate"], Kind::Time),
    col("Email", &["email"], Kind::Text),
    col("Phone", &["phone"], Kind::Text),
    col("IsCompany", &["isCompany"], Kind::Bool),
    col("Company.Name", &["company", "name"], Kind::Text),
    col("Company.Crn", &["company", "crn"], Kind::Text),
    col("Company.VatId", &["company", "vatId"], Kind::Text),
    col("Company.TaxId", &["company", "taxId"], Kind::Text),
    col("Address.Street", &["address", "street"], Kind::Text),
    col("Address.City", &["address", "city"], Kind::Text),
    col("Address.PostalCode", &["address", "postalCode"], Kind::Text),
    col("Address.Country", &["address", "country"], Kind::Text),
    col("Address.Note", &["address", "note"], Kind::Text),
    col(
        "Address.Coordinates.Latitude",
        &["address", "coordinates", "latitude"],
        Kind::Coordinate,
    ),
    col(
        "Address.Coordinates.Longitude",
        &["address", "coordinates", "longitude"],
        Kind::Coordinate,
    ),
    col(
        "DeliveryAddress.Street",
        &["deliveryAddress", "street"],
        Kind::Text,
    ),
    col(
        "DeliveryAddress.City",
        &["deliveryAddress", "city"],
        Kind::Text,
    ),
    col(
        "DeliveryAddress.PostalCode",
        &["deliveryAddress", "postalCode"],
        Kind::Text,
    ),
    col(
        "DeliveryAddress.Country",
        &["deliveryAddress", "country"],
        Kind::Text,
    ),
    col(
        "DeliveryAddress.Note",
        &["deliveryAddress", "note"],
        Kind::Text,
    ),
    col(
        "DeliveryAddress.Coordinates.Latitude",
        &["deliveryAddress", "coordinates", "latitude"],
        Kind::Coordinate,
    ),
    col(
        "DeliveryAddress.Coordinates.Longitude",
        &["deliveryAddress", "coordinates", "longitude"],
        Kind::Coordinate,
    ),
    col("Note", &["note"], Kind::Text),
    col("Meta", &["meta"], Kind::Meta),
];

/// The column a header names: case-insensitive, the dots optional (`CreditAmount`, as the
/// NData filter is named, is `Credit.Amount`), and `ZipCode` for `PostalCode` as the API
/// accepts it.
pub fn find(header: &str) -> Option<&'static Column> {
    let plain = |name: &str| name.replace('.', "").to_ascii_lowercase();
    let header = plain(header.trim());
    COLUMNS.iter().find(|c| {
        let name = plain(c.name);
        name == header || name.replace("postalcode", "zipcode") == header
    })
}

/// The column an API member path names (`Cards[0].SerialNumber` is `CardSerialNumber`),
/// or the path itself when no column holds it.
pub fn column_of(member: &str) -> String {
    if member.starts_with("Cards[") {
        return "CardSerialNumber".to_owned();
    }
    find(member).map_or_else(|| member.to_owned(), |c| c.name.to_owned())
}

/// Reads one cell into the row's JSON object `row`. `decimal_comma` takes `12,50` as a
/// decimal (the file is `;`-separated). An empty cell of a kind that leaves the member as it
/// is adds nothing.
pub fn read_cell(
    column: &Column,
    cell: &str,
    decimal_comma: bool,
    row: &mut Map<String, Value>,
) -> Result<(), FieldError> {
    let bad = |message: String| FieldError::new(column.name, message);
    let empty = cell.trim().is_empty();
    let value = match column.kind {
        Kind::Text | Kind::Time if empty => Value::Null,
        Kind::Text => Value::String(cell.to_owned()),
        Kind::Time => Value::String(cell.trim().to_owned()),
        Kind::Id | Kind::Bool | Kind::Decimal | Kind::Coordinate if empty => return Ok(()),
        Kind::Id => Value::String(cell.trim().to_owned()),
        Kind::Bool => match cell.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => return Err(bad(format!("\"{cell}\" is not true or false"))),
        },
        Kind::Decimal | Kind::Coordinate => decimal(cell, decimal_comma).map_err(bad)?,
        Kind::Cards => Value::Array(
            cell.split('|')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|serial| serde_json::json!({ "serialNumber": serial }))
                .collect(),
        ),
        Kind::Meta if empty => Value::Null,
        Kind::Meta => serde_json::from_str(cell).map_err(|e| bad(format!("is not JSON: {e}")))?,
    };
    insert_at(row, column.path, value);
    Ok(())
}

/// An exact decimal as a JSON number with the same digits.
fn decimal(cell: &str, decimal_comma: bool) -> Result<Value, String> {
    let text = cell.trim();
    let text = if decimal_comma {
        text.replace(',', ".")
    } else {
        text.to_owned()
    };
    let number = Decimal::from_str_exact(&text).map_err(|_| {
        if decimal_comma {
            format!(
                "\"{cell}\" is not a number (write 12,50 or 12.50, without thousands separators)"
            )
        } else {
            format!("\"{cell}\" is not a number (write 12.50, without thousands separators)")
        }
    })?;
    serde_json::from_str(&number.to_string()).map_err(|e| format!("\"{cell}\": {e}"))
}

fn insert_at(row: &mut Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            row.insert((*last).to_owned(), value);
        }
        [first, rest @ ..] => {
            let inner = row
                .entry((*first).to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            if let Value::Object(inner) = inner {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// The cell an export writes for `column` of the customer `customer` (its API JSON).
pub fn write_cell(column: &Column, customer: &Value) -> String {
    let mut value = customer;
    for key in column.path {
        match value.get(key) {
            Some(inner) => value = inner,
            None => return String::new(),
        }
    }
    match (column.kind, value) {
        (_, Value::Null) => String::new(),
        (Kind::Cards, Value::Array(cards)) => cards
            .iter()
            .filter_map(|c| c.get("serialNumber").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("|"),
        (Kind::Meta, Value::Object(members)) if members.is_empty() => String::new(),
        (_, Value::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_loosely() {
        for (header, column) in [
            ("CardSerialNumber", "CardSerialNumber"),
            (" firstname ", "FirstName"),
            ("CreditAmount", "Credit.Amount"),
            ("address.zipcode", "Address.PostalCode"),
            ("DeliveryAddress.City", "DeliveryAddress.City"),
        ] {
            assert_eq!(find(header).map(|c| c.name), Some(column), "{header}");
        }
        assert!(find("Loyalty tier").is_none());
        assert_eq!(column_of("Cards[1].SerialNumber"), "CardSerialNumber");
        assert_eq!(column_of("Credit.Amount"), "Credit.Amount");
    }

    #[test]
    fn decimals_keep_their_digits_and_take_a_comma_only_with_semicolons() {
        let column = find("DiscountRate").unwrap();
        let mut row = Map::new();
        read_cell(column, "12,50", true, &mut row).unwrap();
        assert_eq!(row["discountRate"].to_string(), "12.50");
        let err = read_cell(column, "12,50", false, &mut row).unwrap_err();
        assert_eq!(err.member_name, "DiscountRate");
        assert!(read_cell(column, "1.234,5", true, &mut row).is_err());
        let mut empty = Map::new();
        read_cell(column, " ", true, &mut empty).unwrap();
        assert!(
            empty.is_empty(),
            "an empty number leaves the member as it is"
        );
    }
}
