//! Typed reads of JSON fields that fail with OpenAI-style 400s naming the field
//! (`messages[2].content`) and saying what was expected. Paths are only formatted on failure,
//! so valid requests pay nothing for them.

use std::fmt;

use serde_json::{Map, Value};
use tollgate_types::GatewayError;

pub(super) type Object = Map<String, Value>;

/// Where a value sits in the request, e.g. `messages[2].tool_calls[0].function.name`.
#[derive(Clone, Copy)]
pub(super) enum Path<'a> {
    Root,
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub fn field(&'a self, name: &'a str) -> Path<'a> {
        Path::Field(self, name)
    }

    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// A 400 for a value of the wrong JSON type.
pub(super) fn invalid_type(path: &Path<'_>, expected: &str, got: &Value) -> GatewayError {
    GatewayError::invalid_param(
        path.to_string(),
        format!(
            "Invalid type for '{path}': expected {expected}, but got {} instead.",
            describe(got)
        ),
    )
    .with_code("invalid_type")
}

/// A 400 for a value of the right type that is not allowed.
pub(super) fn invalid_value(path: &Path<'_>, message: impl fmt::Display) -> GatewayError {
    GatewayError::invalid_param(
        path.to_string(),
        format!("Invalid value for '{path}': {message}"),
    )
    .with_code("invalid_value")
}

pub(super) fn missing(path: &Path<'_>) -> GatewayError {
    GatewayError::invalid_param(
        path.to_string(),
        format!("Missing required parameter: '{path}'."),
    )
    .with_code("missing_required_parameter")
}

/// A 400 for something valid in OpenAI's API that Tollgate does not carry.
pub(super) fn unsupported(path: &Path<'_>, what: &str) -> GatewayError {
    GatewayError::invalid_param(
        path.to_string(),
        format!("Unsupported value for '{path}': {what} is not supported by this gateway."),
    )
    .with_code("unsupported_value")
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_f64() => "a decimal",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A member that is absent or `null` is "not given", as OpenAI's SDKs treat it.
pub(super) fn optional<'v>(object: &'v Object, key: &str) -> Option<&'v Value> {
    object.get(key).filter(|value| !value.is_null())
}

pub(super) fn required<'v>(
    object: &'v Object,
    key: &str,
    path: &Path<'_>,
) -> Result<&'v Value, GatewayError> {
    optional(object, key).ok_or_else(|| missing(path))
}

pub(super) fn as_str<'v>(value: &'v Value, path: &Path<'_>) -> Result<&'v str, GatewayError> {
    value
        .as_str()
        .ok_or_else(|| invalid_type(path, "a string", value))
}

pub(super) fn as_object<'v>(value: &'v Value, path: &Path<'_>) -> Result<&'v Object, GatewayError> {
    value
        .as_object()
        .ok_or_else(|| invalid_type(path, "an object", value))
}

pub(super) fn as_array<'v>(
    value: &'v Value,
    path: &Path<'_>,
) -> Result<&'v Vec<Value>, GatewayError> {
    value
        .as_array()
        .ok_or_else(|| invalid_type(path, "an array", value))
}

pub(super) fn as_bool(value: &Value, path: &Path<'_>) -> Result<bool, GatewayError> {
    value
        .as_bool()
        .ok_or_else(|| invalid_type(path, "a boolean", value))
}

/// A number within `min..=max`.
pub(super) fn as_number_in(
    value: &Value,
    path: &Path<'_>,
    min: f64,
    max: f64,
) -> Result<f64, GatewayError> {
    let number = value
        .as_f64()
        .ok_or_else(|| invalid_type(path, "a number", value))?;
    if !(min..=max).contains(&number) {
        return Err(invalid_value(
            path,
            format_args!("{number} is not between {min} and {max}."),
        ));
    }
    Ok(number)
}

/// An integer within `min..=max`.
pub(super) fn as_integer_in(
    value: &Value,
    path: &Path<'_>,
    min: i64,
    max: i64,
) -> Result<i64, GatewayError> {
    let integer = match value.as_i64() {
        Some(integer) => integer,
        // Larger than any i64, so larger than any maximum used here.
        None if value.is_u64() => {
            return Err(invalid_value(
                path,
                format_args!("the value is greater than the maximum of {max}."),
            ));
        }
        None => return Err(invalid_type(path, "an integer", value)),
    };
    if integer < min {
        return Err(invalid_value(
            path,
            format_args!("{integer} is less than the minimum of {min}."),
        ));
    }
    if integer > max {
        return Err(invalid_value(
            path,
            format_args!("the value is greater than the maximum of {max}."),
        ));
    }
    Ok(integer)
}

/// A positive integer that fits a `u32` (token limits).
pub(super) fn as_positive_u32(value: &Value, path: &Path<'_>) -> Result<u32, GatewayError> {
    let integer = as_integer_in(value, path, 1, i64::from(u32::MAX))?;
    Ok(u32::try_from(integer).unwrap_or(u32::MAX))
}

pub(super) fn optional_str<'v>(
    object: &'v Object,
    key: &str,
    path: &Path<'_>,
) -> Result<Option<&'v str>, GatewayError> {
    optional(object, key)
        .map(|value| as_str(value, path))
        .transpose()
}

pub(super) fn optional_bool(
    object: &Object,
    key: &str,
    path: &Path<'_>,
) -> Result<Option<bool>, GatewayError> {
    optional(object, key)
        .map(|value| as_bool(value, path))
        .transpose()
}

pub(super) fn required_str<'v>(
    object: &'v Object,
    key: &str,
    path: &Path<'_>,
) -> Result<&'v str, GatewayError> {
    as_str(required(object, key, path)?, path)
}

/// Function (tool) names as OpenAI allows them: `^[a-zA-Z0-9_-]{1,64}$`.
pub(super) fn is_function_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
