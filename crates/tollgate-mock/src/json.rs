//! Lenient, panic-free access to request JSON: a field that is absent or `null` is "not given";
//! a field of the wrong type is a client error whose message names it.

use serde_json::{Map, Value};

pub(crate) type Object = Map<String, Value>;

/// The first of `names` present and not null (Gemini accepts camelCase and snake_case names).
pub(crate) fn field<'a>(obj: &'a Object, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| obj.get(*n))
        .filter(|v| !v.is_null())
}

fn wrong(name: &str, expected: &str) -> String {
    format!("Invalid type for '{name}': expected {expected}.")
}

pub(crate) fn opt_str<'a>(obj: &'a Object, names: &[&str]) -> Result<Option<&'a str>, String> {
    match field(obj, names) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(wrong(names[0], "a string")),
    }
}

pub(crate) fn opt_bool(obj: &Object, names: &[&str]) -> Result<Option<bool>, String> {
    match field(obj, names) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(wrong(names[0], "a boolean")),
    }
}

pub(crate) fn opt_u64(obj: &Object, names: &[&str]) -> Result<Option<u64>, String> {
    match field(obj, names) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| wrong(names[0], "a non-negative integer")),
    }
}

pub(crate) fn opt_array<'a>(
    obj: &'a Object,
    names: &[&str],
) -> Result<Option<&'a Vec<Value>>, String> {
    match field(obj, names) {
        None => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(wrong(names[0], "an array")),
    }
}

pub(crate) fn opt_object<'a>(
    obj: &'a Object,
    names: &[&str],
) -> Result<Option<&'a Object>, String> {
    match field(obj, names) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(wrong(names[0], "an object")),
    }
}

/// `value` as compact JSON text, or the string itself when it is a string.
pub(crate) fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
