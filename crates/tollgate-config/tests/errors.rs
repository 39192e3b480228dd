//! Every error class is reported with its path and line; validation problems all at once.

mod common;

use common::{BASE, env, load_err, single_error};
use tollgate_config::load_from_str;

/// BASE with `extra` inserted after its line `after` (1-based).
fn insert_after(after: usize, extra: &str) -> String {
    let mut lines: Vec<&str> = BASE.lines().collect();
    lines.insert(after, extra);
    lines.join("\n") + "\n"
}

#[test]
fn unknown_key_deep_in_the_file() {
    let text = insert_after(8, "        wieght: 2");
    let error = single_error(&text, "models[0].deployments[0].wieght", 9);
    assert_eq!(error.column, Some(9));
    assert!(
        error.message.contains("unknown field `wieght`"),
        "{}",
        error.message
    );
}

#[test]
fn unknown_top_level_key() {
    let text = format!("{BASE}rooting: {{strategy: weighted}}\n");
    single_error(&text, "rooting", 13);
}

#[test]
fn wrong_type() {
    let text = insert_after(8, "        weight: heavy");
    let error = single_error(&text, "models[0].deployments[0].weight", 9);
    assert_eq!(error.column, Some(17));
    let text = format!("{BASE}server: {{port: [4000]}}\n");
    single_error(&text, "server.port", 13);
    let text = format!("{BASE}routing: {{allow_provider_prefix: maybe}}\n");
    single_error(&text, "routing.allow_provider_prefix", 13);
}

#[test]
fn unknown_provider_in_deployment() {
    let text = BASE.replace("provider: openai", "provider: opanai");
    let error = single_error(&text, "models[0].deployments[0].provider", 7);
    assert_eq!(error.column, Some(19));
    assert!(
        error.message.contains("unknown provider `opanai`"),
        "{}",
        error.message
    );
    assert!(error.message.contains("demo, openai"), "{}", error.message);
}

#[test]
fn missing_base_url() {
    let text = insert_after(3, "  local: {kind: openai, api_key: k}");
    single_error(&text, "providers.local.base_url", 4);
    let text = insert_after(3, "  local:\n    kind: openai\n    api_key: k");
    single_error(&text, "providers.local.base_url", 5);
}

#[test]
fn base_url_must_be_http() {
    let text = insert_after(3, "  local: {kind: openai, base_url: localhost:8000}");
    single_error(&text, "providers.local.base_url", 4);
}

#[test]
fn azure_without_api_version() {
    let text = insert_after(
        3,
        "  az: {kind: azure, base_url: \"https://r.openai.azure.com\", api_key: k}",
    );
    let error = single_error(&text, "providers.az.api_version", 4);
    assert!(
        error.message.contains("required for kind azure"),
        "{}",
        error.message
    );
}

#[test]
fn api_version_on_other_kinds() {
    let text = insert_after(
        3,
        "  o2: {kind: openai, base_url: \"https://x\", api_version: v1}",
    );
    single_error(&text, "providers.o2.api_version", 4);
}

#[test]
fn mock_block_on_non_mock_provider() {
    let text = BASE.replace("api_key: k}", "api_key: k, mock: {latency_ms: 1}}");
    let error = single_error(&text, "providers.openai.mock", 2);
    assert!(
        error.message.contains("only allowed for kind mock"),
        "{}",
        error.message
    );
}

#[test]
fn unknown_and_missing_provider_kind() {
    let text = insert_after(3, "  x: {kind: bedrock, base_url: \"https://x\"}");
    let error = single_error(&text, "providers.x.kind", 4);
    assert!(
        error
            .message
            .contains("openai, openrouter, azure, anthropic, gemini, mock"),
        "{}",
        error.message
    );
    let text = insert_after(3, "  x: {base_url: \"https://x\"}");
    single_error(&text, "providers.x.kind", 4);
}

#[test]
fn a_broken_provider_does_not_cascade_into_its_deployments() {
    // Only the provider's own error: its deployments are not also "unknown provider".
    let text = BASE.replace("demo: {kind: mock}", "demo: {kind: mocks}");
    single_error(&text, "providers.demo.kind", 3);
}

