//! One function per route of the Customers API, over the local store.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::body::parse_body;
use super::replica::new_operation_id;
use super::validate::{self, normalise_and_check};
use super::{ApiError, LocalApi, Upserted};
use crate::model::{
    Actor, CreditAdjustment, CreditTransaction, Customer, FieldError, QueryResult, Right, new_id,
};
use crate::ndata::{ListParams, parse_list_query};
use crate::store::replica::OutboxKind;
use crate::store::{ListPlan, Snapshot, Tx, changelog, customers as rows};

/// A list's page (`None` for `$count=true`) with its counts.
struct Listed<T> {
    items: Option<T>,
    count: u64,
    total_count: u64,
}

fn require(actor: &Actor, right: Right) -> Result<(), ApiError> {
    if actor.rights.has(right) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(right.as_str().to_owned()))
    }
}

/// `GET /customers` as JSON text, and the ids of the page's customers left out because their
/// stored documents cannot be read (the server names them in a header).
#[derive(Debug)]
pub struct ListJson {
    pub body: Vec<u8>,
    pub damaged: Vec<String>,
}

/// Logs each customer a list left out because its stored document cannot be read.
fn report_damaged(damaged: &[rows::Damaged]) {
    for d in damaged {
        tracing::warn!(
            "customer {} is left out of a list: its stored document is damaged ({}); `customer-desk doctor` lists and removes such customers",
            d.id,
            d.reason
        );
    }
}

/// [`rows::api_json`] with the damaged customers logged: the JSON and how many it holds.
pub(super) fn api_json_reported(
    snapshot: &Snapshot<'_>,
    rids: &[i64],
    now: DateTime<Utc>,
) -> crate::store::Result<(Vec<u8>, usize)> {
    let loaded = rows::api_json(snapshot, rids, now)?;
    report_damaged(&loaded.damaged);
    Ok(loaded.customers)
}

/// A stored customer read for a request about it alone: a damaged document is an error that
/// says what to do.
fn decode_stored(
    snapshot: &Snapshot<'_>,
    rid: i64,
    id: &str,
    doc: &[u8],
) -> Result<Customer, ApiError> {
    rows::decode_row(snapshot, rid, doc).map_err(|e| {
        ApiError::Internal(format!(
            "customer {id} is stored damaged and cannot be read ({e}); it can be deleted, and `customer-desk doctor` lists and removes such customers"
        ))
    })
}

/// Reads `_v` from a raw body: `None` when absent or null.
fn body_version(body: &Value) -> Result<Option<i64>, ApiError> {
    match body.get("_v") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::invalid("_v", format!("{v} is not a whole number"))),
    }
}

impl LocalApi {
    /// `GET /customers`.
    pub fn list(
        &self,
        _actor: &Actor,
        params: &ListParams,
    ) -> Result<QueryResult<Customer>, ApiError> {
        let listed = self.list_page(params, |conn, rids, _now| {
            let loaded = rows::load_docs(conn, rids)?;
            report_damaged(&loaded.damaged);
            let items: Vec<_> = loaded
                .customers
                .into_iter()
                .map(|c| self.present(c))
                .collect();
            Ok((items.len() as u64, items))
        })?;
        Ok(QueryResult {
            items: listed.items,
            count: listed.count,
            total_count: listed.total_count,
        })
    }

    /// `GET /customers` as the response body: the JSON [`Self::list`] gives, written straight
    /// from the stored documents. The server answers with it: it saves parsing and writing
    /// again every customer of the page.
    pub fn list_json(&self, _actor: &Actor, params: &ListParams) -> Result<ListJson, ApiError> {
        let mut damaged = Vec::new();
        let listed = self.list_page(params, |s, rids, now| {
            let loaded = rows::api_json(s, rids, now)?;
            report_damaged(&loaded.damaged);
            damaged = loaded.damaged.into_iter().map(|d| d.id).collect();
            let (json, written) = loaded.customers;
            Ok((written as u64, json))
        })?;
        let mut body = Vec::with_capacity(listed.items.as_ref().map_or(0, Vec::len) + 64);
        body.push(b'{');
        if let Some(items) = &listed.items {
            body.extend_from_slice(b"\"items\":[");
            body.extend_from_slice(items);
            body.extend_from_slice(b"],");
        }
        body.extend_from_slice(
            format!(
                "\"count\":{},\"totalCount\":{}}}",
                listed.count, listed.total_count
            )
            .as_bytes(),
        );
        Ok(ListJson { body, damaged })
    }

