//! One pass of an Aho-Corasick automaton over a text, reporting every occurrence of every
//! pattern (overlapping). The injection lexicon and the content-policy deny lists both scan
//! normalised text this way.
//!
//! The automaton is `aho_corasick`'s contiguous NFA, not its DFA: the lexicon's ~1,200 patterns
//! (many multilingual, so many byte classes) made a 10 MB DFA, a quarter of the gateway's
//! resident memory, while the NFA takes well under 1 MB and scanned the 4 KB benchmark prompt
//! as fast (criterion, same run: inspect_request 33.1 -> 32.6 us; text mostly stays in the
//! dense states near the root).
//!
//! The loop drives the automaton through its public [`Automaton`] interface instead of
//! `find_overlapping_iter`: the iterator keeps its position in a state struct and returns once
//! per match, which costs about three times as much per byte as this loop, where the state stays
//! in a register. No prefilter: the patterns start with common letters, so one would stop at most
//! bytes anyway.

use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous::NFA;
use aho_corasick::{Anchored, MatchKind};

use crate::error::GuardConfigError;

pub(crate) struct PhraseDfa {
    dfa: NFA,
}

impl PhraseDfa {
    pub fn new<P: AsRef<[u8]>>(patterns: &[P]) -> Result<Self, GuardConfigError> {
        let dfa = NFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(patterns)
            .map_err(|e| GuardConfigError::Internal(e.to_string()))?;
        Ok(Self { dfa })
    }

    /// Calls `found(pattern, start, end)` for every occurrence of every pattern in `hay`, in
    /// order of their end.
    pub fn for_each_match(&self, hay: &str, mut found: impl FnMut(usize, usize, usize)) {
        let dfa = &self.dfa;
        let Ok(mut sid) = dfa.start_state(Anchored::No) else {
            return;
        };
        for (i, &b) in hay.as_bytes().iter().enumerate() {
            sid = dfa.next_state(Anchored::No, sid, b);
            if dfa.is_special(sid) {
                if dfa.is_dead(sid) {
                    return;
                }
                if dfa.is_match(sid) {
                    let end = i + 1;
                    for k in 0..dfa.match_len(sid) {
                        let pid = dfa.match_pattern(sid, k);
                        found(pid.as_usize(), end - dfa.pattern_len(pid), end);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_overlapping_matches() {
        let dfa = PhraseDfa::new(&["ignore", "ignore all", "all", "nor"])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut got = Vec::new();
        dfa.for_each_match("please ignore all", |p, s, e| got.push((p, s, e)));
        got.sort_unstable();
        assert_eq!(got, vec![(0, 7, 13), (1, 7, 17), (2, 14, 17), (3, 9, 12)]);
    }
}
