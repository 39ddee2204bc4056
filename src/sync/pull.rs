//! Pulling the server's changes into the replica. Initial and incremental sync are one loop
//! over the feed; each page is applied in one transaction together with the cursor that
//! covers it, so a sync killed at any point re-fetches at most the page it was on.
//!
//! A customer with nothing waiting here takes the server's version whole. One with local
//! writes still to push (or an open conflict) is rebased: base, this desk and the server
//! merge three ways, clean fields apply, clashes become a conflict for a person.

use rust_decimal::Decimal;
use serde_json::Value;

use super::merge::merge3;
use super::{Replica, SyncError, meta, server_error};
use crate::api::ApiError;
use crate::model::{Customer, FeedItem, FeedPage, QueryResult};
use crate::ndata::ListParams;
use crate::store::bulk::BulkOptions;
use crate::store::replica::{self, ConflictRecord, OutboxKind};
use crate::store::{Snapshot, Tx, customers as rows};

/// Changes per page once caught up, and for the first pull of everything.
const PAGE: usize = 1000;
const FIRST_PAGE: usize = 2000;
/// Customers per page when listing a plain PORTOS server.
const LISTING_PAGE: u64 = 500;
/// From this many customers on, a first pull into an empty replica goes through the store's
/// bulk path (indexes built at the end).
const BULK_FROM: u64 = 50_000;

/// Saves where a page leaves the replica in the feed.
fn save_cursor(tx: &Tx<'_>, page: &FeedPage) -> Result<(), SyncError> {
    replica::set_meta(tx, meta::CURSOR, Some(&page.cursor))?;
    replica::set_meta(tx, meta::SERVER_ID, Some(&page.server_id))?;
    Ok(())
}

fn id_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(id)
}

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking_sync<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SyncError> + Send + 'static,
) -> Result<T, SyncError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| SyncError::Api(ApiError::Internal(format!("a store task failed: {e}"))))?
}

pub(crate) fn to_json(customer: &Customer) -> Result<Value, SyncError> {
    serde_json::to_value(customer).map_err(|e| SyncError::Api(ApiError::Internal(e.to_string())))
}

pub(crate) fn from_json(value: Value) -> Result<Customer, SyncError> {
    serde_json::from_value(value).map_err(|e| {
        SyncError::Api(ApiError::Internal(format!(
            "a merged customer is not a customer: {e}"
        )))
    })
}

/// The local customer `id`, if there is one.
pub(crate) fn local_customer(tx: &Snapshot<'_>, id: &str) -> Result<Option<Customer>, SyncError> {
    Ok(rows::find_customer(tx, id)?.map(|(_, c)| c))
}

/// Whether the customer has local work the server has not seen: entries to push or an open
/// conflict.
fn has_local_work(tx: &Tx<'_>, id: &str) -> Result<bool, SyncError> {
    Ok(!replica::outbox_of(tx, id)?.is_empty() || replica::conflict_of(tx, id)?.is_some())
}

/// The local version of a rebased customer: the merged fields, the server's version and
/// ledger, and the server's balance plus the adjustments still to push (shown as
/// unconfirmed).
fn rebased_customer(
    tx: &Tx<'_>,
    merged: Value,
    mine: &Customer,
    theirs: &Customer,
) -> Result<Customer, SyncError> {
    let mut customer = from_json(merged)?;
    let pending: Vec<(String, Decimal)> = replica::outbox_of(tx, &theirs.id)?
        .into_iter()
        .filter_map(|e| match e.kind {
            OutboxKind::Credit {
                operation_id,
                amount,
                ..
            } => Some((operation_id, amount)),
            _ => None,
        })
        .collect();
    customer.credit = theirs.credit.clone();
    customer.credit_transactions = theirs.credit_transactions.clone();
    for (operation_id, amount) in &pending {
        customer.credit.amount += *amount;
        if let Some(t) = mine
            .credit_transactions
            .iter()
            .find(|t| t.operation_id.as_deref() == Some(operation_id))
        {
            customer.credit_transactions.push(t.clone());
        }
    }
    customer.version = theirs.version;
    Ok(customer)
}

