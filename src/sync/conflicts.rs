//! Conflicts a person decides (`sync.md` §4): what each side holds, and taking one side. Nothing
//! is discarded until someone decides: the desk's version stays the local customer, the
//! server's stays in the conflict.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::SyncError;
use super::pull::to_json;
use crate::api::{ApiError, LocalApi};
use crate::model::Customer;
use crate::store::replica::{self, OutboxKind};
use crate::store::{Tx, customers as rows};

/// One clashing field with its three values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldClash {
    /// The path (`email`, `meta.segment`, `cards[2900001].status`, or `deleted`).
    pub field: String,
    pub base: Value,
    pub desk: Value,
    pub server: Value,
}

/// An open conflict as a person reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictView {
    pub id: String,
    /// The customer's name as this desk shows it (or the server's, when deleted here).
    pub customer: String,
    pub fields: Vec<FieldClash>,
    /// The fields that merged by themselves.
    pub merged: Vec<String>,
    /// Who made this desk's change and when (the newest local write).
    pub desk_user: Option<String>,
    pub detected: String,
}

/// Which side a person takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, Deserialize)]
pub enum Take {
    /// This desk's version: it is pushed over the server's.
    Desk,
    /// The server's version: this desk's change of those fields is given up.
    Server,
}

/// The value at a path such as `meta.segment` or `cards[123].status`.
fn at_path(customer: Option<&Value>, path: &str) -> Value {
    let Some(mut value) = customer else {
        return Value::Null;
    };
    if path == "deleted" {
        return Value::Bool(false);
    }
    for part in path.split('.') {
        let next = if let Some(rest) = part.strip_prefix("cards[") {
            let serial = rest.trim_end_matches(']');
            value
                .get("cards")
                .and_then(Value::as_array)
                .and_then(|cards| {
                    cards
                        .iter()
                        .find(|c| c.get("serialNumber").and_then(Value::as_str) == Some(serial))
                })
        } else {
            value.get(part)
        };
        match next {
            Some(v) => value = v,
            None => return Value::Null,
        }
    }
    value.clone()
}