#[test]
fn bad_guardrail_mode() {
    let text = format!("{BASE}guardrails:\n  pii: {{mode: redacted}}\n");
    let error = single_error(&text, "guardrails.pii.mode", 14);
    assert_eq!(
        error.message,
        "unknown value `redacted`; expected one of off, log, mask, redact, block"
    );
    let text = format!("{BASE}guardrails:\n  injection: {{mode: redact}}\n");
    single_error(&text, "guardrails.injection.mode", 14);
}

#[test]
fn bad_routing_strategy() {
    let text = format!("{BASE}routing:\n  strategy: random\n");
    single_error(&text, "routing.strategy", 14);
}

#[test]
fn threshold_out_of_range() {
    let text = format!("{BASE}guardrails:\n  injection:\n    mode: block\n    threshold: 1.5\n");
    let error = single_error(&text, "guardrails.injection.threshold", 16);
    assert_eq!(error.column, Some(16));
}

#[test]
fn fallback_to_unknown_model_or_itself() {
    let text = insert_after(8, "    fallbacks: [smart]");
    let error = single_error(&text, "models[0].fallbacks[0]", 9);
    assert_eq!(error.message, "unknown model `smart`");
    let text = insert_after(8, "    fallbacks:\n      - embed\n      - fast");
    let errors = load_err(&text);
    let found: Vec<_> = errors.iter().map(|e| (e.path.as_str(), e.line)).collect();
    assert_eq!(
        found,
        [
            ("models[0].fallbacks[0]", Some(10)),
            ("models[0].fallbacks[1]", Some(11))
        ],
        "{errors}"
    );
    // A chat model cannot fall back to an embedding model, nor to itself.
    assert!(errors.errors[0].message.contains("embedding"), "{errors}");
    assert!(errors.errors[1].message.contains("itself"), "{errors}");
}

#[test]
fn context_window_fallbacks_are_checked_like_fallbacks() {
    let text = insert_after(8, "    context_window_fallbacks: [bigger]");
    let error = single_error(&text, "models[0].context_window_fallbacks[0]", 9);
    assert_eq!(error.message, "unknown model `bigger`");
}

#[test]
fn unset_variable() {
    let text = BASE.replace("api_key: k}", "api_key: \"${OPENAI_API_KEY}\"}");
    let error = single_error(&text, "providers.openai.api_key", 2);
    assert_eq!(error.column, Some(75));
    assert!(
        error.message.contains("`OPENAI_API_KEY` is not set"),
        "{}",
        error.message
    );
}

#[test]
fn all_unset_variables_are_listed_together() {
    let text = format!(
        "master_key: ${{TOLLGATE_MASTER_KEY}}\n{}",
        BASE.replace("api_key: k}", "api_key: \"${OPENAI_API_KEY}\"}")
    ) + "server:\n  port: ${PORT}\n";
    let errors = load_err(&text);
    let found: Vec<_> = errors
        .iter()
        .map(|e| (e.path.as_str(), e.line, e.column))
        .collect();
    assert_eq!(
        found,
        [
            ("master_key", Some(1), Some(13)),
            ("providers.openai.api_key", Some(3), Some(75)),
            ("server.port", Some(15), Some(9)),
        ],
        "{errors}"
    );
}

#[test]
fn malformed_variable_reference() {
    let text = format!("{BASE}server: {{host: \"${{1HOST}}\"}}\n");
    single_error(&text, "server.host", 13);
    let text = format!("{BASE}server:\n  host: ${{HOST\n");
    let errors = load_err(&text);
    assert_eq!(errors.errors[0].line, Some(14));
    assert!(errors.errors[0].message.contains("closing"), "{errors}");
}

#[test]
fn variable_with_line_break_is_refused() {
    let text = BASE.replace("api_key: k}", "api_key: \"${KEY}\"}");
    let errors = load_from_str(&text, &env(&[("KEY", "a\nextra: 1")])).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(errors.errors[0].message.contains("line break"), "{errors}");
}

