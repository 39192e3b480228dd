//! Helpers shared by the integration tests.
#![allow(dead_code)]

use tollgate_config::{Config, ConfigError, ConfigErrors, load_from_str};

/// An environment from pairs.
pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

pub fn load(text: &str) -> Result<Config, ConfigErrors> {
    load_from_str(text, &env(&[]))
}

pub fn load_ok(text: &str) -> Config {
    match load(text) {
        Ok(config) => config,
        Err(errors) => panic!("expected a valid config, got:\n{errors}"),
    }
}

pub fn load_err(text: &str) -> ConfigErrors {
    match load(text) {
        Ok(config) => panic!("expected errors, got {config:#?}"),
        Err(errors) => errors,
    }
}

/// The single error of `text`, checked against the expected path and line.
pub fn single_error(text: &str, path: &str, line: usize) -> ConfigError {
    let errors = load_err(text);
    assert_eq!(errors.len(), 1, "expected one error, got:\n{errors}");
    let error = errors.errors[0].clone();
    assert_eq!(
        (error.path.as_str(), error.line),
        (path, Some(line)),
        "{errors}"
    );
    error
}

/// A minimal valid config, for tests that add one mistake to it.
pub const BASE: &str = "\
providers:
  openai: {kind: openai, base_url: \"https://api.openai.com/v1\", api_key: k}
  demo: {kind: mock}
models:
  - name: fast
    deployments:
      - provider: openai
        model: gpt-4o-mini
  - name: embed
    kind: embedding
    deployments:
      - {provider: demo, model: e1}
";
