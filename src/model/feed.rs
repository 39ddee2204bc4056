//! A page of the change feed (`GET /sync/customers`, `../shared/spec/sync.md` §2), as the
//! server writes it and a replica reads it. Unknown members are refused: a page the desk does
//! not fully understand must not be half applied.

use serde::{Deserialize, Serialize};

use super::Customer;

/// One page of the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FeedPage {
    /// The server's identity: it changes with a new or restored database.
    pub server_id: String,
    /// Where the next page starts; opaque to the desk.
    pub cursor: String,
    /// How many changes come after this page.
    pub remaining: u64,
    pub items: Vec<FeedItem>,
}

/// One customer's latest state, or its tombstone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedItem {
    pub seq: i64,
    pub id: String,
    #[serde(rename = "_v")]
    pub version: i64,
    pub deleted: bool,
    /// The whole customer as `GET /customers/{id}` gives it; `None` for a tombstone.
    pub customer: Option<Customer>,
}
