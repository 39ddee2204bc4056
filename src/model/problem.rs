//! `application/problem+json` bodies (RFC 7807) as the contract's error table shapes them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One failed member of a validation error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// The path of the member, e.g. `Cards[0].SerialNumber`, or a query parameter name.
    pub member_name: String,
    pub message: String,
    /// `Required`, `Unique`, or null.
    pub code: Option<String>,
}

impl FieldError {
    /// A member error with no code.
    pub fn new(member: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            member_name: member.into(),
            message: message.into(),
            code: None,
        }
    }

    /// A member error with a code (`Required` or `Unique`).
    pub fn coded(member: impl Into<String>, message: impl Into<String>, code: &str) -> Self {
        Self {
            member_name: member.into(),
            message: message.into(),
            code: Some(code.to_owned()),
        }
    }
}

/// The problem document every failed request answers with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: Option<String>,
    pub instance: Option<String>,
    pub error_code: Option<i32>,
    pub resource: Option<Value>,
    #[serde(default)]
    pub errors: Vec<FieldError>,
}