/// Every open conflict, oldest first.
pub fn list(api: &LocalApi) -> Result<Vec<ConflictView>, SyncError> {
    let views = api.store().read(|s| {
        let mut views = Vec::new();
        for record in replica::conflicts(s)? {
            let local = rows::find_customer(s, &record.customer_id)?.map(|(_, c)| c);
            let desk_user = replica::outbox_of(s, &record.customer_id)?
                .last()
                .map(|e| e.user_name.clone());
            views.push((record, local, desk_user));
        }
        Ok::<_, crate::store::Error>(views)
    })?;
    views
        .into_iter()
        .map(|(record, local, desk_user)| {
            let json = |c: &Option<Customer>| c.as_ref().map(to_json).transpose();
            let (base, desk, server) = (json(&record.base)?, json(&local)?, json(&record.theirs)?);
            let fields: Vec<String> = serde_json::from_str(&record.fields).unwrap_or_default();
            let name = local
                .as_ref()
                .or(record.theirs.as_ref())
                .or(record.base.as_ref())
                .map(Customer::display_name)
                .unwrap_or_default();
            Ok(ConflictView {
                id: record.customer_id.clone(),
                customer: name,
                fields: fields
                    .iter()
                    .map(|f| FieldClash {
                        field: f.clone(),
                        base: at_path(base.as_ref(), f),
                        desk: if f == "deleted" {
                            Value::Bool(desk.is_none())
                        } else {
                            at_path(desk.as_ref(), f)
                        },
                        server: if f == "deleted" {
                            Value::Bool(server.is_none())
                        } else {
                            at_path(server.as_ref(), f)
                        },
                    })
                    .collect(),
                merged: serde_json::from_str(&record.merged).unwrap_or_default(),
                desk_user,
                detected: chrono::DateTime::from_timestamp_micros(record.detected)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// Decides the conflict of customer `id` for one side. Taking the desk's side pushes the
/// desk's version (or its delete, or restores a customer the server deleted); taking the
/// server's makes the local customer the server's. Credit adjustments still to push are
/// kept either way: money is never given up by a merge.
pub fn resolve(api: &LocalApi, id: &str, take: Take) -> Result<(), SyncError> {
    let now = api.clock().now().timestamp_micros();
    api.store().write(|tx| {
        let Some(record) = replica::conflict_of(tx, id)? else {
            return Err(SyncError::Api(ApiError::NotFound(id.to_owned())));
        };
        let local_exists = rows::find_by_id(tx, id)?.is_some();
        match take {
            Take::Desk => {
                match (&record.theirs, local_exists) {
                    // Restore on the server what it deleted: created again with this id.
                    (None, true) => replica::remove_shadow(tx, id)?,
                    // The desk deleted it: delete it on the server too, at its version.
                    (Some(theirs), false) => {
                        replica::set_shadow(tx, theirs)?;
                        replica::remove_entries_of_kind(tx, id, &OutboxKind::Delete)?;
                        replica::enqueue(tx, id, &OutboxKind::Delete, "sync", now)?;
                    }
                    (Some(theirs), true) => replica::set_shadow(tx, theirs)?,
                    (None, false) => {}
                }
                if local_exists {
                    replica::remove_entries_of_kind(tx, id, &OutboxKind::Write)?;
                    replica::enqueue(tx, id, &OutboxKind::Write, "sync", now)?;
                }
            }
            Take::Server => take_server(tx, id, record.theirs.as_ref())?,
        }
        replica::remove_conflict(tx, id)?;
        Ok(())
    })
}

/// Decides the conflict of customer `id` field by field: the clashing fields named in
/// `from_server` take the server's value, the others keep this desk's, and the customer as
/// it then is goes to the server as this desk's version. All of them from one side is
/// [`resolve`] for that side; a delete against an edit is decided only whole.
pub fn resolve_fields(api: &LocalApi, id: &str, from_server: &[String]) -> Result<(), SyncError> {
    let views = list(api)?;
    let Some(view) = views.iter().find(|v| v.id == id) else {
        return Err(SyncError::Api(ApiError::NotFound(id.to_owned())));
    };
    let taken: Vec<&FieldClash> = view
        .fields
        .iter()
        .filter(|f| from_server.contains(&f.field))
        .collect();
    if taken.is_empty() {
        return resolve(api, id, Take::Desk);
    }
    if taken.len() == view.fields.len() {
        return resolve(api, id, Take::Server);
    }
    if view.fields.iter().any(|f| f.field == "deleted") {
        return Err(SyncError::Api(ApiError::invalid(
            "fields",
            "a delete against an edit is decided for the whole customer",
        )));
    }
    let local = api
        .store()
        .read(|s| rows::find_customer(s, id))?
        .map(|(_, c)| c)
        .ok_or_else(|| SyncError::Api(ApiError::NotFound(id.to_owned())))?;
    let mut json = to_json(&local)?;
    for clash in taken {
        set_path(&mut json, &clash.field, clash.server.clone());
    }
    let chosen: Customer = serde_json::from_value(json).map_err(|e| {
        ApiError::Internal(format!("the chosen values do not make a customer: {e}"))
    })?;
    api.store().write(|tx| {
        // The desk's customer is the chosen mix; the push then sends what differs from the
        // server's version, which the desk side of the resolution takes as its base.
        replica::apply_server_customer(tx, &chosen)?;
        Ok::<_, SyncError>(())
    })?;
    resolve(api, id, Take::Desk)
}

/// Sets the value at a path such as `email`, `meta.segment` or `cards[123].status`
/// (the paths [`at_path`] reads); a path that leads nowhere changes nothing.
fn set_path(customer: &mut Value, path: &str, new: Value) {
    let mut value = customer;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let next = if let Some(rest) = part.strip_prefix("cards[") {
            let serial = rest.trim_end_matches(']');
            value
                .get_mut("cards")
                .and_then(Value::as_array_mut)
                .and_then(|cards| {
                    cards
                        .iter_mut()
                        .find(|c| c.get("serialNumber").and_then(Value::as_str) == Some(serial))
                })
        } else if last {
            if let Some(object) = value.as_object_mut() {
                object.insert((*part).to_owned(), new);
            }
            return;
        } else {
            value.get_mut(*part)
        };
        match next {
            Some(v) if last => {
                *v = new;
                return;
            }
            Some(v) => value = v,
            None => return,
        }
    }
}

fn take_server(tx: &Tx<'_>, id: &str, theirs: Option<&Customer>) -> Result<(), SyncError> {
    replica::remove_entries_of_kind(tx, id, &OutboxKind::Write)?;
    replica::remove_entries_of_kind(tx, id, &OutboxKind::Delete)?;
    match theirs {
        Some(theirs) => {
            replica::apply_server_customer(tx, theirs)?;
            replica::set_shadow(tx, theirs)?;
        }
        None => {
            replica::apply_server_delete(tx, id)?;
            replica::remove_shadow(tx, id)?;
        }
    }
    Ok(())
}

/// Puts a parked write back in line (after the reason was mended, e.g. a right given).
pub fn retry_parked(api: &LocalApi, seq: i64) -> Result<(), SyncError> {
    api.store().write(|tx| replica::park(tx, seq, None))?;
    Ok(())
}

/// Gives up a parked write: it is removed, and when nothing else of that customer waits,
/// the local customer becomes the server's version again (or goes, when the server never
/// had it). Only the replica's user with every right may: it throws a change away.
pub fn discard_parked(api: &LocalApi, seq: i64) -> Result<(), SyncError> {
    let may = super::local_actor(api)?.is_some_and(|a| a.rights.has(crate::model::Right::Admin));
    if !may {
        return Err(SyncError::Api(ApiError::Forbidden("admin".into())));
    }
    api.store().write(|tx| {
        let Some(entry) = replica::outbox(tx)?.into_iter().find(|e| e.seq == seq) else {
            return Err(SyncError::Api(ApiError::NotFound(seq.to_string())));
        };
        replica::remove_entry(tx, seq)?;
        let id = entry.customer_id;
        if replica::outbox_of(tx, &id)?.is_empty() && replica::conflict_of(tx, &id)?.is_none() {
            match replica::shadow(tx, &id)? {
                Some(shadow) => replica::apply_server_customer(tx, &shadow)?,
                None => {
                    replica::apply_server_delete(tx, &id)?;
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_sets_a_member_a_nested_key_or_a_card_by_serial() {
        let mut customer = serde_json::json!({
            "email": "a@example.sk",
            "meta": {"segment": "gold"},
            "cards": [{"serialNumber": "1", "status": "Valid"}, {"serialNumber": "2", "status": "Valid"}]
        });
        set_path(&mut customer, "email", "b@example.sk".into());
        set_path(&mut customer, "meta.segment", "silver".into());
        set_path(&mut customer, "cards[2].status", "Lost".into());
        set_path(&mut customer, "cards[9].status", "Lost".into());
        assert_eq!(at_path(Some(&customer), "email"), "b@example.sk");
        assert_eq!(at_path(Some(&customer), "meta.segment"), "silver");
        assert_eq!(at_path(Some(&customer), "cards[2].status"), "Lost");
        assert_eq!(at_path(Some(&customer), "cards[1].status"), "Valid");
        assert_eq!(
            customer["cards"].as_array().map(Vec::len),
            Some(2),
            "no card made up"
        );
    }
}
