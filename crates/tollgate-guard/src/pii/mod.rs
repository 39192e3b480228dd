//! PII and secret detection: one multi-pattern regex finds candidates, validators (checksums,
//! issuing rules, context words) decide, and open-ended secrets are extended to their end.

mod checksum;
mod context;
mod extend;
mod network;
mod numbers;
mod patterns;
mod secrets;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::{Anchored, Input, PatternID};

use crate::MAX_ENTITY_BYTES;
use crate::entity::{EntityId, EntityKind, EntityTable};
use crate::error::GuardConfigError;
use crate::settings::{PiiMode, PiiSettings};
use extend::{Extend, extend};
use patterns::{BUILTINS, Validator};

/// One detected value: `start..end` in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub entity: EntityId,
    /// Where the match began; before `start` when a context word or a URL scheme led to the
    /// value (`phone: 555...`, `postgres://user:PASSWORD@`).
    pub match_start: usize,
    pub start: usize,
    pub end: usize,
    /// The value reaches the end of the text and more text could make it longer (an open-ended
    /// secret still streaming).
    pub open: bool,
}

struct Rule {
    entity: EntityId,
    /// `None` for custom regexes, which are taken as written (up to the length cap).
    check: Option<Validator>,
    extend: Extend,
}

pub(crate) struct PiiDetector {
    regex: Option<Regex>,
    rules: Vec<Rule>,
    words: Option<(AhoCorasick, Vec<EntityId>)>,
}

impl PiiDetector {
    /// Registers every entity in `table` (built-ins first, in `EntityKind::ALL` order) and
    /// compiles the patterns of those not switched off.
    pub fn build(
        settings: &PiiSettings,
        table: &mut EntityTable,
    ) -> Result<Self, GuardConfigError> {
        let mut patterns: Vec<&str> = Vec::new();
        let mut rules = Vec::new();
        let ids: Vec<EntityId> = EntityKind::ALL
            .iter()
            .map(|k| {
                let keep = if k.is_secret() { 0 } else { 4 };
                table.push(k.name(), settings.mode_of(*k), keep)
            })
            .collect();
        for builtin in BUILTINS {
            if settings.mode_of(builtin.kind) == PiiMode::Off {
                continue;
            }
            let index = EntityKind::ALL
                .iter()
                .position(|k| *k == builtin.kind)
                .unwrap_or(0);
            let Some(entity) = ids.get(index).copied() else {
                continue;
            };
            patterns.push(builtin.pattern);
            rules.push(Rule {
                entity,
                check: Some(builtin.check),
                extend: builtin.extend,
            });
        }
        let mut words = Vec::new();
        let mut word_entities = Vec::new();
        for custom in &settings.custom {
            check_custom_name(&custom.name)?;
            let entity = table.push(&custom.name, custom.mode, 4);
            if custom.mode == PiiMode::Off {
                continue;
            }
            if let Some(re) = &custom.regex {
                Regex::new(re).map_err(|e| GuardConfigError::CustomRegex {
                    name: custom.name.clone(),
                    reason: e.to_string(),
                })?;
                patterns.push(re);
                rules.push(Rule {
                    entity,
                    check: None,
                    extend: Extend::None,
                });
            }
            for word in &custom.words {
                let word = word.trim();
                if word.is_empty() || word.len() > MAX_ENTITY_BYTES {
                    return Err(GuardConfigError::CustomEntity {
                        name: custom.name.clone(),
                        reason: format!("words must be 1..={MAX_ENTITY_BYTES} bytes"),
                    });
                }
                words.push(word.to_owned());
                word_entities.push(entity);
            }
        }
        let regex = if patterns.is_empty() {
            None
        } else {
            Some(
                Regex::new_many(&patterns)
                    .map_err(|e| GuardConfigError::Internal(e.to_string()))?,
            )
        };
        let words = if words.is_empty() {
            None
        } else {
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&words)
                .map_err(|e| GuardConfigError::Internal(e.to_string()))?;
            Some((ac, word_entities))
        };
        Ok(Self {
            regex,
            rules,
            words,
        })
    }

    /// Appends the entities found in `hay[from..]` to `out`, sorted and non-overlapping. Text
    /// before `from` is only read as context (the stream scanner keeps a little of it).
    pub fn detect(&self, hay: &str, from: usize, out: &mut Vec<Span>) {
        let first = out.len();
        if let Some(re) = &self.regex {
            self.detect_regex(re, hay, from, out);
        }
        if let Some((ac, entities)) = &self.words {
            let before = out.len();
            detect_words(ac, entities, hay, from, out);
            if out.len() > before && before > first {
                let found = out.split_off(first);
                out.extend(non_overlapping(found));
            }
        }
    }

    fn detect_regex(&self, re: &Regex, hay: &str, from: usize, out: &mut Vec<Span>) {
        let mut pos = from;
        while pos <= hay.len() {
            let Some(m) = re.search(&Input::new(hay).range(pos..)) else {
                break;
            };
            let start = m.start();
            let mut found = self.try_rule(m.pattern().as_usize(), hay, start, m.end());
            // A look-alike for one pattern may still be a real value for a later one at the same
            // position (a Luhn-invalid "card" that is a phone number).
            let mut next = m.pattern().as_usize() + 1;
            while found.is_none() && next < self.rules.len() {
                let input = Input::new(hay)
                    .range(start..)
                    .anchored(Anchored::Pattern(PatternID::new_unchecked(next)));
                if let Some(m2) = re.search(&input) {
                    found = self.try_rule(next, hay, start, m2.end());
                }
                next += 1;
            }
            match found {
                Some(span) => {
                    out.push(span);
                    pos = span.end.max(start + 1);
                }
                None => pos = next_boundary(hay, start),
            }
            while pos < hay.len() && !hay.is_char_boundary(pos) {
                pos += 1;
            }
        }
    }

    fn try_rule(&self, index: usize, hay: &str, start: usize, end: usize) -> Option<Span> {
        let rule = self.rules.get(index)?;
        let (grown, open) = extend(hay, end, rule.extend);
        let (value_start, value_end) = match rule.check {
            Some(check) => check(hay, start, grown)?,
            None if end - start <= MAX_ENTITY_BYTES && end > start => (start, end),
            None => return None,
        };
        Some(Span {
            entity: rule.entity,
            match_start: start,
            start: value_start,
            end: value_end,
            open: open && value_end == grown,
        })
    }
}

