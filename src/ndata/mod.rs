//! NData, the query language of `GET /customers`: parameters in, a typed [`ListQuery`] out,
//! with an error naming the parameter for anything that cannot be understood.

mod parse;

pub use parse::{ListParams, parse_list_query};

/// A list query that cannot be read: the parameter it is about (`$take`, `DiscountRate`)
/// and what is wrong with its value, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct QueryError {
    pub parameter: String,
    pub message: String,
}

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Everything `GET /customers` can ask, parsed and checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListQuery {
    pub skip: u64,
    pub take: Option<u64>,
    /// Sort keys in order; `id` is always added as the final tie-breaker by the store.
    pub sort: Vec<SortKey>,
    /// `$count=true`: numbers only, no items.
    pub count_only: bool,
    /// All must hold.
    pub filters: Vec<Filter>,
    /// `Search`: words that must each occur (case- and diacritic-insensitively) in one of the
    /// searched fields. Empty when not searching.
    pub search: Vec<String>,
    /// `IsExpired`.
    pub is_expired: Option<bool>,
}

/// One `$sort` key with its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: SortField,
    pub descending: bool,
}

/// The fields a list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    Id,
    ExternalId,
    IsActive,
    ActivationTime,
    ExpirationTime,
    FirstName,
    LastName,
    FullName,
    Gender,
    BirthDate,
    Email,
    Phone,
    IsCompany,
    CreditRate,
    DiscountRate,
    Note,
    CompanyName,
    CreditAmount,
}

impl SortField {
    /// Every sort field with its contract name.
    pub const ALL: [(SortField, &'static str); 18] = [
        (SortField::Id, "id"),
        (SortField::ExternalId, "externalId"),
        (SortField::IsActive, "isActive"),
        (SortField::ActivationTime, "activationTime"),
        (SortField::ExpirationTime, "expirationTime"),
        (SortField::FirstName, "firstName"),
        (SortField::LastName, "lastName"),
        (SortField::FullName, "fullName"),
        (SortField::Gender, "gender"),
        (SortField::BirthDate, "birthDate"),
        (SortField::Email, "email"),
        (SortField::Phone, "phone"),
        (SortField::IsCompany, "isCompany"),
        (SortField::CreditRate, "creditRate"),
        (SortField::DiscountRate, "discountRate"),
        (SortField::Note, "note"),
        (SortField::CompanyName, "company.name"),
        (SortField::CreditAmount, "credit.amount"),
    ];

    /// The contract's name of the key (`company.name`).
    pub fn name(self) -> &'static str {
        SortField::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("id", |(_, n)| n)
    }

    /// Finds a key by name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        SortField::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(f, _)| *f)
    }
}

/// A filterable member of the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Member {
    CardSerialNumber,
    ExternalId,
    CreditRate,
    DiscountRate,
    IsActive,
    ExpirationTime,
    /// **[ours]** The credit balance (`credit.amount`).
    CreditAmount,
    /// **[ours]** The e-mail address; `like` finds a part of it, case-insensitively.
    Email,
    /// **[ours]** The phone number, compared as [`crate::text::phone_key`] normalises it
    /// (spaces, signs and leading `+`/`00`/`0` ignored).
    Phone,
}

impl Member {
    /// Every member with its parameter name.
    pub const ALL: [(Member, &'static str); 9] = [
        (Member::CardSerialNumber, "CardSerialNumber"),
        (Member::ExternalId, "ExternalId"),
        (Member::CreditRate, "CreditRate"),
        (Member::CreditAmount, "CreditAmount"),
        (Member::DiscountRate, "DiscountRate"),
        (Member::IsActive, "IsActive"),
        (Member::ExpirationTime, "ExpirationTime"),
        (Member::Email, "Email"),
        (Member::Phone, "Phone"),
    ];

    /// The parameter name (`DiscountRate`).
    pub fn name(self) -> &'static str {
        Member::ALL
            .iter()
            .find(|(m, _)| *m == self)
            .map_or("", |(_, n)| n)
    }

    /// The type of the member's values.
    pub fn kind(self) -> ValueKind {
        match self {
            Member::CardSerialNumber | Member::ExternalId | Member::Email | Member::Phone => {
                ValueKind::Text
            }
            Member::CreditRate | Member::DiscountRate | Member::CreditAmount => ValueKind::Decimal,
            Member::IsActive => ValueKind::Bool,
            Member::ExpirationTime => ValueKind::Time,
        }
    }

    /// Whether the member takes the operator (the contract's member table).
    pub fn allows(self, op: Operator) -> bool {
        use Operator::*;
        match self {
            Member::CardSerialNumber => !matches!(op, Null | NotNull),
            Member::ExternalId | Member::Email | Member::Phone => true,
            Member::CreditRate | Member::DiscountRate | Member::CreditAmount => {
                matches!(op, Eq | Ne | Gt | Ge | Lt | Le | In | Nin | Between)
            }
            Member::IsActive => matches!(op, Eq | Ne),
            Member::ExpirationTime => {
                matches!(op, Eq | Ne | Gt | Ge | Lt | Le | Between | Null | NotNull)
            }
        }
    }
}

/// The type of a member's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Decimal,
    Bool,
    Time,
}

/// An NData operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
    Nin,
    Between,
    Null,
    NotNull,
    Like,
}

impl Operator {
    /// Every operator name and alias.
    const NAMES: [(&'static str, Operator); 16] = [
        ("eq", Operator::Eq),
        ("ne", Operator::Ne),
        ("neq", Operator::Ne),
        ("gt", Operator::Gt),
        ("ge", Operator::Ge),
        ("gte", Operator::Ge),
        ("lt", Operator::Lt),
        ("le", Operator::Le),
        ("lte", Operator::Le),
        ("in", Operator::In),
        ("nin", Operator::Nin),
        ("between", Operator::Between),
        ("null", Operator::Null),
        ("notnull", Operator::NotNull),
        ("like", Operator::Like),
        ("contains", Operator::Like),
    ];

    /// Finds an operator by name or alias, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, op)| *op)
    }

    /// The operator's name as written in a query.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("eq", |(n, _)| n)
    }

    /// How many arguments it takes: `(min, max)`.
    pub fn arity(self) -> (usize, usize) {
        match self {
            Operator::Null | Operator::NotNull => (0, 0),
            Operator::In | Operator::Nin => (1, usize::MAX),
            Operator::Between => (2, 2),
            _ => (1, 1),
        }
    }
}

/// A typed argument of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Decimal(Decimal),
    Bool(bool),
    Time(DateTime<Utc>),
}

/// One operation on one member: `DiscountRate=between:5:10`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub member: Member,
    pub op: Operator,
    pub args: Vec<Scalar>,
}
