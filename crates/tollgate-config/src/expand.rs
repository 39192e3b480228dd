//! `${VAR}` expansion on the config text, before YAML parsing.
//!
//! Working on the text (not on parsed values) lets a variable stand anywhere a value can,
//! numbers included (`port: ${PORT:-4000}`). The price is that an expanded value is YAML source:
//! a value with a line break is refused, since it could add keys and would shift every line
//! number after it. Comments are left alone, so a commented-out `# api_key: ${OLD_KEY}` does
//! not demand `OLD_KEY`.
//!
//! Forms: `${NAME}` (unset is an error), `${NAME:-default}` (default when unset or empty),
//! `$${` for a literal `${`. Every problem is collected, so all unset variables are reported
//! together.

use std::collections::HashMap;

/// The expanded text plus what is needed to report errors against the original text.
#[derive(Debug)]
pub(crate) struct Expanded {
    pub text: String,
    pub problems: Vec<ExpandProblem>,
    pub columns: ColumnMap,
}

/// A `${...}` that could not be expanded. Unset variables are replaced by nothing in `text`,
/// so the rest of the file can still be indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpandProblem {
    pub message: String,
    pub line: usize,
    /// Column of the `$` in the original text.
    pub column: usize,
    /// Column of the substituted text in the expanded text.
    pub expanded_column: usize,
}

/// Maps columns of the expanded text back to the original text, line by line.
#[derive(Debug, Default)]
pub(crate) struct ColumnMap {
    /// For each line with substitutions: (expanded start, expanded length, original start,
    /// original length), in columns (characters), in order.
    lines: HashMap<usize, Vec<Substitution>>,
}

#[derive(Debug, Clone, Copy)]
struct Substitution {
    expanded_start: usize,
    expanded_len: usize,
    original_start: usize,
    original_len: usize,
}

impl ColumnMap {
    /// The original column for `column` of `line` in the expanded text. A column inside a
    /// substituted value maps to the start of its `${`.
    pub fn original_column(&self, line: usize, column: usize) -> usize {
        let Some(subs) = self.lines.get(&line) else {
            return column;
        };
        let mut result = column;
        for sub in subs {
            if column < sub.expanded_start {
                break;
            }
            result = if column < sub.expanded_start + sub.expanded_len {
                sub.original_start
            } else {
                sub.original_start
                    + sub.original_len
                    + (column - sub.expanded_start - sub.expanded_len)
            };
        }
        result
    }
}

pub(crate) fn expand(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Expanded {
    let mut out = Expanded {
        text: String::with_capacity(text.len()),
        problems: Vec::new(),
        columns: ColumnMap::default(),
    };
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let (code, comment) = line.split_at(comment_start(line));
        expand_line(index + 1, code, env, &mut out);
        out.text.push_str(comment);
    }
    out
}

fn expand_line(line: usize, code: &str, env: &dyn Fn(&str) -> Option<String>, out: &mut Expanded) {
    // Columns are 1-based and counted in characters, as the YAML parser counts them.
    let mut original_col = 1;
    let mut expanded_col = 1;
    let mut rest = code;
    while let Some(dollar) = rest.find('$') {
        let before = &rest[..dollar];
        out.text.push_str(before);
        let before_chars = before.chars().count();
        original_col += before_chars;
        expanded_col += before_chars;
        rest = &rest[dollar..];

        let (original, replacement): (&str, String) = if rest.starts_with("$${") {
            (&rest[..3], "${".to_owned())
        } else if let Some(body) = rest.strip_prefix("${") {
            let Some(close) = body.find('}') else {
                out.problems.push(ExpandProblem {
                    message: "`${` without a closing `}`".to_owned(),
                    line,
                    column: original_col,
                    expanded_column: expanded_col,
                });
                break;
            };
            let inner = &body[..close];
            let value = resolve(inner, env).unwrap_or_else(|message| {
                out.problems.push(ExpandProblem {
                    message,
                    line,
                    column: original_col,
                    expanded_column: expanded_col,
                });
                String::new()
            });
            (&rest[..close + 3], value)
        } else {
            (&rest[..1], "$".to_owned())
        };

        let original_len = original.chars().count();
        let expanded_len = replacement.chars().count();
        if original != replacement {
            out.columns
                .lines
                .entry(line)
                .or_default()
                .push(Substitution {
                    expanded_start: expanded_col,
                    expanded_len,
                    original_start: original_col,
                    original_len,
                });
        }
        out.text.push_str(&replacement);
        original_col += original_len;
        expanded_col += expanded_len;
        rest = &rest[original.len()..];
    }
    out.text.push_str(rest);
}

/// The value for the inside of one `${...}`.
fn resolve(inner: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let (name, default) = match inner.split_once(":-") {
        Some((name, default)) => (name, Some(default)),
        None => (inner, None),
    };
    if !is_variable_name(name) {
        return Err(format!(
            "`${{{inner}}}` is not a variable reference (use ${{NAME}} or ${{NAME:-default}})"
        ));
    }
    let value = match (env(name), default) {
        (Some(value), Some(default)) if value.is_empty() => default.to_owned(),
        (Some(value), _) => value,
        (None, Some(default)) => default.to_owned(),
        (None, None) => {
            return Err(format!(
                "environment variable `{name}` is not set (write ${{{name}:-default}} to allow that)"
            ));
        }
    };
    if value.contains(['\n', '\r']) {
        return Err(format!(
            "the value of `{name}` contains a line break, which a config value cannot hold"
        ));
    }
    Ok(value)
}

fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Byte offset where a YAML comment starts on this line (the line's length if none).
///
/// A `#` starts a comment at the start of a line or after whitespace, outside quotes. A quote
/// opens a quoted scalar only where a scalar can start (line start, after `:`, `-`, `?`, `,`,
/// `[` or `{`), so the apostrophe in `name: it's` is not taken for one. Quotes spanning lines
/// and block scalars are not tracked: a `#` there is rare in a config, and the worst outcome
/// is a `${VAR}` after it left unexpanded on that one line.
fn comment_start(line: &str) -> usize {
    let mut chars = line.char_indices().peekable();
    let mut previous: Option<char> = None;
    let mut previous_non_space: Option<char> = None;
    let mut quote: Option<char> = None;
    while let Some((offset, c)) = chars.next() {
        match quote {
            Some('"') => match c {
                '\\' => {
                    chars.next();
                }
                '"' => quote = None,
                _ => {}
            },
            Some(_) => {
                if c == '\'' {
                    if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
            }
            None => {
                if c == '#' && previous.is_none_or(char::is_whitespace) {
                    return offset;
                }
                if (c == '"' || c == '\'')
                    && previous_non_space
                        .is_none_or(|p| matches!(p, ':' | '-' | '?' | ',' | '[' | '{'))
                {
                    quote = Some(c);
                }
            }
        }
        previous = Some(c);
        if !c.is_whitespace() {
            previous_non_space = Some(c);
        }
    }
    line.len()
}

#[cfg(test)]
mod tests;
