//! Rewriting text around detected spans: mask, redact, or leave (log).

use crate::entity::EntityTable;
use crate::findings::Findings;
use crate::pii::Span;
use crate::restore::Restorer;
use crate::settings::PiiMode;

/// Which side of the call a rewrite is for: placeholders are restorable only on the way in,
/// and `block` can only refuse a request, so on the way out it redacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Request,
    Answer,
}

/// Appends the replacement for one span's `value` to `out`; returns whether it changed text.
pub(crate) fn replace(
    value: &str,
    span: &Span,
    table: &EntityTable,
    restorer: &mut Restorer,
    side: Side,
    out: &mut String,
) -> bool {
    let info = table.get(span.entity);
    match info.mode {
        PiiMode::Off | PiiMode::Log => {
            out.push_str(value);
            false
        }
        PiiMode::Mask => {
            out.push_str("****");
            let chars = value.chars().count();
            if chars > info.mask_keep * 2 {
                let tail: String = value.chars().skip(chars - info.mask_keep).collect();
                out.push_str(&tail);
            }
            true
        }
        PiiMode::Redact | PiiMode::Block => {
            let restorable = side == Side::Request;
            out.push_str(&restorer.placeholder(&info.tag, value, restorable));
            true
        }
    }
}

/// Rewrites `text` with `spans` (sorted, non-overlapping), counting each in `findings`.
/// Returns `None` when nothing changed, so callers keep the original string.
pub(crate) fn rewrite(
    text: &str,
    spans: &[Span],
    table: &EntityTable,
    restorer: &mut Restorer,
    side: Side,
    findings: &mut Findings,
) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    let mut changed = false;
    for span in spans {
        findings.count_pii(&table.get(span.entity).name);
        let (Some(before), Some(value)) =
            (text.get(pos..span.start), text.get(span.start..span.end))
        else {
            continue;
        };
        out.push_str(before);
        changed |= replace(value, span, table, restorer, side, &mut out);
        pos = span.end;
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    changed.then_some(out)
}
