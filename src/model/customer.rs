//! The Customer resource exactly as the contract's JSON shows it.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::time;

/// A loyalty customer: a person or a company, with cards, addresses and store credit.
///
/// Every field is always written (nulls included); on input every field may be missing and
/// takes its default, and the read-only ones (`status`, `creditTransactions`, `_v`) are
/// ignored by the API logic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Customer {
    pub id: String,
    pub external_id: Option<String>,
    pub is_active: bool,
    pub status: CustomerStatus,
    #[serde(with = "time::opt")]
    pub activation_time: Option<DateTime<Utc>>,
    #[serde(with = "time::opt")]
    pub expiration_time: Option<DateTime<Utc>>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
    pub gender: Option<String>,
    #[serde(with = "time::opt")]
    pub birth_date: Option<DateTime<Utc>>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub is_company: bool,
    pub company: Option<Company>,
    pub address: Option<Address>,
    pub delivery_address: Option<Address>,
    pub credit: Credit,
    pub credit_transactions: Vec<CreditTransaction>,
    pub cards: Vec<Card>,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub credit_rate: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub discount_rate: Decimal,
    pub note: Option<String>,
    pub meta: Value,
    #[serde(rename = "_v")]
    pub version: i64,
}

impl Default for Customer {
    fn default() -> Self {
        Self {
            id: String::new(),
            external_id: None,
            is_active: true,
            status: CustomerStatus::Valid,
            activation_time: None,
            expiration_time: None,
            first_name: None,
            last_name: None,
            full_name: None,
            gender: None,
            birth_date: None,
            email: None,
            phone: None,
            is_company: false,
            company: None,
            address: None,
            delivery_address: None,
            credit: Credit::default(),
            credit_transactions: Vec::new(),
            cards: Vec::new(),
            credit_rate: Decimal::ZERO,
            discount_rate: Decimal::ZERO,
            note: None,
            meta: Value::Object(Default::default()),
            version: 0,
        }
    }
}

impl Customer {
    /// The status at `now`: `NotYetValid` before activation, `Expired` after expiration.
    pub fn status_at(&self, now: DateTime<Utc>) -> CustomerStatus {
        CustomerStatus::of(self.activation_time, self.expiration_time, now)
    }

    /// The name a person would read: full name, else first and last name, else the company.
    pub fn display_name(&self) -> String {
        if let Some(full) = self.full_name.as_deref().filter(|s| !s.trim().is_empty()) {
            return full.to_owned();
        }
        derived_full_name(self).unwrap_or_else(|| self.id.clone())
    }
}

/// `firstName lastName` trimmed, or the company name for a company without names.
pub fn derived_full_name(customer: &Customer) -> Option<String> {
    let joined = format!(
        "{} {}",
        customer.first_name.as_deref().unwrap_or("").trim(),
        customer.last_name.as_deref().unwrap_or("").trim()
    );
    let joined = joined.trim();
    if !joined.is_empty() {
        return Some(joined.to_owned());
    }
    customer
        .company
        .as_ref()
        .and_then(|c| c.name.as_deref())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}

/// Computed validity of a customer at read time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CustomerStatus {
    #[default]
    Valid,
    Expired,
    NotYetValid,
    /// A status this client does not know (from a newer server); treated as valid.
    #[serde(other)]
    Unknown,
}

impl CustomerStatus {
    /// The status at `now` of a customer valid from `activation` to `expiration`:
    /// `NotYetValid` before activation, `Expired` after expiration, else `Valid`.
    pub fn of(
        activation: Option<DateTime<Utc>>,
        expiration: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        match (activation, expiration) {
            (Some(a), _) if a > now => Self::NotYetValid,
            (_, Some(e)) if e < now => Self::Expired,
            _ => Self::Valid,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "Valid",
            Self::Expired => "Expired",
            Self::NotYetValid => "NotYetValid",
            Self::Unknown => "Unknown",
        }
    }
}

