//! Content policy: operator deny lists (one Aho-Corasick automaton over every rule's words,
//! matched on normalised text as whole words) and regexes (one multi-pattern regex over the
//! original text).

use regex_automata::meta::Regex;

use crate::error::GuardConfigError;
use crate::normalize::normalize;
use crate::phrases::PhraseDfa;
use crate::settings::{PolicyAction, PolicySettings};

#[derive(Debug, Clone)]
struct RuleInfo {
    /// `name` or `category/name`, as findings report it.
    label: String,
    category: Option<String>,
    block: bool,
    /// The rule's fallback model, or the settings' default.
    fallback: Option<String>,
}

pub(crate) struct PolicyEngine {
    rules: Vec<RuleInfo>,
    /// The deny-list words, normalised, and the rule each belongs to.
    word_list: Vec<String>,
    word_rules: Vec<usize>,
    words: Option<PhraseDfa>,
    regexes: Option<(Regex, Vec<usize>)>,
}

/// Rules that matched one text, by index.
#[derive(Debug, Default)]
pub(crate) struct PolicyHits(Vec<usize>);

impl PolicyEngine {
    pub fn build(settings: &PolicySettings) -> Result<Self, GuardConfigError> {
        let mut rules = Vec::new();
        let mut words = Vec::new();
        let mut word_rules = Vec::new();
        let mut regexes: Vec<&str> = Vec::new();
        let mut regex_rules = Vec::new();
        for (index, rule) in settings.rules.iter().enumerate() {
            if rule.name.trim().is_empty() {
                return Err(GuardConfigError::PolicyRule {
                    rule: rule.name.clone(),
                    reason: "a rule needs a name".to_owned(),
                });
            }
            if rule.words.is_empty() && rule.regexes.is_empty() {
                return Err(GuardConfigError::PolicyRule {
                    rule: rule.name.clone(),
                    reason: "a rule needs words or regexes".to_owned(),
                });
            }
            let label = match &rule.category {
                Some(category) => format!("{category}/{}", rule.name),
                None => rule.name.clone(),
            };
            rules.push(RuleInfo {
                label,
                category: rule.category.clone(),
                block: rule.action == PolicyAction::Block,
                fallback: rule
                    .fallback_model
                    .clone()
                    .or_else(|| settings.fallback_model.clone()),
            });
            for word in &rule.words {
                let normalized = normalize(word.trim())
                    .text
                    .trim_start_matches('\n')
                    .to_owned();
                if normalized.is_empty() {
                    return Err(GuardConfigError::PolicyRule {
                        rule: rule.name.clone(),
                        reason: "empty word in deny list".to_owned(),
                    });
                }
                words.push(normalized);
                word_rules.push(index);
            }
            for re in &rule.regexes {
                Regex::new(re).map_err(|e| GuardConfigError::PolicyRegex {
                    rule: rule.name.clone(),
                    reason: e.to_string(),
                })?;
                regexes.push(re);
                regex_rules.push(index);
            }
        }
        let words_list = words.clone();
        let words = if words.is_empty() {
            None
        } else {
            Some(PhraseDfa::new(&words)?)
        };
        let regexes = if regexes.is_empty() {
            None
        } else {
            let re =
                Regex::new_many(&regexes).map_err(|e| GuardConfigError::Internal(e.to_string()))?;
            Some((re, regex_rules))
        };
        Ok(Self {
            rules,
            word_list: words_list,
            word_rules,
            words,
            regexes,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The deny-list words (normalised), for a scanner that matches them along with its own
    /// patterns and hands the matches to [`Self::check`].
    pub fn words(&self) -> &[String] {
        &self.word_list
    }

    /// Rules matching `raw`; `normalized` is `normalize(raw).text`, shared with the injection
    /// scorer so each text is normalised once. `word_matches` are the matches of [`Self::words`]
    /// in `normalized` when another pass already found them (word index, start, end).
    pub fn check(
        &self,
        raw: &str,
        normalized: &str,
        word_matches: Option<&[(usize, usize, usize)]>,
    ) -> PolicyHits {
        let mut hits = Vec::new();
        let mut word_hit = |word: usize, start: usize, end: usize| {
            let alone = !word_char(normalized.get(..start).and_then(|s| s.chars().next_back()))
                && !word_char(normalized.get(end..).and_then(|s| s.chars().next()));
            if let (true, Some(rule)) = (alone, self.word_rules.get(word)) {
                hits.push(*rule);
            }
        };
        match (word_matches, &self.words) {
            (Some(found), _) => {
                for &(word, start, end) in found {
                    word_hit(word, start, end);
                }
            }
            (None, Some(dfa)) => dfa.for_each_match(normalized, word_hit),
            (None, None) => {}
        }
        if let Some((re, owners)) = &self.regexes {
            for m in re.find_iter(raw) {
                if let Some(rule) = owners.get(m.pattern().as_usize()) {
                    hits.push(*rule);
                }
            }
        }
        hits.sort_unstable();
        hits.dedup();
        PolicyHits(hits)
    }

    pub fn labels<'a>(&'a self, hits: &'a PolicyHits) -> impl Iterator<Item = &'a str> + 'a {
        hits.0
            .iter()
            .filter_map(|i| self.rules.get(*i))
            .map(|r| r.label.as_str())
    }

    /// The categories of the rules among `hits` (a category may repeat).
    pub fn categories<'a>(&'a self, hits: &'a PolicyHits) -> impl Iterator<Item = &'a str> + 'a {
        hits.0
            .iter()
            .filter_map(|i| self.rules.get(*i))
            .filter_map(|r| r.category.as_deref())
    }

    /// The blocking rules among `hits`: `(label, fallback model)`.
    pub fn blocking<'a>(
        &'a self,
        hits: &'a PolicyHits,
    ) -> impl Iterator<Item = (&'a str, Option<&'a str>)> + 'a {
        hits.0
            .iter()
            .filter_map(|i| self.rules.get(*i))
            .filter(|r| r.block)
            .map(|r| (r.label.as_str(), r.fallback.as_deref()))
    }
}

fn word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        c.is_alphanumeric() && !matches!(u32::from(c), 0x3040..=0x9FFF | 0xAC00..=0xD7AF)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::PolicyRule;

    fn engine() -> PolicyEngine {
        let settings = PolicySettings {
            rules: vec![
                PolicyRule {
                    name: "competitors".into(),
                    category: Some("business".into()),
                    words: vec!["AcmeCorp".into(), "globex".into()],
                    regexes: vec![],
                    action: PolicyAction::Block,
                    fallback_model: None,
                },
                PolicyRule {
                    name: "tickets".into(),
                    category: None,
                    words: vec![],
                    regexes: vec![r"TICKET-[0-9]{4}".into()],
                    action: PolicyAction::Log,
                    fallback_model: None,
                },
            ],
            fallback_model: None,
        };
        PolicyEngine::build(&settings).unwrap_or_else(|e| panic!("{e}"))
    }

    fn labels(text: &str) -> Vec<String> {
        let e = engine();
        let hits = e.check(text, &normalize(text).text, None);
        e.labels(&hits).map(str::to_owned).collect()
    }

    #[test]
    fn words_survive_evasion_but_need_whole_words() {
        assert_eq!(
            labels("compare with ＡＣＭＥcorp"),
            vec!["business/competitors"]
        );
        assert_eq!(labels("gl\u{043E}bex inc"), vec!["business/competitors"]);
        assert!(labels("globexx").is_empty());
        assert_eq!(labels("see TICKET-1234"), vec!["tickets"]);
    }
}
