//! The loading pipeline: expand → index → typed parse → validate, with every error mapped back
//! to a line and column of the file as the user wrote it.

use std::borrow::Cow;
use std::path::Path;

use serde_saphyr::{MessageFormatter, UserMessageFormatter};

use crate::expand::{ColumnMap, Expanded, expand};
use crate::raw::RawConfig;
use crate::source_index::{Position, SourceIndex, join_key};
use crate::validate::{Problem, validate};
use crate::{Config, ConfigError, ConfigErrors};

/// Name used in reports for text that was not read from a file.
const STRING_SOURCE: &str = "<string>";

/// Parses and validates config text. `env` answers `${VAR}` lookups (pass
/// `&|name| std::env::var(name).ok()` for the process environment). On failure every problem
/// found is returned; see [`ConfigErrors`] for the order and format.
pub fn load_from_str(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    load(text, env).map_err(|errors| ConfigErrors::new(STRING_SOURCE, errors))
}

/// Reads, expands (from the process environment) and validates a config file. Errors are
/// reported under the file's path as given.
pub fn load_from_file(path: impl AsRef<Path>) -> Result<Config, ConfigErrors> {
    load_from_file_with_env(path, &|name| std::env::var(name).ok())
}

/// [`load_from_file`] with an explicit environment.
pub fn load_from_file_with_env(
    path: impl AsRef<Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let path = path.as_ref();
    let source_name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|err| {
        ConfigErrors::new(
            &source_name,
            vec![ConfigError {
                path: String::new(),
                line: None,
                column: None,
                message: format!("cannot read the config file: {err}"),
            }],
        )
    })?;
    load(&text, env).map_err(|errors| ConfigErrors::new(&source_name, errors))
}

fn load(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, Vec<ConfigError>> {
    let Expanded {
        text,
        problems,
        columns,
    } = expand(text, env);

    // Unset variables first, all together: with values missing, later errors would mostly be
    // consequences of them.
    if !problems.is_empty() {
        // The index is only needed to report errors, so it is built only then.
        let index = SourceIndex::build(&text);
        return Err(problems
            .into_iter()
            .map(|problem| ConfigError {
                path: index
                    .path_at(Position {
                        line: problem.line,
                        column: problem.expanded_column,
                    })
                    .unwrap_or_default()
                    .to_owned(),
                line: Some(problem.line),
                column: Some(problem.column),
                message: problem.message,
            })
            .collect());
    }

    let raw = parse_raw(&text, &columns)?;
    validate(raw).map_err(|problems| {
        let index = SourceIndex::build(&text);
        problems
            .into_iter()
            .map(|problem| semantic_error(problem, &index, &columns))
            .collect()
    })
}

/// One YAML options value for both parses, so the index sees what the typed parse sees.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    // Snippets are for terminals; our errors carry line and column instead. Duplicate keys
    // are already errors by default, which is what we want.
    serde_saphyr::options! { with_snippet: false }
}

/// The typed parse. Stops at the first syntax or type error, reported with its path.
fn parse_raw(text: &str, columns: &ColumnMap) -> Result<RawConfig, Vec<ConfigError>> {
    let mut error_path = String::new();
    let parsed =
        serde_saphyr::with_deserializer_from_str_with_options(text, yaml_options(), |de| {
            // An empty file (or one with only comments) is an empty config, not a syntax error.
            serde_path_to_error::deserialize::<_, Option<RawConfig>>(de).map_err(|err| {
                error_path = path_string(err.path());
                err.into_inner()
            })
        });
    match parsed {
        Ok(raw) => Ok(raw.unwrap_or_default()),
        Err(err) => {
            let location = err.location().filter(|l| l.line() > 0);
            let line = location.map(|l| l.line() as usize);
            let column =
                location.map(|l| columns.original_column(l.line() as usize, l.column() as usize));
            Err(vec![ConfigError {
                path: error_path,
                line,
                column,
                message: plain_message(&err),
            }])
        }
    }
}

/// The message without saphyr's "at line X, column Y" suffix (we print those ourselves) and
/// without control characters (the message may quote the user's keys).
fn plain_message(err: &serde_saphyr::Error) -> String {
    let message: Cow<'_, str> = UserMessageFormatter.format_message(err.without_snippet());
    let message: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    // Parser jargon for the shapes users get wrong most, reworded in the file's terms.
    match message.as_str() {
        "expected mapping start" => "expected a mapping (`key: value` entries)".to_owned(),
        "expected sequence start" => "expected a list".to_owned(),
        "invalid i64" => "expected a whole number".to_owned(),
        _ => message,
    }
}

/// `serde_path_to_error` paths as `a.b[0].c`, without its `?` for positions it could not name.
fn path_string(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => out = join_key(&out, key),
            Segment::Enum { variant } => out = join_key(&out, variant),
            Segment::Unknown => {}
        }
    }
    out
}

fn semantic_error(problem: Problem, index: &SourceIndex, columns: &ColumnMap) -> ConfigError {
    let position = index.locate(&problem.path);
    ConfigError {
        line: position.map(|p| p.line),
        column: position.map(|p| columns.original_column(p.line, p.column)),
        path: problem.path,
        message: problem.message,
    }
}