/// Company details of a customer that is a company.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Company {
    pub name: Option<String>,
    pub crn: Option<String>,
    pub vat_id: Option<String>,
    pub tax_id: Option<String>,
}

/// A postal address; `zipCode` is accepted as another name of `postalCode`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    pub street: Option<String>,
    pub city: Option<String>,
    #[serde(alias = "zipCode")]
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub note: Option<String>,
    pub coordinates: Option<Coordinates>,
}

/// A point on the map.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Coordinates {
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub latitude: Decimal,
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub longitude: Decimal,
}

/// Store credit: the balance and the label of its currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Credit {
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub amount: Decimal,
    pub currency_label: Option<String>,
}

/// One change of the credit balance, appended by the API logic (never by a client).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreditTransaction {
    pub id: String,
    #[serde(with = "time::opt")]
    pub time: Option<DateTime<Utc>>,
    /// The signed change.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub amount: Decimal,
    /// The balance after the change.
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub balance: Decimal,
    pub note: Option<String>,
    pub user_name: Option<String>,
    pub operation_id: Option<String>,
}

/// A loyalty card; its serial number is unique across all customers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Card {
    pub external_id: Option<String>,
    pub is_active: bool,
    pub is_virtual: bool,
    pub serial_number: Option<String>,
    pub processor: Option<String>,
    pub status: CardStatus,
    #[serde(with = "time::opt")]
    pub status_time: Option<DateTime<Utc>>,
    pub status_reason: Option<String>,
    #[serde(with = "time::opt")]
    pub activation_time: Option<DateTime<Utc>>,
    #[serde(with = "time::opt")]
    pub expiration_time: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub meta: Value,
}

impl Default for Card {
    fn default() -> Self {
        Self {
            external_id: None,
            is_active: true,
            is_virtual: false,
            serial_number: None,
            processor: None,
            status: CardStatus::Valid,
            status_time: None,
            status_reason: None,
            activation_time: None,
            expiration_time: None,
            note: None,
            meta: Value::Object(Default::default()),
        }
    }
}

/// The state of a card. A status this program does not know is kept as it came.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CardStatus {
    #[default]
    Valid,
    Blocked,
    Lost,
    Stolen,
    Damaged,
    Replaced,
    Other(String),
}

impl CardStatus {
    /// The statuses a user can pick, in the order a menu shows them.
    pub const KNOWN: [CardStatus; 6] = [
        CardStatus::Valid,
        CardStatus::Blocked,
        CardStatus::Lost,
        CardStatus::Stolen,
        CardStatus::Damaged,
        CardStatus::Replaced,
    ];

    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Valid => "Valid",
            Self::Blocked => "Blocked",
            Self::Lost => "Lost",
            Self::Stolen => "Stolen",
            Self::Damaged => "Damaged",
            Self::Replaced => "Replaced",
            Self::Other(s) => s,
        }
    }

    /// Reads a wire name; known names match case-insensitively.
    pub fn parse(text: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(text))
            .cloned()
            .unwrap_or_else(|| Self::Other(text.to_owned()))
    }
}

impl Serialize for CardStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CardStatus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map_or(CardStatus::Valid, |s| Self::parse(&s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_nulls_numbers_and_v() {
        let mut c = Customer {
            id: "a".into(),
            ..Default::default()
        };
        c.credit.amount = "12.50".parse().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"externalId\":null"), "{json}");
        assert!(json.contains("\"amount\":12.50"), "{json}");
        assert!(json.contains("\"_v\":0"), "{json}");
        let back: Customer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn zip_code_is_an_alias() {
        let a: Address = serde_json::from_str(r#"{"zipCode":"811 01"}"#).unwrap();
        assert_eq!(a.postal_code.as_deref(), Some("811 01"));
    }

    #[test]
    fn unknown_card_status_is_kept() {
        let c: Card = serde_json::from_str(r#"{"serialNumber":"1","status":"Frozen"}"#).unwrap();
        assert_eq!(serde_json::to_value(&c).unwrap()["status"], "Frozen");
    }
}