#[test]
fn weight_zero_and_other_ranges() {
    let text = insert_after(8, "        weight: 0");
    let error = single_error(&text, "models[0].deployments[0].weight", 9);
    assert_eq!(error.message, "must be greater than 0 (got 0)");
    let text = insert_after(8, "        timeout_ms: -5");
    single_error(&text, "models[0].deployments[0].timeout_ms", 9);
    let text = insert_after(
        8,
        "        timeout_ms: 1000\n        first_byte_timeout_ms: 2000",
    );
    single_error(&text, "models[0].deployments[0].first_byte_timeout_ms", 10);
    let text = format!("{BASE}server: {{port: 70000}}\n");
    let error = single_error(&text, "server.port", 13);
    assert_eq!(error.message, "must be at most 65535 (got 70000)");
}

#[test]
fn negative_price() {
    let text = insert_after(8, "        price: {input_per_mtok: -1, output_per_mtok: 1}");
    single_error(&text, "models[0].deployments[0].price.input_per_mtok", 9);
    let text = insert_after(8, "        price: {input_per_mtok: 1}");
    single_error(&text, "models[0].deployments[0].price.output_per_mtok", 9);
}

#[test]
fn embedding_model_on_anthropic() {
    let text = insert_after(
        3,
        "  claude: {kind: anthropic, base_url: \"https://api.anthropic.com\"}",
    )
    .replace(
        "{provider: demo, model: e1}",
        "{provider: claude, model: voyage}",
    );
    let error = single_error(&text, "models[1].deployments[0].provider", 13);
    assert!(
        error.message.contains("no embeddings API"),
        "{}",
        error.message
    );
}

#[test]
fn duplicate_model_names() {
    let text = BASE.replace("name: embed", "name: fast");
    let error = single_error(&text, "models[1].name", 9);
    assert!(
        error.message.contains("already defined at models[0]"),
        "{}",
        error.message
    );
}

#[test]
fn duplicate_yaml_keys() {
    let text = insert_after(3, "  openai: {kind: mock}");
    let error = single_error(&text, "providers", 4);
    assert!(error.message.contains("duplicate"), "{}", error.message);
    let text = insert_after(8, "        model: gpt-4o");
    let errors = load_err(&text);
    assert_eq!(errors.errors[0].line, Some(9), "{errors}");
}

#[test]
fn model_without_deployments() {
    let text = "providers:\n  demo: {kind: mock}\nmodels:\n  - name: lonely\n";
    single_error(text, "models[0].deployments", 4);
}

#[test]
fn bad_header_and_provider_names() {
    let text = BASE.replace("api_key: k}", "api_key: k, headers: {\"Bad Header\": v}}");
    single_error(&text, "providers.openai.headers.Bad Header", 2);
    let text = insert_after(3, "  \"my/provider\": {kind: mock}");
    single_error(&text, "providers.my/provider", 4);
}

#[test]
fn storage_and_redis_urls() {
    let text = format!("{BASE}storage: {{url: \"mysql://db\"}}\nredis: {{url: \"http://r\"}}\n");
    let errors = load_err(&text);
    let found: Vec<_> = errors.iter().map(|e| (e.path.as_str(), e.line)).collect();
    assert_eq!(
        found,
        [("storage.url", Some(13)), ("redis.url", Some(14))],
        "{errors}"
    );
}

