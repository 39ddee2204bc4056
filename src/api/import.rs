//! Importing many customers at once (a shop moving in with a spreadsheet): every row goes
//! through the same rules as a single write (rights, validation, the ledger, a replica's
//! outbox), and the whole import is one write transaction, so it lands whole or not at all.
//!
//! Reading the file is not done here (the `transfer` module above turns CSV and JSON Lines into rows
//! in the API's JSON shape); this module decides what each row does to the store.

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::body::parse_body;
use super::customers::{LedgerEntry, decode_stored, require};
use super::validate::normalise_and_check;
use super::{ApiError, LocalApi};
use crate::model::{Actor, CreditAdjustment, Customer, FieldError, Right, new_id};
use crate::store::{Tx, customers as rows};

/// How a row finds the customer it updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum MatchBy {
    /// The first key the row has: its id, else its external id, else its first card.
    #[default]
    Auto,
    /// The row's `id` only.
    Id,
    /// The row's `externalId` only.
    ExternalId,
    /// The serial number of the row's first card only.
    Card,
}

/// What an import is asked to do.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// How rows find the customers they update.
    pub match_by: MatchBy,
    /// Count what would happen and write nothing.
    pub dry_run: bool,
    /// Write the rows that pass even when others are refused (else any refusal writes
    /// nothing).
    pub skip_refused: bool,
    /// The file's name: the ledger's note says `Import NAME`, and the operation ids of the
    /// credit changes are derived from it, so importing the same file again adds nothing.
    pub source: String,
}

/// One row of the file: the customer in the API's JSON shape (only the members the file
/// gives), or why the file's reader could not make one of it.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// The line of the file the row starts on (1 is the first line).
    pub line: u64,
    pub body: Result<Value, Vec<FieldError>>,
}

/// What one row did, or would do in a dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RowOutcome {
    Created,
    Updated,
    Unchanged,
}

/// Why a row was refused: its line, the member at fault (`None` for the whole row, such as
/// a missing right to create) and the API's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    pub line: u64,
    pub member: Option<String>,
    pub message: String,
}

/// The counts of an import (or of a dry run: what it would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Rows read (blank rows are not rows).
    pub rows: u64,
    /// Rows that created a customer.
    pub created: u64,
    /// Rows that changed the customer they matched.
    pub updated: u64,
    /// Rows that matched a customer and changed nothing (not written).
    pub unchanged: u64,
    /// How many rows were refused; [`Self::refusals`] has one entry per fault.
    pub refused: u64,
    pub refusals: Vec<Refusal>,
    /// Whether anything was written: false for a dry run, and for an import with refused
    /// rows and no `skip_refused`.
    pub written: bool,
}

/// Why an import stopped before its end. Nothing was written in any of these cases.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the import was cancelled; nothing was written")]
    Cancelled,
    /// The file could not be read on (not a single bad row, which is refused and reported).
    #[error("line {line}: {message}; nothing was written")]
    Unreadable { line: u64, message: String },
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<crate::store::Error> for ImportError {
    fn from(err: crate::store::Error) -> Self {
        ImportError::Api(err.into())
    }
}

/// How the import's transaction ends: rolled back with the report (a dry run, or refused
/// rows), or failed.
enum Undo {
    Report(ImportReport),
    Failed(ImportError),
}

impl From<crate::store::Error> for Undo {
    fn from(err: crate::store::Error) -> Self {
        Undo::Failed(err.into())
    }
}

impl LocalApi {
    /// Imports `rows` as `actor` in one write transaction: each row creates a customer or
    /// updates the one it matches. A refused row (and, without `skip_refused`, the whole
    /// import then) writes nothing; `progress` learns how many rows are done and stops the
    /// import, undoing it, when it answers false. A dry run is the same import, undone.
    pub fn import(
        &self,
        actor: &Actor,
        options: &ImportOptions,
        rows: impl IntoIterator<Item = Result<ImportRow, ImportError>>,
        mut progress: impl FnMut(u64) -> bool,
    ) -> Result<ImportReport, ImportError> {
        let written = self.write(|tx| {
            let mut report = ImportReport::default();
            for row in rows {
                let row = row.map_err(Undo::Failed)?;
                report.rows += 1;
                let outcome = match row.body {
                    // A refused row must leave no trace in an import that goes on: a savepoint
                    // undoes it. Without skipping, any refusal undoes the whole import, and
                    // the API refuses a call before it writes, so no savepoint is needed
                    // (each costs copying every page the row touches).
                    Ok(body) if options.skip_refused => {
                        tx.savepoint(|tx| self.import_row(tx, actor, options, row.line, body))
                    }
                    Ok(body) => self.import_row(tx, actor, options, row.line, body),
                    Err(errors) => Err(ApiError::Validation(errors)),
                };
                match outcome {
                    Ok(RowOutcome::Created) => report.created += 1,
                    Ok(RowOutcome::Updated) => report.updated += 1,
                    Ok(RowOutcome::Unchanged) => report.unchanged += 1,
                    Err(
                        err @ (ApiError::Validation(_)
                        | ApiError::Forbidden(_)
                        | ApiError::Conflict { .. }
                        | ApiError::NotFound(_)),
                    ) => {
                        report.refused += 1;
                        report.refusals.extend(refusals(row.line, err));
                    }
                    Err(err) => return Err(Undo::Failed(err.into())),
                }
                if !progress(report.rows) {
                    return Err(Undo::Failed(ImportError::Cancelled));
                }
            }
            if options.dry_run || (report.refused > 0 && !options.skip_refused) {
                return Err(Undo::Report(report));
            }
            report.written = true;
            Ok(report)
        });
        match written {
            Ok(report) | Err(Undo::Report(report)) => Ok(report),
            Err(Undo::Failed(err)) => Err(err),
        }
    }

