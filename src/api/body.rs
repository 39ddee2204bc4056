//! Reading request bodies into typed values, with errors that name the member at fault.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserializer, Serialize};
use serde_json::Value;

use super::ApiError;
use crate::model::FieldError;

/// Deserialises `body` into `T`; a wrong type names its member path in the contract's style
/// (`Cards[0].SerialNumber`). serde would also take an object written as an array of its
/// members in order (`"company": ["Acme", "123"]`) and a decimal written as a string; both
/// are refused, as the contract's types say.
pub fn parse_body<T: DeserializeOwned + Serialize>(body: &Value) -> Result<T, ApiError> {
    if !body.is_object() {
        return Err(ApiError::invalid(
            "body",
            format!("expected a JSON object, found {}", kind_of(body)),
        ));
    }
    let parsed: T = serde_path_to_error::deserialize(body).map_err(|err| {
        let path = member_path(&err.path().to_string());
        let message = err.inner().to_string();
        ApiError::Validation(vec![FieldError::new(
            if path.is_empty() { "body".into() } else { path },
            message,
        )])
    })?;
    // What was read, written back, has the shape the types give each member: compare.
    let written = serde_json::to_value(&parsed)
        .map_err(|e| ApiError::Internal(format!("cannot write a body back: {e}")))?;
    let mut errors = Vec::new();
    compare_shapes(body, &written, "", &mut errors);
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Reports members that `sent` gives as an array or a string where `read` (the same body
/// read into its type and written back) has an object or a number.
fn compare_shapes(sent: &Value, read: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let member = || {
        if path.is_empty() {
            "body".to_owned()
        } else {
            member_path(path)
        }
    };
    match (sent, read) {
        (Value::Array(_), Value::Object(_)) => errors.push(FieldError::new(
            member(),
            "expected an object with named members, found an array",
        )),
        (Value::String(_), Value::Number(_)) => errors.push(FieldError::new(
            member(),
            "expected a number, found a string",
        )),
        (Value::Object(sent), Value::Object(read)) => {
            for (key, value) in sent {
                if let Some(read) = read.get(key) {
                    let path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    compare_shapes(value, read, &path, errors);
                }
            }
        }
        (Value::Array(sent), Value::Array(read)) => {
            for (i, (sent, read)) in sent.iter().zip(read).enumerate() {
                compare_shapes(sent, read, &format!("{path}[{i}]"), errors);
            }
        }
        _ => {}
    }
}

/// Reads raw request bytes as JSON, naming the syntax problem and where it is. A member
/// given twice in one object is refused: a JSON reader would silently keep the last.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid("body", format!("malformed JSON: {e}")))?;
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    if let Err(e) = (UniqueKeys {
        path: String::new(),
    })
    .deserialize(&mut reader)
    {
        let text = e.to_string();
        let (member, message) = text.split_once('\u{0}').unwrap_or(("body", &text));
        return Err(ApiError::invalid(member_path(member), message));
    }
    Ok(value)
}

/// Walks a JSON document, failing at the first object that names a member twice; the
/// error's text is the member's path, a NUL, and the message.
struct UniqueKeys {
    path: String,
}

impl<'de> DeserializeSeed<'de> for UniqueKeys {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0;
        while seq
            .next_element_seed(UniqueKeys {
                path: format!("{}[{i}]", self.path),
            })?
            .is_some()
        {
            i += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.path)
            };
            if !seen.insert(key) {
                return Err(de::Error::custom(format!(
                    "{path}\u{0}is given twice; give each member once"
                )));
            }
            map.next_value_seed(UniqueKeys { path })?;
        }
        Ok(())
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `cards[0].serialNumber` → `Cards[0].SerialNumber`; `.` (the root) → empty.
pub fn member_path(path: &str) -> String {
    if path == "." {
        return String::new();
    }
    path.split('.')
        .map(|segment| {
            let mut chars = segment.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Customer;

    #[test]
    fn wrong_types_name_their_member() {
        let body = serde_json::json!({"cards": [{"serialNumber": 5}]});
        let err = parse_body::<Customer>(&body).unwrap_err();
        let ApiError::Validation(errors) = err else {
            panic!()
        };
        assert_eq!(errors[0].member_name, "Cards[0].SerialNumber");

        let body = serde_json::json!({"discountRate": "lots"});
        let ApiError::Validation(errors) = parse_body::<Customer>(&body).unwrap_err() else {
            panic!()
        };
        assert_eq!(errors[0].member_name, "DiscountRate");
    }

    #[test]
    fn decimals_read_exactly_from_json_numbers() {
        let body: Value =
            serde_json::from_str(r#"{"credit": {"amount": 0.1}, "discountRate": 12.35}"#).unwrap();
        let c: Customer = parse_body(&body).unwrap();
        assert_eq!(c.credit.amount.to_string(), "0.1");
        assert_eq!(c.discount_rate.to_string(), "12.35");
    }

    #[test]
    fn not_an_object_is_refused() {
        assert!(
            parse_body::<Customer>(&serde_json::json!([1]))
                .unwrap_err()
                .to_string()
                .contains("array")
        );
        assert!(
            parse_json(b"{\"a\":")
                .unwrap_err()
                .to_string()
                .contains("malformed JSON")
        );
    }
}