/// Applies one change of the server; `false` when it was nothing new (our own push coming
/// back, or older news than the shadow).
fn apply_item(tx: &Tx<'_>, item: &FeedItem, now: i64) -> Result<bool, SyncError> {
    let shadow = replica::shadow(tx, &item.id)?;
    if !item.deleted && shadow.as_ref().is_some_and(|s| s.version >= item.version) {
        return Ok(false);
    }
    if item.deleted && shadow.is_none() && local_customer(tx, &item.id)?.is_none() {
        return Ok(false);
    }
    if !has_local_work(tx, &item.id)? {
        match &item.customer {
            Some(customer) if !item.deleted => {
                replica::apply_server_customer(tx, customer)?;
                replica::set_shadow_to_local(tx, &customer.id, customer.version)?;
            }
            _ => {
                replica::apply_server_delete(tx, &item.id)?;
                replica::remove_shadow(tx, &item.id)?;
            }
        }
        return Ok(true);
    }
    let mine = local_customer(tx, &item.id)?;
    let theirs = item.customer.as_ref().filter(|_| !item.deleted);
    match (mine, theirs) {
        // Deleted on both sides: nothing left to push or to decide.
        (None, None) => {
            replica::remove_entries_of_kind(tx, &item.id, &OutboxKind::Delete)?;
            replica::remove_entries_of_kind(tx, &item.id, &OutboxKind::Write)?;
            replica::remove_shadow(tx, &item.id)?;
            replica::remove_conflict(tx, &item.id)?;
        }
        // Deleted on one side, kept (and maybe edited) on the other: a person decides.
        (Some(_), None) | (None, Some(_)) => {
            replica::put_conflict(
                tx,
                &ConflictRecord {
                    customer_id: item.id.clone(),
                    base: shadow.clone(),
                    theirs: theirs.cloned(),
                    fields: "[\"deleted\"]".into(),
                    merged: "[]".into(),
                    detected: now,
                },
            )?;
            match theirs {
                Some(theirs) => replica::set_shadow(tx, theirs)?,
                None => replica::remove_shadow(tx, &item.id)?,
            }
        }
        (Some(mine), Some(theirs)) => {
            let base = shadow.as_ref().map(to_json).transpose()?;
            let merged = merge3(base.as_ref(), &to_json(&mine)?, &to_json(theirs)?);
            let open = replica::conflict_of(tx, &item.id)?;
            if merged.is_clean() && open.is_none() {
                let customer = rebased_customer(tx, merged.value, &mine, theirs)?;
                replica::apply_server_customer(tx, &customer)?;
                super::count_merge();
            } else {
                let mut fields = merged.clashes.clone();
                if let Some(open) = &open {
                    let before: Vec<String> =
                        serde_json::from_str(&open.fields).unwrap_or_default();
                    for f in before {
                        if !fields.contains(&f) {
                            fields.push(f);
                        }
                    }
                }
                replica::put_conflict(
                    tx,
                    &ConflictRecord {
                        customer_id: item.id.clone(),
                        base: open.as_ref().map_or(shadow.clone(), |o| o.base.clone()),
                        theirs: Some(theirs.clone()),
                        fields: serde_json::to_string(&fields).unwrap_or_default(),
                        merged: serde_json::to_string(&merged.merged).unwrap_or_default(),
                        detected: open.as_ref().map_or(now, |o| o.detected),
                    },
                )?;
            }
            replica::set_shadow(tx, theirs)?;
        }
    }
    Ok(true)
}

impl Replica {
    /// Pulls until the replica has every change of the server; returns how many it applied.
    pub async fn pull(&self, wait_secs: u64) -> Result<u64, SyncError> {
        let mode = self.api.store().read(|s| replica::meta(s, meta::MODE))?;
        if mode.as_deref() == Some("listing") {
            return self.pull_by_listing().await;
        }
        let mut applied = 0;
        let mut wait = wait_secs;
        let mut began = false;
        loop {
            let cursor = self.api.store().read(|s| replica::meta(s, meta::CURSOR))?;
            let limit = if cursor.is_none() { FIRST_PAGE } else { PAGE };
            let page = match self.client.feed(cursor.as_deref(), limit, wait).await {
                Ok(Some(page)) => page,
                Ok(None) => {
                    // A plain PORTOS server: it has no feed.
                    self.api
                        .store()
                        .write(|tx| replica::set_meta(tx, meta::MODE, Some("listing")))?;
                    return Ok(applied + self.pull_by_listing().await?);
                }
                Err(ApiError::Gone(why)) => {
                    tracing::warn!(
                        "the server's history changed ({why}); reading everything again"
                    );
                    self.start_over().await?;
                    continue;
                }
                Err(e) => return Err(server_error(e)),
            };
            wait = 0;
            let stored_server = self
                .api
                .store()
                .read(|s| replica::meta(s, meta::SERVER_ID))?;
            if stored_server
                .as_deref()
                .is_some_and(|id| id != page.server_id)
            {
                tracing::warn!("the server is another database now; reading everything again");
                self.start_over().await?;
                continue;
            }
            crate::sync::push::crash_point("pull-fetched");
            if !began {
                began = true;
                self.progress
                    .begin(page.remaining + page.items.len() as u64);
            }
            if cursor.is_none()
                && page.remaining + page.items.len() as u64 >= BULK_FROM
                && self.api.store().path().is_some()
                && self.api.store().read(rows::total_count)? == 0
            {
                let bulk = self.first_pull_in_bulk(page).await;
                self.progress.end();
                return Ok(applied + bulk?);
            }
            let done = self.apply_page(&page).await?;
            applied += done;
            self.progress.add(page.items.len() as u64);
            if page.remaining == 0 {
                self.progress.end();
                return Ok(applied);
            }
        }
    }