    /// Filters, counts and pages `params`, then reads the page's customers with
    /// `read_page` (given their row ids in order, and the time the statuses are as of),
    /// which answers with how many it read and the page.
    fn list_page<T>(
        &self,
        params: &ListParams,
        read_page: impl FnOnce(&Snapshot<'_>, &[i64], DateTime<Utc>) -> Result<(u64, T), ApiError>,
    ) -> Result<Listed<T>, ApiError> {
        let query = parse_list_query(params)?;
        let now = self.clock.now();
        self.store.read(|conn| {
            let plan = ListPlan::new(&query, now);
            let selection = plan.select(conn)?;
            let total_count = selection.total();
            if query.count_only {
                let rest = total_count.saturating_sub(query.skip);
                let count = query.take.map_or(rest, |t| t.min(rest));
                return Ok(Listed {
                    items: None,
                    count,
                    total_count,
                });
            }
            let rids = selection.page(conn, query.skip, query.take)?;
            let (count, items) = read_page(conn, &rids, now)?;
            Ok(Listed {
                count,
                items: Some(items),
                total_count,
            })
        })
    }

    /// A whole list in batches of up to `batch` customers, for streaming a response without
    /// building it in memory: `sink` gets the number of matches, the batch's customers as
    /// comma-separated API JSON, and how many there are. Stops early when `sink` says so.
    /// A customer whose stored document cannot be read is left out and logged.
    pub fn list_json_batches(
        &self,
        _actor: &Actor,
        params: &ListParams,
        batch: usize,
        mut sink: impl FnMut(u64, Vec<u8>, usize) -> bool,
    ) -> Result<(), ApiError> {
        let query = parse_list_query(params)?;
        let now = self.clock.now();
        self.store.read(|conn| {
            let plan = ListPlan::new(&query, now);
            let selection = plan.select(conn)?;
            let total = selection.total();
            // One ordered walk over the matching row ids (no OFFSET per batch, which would
            // make a long stream quadratic); documents are read a batch at a time.
            let mut pending = Vec::with_capacity(batch);
            let mut keep_going = true;
            let mut sent_any = false;
            selection.for_each_rid(conn, query.skip, query.take, |rid| {
                pending.push(rid);
                if pending.len() >= batch {
                    let (json, written) = api_json_reported(conn, &pending, now)?;
                    sent_any = true;
                    keep_going = sink(total, json, written);
                    pending.clear();
                }
                Ok(keep_going)
            })?;
            // The last batch, which may be empty: the sink learns the total either way.
            if keep_going && (!pending.is_empty() || !sent_any) {
                let (json, written) = api_json_reported(conn, &pending, now)?;
                sink(total, json, written);
            }
            Ok(())
        })
    }

    /// `GET /customers/{id}`.
    pub fn get(&self, _actor: &Actor, id: &str) -> Result<Customer, ApiError> {
        self.store.read(|conn| {
            let (rid, doc) =
                rows::find_by_id(conn, id)?.ok_or_else(|| ApiError::NotFound(id.to_owned()))?;
            Ok(self.present(decode_stored(conn, rid, id, &doc)?))
        })
    }

    /// The customer holding the card `serial`, if any (a scan at the desk).
    pub fn find_by_card(&self, actor: &Actor, serial: &str) -> Result<Option<Customer>, ApiError> {
        let owner = self
            .store
            .read(|conn| rows::card_owner(conn, serial.trim()))?;
        owner.map(|id| self.get(actor, &id)).transpose()
    }

    /// `POST /customers`: creates; the id is generated when missing.
    pub fn create(&self, actor: &Actor, body: &Value) -> Result<Customer, ApiError> {
        let mut input: Customer = parse_body(body)?;
        require(actor, Right::CustomerCreate)?;
        if input.id.is_empty() {
            input.id = new_id(self.clock.now());
        }
        self.write(|tx| {
            if rows::find_by_id(tx, &input.id)?.is_some() {
                return Err(ApiError::Validation(vec![FieldError::coded(
                    "Id",
                    format!("a customer with id {} exists already", input.id),
                    "Unique",
                )]));
            }
            self.insert_new(tx, actor, input)
        })
    }

    /// `PUT /customers/{id}`: creates or updates; the path id wins over the body's.
    pub fn upsert(&self, actor: &Actor, id: &str, body: &Value) -> Result<Upserted, ApiError> {
        let mut input: Customer = parse_body(body)?;
        let expected_version = body_version(body)?;
        input.id = id.to_owned();
        self.write(|tx| match rows::find_by_id(tx, id)? {
            None => {
                require(actor, Right::CustomerCreate)?;
                let customer = self.insert_new(tx, actor, input)?;
                Ok(Upserted {
                    customer,
                    created: true,
                })
            }
            Some((rid, before_doc)) => {
                require(actor, Right::CustomerUpdate)?;
                let before = decode_stored(tx, rid, id, &before_doc)?;
                let replica = self.replica_outbox(tx)?;
                if let Some(v) = expected_version
                    && v != before.version
                {
                    return Err(ApiError::Conflict {
                        id: id.to_owned(),
                        stored_version: before.version,
                    });
                }
                let now = self.clock.now();
                let errors = normalise_and_check(&mut input, Some(&before), now);
                if !errors.is_empty() {
                    return Err(ApiError::Validation(errors));
                }
                if input.discount_rate != before.discount_rate {
                    require(actor, Right::CustomerSetDiscount)?;
                }
                if input.credit.amount != before.credit.amount {
                    require(actor, Right::CustomerSetCredit)?;
                }
                input.credit_transactions = before.credit_transactions.clone();
                let change = input.credit.amount - before.credit.amount;
                let mut outbox = vec![OutboxKind::Write];
                if !change.is_zero() {
                    // On a replica the change goes to the server as an operation of its own.
                    let operation_id = replica.then(new_operation_id);
                    if let Some(operation_id) = &operation_id {
                        self.check_spendable(tx, id, change)?;
                        outbox.push(OutboxKind::Credit {
                            operation_id: operation_id.clone(),
                            amount: change,
                            note: None,
                        });
                    }
                    input.credit_transactions.push(self.transaction(
                        actor,
                        change,
                        input.credit.amount,
                        None,
                        operation_id,
                    ));
                }
                self.check_unique(tx, &input)?;
                self.replace_stored(tx, actor, rid, before.version, &mut input)?;
                if replica {
                    self.record_local(tx, actor, id, &outbox)?;
                }
                Ok(Upserted {
                    customer: self.present(input),
                    created: false,
                })
            }
        })
    }

    /// `DELETE /customers/{id}`: answers with the deleted customer.
    pub fn delete(&self, actor: &Actor, id: &str) -> Result<Customer, ApiError> {
        self.delete_version(actor, id, None)
    }

    /// `DELETE /customers/{id}?_v=N` **[ours]**: deletes only when the stored version is
    /// `expected_version` (else a 409), so a replica's delete never removes a customer
    /// changed since it looked.
    pub fn delete_version(
        &self,
        actor: &Actor,
        id: &str,
        expected_version: Option<i64>,
    ) -> Result<Customer, ApiError> {
        require(actor, Right::CustomerDelete)?;
        self.write(|tx| {
            let (rid, doc) =
                rows::find_by_id(tx, id)?.ok_or_else(|| ApiError::NotFound(id.to_owned()))?;
            // A customer whose document is damaged can still be deleted: the answer then
            // holds only its id and version, which the row keeps beside the document.
            let before = match rows::decode_row(tx, rid, &doc) {
                Ok(before) => before,
                Err(e) => {
                    tracing::warn!("deleting customer {id}, whose stored document is damaged: {e}");
                    let (_, version) = rows::find_version(tx, id)?
                        .ok_or_else(|| ApiError::NotFound(id.to_owned()))?;
                    Customer {
                        id: id.to_owned(),
                        version,
                        ..Customer::default()
                    }
                }
            };
            if let Some(v) = expected_version
                && v != before.version
            {
                return Err(ApiError::Conflict {
                    id: id.to_owned(),
                    stored_version: before.version,
                });
            }
            let replica = self.replica_outbox(tx)?;
            if replica {
                self.check_no_pending_credit(tx, id)?;
            }
            rows::delete(tx, rid)?;
            changelog::record(
                tx,
                id,
                Some(before.version),
                None,
                &actor.user_name,
                self.clock.now().timestamp_micros(),
            )?;
            if replica {
                self.record_local(tx, actor, id, &[OutboxKind::Delete])?;
            }
            Ok(self.present(before))
        })
    }

    /// `POST /customers/{id}/credit`: a signed change of the store credit, idempotent by
    /// `operationId`.
    pub fn adjust_credit(
        &self,
        actor: &Actor,
        id: &str,
        body: &Value,
    ) -> Result<Customer, ApiError> {
        let adjustment: CreditAdjustment = parse_body(body)?;
        require(actor, Right::CustomerSetCredit)?;
        if adjustment.amount.is_zero() {
            return Err(ApiError::invalid("Amount", "must not be zero"));
        }
        let errors = validate::check_adjustment(&adjustment);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let given_operation_id = adjustment
            .operation_id
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty());
        self.write(|tx| {
            let (rid, before_doc) =
                rows::find_by_id(tx, id)?.ok_or_else(|| ApiError::NotFound(id.to_owned()))?;
            let before = decode_stored(tx, rid, id, &before_doc)?;
            let replica = self.replica_outbox(tx)?;
            // A replica's adjustment goes to the server as an operation: it needs an id.
            let operation_id = given_operation_id
                .clone()
                .or_else(|| replica.then(new_operation_id));
            if let Some(op) = &operation_id
                && before
                    .credit_transactions
                    .iter()
                    .any(|t| t.operation_id.as_ref() == Some(op))
            {
                return Ok(self.present(before));
            }
            let mut after = before.clone();
            after.credit.amount = before.credit.amount + adjustment.amount;
            if after.credit.amount.is_sign_negative() && !after.credit.amount.is_zero() {
                return Err(ApiError::invalid(
                    "Amount",
                    format!(
                        "the balance would fall below zero (it is {})",
                        before.credit.amount
                    ),
                ));
            }
            if crate::store::decimal::to_micros(after.credit.amount).is_none() {
                return Err(ApiError::invalid(
                    "Amount",
                    "has more than 6 decimal places or is too large",
                ));
            }
            if replica {
                self.check_spendable(tx, id, adjustment.amount)?;
            }
            let note = adjustment.note.clone().filter(|n| !n.trim().is_empty());
            after.credit_transactions.push(self.transaction(
                actor,
                adjustment.amount,
                after.credit.amount,
                note.clone(),
                operation_id.clone(),
            ));
            self.replace_stored(tx, actor, rid, before.version, &mut after)?;
            if let (true, Some(operation_id)) = (replica, operation_id) {
                let credit = OutboxKind::Credit {
                    operation_id,
                    amount: adjustment.amount,
                    note,
                };
                self.record_local(tx, actor, id, &[credit])?;
            }
            Ok(self.present(after))
        })
    }

