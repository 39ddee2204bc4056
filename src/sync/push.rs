//! Pushing the outbox to the server (`sync.md` §3–4). Per customer, one request at a time
//! in the order the writes were made; customers are independent, so a customer waiting for
//! a person never holds up the others.
//!
//! - A customer the server has never seen is created with the desk's own id (its credit
//!   follows as operations); a retry that meets `400 Unique` on `Id` checks whether the first
//!   try landed.
//! - An update sends the shadow with the fields this desk changed, under the shadow's `_v`.
//!   A `409` fetches the server's version and merges three ways; a clash becomes a conflict.
//! - A delete sends `?_v=` of the shadow; a `404` means it was done already.
//! - Every request carries an `Idempotency-Key` made of the desk, the outbox entry and the
//!   request, so a lost answer is asked for again without acting twice.
//! - `400` and `403` park the entry with the server's reason; network failures, `5xx`, `423`
//!   and `429` end the pass, to be tried again later. Nothing is dropped.

use futures_util::StreamExt as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::merge::{changed_members, merge3};
use super::pull::{blocking_sync, from_json, local_customer, to_json};
use super::{Replica, SyncError, meta, server_error};
use crate::api::{ApiError, CustomersApi};
use crate::model::Customer;
use crate::store::Tx;
use crate::store::replica::{self, ConflictRecord, OutboxEntry, OutboxKind};

/// The environment variable naming a point at which the process stops dead, for the crash
/// tests: `pull-fetched` (a page fetched, not applied) or `push-sent` (a write sent, its
/// answer not stored), optionally with the how-manyth time, `push-sent:3`.
pub const CRASH_AT_ENV: &str = "CUSTOMER_DESK_CRASH_AT";

/// Stops the process at once (as `kill -9` would: no destructor, no flush) when the crash
/// tests asked for this point.
pub fn crash_point(name: &str) {
    static PASSED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let Ok(at) = std::env::var(CRASH_AT_ENV) else {
        return;
    };
    let (point, nth) = at.split_once(':').unwrap_or((at.as_str(), "1"));
    if point == name {
        let passed = PASSED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if nth.parse() == Ok(passed) {
            std::process::abort();
        }
    }
}

/// How many times one customer's write is merged and sent again in a pass before it waits
/// for the next pass (another desk keeps changing it).
const MERGE_ROUNDS: usize = 5;
/// Customers taken from the outbox at a time.
const BATCH: usize = 200;
/// Customers pushed at once.
const IN_FLIGHT: usize = 8;

/// What pushing one outbox entry came to.
enum Outcome {
    /// The server took it (or had it already): the entry is done.
    Done,
    /// Stop with this customer for now (a conflict was recorded, or it must be merged).
    Stop,
}

fn body_key(desk: &str, entry: &OutboxEntry, body: Option<&Value>) -> String {
    let mut hash = Sha256::new();
    if let Some(body) = body {
        hash.update(serde_json::to_vec(body).unwrap_or_default());
    }
    let digest = hex::encode(hash.finalize());
    format!("{desk}-{}-{}", entry.seq, &digest[..16])
}

/// The customer as a create sends it: without credit (that follows as operations) and
/// without what the server keeps.
fn create_body(local: &Customer) -> Result<Value, SyncError> {
    let mut body = to_json(local)?;
    if let Value::Object(fields) = &mut body {
        fields.remove("_v");
        fields.remove("status");
        fields.remove("creditTransactions");
        fields.insert(
            "credit".into(),
            json!({"amount": 0, "currencyLabel": local.credit.currency_label}),
        );
    }
    Ok(body)
}