    /// Applies a page of the feed and saves its cursor, in one transaction.
    async fn apply_page(&self, page: &FeedPage) -> Result<u64, SyncError> {
        let api = self.api.clone();
        let page = page.clone();
        blocking_sync(move || {
            let now = api.clock().now().timestamp_micros();
            api.store().write(|tx| {
                let mut applied = 0;
                for item in &page.items {
                    applied += u64::from(apply_item(tx, item, now)?);
                }
                save_cursor(tx, &page)?;
                Ok::<_, SyncError>(applied)
            })
        })
        .await
    }

    /// A large first pull into an empty replica, starting with `first`: pages are fetched
    /// here while a writer thread stores them through the store's bulk path (indexes built
    /// once, at the end), each page with its shadows and cursor in one transaction. The two
    /// overlap, so fetching and writing each get a core.
    async fn first_pull_in_bulk(&self, first: FeedPage) -> Result<u64, SyncError> {
        let expected = first.remaining + first.items.len() as u64;
        let (pages, mut incoming) = tokio::sync::mpsc::channel::<FeedPage>(2);
        let api = self.api.clone();
        let progress = self.progress.clone();
        let writer = tokio::task::spawn_blocking(move || -> Result<u64, SyncError> {
            let options = BulkOptions {
                defer_indexes_from: BULK_FROM,
                durable: true,
                big_memory: false,
                searchable_while_loading: true,
            };
            let mut bulk = api.store().bulk_load(expected, options)?;
            // Ids written by this load (as hashes): an id that comes again changed during
            // the pull and is applied as an update.
            let mut written = std::collections::HashSet::<u64>::new();
            let now = api.clock().now().timestamp_micros();
            let mut applied = 0;
            let stored = (|| {
                while let Some(page) = incoming.blocking_recv() {
                    let (again, new): (Vec<&FeedItem>, Vec<&FeedItem>) = page
                        .items
                        .iter()
                        .partition(|i| written.contains(&id_hash(&i.id)) || i.deleted);
                    let customers = new
                        .iter()
                        .filter_map(|i| i.customer.clone())
                        .map(|c| rows::encode_doc(&c).map(|doc| (c, doc)))
                        .collect::<Result<Vec<_>, _>>()?;
                    written.extend(customers.iter().map(|(c, _)| id_hash(&c.id)));
                    bulk.insert_batch_with(&customers, |tx| {
                        for (customer, _) in &customers {
                            replica::set_shadow_to_local(tx, &customer.id, customer.version)?;
                        }
                        for item in &again {
                            apply_item(tx, item, now)?;
                        }
                        save_cursor(tx, &page)
                    })?;
                    applied += page.items.len() as u64;
                    progress.add(page.items.len() as u64);
                }
                Ok::<_, SyncError>(())
            })();
            // The ids are not needed for the index builds, the load's peak of memory.
            drop(written);
            let finished = bulk.finish();
            stored?;
            finished?;
            Ok(applied)
        });
        let fetched = async {
            let mut page = first;
            loop {
                let remaining = page.remaining;
                let cursor = page.cursor.clone();
                if pages.send(page).await.is_err() {
                    // The writer stopped; its error tells why.
                    return Ok(());
                }
                if remaining == 0 {
                    return Ok(());
                }
                page = match self.client.feed(Some(&cursor), FIRST_PAGE, 0).await {
                    Ok(Some(page)) => page,
                    Ok(None) => return Ok(()),
                    Err(e) => return Err(server_error(e)),
                };
                crate::sync::push::crash_point("pull-fetched");
            }
        }
        .await;
        drop(pages);
        let applied = writer
            .await
            .map_err(|e| SyncError::Api(ApiError::Internal(format!("the writer failed: {e}"))))??;
        fetched?;
        Ok(applied)
    }

