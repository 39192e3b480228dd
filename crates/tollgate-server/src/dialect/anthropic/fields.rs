//! Typed reads of JSON fields that name the offending field on failure, the way Anthropic's own
//! validation does (`messages.0.content: ...`), so a caller can fix its request from the message.
//! `null` counts as absent for optional fields, since SDKs in several languages send it.

use serde_json::{Map, Value};
use tollgate_types::GatewayError;

pub type Object = Map<String, Value>;

/// A 400 naming `path`.
pub fn invalid(path: &str, problem: impl std::fmt::Display) -> GatewayError {
    GatewayError::invalid_param(path, format!("{path}: {problem}"))
}

/// `parent.key` (or `key` at the top level).
pub fn join(parent: &str, key: impl std::fmt::Display) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// The field's value, if present and not `null`.
pub fn optional<'a>(object: &'a Object, key: &str) -> Option<&'a Value> {
    object.get(key).filter(|value| !value.is_null())
}

pub fn required<'a>(object: &'a Object, key: &str, path: &str) -> Result<&'a Value, GatewayError> {
    optional(object, key).ok_or_else(|| invalid(path, "Field required"))
}

pub fn as_object<'a>(value: &'a Value, path: &str) -> Result<&'a Object, GatewayError> {
    value
        .as_object()
        .ok_or_else(|| invalid(path, "Input should be an object"))
}

pub fn as_array<'a>(value: &'a Value, path: &str) -> Result<&'a [Value], GatewayError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| invalid(path, "Input should be a valid list"))
}

pub fn as_str<'a>(value: &'a Value, path: &str) -> Result<&'a str, GatewayError> {
    value
        .as_str()
        .ok_or_else(|| invalid(path, "Input should be a valid string"))
}

pub fn as_bool(value: &Value, path: &str) -> Result<bool, GatewayError> {
    value
        .as_bool()
        .ok_or_else(|| invalid(path, "Input should be a valid boolean"))
}

/// A number within `min..=max`.
pub fn as_number_in(value: &Value, path: &str, min: f64, max: f64) -> Result<f64, GatewayError> {
    let number = value
        .as_f64()
        .ok_or_else(|| invalid(path, "Input should be a valid number"))?;
    if (min..=max).contains(&number) {
        Ok(number)
    } else {
        Err(invalid(
            path,
            format!("Input should be between {min} and {max}"),
        ))
    }
}

/// A whole number of at least `min` that fits a `u32`.
pub fn as_u32_at_least(value: &Value, path: &str, min: u32) -> Result<u32, GatewayError> {
    let number = value
        .as_u64()
        .ok_or_else(|| invalid(path, "Input should be a valid non-negative integer"))?;
    let number = u32::try_from(number).map_err(|_| invalid(path, "Input is too large"))?;
    if number < min {
        return Err(invalid(
            path,
            format!("Input should be greater than or equal to {min}"),
        ));
    }
    Ok(number)
}

/// A required string field.
pub fn required_str<'a>(
    object: &'a Object,
    key: &str,
    path: &str,
) -> Result<&'a str, GatewayError> {
    as_str(required(object, key, path)?, path)
}

/// An optional string field.
pub fn optional_str<'a>(
    object: &'a Object,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, GatewayError> {
    optional(object, key)
        .map(|value| as_str(value, path))
        .transpose()
}