    /// Stores `after` in place of the customer at `rid`, whose stored version was
    /// `before_version`: one version up, and the change logged in the same transaction.
    fn replace_stored(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        rid: i64,
        before_version: i64,
        after: &mut Customer,
    ) -> Result<(), ApiError> {
        after.version = before_version + 1;
        let doc = rows::encode_doc(after)?;
        rows::update(tx, rid, after, &doc)?;
        changelog::record(
            tx,
            &after.id,
            Some(before_version),
            Some(after.version),
            &actor.user_name,
            self.clock.now().timestamp_micros(),
        )?;
        Ok(())
    }

    fn insert_new(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        mut input: Customer,
    ) -> Result<Customer, ApiError> {
        let now = self.clock.now();
        let errors = normalise_and_check(&mut input, None, now);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        // Creating with a discount or credit would grant what the user may not set.
        if !input.discount_rate.is_zero() {
            require(actor, Right::CustomerSetDiscount)?;
        }
        input.credit_transactions.clear();
        let replica = self.replica_outbox(tx)?;
        let mut outbox = vec![OutboxKind::Write];
        if !input.credit.amount.is_zero() {
            require(actor, Right::CustomerSetCredit)?;
            // A replica creates the customer on the server without credit, then pushes the
            // opening balance as an operation of its own.
            let operation_id = replica.then(new_operation_id);
            if let Some(operation_id) = &operation_id {
                outbox.push(OutboxKind::Credit {
                    operation_id: operation_id.clone(),
                    amount: input.credit.amount,
                    note: None,
                });
            }
            input.credit_transactions.push(self.transaction(
                actor,
                input.credit.amount,
                input.credit.amount,
                None,
                operation_id,
            ));
        }
        input.version = 1;
        self.check_unique(tx, &input)?;
        let doc = rows::encode_doc(&input)?;
        rows::insert(tx, &input, &doc)?;
        changelog::record(
            tx,
            &input.id,
            None,
            Some(input.version),
            &actor.user_name,
            now.timestamp_micros(),
        )?;
        if replica {
            self.record_local(tx, actor, &input.id, &outbox)?;
        }
        Ok(self.present(input))
    }

