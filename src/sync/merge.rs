//! The three-way merge of a customer (`sync.md` §4): base (the shadow), mine (this desk) and
//! theirs (the server), field by field. A field changed on one side takes that side; the same
//! value on both sides is no clash; `meta` merges key by key and `cards` card by card,
//! matched by serial number. A field changed to different values on both sides is a clash
//! for a person.
//!
//! Credit is not merged here: the balance is the sum of operations, and the caller takes the
//! server's balance and adds the operations still to push.

use serde_json::{Map, Value};

/// Members the merge leaves to the server: versions, computed status, and the credit, which
/// travels as operations.
const SERVER_OWNED: [&str; 4] = ["_v", "status", "credit", "creditTransactions"];

/// What merging three versions gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The merged customer (clashing fields keep this desk's value).
    pub value: Value,
    /// The paths that changed to different values on both sides (`email`,
    /// `meta.segment`, `cards[2900001].status`).
    pub clashes: Vec<String>,
    /// The paths that changed on one side only, or alike on both: merged by themselves.
    pub merged: Vec<String>,
}

impl Merged {
    /// Whether nothing clashed.
    pub fn is_clean(&self) -> bool {
        self.clashes.is_empty()
    }
}

/// Merges `mine` and `theirs`, both changed from `base`. Each is a customer as JSON; a
/// missing `base` (the desk never had the server's version) counts as an empty customer.
pub fn merge3(base: Option<&Value>, mine: &Value, theirs: &Value) -> Merged {
    let empty = Value::Object(Map::new());
    let base = base.unwrap_or(&empty);
    let mut out = Merged {
        value: Value::Null,
        clashes: Vec::new(),
        merged: Vec::new(),
    };
    let mut value = merge_objects(base, mine, theirs, "", &mut out, &|key| key == "meta");
    if let Value::Object(fields) = &mut value {
        for key in SERVER_OWNED {
            match theirs.get(key) {
                Some(v) => fields.insert(key.to_owned(), v.clone()),
                None => fields.remove(key),
            };
        }
    }
    out.value = value;
    out
}

/// The top-level members in which `changed` differs from `base`, apart from those the server
/// owns: what a push sends.
pub fn changed_members(base: &Value, changed: &Value) -> Vec<String> {
    let keys = union_keys(base, changed);
    keys.into_iter()
        .filter(|k| !SERVER_OWNED.contains(&k.as_str()))
        .filter(|k| base.get(k) != changed.get(k))
        .collect()
}

