//! The resources of the Customers API, serialised exactly as the contract's JSON.

mod customer;
mod feed;
mod id;
mod problem;
mod rights;
pub mod time;

pub use customer::{
    Address, Card, CardStatus, Company, Coordinates, Credit, CreditTransaction, Customer,
    CustomerStatus, derived_full_name,
};
pub use feed::{FeedItem, FeedPage};
pub use id::{new_id, object_id};
pub use problem::{FieldError, Problem};
pub use rights::{Actor, Right, Rights, UserInfo};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The answer of `GET /customers`: one page and the number of all matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResult<T> {
    /// The page; left out when `$count=true` asked only for the numbers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<T>>,
    /// How many items this page has.
    pub count: u64,
    /// How many customers match the filters, before paging.
    pub total_count: u64,
}

/// `POST /customers/{id}/credit`: a signed change of the store credit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditAdjustment {
    /// The signed change (`-5.00` takes five off).
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    pub amount: Decimal,
    #[serde(default)]
    pub note: Option<String>,
    /// Makes the call idempotent: a repeated id for the same customer applies nothing again.
    #[serde(default)]
    pub operation_id: Option<String>,
}