fn detect_words(
    ac: &AhoCorasick,
    entities: &[EntityId],
    hay: &str,
    from: usize,
    out: &mut Vec<Span>,
) {
    let input = aho_corasick::Input::new(hay).span(from..hay.len());
    for m in ac.find_iter(input) {
        let alone = !context::is_word(context::prev_char(hay, m.start()))
            && !context::is_word(context::next_char(hay, m.end()));
        if let (true, Some(entity)) = (alone, entities.get(m.pattern().as_usize())) {
            out.push(Span {
                entity: *entity,
                match_start: m.start(),
                start: m.start(),
                end: m.end(),
                open: false,
            });
        }
    }
}

/// Sorted by start; on overlap the earlier (then the longer) span wins.
fn non_overlapping(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        if kept.last().is_none_or(|last| span.start >= last.end) {
            kept.push(span);
        }
    }
    kept
}

fn next_boundary(hay: &str, at: usize) -> usize {
    hay.get(at..)
        .and_then(|s| s.chars().next())
        .map_or(at + 1, |c| at + c.len_utf8())
}

fn check_custom_name(name: &str) -> Result<(), GuardConfigError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && EntityKind::from_name(name).is_none();
    if ok {
        Ok(())
    } else {
        Err(GuardConfigError::CustomEntity {
            name: name.to_owned(),
            reason: "name must be lower-case letters, digits and `_`, and not a built-in name"
                .to_owned(),
        })
    }
}

#[cfg(test)]
mod tests;