    /// One row, inside the import's transaction (and, when refused rows are skipped, the
    /// row's savepoint).
    fn import_row(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        options: &ImportOptions,
        line: u64,
        body: Value,
    ) -> Result<RowOutcome, ApiError> {
        let Value::Object(mut patch) = body else {
            return Err(ApiError::invalid("body", "expected a JSON object"));
        };
        // Read-only members: the ledger is the store's, the version is whatever it is now
        // (an import is a deliberate overwrite), the status is computed.
        for read_only in ["_v", "status", "creditTransactions"] {
            patch.remove(read_only);
        }
        let given_id = text_member(&patch, "id");
        let before = self.matched(tx, options.match_by, &patch)?;
        let ledger = LedgerEntry {
            note: format!("Import {}", options.source),
            operation_id: operation_id(&options.source, line, &patch),
        };
        let now = self.clock.now();
        let Some(before) = before else {
            require(actor, Right::CustomerCreate)?;
            let mut input: Customer = parse_body(&Value::Object(collapse_empty(patch)))?;
            if input.id.is_empty() {
                input.id = new_id(now);
            }
            self.insert_new(tx, actor, input, Some(&ledger))?;
            return Ok(RowOutcome::Created);
        };
        if let Some(given) = given_id
            && given != before.id
        {
            return Err(ApiError::invalid(
                "Id",
                format!(
                    "the row's id {given} is not the id of the customer it matches ({})",
                    before.id
                ),
            ));
        }
        let mut merged = serde_json::to_value(&before)
            .map_err(|e| ApiError::Internal(format!("cannot write a customer: {e}")))?;
        if let Value::Object(base) = &mut merged {
            merge_customer(base, patch);
            *base = collapse_empty(std::mem::take(base));
        }
        let mut input: Customer = parse_body(&merged)?;
        input.id = before.id.clone();
        // The credit column is the balance the file wants; the difference goes into the
        // ledger as an adjustment of its own, idempotent by the row's operation id.
        let wanted = input.credit.amount;
        let mut probe = input.clone();
        let errors = normalise_and_check(&mut probe, Some(&before), now);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        probe.credit.amount = before.credit.amount;
        let already_applied = before
            .credit_transactions
            .iter()
            .any(|t| t.operation_id.as_deref() == Some(ledger.operation_id.as_str()));
        let change = if already_applied {
            Decimal::ZERO
        } else {
            wanted - before.credit.amount
        };
        let fields_changed = !same_fields(&probe, &before);
        if !change.is_zero() {
            // Before anything is written: the row is refused whole or done whole.
            require(actor, Right::CustomerSetCredit)?;
        }
        if fields_changed {
            input.credit.amount = before.credit.amount;
            self.upsert_in(tx, actor, input, None)?;
        }
        if !change.is_zero() {
            let adjustment = CreditAdjustment {
                amount: change,
                note: Some(ledger.note),
                operation_id: Some(ledger.operation_id),
            };
            self.adjust_credit_in(tx, actor, &before.id, adjustment)
                .map_err(|e| rename_member(e, "Amount", "Credit.Amount"))?;
        }
        Ok(if fields_changed || !change.is_zero() {
            RowOutcome::Updated
        } else {
            RowOutcome::Unchanged
        })
    }