    /// External id and card serials must not belong to another customer.
    fn check_unique(&self, tx: &Snapshot<'_>, c: &Customer) -> Result<(), ApiError> {
        let mut errors = Vec::new();
        if let Some(ext) = &c.external_id
            && let Some(owner) = rows::external_id_owner(tx, ext)?
            && owner != c.id
        {
            errors.push(FieldError::coded(
                "ExternalId",
                format!("{ext} belongs to another customer"),
                "Unique",
            ));
        }
        for (i, card) in c.cards.iter().enumerate() {
            if let Some(serial) = &card.serial_number
                && let Some(owner) = rows::card_owner(tx, serial)?
                && owner != c.id
            {
                errors.push(FieldError::coded(
                    format!("Cards[{i}].SerialNumber"),
                    format!("card {serial} belongs to another customer"),
                    "Unique",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(errors))
        }
    }

    fn transaction(
        &self,
        actor: &Actor,
        amount: rust_decimal::Decimal,
        balance: rust_decimal::Decimal,
        note: Option<String>,
        operation_id: Option<String>,
    ) -> CreditTransaction {
        CreditTransaction {
            id: new_id(self.clock.now()),
            time: Some(self.clock.now()),
            amount,
            balance,
            note,
            user_name: Some(actor.user_name.clone()),
            operation_id,
        }
    }

    /// The customer as a response shows it: with its status as of now. Lists answered as
    /// JSON ([`Self::list_json`]) do the same on the stored document
    /// (`store::customers::api_json`); `tests/api/list_json.rs` holds the two together.
    pub(crate) fn present(&self, mut c: Customer) -> Customer {
        c.status = c.status_at(self.clock.now());
        c
    }
}
