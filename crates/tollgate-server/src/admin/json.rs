//! Reading admin requests: JSON bodies with errors that name the field at fault, query strings,
//! pagination, and the small `Option<Option<T>>` helper PATCH bodies need.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use tollgate_store::PageRequest;
use utoipa::IntoParams;

use crate::admin::errors::AdminError;
use crate::body::read_limited;
use crate::state::AppState;

/// Rows per page when the caller does not say (at most 1000 whatever it says).
pub const DEFAULT_PAGE: u32 = 100;

/// Reads the body (up to the server's limit) and parses it as `T`. An empty body parses as `{}`
/// when `empty_is_object` (for endpoints whose body is optional, like rotate).
pub async fn read_body<T: DeserializeOwned>(
    state: &AppState,
    body: Body,
    empty_is_object: bool,
) -> Result<T, AdminError> {
    let bytes = read_limited(body, state.limits().max_body_bytes).await?;
    let bytes: &[u8] = if empty_is_object && bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    parse(bytes)
}

/// Parses JSON, naming the field at fault on error (`budget_usd: invalid type: floating point
/// `12.5`, expected a string`).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AdminError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AdminError::bad_request(
            "The request body is empty; send a JSON object.",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return AdminError::bad_request(format!("The request body is not valid JSON: {inner}"));
        }
        let message = strip_position(&inner.to_string());
        match field_name(&path, &message) {
            Some(field) => AdminError::field(&field, message),
            None => AdminError::bad_request(message),
        }
    })?;
    deserializer
        .end()
        .map_err(|_| AdminError::bad_request("The request body has data after the JSON value."))?;
    Ok(value)
}

/// The field a serde error is about: its path (which already ends with an unknown field's
/// name), plus the name in backticks for a missing field (whose path is its parent's).
fn field_name(path: &str, message: &str) -> Option<String> {
    let top = matches!(path, "." | "");
    if message.starts_with("missing field") {
        let start = message.find('`')? + 1;
        let end = start + message[start..].find('`')?;
        let name = &message[start..end];
        return Some(if top {
            name.to_string()
        } else {
            format!("{path}.{name}")
        });
    }
    (!top).then(|| path.to_string())
}

/// serde_json appends ` at line 1 column 42`: useless to a caller who sent one line.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

/// A query string that did not parse, as a 400 naming the parameter. axum words it as
/// `Failed to deserialize query string: limit: invalid digit found in string`.
pub fn query_error(rejection: QueryRejection) -> AdminError {
    let text = rejection.body_text();
    let detail = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    match detail.split_once(": ") {
        Some((param, problem))
            if !param.is_empty()
                && param
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.')) =>
        {
            AdminError::field(param, problem)
        }
        _ => AdminError::bad_request(format!("Bad query string: {detail}")),
    }
}

/// `?limit=&after=` on every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows per page, 1 to 1000 (default 100).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<PageRequest, AdminError> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=1000).contains(&limit) {
            return Err(AdminError::field("limit", "must be between 1 and 1000"));
        }
        Ok(PageRequest {
            limit,
            after: self.after.clone().filter(|after| !after.is_empty()),
        })
    }
}

/// For PATCH bodies: absent → `None` (keep), `null` → `Some(None)` (clear), a value →
/// `Some(Some(value))`. Use with `#[serde(default, deserialize_with = "json::nullable")]`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        budget_usd: Option<String>,
        #[serde(default, deserialize_with = "nullable")]
        expires_at: Option<Option<String>>,
    }

    #[test]
    fn errors_name_the_field() {
        let error = parse::<Body>(br#"{"name":"a","budget_usd":12.5}"#).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("budget_usd"));
        assert!(
            error.message.starts_with("budget_usd: invalid type"),
            "{error}"
        );
        assert!(!error.message.contains("line 1"), "{error}");

        let error = parse::<Body>(br#"{"name":"a","colour":"red"}"#).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("colour"));

        let error = parse::<Body>(br#"{}"#).unwrap_err();
        assert_eq!(error.param.as_deref(), Some("name"));

        let error = parse::<Body>(br#"{"name":"a""#).unwrap_err();
        assert_eq!(error.param, None);
        assert!(error.message.contains("not valid JSON"));
    }

    #[test]
    fn nullable_tells_absent_from_null() {
        let absent: Body = parse(br#"{"name":"a"}"#).unwrap();
        assert_eq!(absent.expires_at, None);
        let null: Body = parse(br#"{"name":"a","expires_at":null}"#).unwrap();
        assert_eq!(null.expires_at, Some(None));
        let set: Body = parse(br#"{"name":"a","expires_at":"x"}"#).unwrap();
        assert_eq!(set.expires_at, Some(Some("x".into())));
    }
}
