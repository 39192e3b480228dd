//! How scopes, specs and numbers travel to and from the scripts (as strings).

use tollgate_types::NanoUsd;

use crate::budget::{BudgetMode, BudgetSpec};
use crate::counters::CounterError;
use crate::period::{Period, UtcOffset};
use crate::rate::RateKind;
use crate::scope::Scope;

/// A scope as a key part: a one-letter kind and the id; an end user's organization is
/// length-prefixed so no id can make two scopes collide.
pub(super) fn scope_key(scope: &Scope) -> String {
    match scope {
        Scope::Key(id) => format!("k:{id}"),
        Scope::User(id) => format!("u:{id}"),
        Scope::Team(id) => format!("t:{id}"),
        Scope::Org(id) => format!("o:{id}"),
        Scope::Deployment(id) => format!("d:{id}"),
        Scope::Credits(id) => format!("c:{id}"),
        Scope::EndUser { org: None, id } => format!("e:-:{id}"),
        Scope::EndUser { org: Some(org), id } => format!("e:{}:{org}:{id}", org.len()),
    }
}

pub(super) fn parse_scope(text: &str) -> Option<Scope> {
    let (kind, rest) = text.split_once(':')?;
    let id = rest.to_string();
    Some(match kind {
        "k" => Scope::Key(id),
        "u" => Scope::User(id),
        "t" => Scope::Team(id),
        "o" => Scope::Org(id),
        "d" => Scope::Deployment(id),
        "c" => Scope::Credits(id),
        "e" => {
            let (len, rest) = rest.split_once(':')?;
            if len == "-" {
                Scope::EndUser {
                    org: None,
                    id: rest.to_string(),
                }
            } else {
                let len: usize = len.parse().ok()?;
                let org = rest.get(..len)?;
                let id = rest.get(len..)?.strip_prefix(':')?;
                Scope::EndUser {
                    org: Some(org.to_string()),
                    id: id.to_string(),
                }
            }
        }
        _ => return None,
    })
}

pub(super) fn rate_bucket(scope: &Scope, kind: RateKind) -> String {
    let kind = match kind {
        RateKind::Requests => 'r',
        RateKind::Tokens => 't',
    };
    format!("{kind}:{}", scope_key(scope))
}

pub(super) fn mode_code(mode: BudgetMode) -> &'static str {
    match mode {
        BudgetMode::Hard => "h",
        BudgetMode::Soft => "s",
    }
}

pub(super) fn parse_mode(text: &str) -> Option<BudgetMode> {
    match text {
        "h" => Some(BudgetMode::Hard),
        "s" => Some(BudgetMode::Soft),
        _ => None,
    }
}

/// A spec's six script arguments: scope, limit, period, mode, alert percent (0: none),
/// offset minutes.
pub(super) fn spec_args(spec: &BudgetSpec) -> [String; 6] {
    [
        scope_key(&spec.scope),
        spec.limit.0.to_string(),
        spec.period.as_str().to_string(),
        mode_code(spec.mode).to_string(),
        spec.alert_at_percent.unwrap_or(0).to_string(),
        spec.offset.minutes().to_string(),
    ]
}

/// A reply's fields, read in order.
pub(super) struct Reply {
    fields: std::vec::IntoIter<String>,
}

impl Reply {
    pub(super) fn new(fields: Vec<String>) -> Reply {
        Reply {
            fields: fields.into_iter(),
        }
    }

    pub(super) fn text(&mut self) -> Result<String, CounterError> {
        self.fields
            .next()
            .ok_or_else(|| malformed("a field is missing"))
    }

    pub(super) fn int(&mut self) -> Result<i64, CounterError> {
        let text = self.text()?;
        text.parse()
            .map_err(|_| CounterError::Backend(format!("a script answered {text:?}, not a number")))
    }

    pub(super) fn uint(&mut self) -> Result<u64, CounterError> {
        u64::try_from(self.int()?).map_err(|_| malformed("a negative count"))
    }

    pub(super) fn nano(&mut self) -> Result<NanoUsd, CounterError> {
        self.int().map(NanoUsd)
    }

    pub(super) fn scope(&mut self) -> Result<Scope, CounterError> {
        let text = self.text()?;
        parse_scope(&text).ok_or_else(|| malformed("an unreadable scope"))
    }

    pub(super) fn period(&mut self) -> Result<Period, CounterError> {
        Period::parse(&self.text()?).ok_or_else(|| malformed("an unknown period"))
    }

    pub(super) fn mode(&mut self) -> Result<BudgetMode, CounterError> {
        parse_mode(&self.text()?).ok_or_else(|| malformed("an unknown mode"))
    }

    pub(super) fn offset(&mut self) -> Result<UtcOffset, CounterError> {
        let minutes = i32::try_from(self.int()?).map_err(|_| malformed("an offset"))?;
        UtcOffset::from_minutes(minutes).ok_or_else(|| malformed("an offset out of range"))
    }

    /// A window start: `n` (a lifetime budget) is `i64::MIN`, as the in-process state keeps it.
    pub(super) fn window_start(&mut self) -> Result<i64, CounterError> {
        let text = self.text()?;
        if text == "n" {
            return Ok(i64::MIN);
        }
        text.parse().map_err(|_| malformed("a window start"))
    }

    pub(super) fn has_more(&self) -> bool {
        self.fields.len() > 0
    }
}

pub(super) fn malformed(what: &str) -> CounterError {
    CounterError::Backend(format!("unexpected script reply: {what}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn scopes_round_trip_and_never_collide() {
        let scopes = [
            Scope::Key("a:b".into()),
            Scope::User("u".into()),
            Scope::Team("t".into()),
            Scope::Org("o".into()),
            Scope::Deployment("d".into()),
            Scope::Credits("c".into()),
            Scope::EndUser {
                org: None,
                id: "x:y".into(),
            },
            Scope::EndUser {
                org: Some("o:1".into()),
                id: "x".into(),
            },
            Scope::EndUser {
                org: Some("o".into()),
                id: "1:x".into(),
            },
            Scope::EndUser {
                org: Some(String::new()),
                id: "-".into(),
            },
        ];
        let keys: Vec<String> = scopes.iter().map(scope_key).collect();
        for (scope, key) in scopes.iter().zip(&keys) {
            assert_eq!(parse_scope(key).as_ref(), Some(scope), "{key}");
        }
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
    }
}
