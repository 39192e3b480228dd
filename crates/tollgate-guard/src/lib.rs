//! Guardrails on Tollgate's request path (design.md §1, steps 4 and 9): PII and secret
//! detection with per-entity modes (log, mask, redact, block, reversible redaction),
//! prompt-injection scoring, content policy, and stream-aware scanning of answers.
//!
//! Build a [`Guard`] once per distinct [`GuardSettings`] and share it; everything is compiled at
//! construction so a request only scans:
//!
//! ```text
//! request ──► Guard::inspect_request ──► Ok(Inspection { findings, restorer }) ──► provider
//!                     │                                   │
//!                     └─► Err(Blocked { code, .. })       └─► Guard::output_scanner(restorer)
//!                         400 in the caller's dialect         push(chunk) / finish() ──► caller
//! ```
//!
//! Findings carry entity types and counts, the injection score and rule names, never a value.

mod entity;
mod error;
mod findings;
mod guard;
mod injection;
mod normalize;
mod phrases;
mod pii;
mod policy;
mod redact;
mod restore;
mod settings;
mod stream;

pub use entity::EntityKind;
pub use error::GuardConfigError;
pub use findings::{BlockCode, Blocked, Findings};
pub use guard::{Detection, Guard, InjectionReport, Inspection};
pub use restore::{MAX_PLACEHOLDER_BYTES, Restorer};
pub use settings::{
    CustomEntity, GuardSettings, InjectionMode, InjectionSettings, PiiMode, PiiSettings,
    PolicyAction, PolicyRule, PolicySettings,
};
pub use stream::{ChoiceScanners, OutputScanner, STREAM_HOLD_BACK_BYTES};

/// Longest match any entity pattern may have (custom regex matches longer than this are
/// ignored). Open-ended secrets (tokens, JWTs, private-key blocks) match a bounded prefix and
/// are then extended to their end.
pub const MAX_ENTITY_BYTES: usize = 128;