fn union_keys(a: &Value, b: &Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for v in [a, b] {
        if let Value::Object(map) = v {
            for k in map.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    keys
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// Merges three objects member by member; `deeper` says which members merge key by key
/// themselves (objects on all three sides).
fn merge_objects(
    base: &Value,
    mine: &Value,
    theirs: &Value,
    prefix: &str,
    out: &mut Merged,
    deeper: &dyn Fn(&str) -> bool,
) -> Value {
    let mut result = Map::new();
    // Theirs' order first, then members only this desk has.
    for key in union_keys(theirs, mine) {
        if prefix.is_empty() && SERVER_OWNED.contains(&key.as_str()) {
            continue;
        }
        let path = join(prefix, &key);
        let (b, m, t) = (base.get(&key), mine.get(&key), theirs.get(&key));
        let merged = if prefix.is_empty() && key == "cards" {
            Some(merge_cards(b, m, t, out))
        } else if deeper(&key)
            && matches!(
                (b, m, t),
                (
                    Some(Value::Object(_)) | None,
                    Some(Value::Object(_)),
                    Some(Value::Object(_))
                )
            )
        {
            let empty = Value::Object(Map::new());
            Some(merge_objects(
                b.unwrap_or(&empty),
                m.unwrap_or(&empty),
                t.unwrap_or(&empty),
                &path,
                out,
                &|_| true,
            ))
        } else {
            merge_value(b, m, t, &path, out)
        };
        if let Some(v) = merged {
            result.insert(key, v);
        }
    }
    Value::Object(result)
}

/// One value: taken from the side that changed it; a clash keeps this desk's.
fn merge_value(
    b: Option<&Value>,
    m: Option<&Value>,
    t: Option<&Value>,
    path: &str,
    out: &mut Merged,
) -> Option<Value> {
    if m == t {
        if m != b {
            out.merged.push(path.to_owned());
        }
        return m.cloned();
    }
    if m == b {
        out.merged.push(path.to_owned());
        return t.cloned();
    }
    if t == b {
        out.merged.push(path.to_owned());
        return m.cloned();
    }
    out.clashes.push(path.to_owned());
    m.cloned()
}

/// The cards, matched by serial number, each merged field by field.
fn merge_cards(b: Option<&Value>, m: Option<&Value>, t: Option<&Value>, out: &mut Merged) -> Value {
    let cards = |v: Option<&Value>| -> Vec<(String, Value)> {
        v.and_then(Value::as_array)
            .map(|cards| {
                cards
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let serial = c
                            .get("serialNumber")
                            .and_then(Value::as_str)
                            .map_or_else(|| format!("#{i}"), str::to_owned);
                        (serial, c.clone())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (base, mine, theirs) = (cards(b), cards(m), cards(t));
    let find = |list: &[(String, Value)], serial: &str| {
        list.iter()
            .find(|(s, _)| s == serial)
            .map(|(_, c)| c.clone())
    };
    let mut serials: Vec<String> = theirs.iter().map(|(s, _)| s.clone()).collect();
    for (s, _) in &mine {
        if !serials.contains(s) {
            serials.push(s.clone());
        }
    }
    let mut result = Vec::new();
    for serial in serials {
        let path = format!("cards[{serial}]");
        let (cb, cm, ct) = (
            find(&base, &serial),
            find(&mine, &serial),
            find(&theirs, &serial),
        );
        let merged = match (&cb, &cm, &ct) {
            (_, Some(cm_v), Some(ct_v)) if cm_v.is_object() && ct_v.is_object() && cm != ct => {
                let empty = Value::Object(Map::new());
                let base_card = cb.as_ref().unwrap_or(&empty);
                Some(merge_objects(base_card, cm_v, ct_v, &path, out, &|_| false))
            }
            _ => merge_value(cb.as_ref(), cm.as_ref(), ct.as_ref(), &path, out),
        };
        result.extend(merged);
    }
    Value::Array(result)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    #[test]
    fn different_fields_merge_and_the_same_field_clashes() {
        let base = json!({"firstName": "Jana", "email": "a@x.sk", "phone": null, "_v": 3});
        let mine = json!({"firstName": "Jana", "email": "b@x.sk", "phone": null, "_v": 3});
        let theirs = json!({"firstName": "Janka", "email": "a@x.sk", "phone": "+421", "_v": 4});
        let merged = merge3(Some(&base), &mine, &theirs);
        assert!(merged.is_clean());
        assert_eq!(
            merged.value,
            json!({"firstName": "Janka", "email": "b@x.sk", "phone": "+421", "_v": 4})
        );

        let theirs = json!({"firstName": "Jana", "email": "c@x.sk", "phone": null, "_v": 4});
        let merged = merge3(Some(&base), &mine, &theirs);
        assert_eq!(merged.clashes, ["email"]);
        assert_eq!(
            merged.value["email"], "b@x.sk",
            "a clash keeps this desk's value"
        );
    }

    #[test]
    fn meta_merges_by_key_and_cards_by_serial() {
        let base = json!({"meta": {"a": 1, "b": 1}, "cards": [{"serialNumber": "1", "status": "Valid", "note": null}]});
        let mine = json!({"meta": {"a": 2, "b": 1}, "cards": [{"serialNumber": "1", "status": "Blocked", "note": null}, {"serialNumber": "2", "status": "Valid"}]});
        let theirs = json!({"meta": {"a": 1, "b": 1, "c": 3}, "cards": [{"serialNumber": "1", "status": "Valid", "note": "lost?"}]});
        let merged = merge3(Some(&base), &mine, &theirs);
        assert!(merged.is_clean(), "{:?}", merged.clashes);
        assert_eq!(merged.value["meta"], json!({"a": 2, "b": 1, "c": 3}));
        assert_eq!(
            merged.value["cards"],
            json!([{"serialNumber": "1", "status": "Blocked", "note": "lost?"}, {"serialNumber": "2", "status": "Valid"}])
        );

        let theirs = json!({"meta": {"a": 3, "b": 1}, "cards": [{"serialNumber": "1", "status": "Lost", "note": null}]});
        let merged = merge3(Some(&base), &mine, &theirs);
        assert_eq!(merged.clashes, ["meta.a", "cards[1].status"]);
    }

    #[test]
    fn what_a_push_sends_leaves_the_credit_to_operations() {
        let base = json!({"email": "a", "credit": {"amount": 1}, "_v": 1});
        let now = json!({"email": "b", "credit": {"amount": 5}, "_v": 1});
        assert_eq!(changed_members(&base, &now), ["email"]);
    }

    fn small_customer() -> impl Strategy<Value = Value> {
        let field = prop::option::of(prop::sample::select(vec!["x", "y", "z"]));
        (
            field.clone(),
            field.clone(),
            field,
            prop::option::of(0..3i64),
        )
            .prop_map(|(a, b, c, m)| {
                let mut v = json!({"firstName": a, "email": b, "note": c});
                if let Some(m) = m {
                    v["meta"] = json!({"k": m});
                }
                v
            })
    }

    proptest! {
        /// One side unchanged: the other side wins whole, with no clash.
        #[test]
        fn an_unchanged_side_takes_the_other(base in small_customer(), changed in small_customer()) {
            let merged = merge3(Some(&base), &base, &changed);
            prop_assert!(merged.is_clean());
            prop_assert_eq!(&merged.value, &changed);
            let merged = merge3(Some(&base), &changed, &base);
            prop_assert!(merged.is_clean());
            prop_assert_eq!(&merged.value, &changed);
        }

        /// The same change on both sides is no clash; and a clash is a clash whichever side
        /// is this desk.
        #[test]
        fn clashes_are_symmetric(base in small_customer(), a in small_customer(), b in small_customer()) {
            prop_assert!(merge3(Some(&base), &a, &a).is_clean());
            let mut one = merge3(Some(&base), &a, &b).clashes;
            let mut other = merge3(Some(&base), &b, &a).clashes;
            one.sort();
            other.sort();
            prop_assert_eq!(one, other);
        }

        /// A clean merge keeps every change of both sides.
        #[test]
        fn a_clean_merge_keeps_both_sides_changes(base in small_customer(), a in small_customer(), b in small_customer()) {
            let merged = merge3(Some(&base), &a, &b);
            if merged.is_clean() {
                for key in ["firstName", "email", "note"] {
                    if a.get(key) != base.get(key) {
                        prop_assert_eq!(merged.value.get(key), a.get(key));
                    }
                    if b.get(key) != base.get(key) {
                        prop_assert_eq!(merged.value.get(key), b.get(key));
                    }
                }
            }
        }
    }
}
