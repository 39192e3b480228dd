//! Prompt-injection scoring over user content, tool results and retrieved documents.
//!
//! The text is normalised, one Aho-Corasick pass finds every lexicon cue (plain and ROT13), and
//! cues combine into named signals with weights; obfuscation (hidden characters, mixed scripts,
//! styled letters) and decoded payloads (base64, hex, URL encoding, Unicode tags) add their own
//! signals. Signals combine as independent evidence, `1 - Π(1 - w)`, so two weak signals make a
//! stronger one and no amount of evidence exceeds 1.

mod encoded;
mod lexicon;
mod phrases;

use std::collections::BTreeMap;

use crate::error::GuardConfigError;
use crate::normalize::{Normalized, normalize};
use crate::phrases::PhraseDfa;
use lexicon::{
    Cue, EXTRACT_TARGETS, EXTRACT_VERBS, MODIFIERS, SAFETY_TARGETS, Strength, TARGETS, VERBS, rot13,
};
use phrases::PHRASES;

/// Bytes allowed between an override verb and its target ("ignore all of the previous
/// instructions" fits; a verb and a target in different sentences do not pair anyway).
const PAIR_WINDOW: usize = 48;

#[derive(Debug, Clone, Copy)]
struct Entry {
    cue: Cue,
    rot13: bool,
    /// Must start and end at word boundaries (alphabetic scripts; not CJK).
    whole_word: bool,
}

