//! Who is calling: the key from `Authorization: Bearer` or `x-api-key`, checked by its SHA-256.
//!
//! Only the master key exists so far; virtual keys (hashed at rest, cached, revocable) extend
//! [`Principal`] in the keys issue.

use http::HeaderMap;
use sha2::{Digest, Sha256};
use tollgate_types::GatewayError;

/// The checked identity behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The gateway's master key: every model, every admin call.
    Master,
}

impl Principal {
    /// Whether this caller may use the public model `model`.
    pub fn may_use_model(&self, _model: &str) -> bool {
        match self {
            Principal::Master => true,
        }
    }
}

#[derive(Clone)]
pub struct Auth {
    master_key_sha256: [u8; 32],
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth { .. }")
    }
}

/// SHA-256 of a key, the only form in which keys are stored.
pub fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl Auth {
    pub fn from_master_key_hash(master_key_sha256: [u8; 32]) -> Self {
        Auth { master_key_sha256 }
    }

    /// Checks the caller's key.
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, GatewayError> {
        let Some(key) = presented_key(headers) else {
            return Err(GatewayError::authentication(
                "Missing API key: send `Authorization: Bearer <key>` or `x-api-key: <key>`.",
            ));
        };
        let presented = hash_key(key);
        // Compare every byte so timing does not reveal how much of the hash matched.
        let difference = presented
            .iter()
            .zip(self.master_key_sha256.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if difference == 0 {
            Ok(Principal::Master)
        } else {
            Err(GatewayError::authentication("Invalid API key."))
        }
    }
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let value = value.to_str().ok()?.trim();
        let key = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .unwrap_or(value)
            .trim();
        if !key.is_empty() {
            return Some(key);
        }
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
}
