//! Placeholders: numbering them per request, and putting reversible ones back into the answer.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// Longest placeholder the restorer recognises (`<` + tag of at most 32 bytes + `_` + number +
/// `>`); it is also the most a stream holds back to restore a placeholder split across chunks.
pub const MAX_PLACEHOLDER_BYTES: usize = 48;

/// Per-request placeholder state. Created by [`crate::Guard::inspect_request`]; hand it to
/// [`crate::Guard::output_scanner`] so the answer gets the caller's values back.
///
/// `Debug` prints counts only: the map holds the sensitive values.
#[derive(Clone, Default)]
pub struct Restorer {
    reversible: bool,
    /// Placeholder → original value, for the reversible ones.
    originals: HashMap<String, String>,
    /// (tag, value) → placeholder, so a value repeated in a request gets one placeholder.
    assigned: HashMap<(String, String), String>,
    /// Last number used per tag.
    counters: HashMap<String, u32>,
    /// Placeholder-shaped text the caller wrote itself; never assigned, so restoring cannot
    /// turn the caller's literal `<EMAIL_1>` into someone's address.
    reserved: HashSet<String>,
}

impl fmt::Debug for Restorer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Restorer")
            .field("reversible", &self.reversible)
            .field("placeholders", &self.originals.len())
            .finish()
    }
}

impl Restorer {
    pub fn new(reversible: bool) -> Self {
        Self {
            reversible,
            ..Self::default()
        }
    }

    /// No placeholder to restore: answers pass through without hold-back.
    pub fn is_empty(&self) -> bool {
        self.originals.is_empty()
    }

    /// Number of restorable placeholders.
    pub fn len(&self) -> usize {
        self.originals.len()
    }

    /// The placeholder for `value`; the same value gets the same placeholder within a request.
    /// Only input-side placeholders are `restorable`: the answer's own new PII must stay hidden.
    pub(crate) fn placeholder(&mut self, tag: &str, value: &str, restorable: bool) -> String {
        let key = (tag.to_owned(), value.to_owned());
        if let Some(existing) = self.assigned.get(&key) {
            return existing.clone();
        }
        let counter = self.counters.entry(tag.to_owned()).or_insert(0);
        let mut placeholder;
        loop {
            *counter += 1;
            placeholder = format!("<{tag}_{counter}>");
            if !self.reserved.contains(&placeholder) {
                break;
            }
        }
        if restorable && self.reversible {
            self.originals.insert(placeholder.clone(), value.to_owned());
        }
        self.assigned.insert(key, placeholder.clone());
        placeholder
    }

    /// Notes placeholder-shaped tokens already in `text` so they are never assigned.
    pub(crate) fn reserve_literals(&mut self, text: &str) {
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let tail = rest.get(open..).unwrap_or("");
            let len = tail
                .bytes()
                .take(MAX_PLACEHOLDER_BYTES)
                .skip(1)
                .position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'));
            if let Some(len) = len
                && tail.as_bytes().get(len + 1) == Some(&b'>')
                && len > 0
            {
                self.reserved
                    .insert(tail.get(..len + 2).unwrap_or("").to_owned());
            }
            rest = tail.get(1..).unwrap_or("");
        }
    }

    /// Replaces every known placeholder in `text` by its original value.
    pub fn restore(&self, text: &str) -> String {
        if self.originals.is_empty() || !text.contains('<') {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            let (before, from_open) = rest.split_at(open);
            out.push_str(before);
            let close = from_open
                .bytes()
                .take(MAX_PLACEHOLDER_BYTES)
                .skip(1)
                .position(|b| b == b'>' || b == b'<')
                .map(|i| i + 1);
            match close {
                Some(close) if from_open.as_bytes().get(close) == Some(&b'>') => {
                    let candidate = from_open.get(..=close).unwrap_or("");
                    match self.originals.get(candidate) {
                        Some(original) => out.push_str(original),
                        None => out.push_str(candidate),
                    }
                    rest = from_open.get(close + 1..).unwrap_or("");
                }
                _ => {
                    out.push('<');
                    rest = from_open.get(1..).unwrap_or("");
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Stream stage that restores placeholders split across chunks: it holds back only a trailing
/// `<` followed by placeholder characters, at most [`MAX_PLACEHOLDER_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct RestoreStage {
    pending: String,
}

impl RestoreStage {
    pub fn push(&mut self, restorer: &Restorer, text: &str) -> String {
        if restorer.is_empty() {
            return text.to_owned();
        }
        self.pending.push_str(text);
        let hold_from = self
            .pending
            .rfind('<')
            .filter(|&i| could_become_placeholder(self.pending.get(i..).unwrap_or("")))
            .unwrap_or(self.pending.len());
        let ready = restorer.restore(self.pending.get(..hold_from).unwrap_or(""));
        self.pending.drain(..hold_from);
        ready
    }

    pub fn finish(&mut self, restorer: &Restorer) -> String {
        let out = restorer.restore(&self.pending);
        self.pending.clear();
        out
    }
}

/// `<`, then only tag/number characters so far, and still short enough to be a placeholder.
fn could_become_placeholder(tail: &str) -> bool {
    tail.len() < MAX_PLACEHOLDER_BYTES
        && tail
            .bytes()
            .skip(1)
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_is_stable_per_value() {
        let mut r = Restorer::new(true);
        assert_eq!(r.placeholder("EMAIL", "a@b.co", true), "<EMAIL_1>");
        assert_eq!(r.placeholder("EMAIL", "c@d.co", true), "<EMAIL_2>");
        assert_eq!(r.placeholder("EMAIL", "a@b.co", true), "<EMAIL_1>");
        assert_eq!(
            r.restore("x <EMAIL_2> <EMAIL_9> <b>"),
            "x c@d.co <EMAIL_9> <b>"
        );
        assert!(!format!("{r:?}").contains("a@b.co"));
    }

    #[test]
    fn literal_placeholders_are_not_reused() {
        let mut r = Restorer::new(true);
        r.reserve_literals("I typed <EMAIL_1> and <x>");
        assert_eq!(r.placeholder("EMAIL", "a@b.co", true), "<EMAIL_2>");
        assert_eq!(r.restore("<EMAIL_1> <EMAIL_2>"), "<EMAIL_1> a@b.co");
    }

    #[test]
    fn stage_restores_split_placeholder() {
        let mut r = Restorer::new(true);
        r.placeholder("EMAIL", "a@b.co", true);
        let mut stage = RestoreStage::default();
        let mut out = stage.push(&r, "mail <EMA");
        assert_eq!(out, "mail ");
        out.push_str(&stage.push(&r, "IL_1> now <"));
        out.push_str(&stage.finish(&r));
        assert_eq!(out, "mail a@b.co now <");
    }
}