/// The update a push sends: the shadow with this desk's changed members, under the
/// shadow's `_v` (and its credit, which changes only by operations).
fn update_body(shadow: &Customer, local: &Customer) -> Result<Option<Value>, SyncError> {
    let (base, mine) = (to_json(shadow)?, to_json(local)?);
    let changed = changed_members(&base, &mine);
    if changed.is_empty() {
        return Ok(None);
    }
    let mut body = base;
    if let (Value::Object(out), Value::Object(mine)) = (&mut body, &mine) {
        for key in changed {
            match mine.get(&key) {
                Some(v) => out.insert(key, v.clone()),
                None => out.remove(&key),
            };
        }
        out.remove("creditTransactions");
        out.remove("status");
    }
    Ok(Some(body))
}

/// Whether the server's customer is the one a create sent (the first try landed).
fn is_what_was_sent(sent: &Value, server: &Customer) -> Result<bool, SyncError> {
    let server = to_json(server)?;
    Ok(changed_members(&server, sent)
        .iter()
        .all(|k| matches!(k.as_str(), "activationTime") || sent.get(k).is_none_or(Value::is_null)))
}

fn conflict(
    tx: &Tx<'_>,
    id: &str,
    base: Option<Customer>,
    theirs: Option<Customer>,
    fields: &[String],
    now: i64,
) -> Result<(), SyncError> {
    replica::put_conflict(
        tx,
        &ConflictRecord {
            customer_id: id.to_owned(),
            base,
            theirs,
            fields: serde_json::to_string(fields).unwrap_or_default(),
            merged: "[]".into(),
            detected: now,
        },
    )?;
    Ok(())
}

/// Whether a refusal names a card serial or external id that another customer holds.
fn taken_by_another(error: &ApiError) -> Option<String> {
    match error {
        ApiError::Validation(errors) => errors
            .iter()
            .find(|e| {
                e.code.as_deref() == Some("Unique")
                    && (e.member_name.starts_with("Cards") || e.member_name == "ExternalId")
            })
            .map(|e| e.member_name.clone()),
        _ => None,
    }
}

impl Replica {
    /// Pushes what the outbox holds; returns how many entries the server took.
    pub async fn push(&self) -> Result<u64, SyncError> {
        let mut pushed = 0;
        let mut tried: Vec<String> = Vec::new();
        loop {
            let batch = self
                .api
                .store()
                .read(|s| replica::customers_to_push(s, BATCH + tried.len()))?;
            let batch: Vec<String> = batch.into_iter().filter(|id| !tried.contains(id)).collect();
            if batch.is_empty() {
                return Ok(pushed);
            }
            // Customers are independent: several are pushed at once, each one request at a
            // time, so the round trips overlap.
            let results: Vec<Result<u64, SyncError>> = futures_util::stream::iter(&batch)
                .map(|id| self.push_customer(id))
                .buffer_unordered(IN_FLIGHT)
                .collect()
                .await;
            tried.extend(batch);
            for result in results {
                pushed += result?;
            }
        }
    }

    /// Pushes one customer's entries in order, until they are done or it must wait.
    async fn push_customer(&self, id: &str) -> Result<u64, SyncError> {
        let mut done = 0;
        let entries = self.api.store().read(|s| replica::outbox_of(s, id))?;
        for entry in entries.into_iter().filter(|e| e.parked.is_none()) {
            let outcome = match self.push_entry(&entry).await {
                Ok(outcome) => outcome,
                Err(SyncError::Api(error)) => {
                    // Refused for a reason of its own: a person sees it, the rest go on.
                    let reason = error.to_string();
                    self.api
                        .store()
                        .write(|tx| replica::park(tx, entry.seq, Some(&reason)))?;
                    continue;
                }
                Err(other) => return Err(other),
            };
            match outcome {
                Outcome::Done => done += 1,
                Outcome::Stop => return Ok(done),
            }
        }
        // Nothing left to push: the local customer becomes exactly the server's.
        let id = id.to_owned();
        let api = self.api.clone();
        blocking_sync(move || {
            api.store().write(|tx| {
                if replica::outbox_of(tx, &id)?.is_empty()
                    && replica::conflict_of(tx, &id)?.is_none()
                    && let Some(shadow) = replica::shadow(tx, &id)?
                    && local_customer(tx, &id)?.is_some()
                {
                    replica::apply_server_customer(tx, &shadow)?;
                    replica::set_shadow_to_local(tx, &id, shadow.version)?;
                }
                Ok::<_, SyncError>(())
            })
        })
        .await?;
        Ok(done)
    }