#[test]
fn redis_prefix_is_kept_and_never_empty() {
    let text = format!("{BASE}redis: {{url: \"redis://r\", prefix: \"gw-a:\"}}\n");
    let config = load_from_str(&text, &env(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.redis.map(|r| r.prefix), Some("gw-a:".to_string()));
    let text = format!("{BASE}redis: {{url: \"redis://r\", prefix: \"\"}}\n");
    single_error(&text, "redis.prefix", 13);
}

#[test]
fn syntax_error_has_a_line() {
    let text = insert_after(8, "        weight: [1,");
    let errors = load_err(&text);
    assert_eq!(errors.len(), 1, "{errors}");
    assert!(errors.errors[0].line.is_some(), "{errors}");
}

#[test]
fn many_validation_errors_are_reported_together_in_file_order() {
    let text = "\
providers:
  openai: {kind: openai, api_key: k}
  az: {kind: azure, base_url: \"https://r\"}
  demo: {kind: demo}
models:
  - name: fast
    deployments:
      - {provider: opanai, model: m, weight: 0}
    fallbacks: [fast, nope]
guardrails:
  pii: {mode: loud}
  injection: {threshold: -0.1}
";
    let errors = load_err(text);
    let found: Vec<_> = errors.iter().map(|e| (e.line, e.path.as_str())).collect();
    assert_eq!(
        found,
        [
            (Some(2), "providers.openai.base_url"),
            (Some(3), "providers.az.api_version"),
            (Some(4), "providers.demo.kind"),
            (Some(8), "models[0].deployments[0].provider"),
            (Some(8), "models[0].deployments[0].weight"),
            (Some(9), "models[0].fallbacks[0]"),
            (Some(9), "models[0].fallbacks[1]"),
            (Some(11), "guardrails.pii.mode"),
            (Some(12), "guardrails.injection.threshold"),
        ],
        "{errors}"
    );
    let rendered = errors.to_string();
    let lines: Vec<&str> = rendered.lines().collect();
    assert_eq!(lines.len(), 9);
    assert_eq!(
        lines[3],
        "<string>:8:20: models[0].deployments[0].provider: unknown provider `opanai` (defined: az, demo, openai)"
    );
    let renamed = errors.with_source_name("tollgate.yaml").to_string();
    assert!(renamed.starts_with("tollgate.yaml:2:"), "{renamed}");
}

#[test]
fn columns_point_into_the_text_as_written() {
    // The expanded host is much longer than `${HOST}`; the port error must still point at the
    // port in the original line.
    let text = format!("{BASE}server: {{host: ${{HOST}}, port: 99999}}\n");
    let errors = load_from_str(
        &text,
        &env(&[("HOST", "a-much-longer-host-name.example.com")]),
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    let error = &errors.errors[0];
    assert_eq!((error.line, error.column), (Some(13), Some(31)), "{errors}");
}

#[test]
fn unreadable_file_is_an_error() {
    let errors = tollgate_config::load_from_file("/nonexistent/tollgate.yaml").unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors
            .to_string()
            .starts_with("/nonexistent/tollgate.yaml: cannot read"),
        "{errors}"
    );
}

#[test]
fn deadlines_quotas_and_idle_timeout_are_checked() {
    let text = insert_after(8, "        rpm_limit: 0");
    let error = single_error(&text, "models[0].deployments[0].rpm_limit", 9);
    assert_eq!(error.message, "must be greater than 0 (got 0)");
    let text = insert_after(8, "        tpm_limit: 10000000000000000");
    let error = single_error(&text, "models[0].deployments[0].tpm_limit", 9);
    assert_eq!(
        error.message,
        "must be at most 1000000000000000 (got 10000000000000000)"
    );
    let text = insert_after(
        8,
        "        timeout_ms: 1000\n        stream_idle_timeout_ms: 2000",
    );
    let error = single_error(&text, "models[0].deployments[0].stream_idle_timeout_ms", 10);
    assert_eq!(error.message, "must not exceed timeout_ms");
    let text = insert_after(8, "        stream_idle_timeout_ms: 0");
    single_error(&text, "models[0].deployments[0].stream_idle_timeout_ms", 9);
    let text = insert_after(5, "    deadline_ms: -1");
    let error = single_error(&text, "models[0].deadline_ms", 6);
    assert_eq!(error.message, "must be greater than 0 (got -1)");
    let text = format!("{BASE}routing: {{deadline_ms: 0}}\n");
    let error = single_error(&text, "routing.deadline_ms", 13);
    assert_eq!(error.message, "must be greater than 0 (got 0)");
    let text = format!("{BASE}routing: {{deadline_ms: fast}}\n");
    assert!(load_from_str(&text, &env(&[])).is_err());
}