/// Evidence found in one text: each distinct cue (a phrase, a verb-target pair, an obfuscation)
/// counts once, with its strongest weight; the signal names are what findings report.
#[derive(Debug, Default)]
pub(crate) struct Signals(BTreeMap<(&'static str, u32), u16>);

impl Signals {
    fn add(&mut self, name: &'static str, cue: u32, weight: u16) {
        let slot = self.0.entry((name, cue)).or_insert(0);
        *slot = (*slot).max(weight.min(1000));
    }

    pub fn permille(&self) -> u16 {
        let clear: f64 = self
            .0
            .values()
            .map(|w| 1.0 - f64::from(*w) / 1000.0)
            .product();
        // Rounded to whole per-mille so findings and thresholds are exact integers.
        ((1.0 - clear) * 1000.0).round().clamp(0.0, 1000.0) as u16
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        let mut names: Vec<&'static str> = self.0.keys().map(|(name, _)| *name).collect();
        names.dedup();
        names.into_iter()
    }
}

/// Cue ids for evidence that is not a lexicon entry.
const CUE_TAGS: u32 = u32::MAX;
const CUE_ENCODED: u32 = u32::MAX - 1;
const CUE_ROT13: u32 = u32::MAX - 2;
const CUE_OBFUSCATION: u32 = u32::MAX - 10;

pub(crate) struct InjectionDetector {
    ac: PhraseDfa,
    entries: Vec<Entry>,
}

/// Matches of the extra patterns a detector was built with (the content policy's deny-list
/// words, so one pass over the normalised text serves both): (index among the extra patterns,
/// start, end).
pub(crate) type ExtraMatches = Vec<(usize, usize, usize)>;

#[derive(Debug, Clone, Copy)]
struct Hit {
    /// Lexicon pattern index: the cue's identity.
    id: u32,
    entry: Entry,
    start: usize,
    end: usize,
}

fn is_cjk(c: char) -> bool {
    matches!(u32::from(c), 0x1100..=0x11FF | 0x3040..=0x30FF | 0x3400..=0x9FFF | 0xAC00..=0xD7AF)
}

impl InjectionDetector {
    /// `extra` patterns (already normalised) ride along in the same automaton; their matches are
    /// handed back by [`Self::score_normalized`] instead of scored.
    pub fn build(extra: &[String]) -> Result<Self, GuardConfigError> {
        let mut patterns: Vec<String> = Vec::new();
        let mut entries = Vec::new();
        let mut add = |text: &str, cue: Cue, with_rot13: bool| {
            let variants: &[bool] = if with_rot13 { &[false, true] } else { &[false] };
            for &r in variants {
                let source = if r { rot13(text) } else { text.to_owned() };
                let normalized = normalize(&source).text;
                // The normaliser opens every text with a newline; only line-start phrases keep it.
                let pattern = if source.starts_with('\n') {
                    normalized
                } else {
                    normalized.trim_start_matches('\n').to_owned()
                };
                let whole_word = pattern
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() && !is_cjk(c));
                patterns.push(pattern);
                entries.push(Entry {
                    cue,
                    rot13: r,
                    whole_word,
                });
            }
        };
        for (verb, cue) in VERBS {
            add(verb, *cue, verb.is_ascii());
        }
        for target in TARGETS {
            add(target, Cue::Target, target.is_ascii());
        }
        for target in SAFETY_TARGETS {
            add(target, Cue::SafetyTarget, target.is_ascii());
        }
        for modifier in MODIFIERS {
            add(modifier, Cue::Modifier, modifier.is_ascii());
        }
        for (verb, verb_last) in EXTRACT_VERBS {
            add(
                verb,
                Cue::ExtractVerb {
                    verb_last: *verb_last,
                },
                verb.is_ascii(),
            );
        }
        for target in EXTRACT_TARGETS {
            add(target, Cue::ExtractTarget, target.is_ascii());
        }
        for (phrase, signal, weight) in PHRASES {
            add(phrase, Cue::Phrase(signal, *weight), false);
        }
        patterns.extend(extra.iter().cloned());
        let ac = PhraseDfa::new(&patterns)?;
        Ok(Self { ac, entries })
    }

    /// Scores one piece of content; `n` is `normalize(raw)`, shared with the content policy,
    /// whose word matches in `n.text` go to `extra` when given.
    pub fn score_normalized(
        &self,
        raw: &str,
        n: &Normalized,
        extra: Option<&mut ExtraMatches>,
    ) -> Signals {
        let mut signals = Signals::default();
        self.scan(&n.text, &mut signals, extra);
        obfuscation(n, &mut signals);
        let mut hidden = Vec::new();
        if !n.tag_text.is_empty() {
            signals.add("tag_smuggling", CUE_TAGS, 600);
            hidden.push(n.tag_text.clone());
        }
        if n.maybe_encoded {
            hidden.extend(encoded::decoded_payloads(raw));
        }
        for payload in hidden {
            let mut inner = Signals::default();
            self.scan(&normalize(&payload).text, &mut inner, None);
            let weight = inner.permille();
            if weight > 0 {
                // Hiding instructions is itself evidence, on top of what they say.
                signals.add("encoded_payload", CUE_ENCODED, weight.saturating_add(150));
            }
        }
        signals
    }

    fn scan(&self, text: &str, signals: &mut Signals, mut extra: Option<&mut ExtraMatches>) {
        let mut hits: Vec<Hit> = Vec::new();
        self.ac.for_each_match(text, |pattern, start, end| {
            let Some(entry) = self.entries.get(pattern).copied() else {
                if let Some(extra) = extra.as_deref_mut() {
                    extra.push((pattern - self.entries.len(), start, end));
                }
                return;
            };
            let bounded = !entry.whole_word
                || (!word_char_before(text, start) && !word_char_after(text, end));
            if bounded {
                hits.push(Hit {
                    id: u32::try_from(pattern).unwrap_or(0),
                    entry,
                    start,
                    end,
                });
            }
        });
        // Verbs overlapping at one position ("ignore" and "ignore all") are one piece of
        // evidence: the strongest reading counts, under the first entry's identity.
        let mut verbs: Vec<(usize, u32, &'static str, u16, bool)> = Vec::new();
        for hit in &hits {
            let cue = hit.id;
            match hit.entry.cue {
                Cue::Phrase(name, weight) => signals.add(name, cue, weight),
                Cue::ExtractTarget => signals.add("prompt_probe", cue, 100),
                Cue::Verb {
                    strength,
                    verb_last,
                } => {
                    if let Some(pair) = paired(text, &hits, hit, verb_last, |c| {
                        matches!(c, Cue::Target | Cue::SafetyTarget)
                    }) {
                        let mut weight: u16 = match (strength, pair.modified) {
                            (Strength::Strong, true) => 800,
                            (Strength::Strong, false) => 550,
                            (Strength::Weak, true) => 450,
                            (Strength::Weak, false) => 300,
                            (Strength::Mild, true) => 350,
                            (Strength::Mild, false) => 250,
                        };
                        // Safety rules and filters are what attacks aim at; everyday rules and
                        // settings are what people override at work.
                        if pair.safety {
                            weight += 100;
                        }
                        let weight = discounted(text, hit, weight);
                        verbs.push((hit.start, cue, "override", weight, hit.entry.rot13));
                    }
                }
                Cue::ExtractVerb { verb_last } => {
                    if paired(text, &hits, hit, verb_last, |c| c == Cue::ExtractTarget).is_some() {
                        let weight = discounted(text, hit, 650);
                        verbs.push((hit.start, cue, "extraction", weight, hit.entry.rot13));
                    }
                }
                Cue::Target | Cue::SafetyTarget | Cue::Modifier => {}
            }
        }
        verbs.sort_by_key(|&(start, cue, ..)| (start, cue));
        for (i, &(start, cue, name, _, _)) in verbs.iter().enumerate() {
            if i > 0
                && verbs
                    .get(i - 1)
                    .is_some_and(|p| p.0 == start && p.2 == name)
            {
                continue;
            }
            let same = verbs.iter().filter(|v| v.0 == start && v.2 == name);
            let weight = same.clone().map(|v| v.3).max().unwrap_or(0);
            signals.add(name, cue, weight);
            if same.clone().any(|v| v.4) {
                signals.add("rot13", CUE_ROT13, 200);
            }
        }
    }
}

/// A verb that follows "try to", "how to", "such as"... describes or quotes an attack rather
/// than commanding one ("filters that block attempts to override the rules", "phrases such as
/// 'ignore previous instructions'"), so it counts for less.
fn discounted(text: &str, verb: &Hit, weight: u16) -> u16 {
    const DESCRIPTIVE: &[&str] = &[
        "try to",
        "tries to",
        "trying to",
        "attempt to",
        "attempts to",
        "how to",
        "used to",
        "ways to",
        "such as",
        "e.g.",
        "phrases like",
        "the phrase",
        "prompts like",
        "messages like",
        "detect",
        "prevent",
        "block",
        "against",
    ];
    let mut from = verb.start.saturating_sub(16);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let before = text
        .get(from..verb.start)
        .unwrap_or("")
        .trim_end_matches([' ', '"', '\'', '`', ':', '(']);
    let descriptive = DESCRIPTIVE.iter().any(|d| {
        before.ends_with(d)
            && before
                .len()
                .checked_sub(d.len() + 1)
                .and_then(|i| before.as_bytes().get(i))
                .is_none_or(|b| !b.is_ascii_alphanumeric())
    });
    if descriptive { weight * 3 / 5 } else { weight }
}

/// How a verb found its object.
#[derive(Debug, Clone, Copy, Default)]
struct Pair {
    /// A modifier ("previous", "all") sat between them.
    modified: bool,
    /// The object is a safety mechanism (filters, guardrails).
    safety: bool,
}

/// Finds a hit matching `want` after `verb` (or before it, for verb-last forms) within the
/// window and the same sentence.
fn paired(
    text: &str,
    hits: &[Hit],
    verb: &Hit,
    verb_last: bool,
    want: impl Fn(Cue) -> bool,
) -> Option<Pair> {
    let mut best: Option<Pair> = None;
    for other in hits {
        if !want(other.entry.cue) || other.entry.rot13 != verb.entry.rot13 {
            continue;
        }
        let (gap_start, gap_end) = if other.start >= verb.end {
            (verb.end, other.start)
        } else if verb_last && other.end <= verb.start {
            (other.end, verb.start)
        } else {
            continue;
        };
        if gap_end - gap_start > PAIR_WINDOW {
            continue;
        }
        let gap = text.get(gap_start..gap_end).unwrap_or(".");
        if gap.contains(['.', '!', '?', '\n', '。', ';']) {
            continue;
        }
        let modified = hits.iter().any(|h| {
            h.entry.cue == Cue::Modifier
                && h.entry.rot13 == verb.entry.rot13
                && h.start >= gap_start
                && h.end <= gap_end
        });
        let found = best.get_or_insert_default();
        found.modified |= modified;
        found.safety |= other.entry.cue == Cue::SafetyTarget;
    }
    best
}

fn word_char_before(text: &str, at: usize) -> bool {
    text.get(..at)
        .and_then(|s| s.chars().next_back())
        .is_some_and(|c| c.is_alphanumeric() && !is_cjk(c))
}

fn word_char_after(text: &str, at: usize) -> bool {
    text.get(at..)
        .and_then(|s| s.chars().next())
        .is_some_and(|c| c.is_alphanumeric() && !is_cjk(c))
}

fn obfuscation(n: &Normalized, signals: &mut Signals) {
    if n.invisible > 0 {
        signals.add("invisible_chars", CUE_OBFUSCATION, 300);
    }
    if n.bidi > 0 {
        signals.add("bidi_control", CUE_OBFUSCATION + 1, 250);
    }
    if n.mixed_script_words > 0 {
        signals.add("homoglyphs", CUE_OBFUSCATION + 2, 350);
    }
    if n.styled_letters >= 4 {
        signals.add("styled_letters", CUE_OBFUSCATION + 3, 150);
    }
    if n.spaced_words > 0 {
        signals.add("spaced_letters", CUE_OBFUSCATION + 4, 200);
    }
}

#[cfg(test)]
mod tests;
