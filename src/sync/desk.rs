//! What a desk's window needs of its replica beside syncing: signing in again while the
//! server is away, the user's rights as the server last said, and the changes that are not
//! on the server yet (pending rows, parked changes).

use chrono::{DateTime, Utc};

use super::{SyncError, meta};
use crate::api::{ApiError, LocalApi, hash_password, password_matches};
use crate::model::{Customer, UserInfo};
use crate::store::customers as rows;
use crate::store::replica::{self, OutboxKind};

/// Keeps a hash of the password the user just signed in with at the server.
pub fn keep_password(api: &LocalApi, password: &str) -> Result<(), SyncError> {
    let hash = hash_password(password)?;
    api.store()
        .write(|tx| replica::set_meta(tx, meta::PASSWORD_HASH, Some(&hash)))?;
    Ok(())
}

/// Whether `password` is the one the user last signed in with at the server from this desk.
/// A replica that never kept one (made by `customer-desk sync`) cannot be opened offline.
pub fn password_matches_kept(api: &LocalApi, password: &str) -> Result<bool, SyncError> {
    let hash = api
        .store()
        .read(|s| replica::meta(s, meta::PASSWORD_HASH))?;
    Ok(hash.is_some_and(|hash| password_matches(&hash, password)))
}

/// The server's user this replica works as, as the server last described them.
pub fn replica_user(api: &LocalApi) -> Result<Option<UserInfo>, SyncError> {
    let user = api.store().read(|s| replica::meta(s, meta::USER))?;
    user.map(|u| {
        serde_json::from_str(&u).map_err(|e| {
            ApiError::Internal(format!("the replica's user is unreadable: {e}")).into()
        })
    })
    .transpose()
}

/// Keeps the user as the server describes them now (their rights changed): local writes act
/// with these rights from now on.
pub fn keep_user(api: &LocalApi, user: &UserInfo) -> Result<(), SyncError> {
    let user = serde_json::to_string(user).map_err(|e| ApiError::Internal(e.to_string()))?;
    api.store()
        .write(|tx| replica::set_meta(tx, meta::USER, Some(&user)))?;
    Ok(())
}

/// Up to `limit` customers changed on this desk and not yet on the server.
pub fn pending_customers(api: &LocalApi, limit: usize) -> Result<Vec<String>, SyncError> {
    Ok(api
        .store()
        .read(|s| replica::customers_with_entries(s, limit))?)
}

/// A change made on this desk that is not on the server: waiting to be pushed, or parked
/// (refused by the server) for a person.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitingChange {
    /// Identifies it for [`super::conflicts::retry_parked`] and `discard_parked`.
    pub seq: i64,
    pub customer_id: String,
    /// The customer's name on this desk (its id when it has none any more).
    pub customer: String,
    /// What the change was, in a few words.
    pub what: String,
    /// The server's reason, when it refused the change (parked).
    pub reason: Option<String>,
    pub user_name: String,
    pub time: Option<DateTime<Utc>>,
}

/// The changes not on the server, oldest first: the parked ones (`parked`), or those
/// waiting to be pushed.
pub fn waiting_changes(api: &LocalApi, parked: bool) -> Result<Vec<WaitingChange>, SyncError> {
    Ok(api.store().read(|s| {
        let mut changes = Vec::new();
        for entry in replica::outbox(s)? {
            if entry.parked.is_some() != parked {
                continue;
            }
            let customer: Option<Customer> =
                rows::find_customer(s, &entry.customer_id)?.map(|(_, c)| c);
            let what = match &entry.kind {
                OutboxKind::Write => "a change of the customer".to_owned(),
                OutboxKind::Delete => "deleting the customer".to_owned(),
                OutboxKind::Credit { amount, .. } => format!("a credit adjustment of {amount}"),
            };
            changes.push(WaitingChange {
                seq: entry.seq,
                customer: customer.map_or_else(|| entry.customer_id.clone(), |c| c.display_name()),
                customer_id: entry.customer_id,
                what,
                reason: entry.parked,
                user_name: entry.user_name,
                time: DateTime::from_timestamp_micros(entry.time),
            });
        }
        Ok::<_, crate::store::Error>(changes)
    })?)
}
