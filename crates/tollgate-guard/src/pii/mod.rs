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
use patterns::{BUILTINS, GROUPS, Validator};

/// One detected value: `start..end` in the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub entity: EntityId,
    /// Where the match began; before `start` when a context word or a URL scheme led to the
    /// value (`phone: 555...`, `postgres://user:PASSWORD@`).
    pub match_start: usize,
    pub start: usize,
    pub end: usize,
    /// Search group the span came from; breaks ties between groups the way pattern order breaks
    /// them within one (a `ghp_` token before the e-mail it seems to start).
    pub rank: u8,
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

/// One regex over a group of patterns, and the rule behind each pattern.
struct GroupScan {
    regex: Regex,
    rules: Vec<Rule>,
    rank: u8,
}

pub(crate) struct PiiDetector {
    groups: Vec<GroupScan>,
    words: Option<(AhoCorasick, Vec<EntityId>)>,
}

impl PiiDetector {
    /// Registers every entity in `table` (built-ins first, in `EntityKind::ALL` order) and
    /// compiles the patterns of those not switched off.
    pub fn build(
        settings: &PiiSettings,
        table: &mut EntityTable,
    ) -> Result<Self, GuardConfigError> {
        let ids: Vec<EntityId> = EntityKind::ALL
            .iter()
            .map(|k| {
                let keep = if k.is_secret() { 0 } else { 4 };
                table.push(k.name(), settings.mode_of(*k), keep)
            })
            .collect();
        let mut groups = Vec::new();
        for group in GROUPS {
            let mut patterns: Vec<&str> = Vec::new();
            let mut rules = Vec::new();
            for builtin in BUILTINS.iter().filter(|b| b.group == group) {
                if settings.mode_of(builtin.kind) == PiiMode::Off {
                    continue;
                }
                let index = EntityKind::ALL.iter().position(|k| *k == builtin.kind);
                let Some(entity) = index.and_then(|i| ids.get(i)).copied() else {
                    continue;
                };
                patterns.push(builtin.pattern);
                rules.push(Rule {
                    entity,
                    check: Some(builtin.check),
                    extend: builtin.extend,
                });
            }
            push_group(&mut groups, &patterns, rules, group.prefilter())?;
        }
        let mut patterns: Vec<&str> = Vec::new();
        let mut rules = Vec::new();
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
        push_group(&mut groups, &patterns, rules, true)?;
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
        Ok(Self { groups, words })
    }

    /// Appends the entities found in `hay[from..]` to `out`, sorted and non-overlapping. Text
    /// before `from` is only read as context (the stream scanner keeps a little of it).
    pub fn detect(&self, hay: &str, from: usize, out: &mut Vec<Span>) {
        let first = out.len();
        let mut sources = 0;
        for group in &self.groups {
            let before = out.len();
            group.detect(hay, from, out);
            sources += usize::from(out.len() > before);
        }
        if let Some((ac, entities)) = &self.words {
            let before = out.len();
            detect_words(ac, entities, hay, from, out);
            sources += usize::from(out.len() > before);
        }
        if sources > 1 {
            let found = out.split_off(first);
            out.extend(non_overlapping(found));
        }
    }
}

fn push_group(
    groups: &mut Vec<GroupScan>,
    patterns: &[&str],
    rules: Vec<Rule>,
    prefilter: bool,
) -> Result<(), GuardConfigError> {
    if !patterns.is_empty() {
        let regex = Regex::builder()
            .configure(Regex::config().auto_prefilter(prefilter))
            .build_many(patterns)
            .map_err(|e| GuardConfigError::Internal(e.to_string()))?;
        let rank = u8::try_from(groups.len()).unwrap_or(u8::MAX);
        groups.push(GroupScan { regex, rules, rank });
    }
    Ok(())
}

impl GroupScan {
    fn detect(&self, hay: &str, from: usize, out: &mut Vec<Span>) {
        let re = &self.regex;
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
            rank: self.rank,
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
                rank: u8::MAX,
                match_start: m.start(),
                start: m.start(),
                end: m.end(),
                open: false,
            });
        }
    }
}

/// On overlap the span whose match began first wins (a connection string's `://` before the
/// `password@host` that looks like an e-mail), then the longer one. Sorted by start.
fn non_overlapping(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| {
        a.match_start
            .cmp(&b.match_start)
            .then(a.rank.cmp(&b.rank))
            .then((b.end - b.start).cmp(&(a.end - a.start)))
    });
    let mut kept: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        if !kept
            .iter()
            .any(|k| span.start < k.end && k.start < span.end)
        {
            kept.push(span);
        }
    }
    kept.sort_by_key(|s| s.start);
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
