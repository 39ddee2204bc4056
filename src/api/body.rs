//! Reading request bodies into typed values, with errors that name the member at fault.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ApiError;
use crate::model::FieldError;

/// Deserialises `body` into `T`; a wrong type names its member path in the contract's style
/// (`Cards[0].SerialNumber`).
pub fn parse_body<T: DeserializeOwned>(body: &Value) -> Result<T, ApiError> {
    if !body.is_object() {
        return Err(ApiError::invalid(
            "body",
            format!("expected a JSON object, found {}", kind_of(body)),
        ));
    }
    serde_path_to_error::deserialize(body).map_err(|err| {
        let path = member_path(&err.path().to_string());
        let message = err.inner().to_string();
        ApiError::Validation(vec![FieldError::new(
            if path.is_empty() { "body".into() } else { path },
            message,
        )])
    })
}

/// Reads raw request bytes as JSON, naming the syntax problem and where it is.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid("body", format!("malformed JSON: {e}")))
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