    /// The server's history changed (`410`, or another server id): read everything again
    /// from the start, keeping every local write still to push. The shadows stay the bases
    /// while it does, and what the server lost that this desk had is pushed again:
    /// customers this desk knew at a newer version, and customers the server no longer has
    /// that the desk never saw deleted.
    async fn start_over(&self) -> Result<(), SyncError> {
        self.api.store().write(|tx| {
            replica::set_meta(tx, meta::CURSOR, None)?;
            replica::set_meta(tx, meta::SERVER_ID, None)
        })?;
        let mut seen: Vec<String> = Vec::new();
        loop {
            let cursor = self.api.store().read(|s| replica::meta(s, meta::CURSOR))?;
            let page = match self.client.feed(cursor.as_deref(), FIRST_PAGE, 0).await {
                Ok(Some(page)) => page,
                Ok(None) => return Ok(()),
                Err(e) => return Err(server_error(e)),
            };
            let now = self.api.clock().now().timestamp_micros();
            self.api.store().write(|tx| {
                for item in &page.items {
                    if !item.deleted {
                        seen.push(item.id.clone());
                    }
                    let known = replica::shadow(tx, &item.id)?.map(|s| s.version);
                    match (&item.customer, known) {
                        (Some(theirs), Some(v)) if !item.deleted && v >= theirs.version => {
                            // The version this desk started from, or an older one: the
                            // desk's state goes to the server again if it differs.
                            replica::set_shadow(tx, theirs)?;
                            if v > theirs.version {
                                replica::enqueue(tx, &item.id, &OutboxKind::Write, "sync", now)?;
                            }
                        }
                        _ => {
                            apply_item(tx, item, now)?;
                        }
                    }
                }
                save_cursor(tx, &page)
            })?;
            if page.remaining == 0 {
                break;
            }
        }
        // Customers the server no longer has at all: created on it again.
        seen.sort_unstable();
        let now = self.api.clock().now().timestamp_micros();
        self.api.store().write(|tx| {
            for (id, _) in replica::shadow_versions(tx)? {
                if seen.binary_search(&id).is_err() {
                    replica::remove_shadow(tx, &id)?;
                    if local_customer(tx, &id)?.is_some() {
                        replica::enqueue(tx, &id, &OutboxKind::Write, "sync", now)?;
                    }
                }
            }
            Ok::<_, SyncError>(())
        })?;
        Ok(())
    }

    /// A plain PORTOS server has no feed: list every customer by id, take what changed
    /// (its `_v` differs from the shadow), and count as deleted the shadows a complete
    /// listing did not show.
    async fn pull_by_listing(&self) -> Result<u64, SyncError> {
        let mut seen: Vec<String> = Vec::new();
        let mut applied = 0;
        let mut skip = 0;
        loop {
            let params = ListParams::new()
                .with("$sort", "id")
                .with("$skip", skip.to_string())
                .with("$take", LISTING_PAGE.to_string());
            let page: QueryResult<Customer> = crate::api::CustomersApi::list(&self.client, &params)
                .await
                .map_err(server_error)?;
            let items = page.items.unwrap_or_default();
            let count = items.len() as u64;
            let now = self.api.clock().now().timestamp_micros();
            applied += self.api.store().write(|tx| {
                let mut applied = 0;
                for customer in items {
                    seen.push(customer.id.clone());
                    let item = FeedItem {
                        seq: 0,
                        id: customer.id.clone(),
                        version: customer.version,
                        deleted: false,
                        customer: Some(customer),
                    };
                    applied += u64::from(apply_item(tx, &item, now)?);
                }
                Ok::<_, SyncError>(applied)
            })?;
            skip += count;
            if count < LISTING_PAGE {
                break;
            }
        }
        seen.sort_unstable();
        let now = self.api.clock().now().timestamp_micros();
        applied += self.api.store().write(|tx| {
            let mut deleted = 0;
            for (id, version) in replica::shadow_versions(tx)? {
                if seen.binary_search(&id).is_err() {
                    let item = FeedItem {
                        seq: 0,
                        id,
                        version,
                        deleted: true,
                        customer: None,
                    };
                    deleted += u64::from(apply_item(tx, &item, now)?);
                }
            }
            Ok::<_, SyncError>(deleted)
        })?;
        Ok(applied)
    }
}