    async fn push_entry(&self, entry: &OutboxEntry) -> Result<Outcome, SyncError> {
        match &entry.kind {
            OutboxKind::Write => self.push_write(entry).await,
            OutboxKind::Credit {
                operation_id,
                amount,
                note,
            } => {
                let portos = self.is_listing().await?;
                let shadow = self
                    .api
                    .store()
                    .read(|s| replica::shadow(s, &entry.customer_id))?;
                let Some(shadow) = shadow else {
                    return Err(SyncError::Api(ApiError::invalid(
                        "Id",
                        "the customer is not on the server; its credit waits",
                    )));
                };
                let result = if portos {
                    // PORTOS has no credit route: the server's amount plus the change, under
                    // the version it was read at.
                    let mut body = to_json(&shadow)?;
                    body["credit"]["amount"] = number(shadow.credit.amount + *amount)?;
                    self.client
                        .upsert_keyed(&entry.customer_id, &body, None)
                        .await
                } else {
                    let body = json!({"amount": number(*amount)?, "note": note, "operationId": operation_id});
                    self.client
                        .adjust_credit_keyed(&entry.customer_id, &body, operation_id)
                        .await
                };
                crash_point("push-sent");
                match result.map_err(server_error) {
                    Ok(customer) => {
                        self.done(entry, Some(&customer)).await?;
                        Ok(Outcome::Done)
                    }
                    Err(SyncError::Api(ApiError::Conflict { .. })) if portos => {
                        // A lost answer is ambiguous on PORTOS: when the server is exactly
                        // one version on, with exactly this change, it was ours.
                        let theirs = self.fetch(&entry.customer_id).await?;
                        if let Some(theirs) = theirs.as_ref().filter(|t| {
                            t.version == shadow.version + 1
                                && t.credit.amount == shadow.credit.amount + *amount
                        }) {
                            self.done(entry, Some(theirs)).await?;
                            return Ok(Outcome::Done);
                        }
                        if let Some(theirs) = theirs {
                            self.api
                                .store()
                                .write(|tx| replica::set_shadow(tx, &theirs))?;
                        }
                        Ok(Outcome::Stop)
                    }
                    Err(e) => Err(e),
                }
            }
            OutboxKind::Delete => {
                let shadow = self
                    .api
                    .store()
                    .read(|s| replica::shadow(s, &entry.customer_id))?;
                let Some(shadow) = shadow else {
                    // Never on the server: nothing to delete there.
                    self.done(entry, None).await?;
                    return Ok(Outcome::Done);
                };
                let portos = self.is_listing().await?;
                let key = (!portos).then(|| body_key(&self.desk_id, entry, None));
                let version = (!portos).then_some(shadow.version);
                let result = self
                    .client
                    .delete_keyed(&entry.customer_id, version, key.as_deref())
                    .await;
                crash_point("push-sent");
                match result.map_err(server_error) {
                    Ok(_) | Err(SyncError::Api(ApiError::NotFound(_))) => {
                        self.done(entry, None).await?;
                        self.api
                            .store()
                            .write(|tx| replica::remove_shadow(tx, &entry.customer_id))?;
                        Ok(Outcome::Done)
                    }
                    Err(SyncError::Api(ApiError::Conflict { .. })) => {
                        // Changed on the server since: delete against edit, for a person.
                        let theirs = self.fetch(&entry.customer_id).await?;
                        let now = self.api.clock().now().timestamp_micros();
                        self.api.store().write(|tx| {
                            conflict(
                                tx,
                                &entry.customer_id,
                                Some(shadow.clone()),
                                theirs.clone(),
                                &["deleted".into()],
                                now,
                            )?;
                            if let Some(theirs) = &theirs {
                                replica::set_shadow(tx, theirs)?;
                            }
                            Ok::<_, SyncError>(())
                        })?;
                        Ok(Outcome::Stop)
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    async fn push_write(&self, entry: &OutboxEntry) -> Result<Outcome, SyncError> {
        let id = entry.customer_id.as_str();
        for _ in 0..MERGE_ROUNDS {
            let (local, shadow) = self
                .api
                .store()
                .read(|s| Ok::<_, SyncError>((local_customer(s, id)?, replica::shadow(s, id)?)))?;
            let Some(local) = local else {
                // Deleted here since: the delete entry that follows says so.
                self.done(entry, None).await?;
                return Ok(Outcome::Done);
            };
            let portos = self.is_listing().await?;
            let Some(shadow) = shadow else {
                let body = create_body(&local)?;
                let result = if portos {
                    self.client.upsert_keyed(id, &body, None).await
                } else {
                    let key = body_key(&self.desk_id, entry, Some(&body));
                    self.client.create_keyed(&body, &key).await
                };
                crash_point("push-sent");
                return match result.map_err(server_error) {
                    Ok(created) => {
                        self.done(entry, Some(&created)).await?;
                        Ok(Outcome::Done)
                    }
                    Err(SyncError::Api(ApiError::Validation(errors)))
                        if errors.iter().any(|e| e.member_name == "Id") =>
                    {
                        // The first try may have landed, its answer lost.
                        match self.fetch(id).await? {
                            Some(server) if is_what_was_sent(&body, &server)? => {
                                self.done(entry, Some(&server)).await?;
                                Ok(Outcome::Done)
                            }
                            server => {
                                let now = self.api.clock().now().timestamp_micros();
                                self.api.store().write(|tx| {
                                    conflict(tx, id, None, server.clone(), &["id".into()], now)
                                })?;
                                Ok(Outcome::Stop)
                            }
                        }
                    }
                    Err(SyncError::Api(error)) if taken_by_another(&error).is_some() => {
                        let field = taken_by_another(&error).unwrap_or_default();
                        let now = self.api.clock().now().timestamp_micros();
                        self.api.store().write(|tx| {
                            conflict(tx, id, None, None, std::slice::from_ref(&field), now)
                        })?;
                        Ok(Outcome::Stop)
                    }
                    Err(e) => Err(e),
                };
            };
            let Some(body) = update_body(&shadow, &local)? else {
                self.done(entry, None).await?;
                return Ok(Outcome::Done);
            };
            let key = (!portos).then(|| body_key(&self.desk_id, entry, Some(&body)));
            let result = self.client.upsert_keyed(id, &body, key.as_deref()).await;
            crash_point("push-sent");
            match result.map_err(server_error) {
                Ok(updated) => {
                    self.done(entry, Some(&updated)).await?;
                    return Ok(Outcome::Done);
                }
                Err(SyncError::Api(ApiError::Conflict { .. })) => {
                    // The server moved on: merge with its version and try again.
                    let Some(theirs) = self.fetch(id).await? else {
                        return self.edit_against_delete(id, shadow).await;
                    };
                    if !self.rebase(id, &shadow, &local, &theirs).await? {
                        return Ok(Outcome::Stop);
                    }
                }
                Err(SyncError::Api(ApiError::NotFound(_))) => {
                    return self.edit_against_delete(id, shadow).await;
                }
                Err(SyncError::Api(error)) if taken_by_another(&error).is_some() => {
                    let field = taken_by_another(&error).unwrap_or_default();
                    let now = self.api.clock().now().timestamp_micros();
                    self.api.store().write(|tx| {
                        conflict(
                            tx,
                            id,
                            Some(shadow.clone()),
                            Some(shadow.clone()),
                            std::slice::from_ref(&field),
                            now,
                        )
                    })?;
                    return Ok(Outcome::Stop);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Outcome::Stop)
    }

    /// The server deleted a customer this desk edited: a person decides.
    async fn edit_against_delete(&self, id: &str, shadow: Customer) -> Result<Outcome, SyncError> {
        let now = self.api.clock().now().timestamp_micros();
        self.api.store().write(|tx| {
            conflict(tx, id, Some(shadow.clone()), None, &["deleted".into()], now)?;
            replica::remove_shadow(tx, id)?;
            Ok::<_, SyncError>(())
        })?;
        Ok(Outcome::Stop)
    }

    /// Merges this desk's `local` with the server's `theirs` over `shadow`: clean, the local
    /// customer takes the merge and the shadow the server's version (true); a clash is
    /// recorded as a conflict (false).
    async fn rebase(
        &self,
        id: &str,
        shadow: &Customer,
        local: &Customer,
        theirs: &Customer,
    ) -> Result<bool, SyncError> {
        let merged = merge3(Some(&to_json(shadow)?), &to_json(local)?, &to_json(theirs)?);
        let now = self.api.clock().now().timestamp_micros();
        let clean = merged.is_clean();
        if clean {
            super::count_merge();
        }
        self.api.store().write(|tx| {
            if clean {
                let mut customer = from_json(merged.value.clone())?;
                // The balance as shown here: the server's plus what waits to be pushed.
                customer.credit.amount =
                    local.credit.amount - shadow.credit.amount + theirs.credit.amount;
                customer.credit_transactions = local.credit_transactions.clone();
                customer.version = theirs.version;
                replica::apply_server_customer(tx, &customer)?;
            } else {
                replica::put_conflict(
                    tx,
                    &ConflictRecord {
                        customer_id: id.to_owned(),
                        base: Some(shadow.clone()),
                        theirs: Some(theirs.clone()),
                        fields: serde_json::to_string(&merged.clashes).unwrap_or_default(),
                        merged: serde_json::to_string(&merged.merged).unwrap_or_default(),
                        detected: now,
                    },
                )?;
            }
            replica::set_shadow(tx, theirs)?;
            Ok::<_, SyncError>(())
        })?;
        Ok(clean)
    }

    /// The server's version of a customer, or `None` when it has none.
    async fn fetch(&self, id: &str) -> Result<Option<Customer>, SyncError> {
        match self.client.get(id).await {
            Ok(customer) => Ok(Some(customer)),
            Err(ApiError::NotFound(_)) => Ok(None),
            Err(e) => Err(server_error(e)),
        }
    }

    /// The server took `entry` (removed in the same transaction); its answer becomes the
    /// shadow, unless the replica already holds a later version. An answer can be older than
    /// what a pull brought meanwhile: a retry under the same `Idempotency-Key` is answered
    /// with the first attempt's stored response, from before other desks' changes that the
    /// feed has already delivered (and the cursor has passed), and going back to it would
    /// lose them for good.
    async fn done(&self, entry: &OutboxEntry, server: Option<&Customer>) -> Result<(), SyncError> {
        self.api.store().write(|tx| {
            replica::remove_entry(tx, entry.seq)?;
            if let Some(server) = server {
                let known = replica::shadow(tx, &server.id)?.map(|s| s.version);
                if known.is_none_or(|known| known <= server.version) {
                    replica::set_shadow(tx, server)?;
                }
            }
            Ok::<_, SyncError>(())
        })
    }

    async fn is_listing(&self) -> Result<bool, SyncError> {
        Ok(self
            .api
            .store()
            .read(|s| replica::meta(s, meta::MODE))?
            .as_deref()
            == Some("listing"))
    }
}

/// `amount` as a JSON number with every digit: a plain `json!` of a decimal writes a string,
/// which the API refuses for a decimal member.
fn number(amount: rust_decimal::Decimal) -> Result<Value, ApiError> {
    rust_decimal::serde::arbitrary_precision::serialize(&amount, serde_json::value::Serializer)
        .map_err(|e| ApiError::Internal(format!("cannot write {amount} as a number: {e}")))
}