    /// The stored customer a row updates, by `match_by`; `None` when it creates one.
    fn matched(
        &self,
        tx: &Tx<'_>,
        match_by: MatchBy,
        patch: &Map<String, Value>,
    ) -> Result<Option<Customer>, ApiError> {
        let id = text_member(patch, "id");
        let external_id = text_member(patch, "externalId");
        let card = patch
            .get("cards")
            .and_then(Value::as_array)
            .and_then(|cards| cards.first())
            .and_then(|card| card.get("serialNumber"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let owner = match (match_by, id, external_id, card) {
            (MatchBy::Auto | MatchBy::Id, Some(id), _, _) => Some(id.to_owned()),
            (MatchBy::Auto, None, Some(ext), _) | (MatchBy::ExternalId, _, Some(ext), _) => {
                rows::external_id_owner(tx, ext)?
            }
            (MatchBy::Auto, None, None, Some(serial)) | (MatchBy::Card, _, _, Some(serial)) => {
                rows::card_owner(tx, serial)?
            }
            _ => None,
        };
        let Some(owner) = owner else { return Ok(None) };
        match rows::find_by_id(tx, &owner)? {
            Some((rid, doc)) => Ok(Some(decode_stored(tx, rid, &owner, &doc)?)),
            None => Ok(None),
        }
    }
}

/// A text member of the row, trimmed; `None` when missing, null or blank.
fn text_member<'a>(patch: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    patch
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The operation id of a row's credit change: the file's name, the line and the row itself,
/// hashed. The same file imported again makes the same ids, which the ledger applies once.
fn operation_id(source: &str, line: u64, patch: &Map<String, Value>) -> String {
    let mut hash = Sha256::new();
    hash.update(source.as_bytes());
    hash.update([0]);
    hash.update(line.to_string().as_bytes());
    hash.update([0]);
    hash.update(Value::Object(patch.clone()).to_string().as_bytes());
    format!("import-{}", hex::encode(&hash.finalize()[..12]))
}

/// Lays the row's members over the stored customer's: a member the row does not give stays
/// as it is; `company`, the addresses and `credit` merge member by member; `cards` is the
/// row's list, each card laid over the stored card with the same serial number (so a file
/// that lists only serial numbers keeps each card's status); anything else is replaced.
fn merge_customer(base: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        match (key.as_str(), base.get_mut(&key), value) {
            ("cards", Some(Value::Array(stored)), Value::Array(cards)) => {
                let merged = cards
                    .into_iter()
                    .map(|card| {
                        let serial = card.get("serialNumber").and_then(Value::as_str);
                        let old = stored.iter().find(|old| {
                            serial.is_some()
                                && old.get("serialNumber").and_then(Value::as_str) == serial
                        });
                        match (old, card) {
                            (Some(Value::Object(old)), Value::Object(card)) => {
                                let mut old = old.clone();
                                old.extend(card);
                                Value::Object(old)
                            }
                            (_, card) => card,
                        }
                    })
                    .collect();
                base.insert(key, Value::Array(merged));
            }
            (
                "company" | "address" | "deliveryAddress" | "credit",
                Some(Value::Object(stored)),
                Value::Object(given),
            ) => stored.extend(given),
            (_, _, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// A company or address (or coordinates) whose every part is null is no company or address:
/// a file's empty columns then leave a customer as one without them.
fn collapse_empty(mut customer: Map<String, Value>) -> Map<String, Value> {
    fn all_null(value: &Value) -> bool {
        value
            .as_object()
            .is_some_and(|o| o.values().all(Value::is_null))
    }
    for key in ["company", "address", "deliveryAddress"] {
        if let Some(Value::Object(part)) = customer.get_mut(key)
            && part.get("coordinates").is_some_and(all_null)
        {
            part.insert("coordinates".into(), Value::Null);
        }
        if customer.get(key).is_some_and(all_null) {
            customer.insert(key.into(), Value::Null);
        }
    }
    customer
}

/// Whether `a` and `b` hold the same customer, apart from what the store keeps itself (the
/// version, the status, the ledger) and the balance, which an import changes apart.
fn same_fields(a: &Customer, b: &Customer) -> bool {
    let strip = |c: &Customer| Customer {
        version: 0,
        status: Default::default(),
        credit_transactions: Vec::new(),
        ..c.clone()
    };
    strip(a) == strip(b)
}

/// The error's member `from` named `to` instead (an adjustment's `Amount` is the file's
/// credit column).
fn rename_member(err: ApiError, from: &str, to: &str) -> ApiError {
    match err {
        ApiError::Validation(errors) => ApiError::Validation(
            errors
                .into_iter()
                .map(|mut e| {
                    if e.member_name == from {
                        e.member_name = to.to_owned();
                    }
                    e
                })
                .collect(),
        ),
        other => other,
    }
}

/// A refused row's faults, each with the member it names (a missing right to set the
/// discount or the credit names that member).
fn refusals(line: u64, err: ApiError) -> Vec<Refusal> {
    match err {
        ApiError::Validation(errors) => errors
            .into_iter()
            .map(|e| Refusal {
                line,
                member: Some(e.member_name).filter(|m| !m.is_empty() && m != "body"),
                message: e.message,
            })
            .collect(),
        ApiError::Forbidden(right) => {
            let member = if right == Right::CustomerSetDiscount.as_str() {
                Some("DiscountRate".to_owned())
            } else if right == Right::CustomerSetCredit.as_str() {
                Some("Credit.Amount".to_owned())
            } else {
                None
            };
            vec![Refusal {
                line,
                member,
                message: ApiError::Forbidden(right).to_string(),
            }]
        }
        other => vec![Refusal {
            line,
            member: None,
            message: other.to_string(),
        }],
    }
}
