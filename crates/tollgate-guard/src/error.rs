//! Why a guard could not be built. Only settings can be wrong: every built-in pattern is
//! compiled by the unit tests, so an error here always names something the operator wrote.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum GuardConfigError {
    #[error("custom entity `{name}`: invalid regex: {reason}")]
    CustomRegex { name: String, reason: String },
    #[error("custom entity `{name}`: {reason}")]
    CustomEntity { name: String, reason: String },
    #[error("content policy rule `{rule}`: invalid regex: {reason}")]
    PolicyRegex { rule: String, reason: String },
    #[error("content policy rule `{rule}`: {reason}")]
    PolicyRule { rule: String, reason: String },
    #[error("injection threshold {0} is above 1000 per-mille")]
    Threshold(u16),
    /// A built-in table failed to compile; a bug, reported instead of panicking.
    #[error("internal guard pattern failed to compile: {0}")]
    Internal(String),
}
