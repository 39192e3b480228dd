//! Valid files load into the expected values, defaults filled in.

mod common;

use std::time::Duration;

use common::{BASE, env, load_ok};
use rust_decimal::Decimal;
use tollgate_config::{
    InjectionMode, ModelKind, PiiMode, ProviderKind, RoutingStrategy, StorageBackend,
    load_from_file_with_env, load_from_str,
};

fn decimal(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn full_example_loads_every_field() {
    let text = include_str!("full.yaml");
    let env = env(&[
        ("TOLLGATE_MASTER_KEY", "mk-secret"),
        ("OPENAI_API_KEY", "sk-openai"),
    ]);
    let config = load_from_str(text, &env).unwrap_or_else(|e| panic!("{e}"));

    assert_eq!(config.server.host, "0.0.0.0");
    assert_eq!(config.server.port, 8080);
    assert_eq!(config.server.max_body_bytes, 1_048_576);
    assert_eq!(config.server.shutdown_grace, Duration::from_millis(2500));
    assert_eq!(
        config.master_key.as_ref().map(|k| k.expose().as_str()),
        Some("mk-secret")
    );
    assert_eq!(config.storage.backend, StorageBackend::Postgres);
    assert_eq!(
        config.redis.as_ref().map(|r| r.url.as_str()),
        Some("redis://127.0.0.1:6379")
    );
    assert_eq!(
        config.redis.as_ref().map(|r| r.prefix.as_str()),
        Some("tollgate:"),
        "the default key prefix"
    );

    let openai = config.provider("openai").unwrap();
    assert_eq!(openai.kind, ProviderKind::OpenAi);
    // Trailing slash normalised away.
    assert_eq!(
        openai.base_url.as_deref(),
        Some("https://api.openai.com/v1")
    );
    assert_eq!(
        openai.api_key.as_ref().map(|k| k.expose().as_str()),
        Some("sk-openai")
    );
    assert_eq!(openai.headers.get("X-Extra").map(String::as_str), Some("v"));
    assert_eq!(openai.connect_timeout, Some(Duration::from_secs(5)));
    let openrouter = config.provider("openrouter").unwrap();
    assert_eq!(
        openrouter.api_key.as_ref().map(|k| k.expose().as_str()),
        Some("or-default")
    );
    assert_eq!(
        config.provider("az").unwrap().api_version.as_deref(),
        Some("2024-10-21")
    );
    assert_eq!(config.provider("local").unwrap().api_key, None);
    let demo = config.provider("demo").unwrap();
    assert_eq!(demo.kind, ProviderKind::Mock);
    let mock = demo.mock.as_ref().unwrap();
    assert_eq!(mock.output_tokens, 32);
    assert_eq!(mock.latency, Duration::from_millis(5));
    assert_eq!(mock.chunk_delay, Duration::from_millis(1));
    assert_eq!(config.providers.len(), 7);

    let names: Vec<_> = config.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["fast", "smart", "embed"]);
    let fast = config.model("fast").unwrap();
    assert_eq!(fast.kind, ModelKind::Chat);
    assert_eq!(fast.retries, 2);
    assert_eq!(fast.fallbacks, ["smart"]);
    let first = &fast.deployments[0];
    assert_eq!(
        (first.provider.as_str(), first.model.as_str(), first.weight),
        ("openai", "gpt-4o-mini", 3)
    );
    assert_eq!(first.timeout, Duration::from_secs(30));
    assert_eq!(first.first_byte_timeout, Duration::from_secs(10));
    assert_eq!(first.stream_idle_timeout, Duration::from_secs(5));
    assert_eq!(
        (first.rpm_limit, first.tpm_limit),
        (Some(500), Some(200_000))
    );
    assert_eq!(fast.deadline, Some(Duration::from_secs(45)));
    let second = &fast.deployments[1];
    assert_eq!(second.weight, 1);
    assert_eq!(second.timeout, Duration::from_secs(600));
    assert_eq!(second.first_byte_timeout, second.timeout);
    assert_eq!(second.stream_idle_timeout, second.first_byte_timeout);
    assert_eq!((second.rpm_limit, second.tpm_limit), (None, None));
    assert_eq!(second.price, None);
    assert_eq!(config.model("smart").unwrap().deadline, None);
    // Fallback cycles are allowed.
    assert_eq!(config.model("smart").unwrap().fallbacks, ["fast"]);
    let embed = config.model("embed").unwrap();
    assert_eq!(embed.kind, ModelKind::Embedding);
    let embed_price = embed.deployments[0].price.as_ref().unwrap();
    assert_eq!(embed_price.output_per_mtok, Decimal::ZERO);

    assert_eq!(config.routing.strategy, RoutingStrategy::LowestCost);
    assert!(config.routing.allow_provider_prefix);
    assert_eq!(config.routing.deadline, Some(Duration::from_secs(120)));
    assert_eq!(config.guardrails.pii.mode, PiiMode::Redact);
    assert_eq!(config.guardrails.injection.mode, InjectionMode::Block);
    assert_eq!(config.guardrails.injection.threshold, 0.7);
}

#[test]
fn prices_are_exact_decimals() {
    let text = include_str!("full.yaml");
    let env = env(&[("TOLLGATE_MASTER_KEY", "m"), ("OPENAI_API_KEY", "k")]);
    let config = load_from_str(text, &env).unwrap_or_else(|e| panic!("{e}"));
    let price = config.model("fast").unwrap().deployments[0]
        .price
        .clone()
        .unwrap();
    assert_eq!(price.input_per_mtok, decimal("0.15"));
    assert_eq!(price.output_per_mtok.to_string(), "0.60");
    assert_eq!(
        price
            .cached_input_per_mtok
            .map(|d| d.to_string())
            .as_deref(),
        Some("0.075")
    );
    assert_eq!(
        price.cache_write_per_mtok.map(|d| d.to_string()).as_deref(),
        Some("0.1875")
    );
    // Quoted numbers are read the same way.
    let smart = config.model("smart").unwrap().deployments[0]
        .price
        .clone()
        .unwrap();
    assert_eq!(smart.input_per_mtok, Decimal::from(3));
    assert_eq!(smart.output_per_mtok.to_string(), "15.00");
}

#[test]
fn prices_keep_every_digit() {
    let text = BASE.replace(
        "        model: gpt-4o-mini\n",
        "        model: gpt-4o-mini\n        price: {input_per_mtok: 0.1000000000000000055511151231, output_per_mtok: 7.5e-2}\n",
    );
    let config = load_ok(&text);
    let price = config.model("fast").unwrap().deployments[0]
        .price
        .clone()
        .unwrap();
    assert_eq!(
        price.input_per_mtok.to_string(),
        "0.1000000000000000055511151231"
    );
    assert_eq!(price.output_per_mtok, decimal("0.075"));

    // More digits than a Decimal holds is refused rather than rounded.
    let text = text.replace("055511151231,", "0555111512312578,");
    let error = common::single_error(&text, "models[0].deployments[0].price.input_per_mtok", 9);
    assert!(error.message.contains("at most 28"), "{}", error.message);
}

#[test]
fn defaults_fill_a_minimal_file() {
    let config = load_ok(BASE);
    assert_eq!(config.server.host, "127.0.0.1");
    assert_eq!(config.server.port, 4000);
    assert_eq!(config.server.max_body_bytes, 4_194_304);
    assert_eq!(config.server.shutdown_grace, Duration::from_secs(10));
    assert_eq!(config.master_key, None);
    assert_eq!(config.storage.url, "sqlite://./tollgate-data/tollgate.db");
    assert_eq!(config.storage.backend, StorageBackend::Sqlite);
    assert_eq!(config.redis, None);
    assert_eq!(config.routing.strategy, RoutingStrategy::Weighted);
    assert!(!config.routing.allow_provider_prefix);
    assert_eq!(config.routing.deadline, None);
    assert_eq!(config.guardrails.pii.mode, PiiMode::Log);
    assert_eq!(config.guardrails.injection.mode, InjectionMode::Log);
    assert_eq!(config.guardrails.injection.threshold, 0.5);
    let demo = config.provider("demo").unwrap();
    assert_eq!(demo.base_url, None);
    assert_eq!(demo.mock.as_ref().map(|m| m.output_tokens), Some(16));
}

#[test]
fn variable_defaults_expand() {
    let text = "\
server: {port: ${PORT:-4100}, host: \"${HOST:-localhost}\"}
master_key: ${TOLLGATE_MASTER_KEY:-}
providers:
  demo: {kind: mock}
";
    let config = load_from_str(text, &env(&[("HOST", "")])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.server.port, 4100);
    // Set but empty also takes the default.
    assert_eq!(config.server.host, "localhost");
    assert_eq!(config.master_key, None);

    let config = load_from_str(
        text,
        &env(&[("PORT", "5000"), ("TOLLGATE_MASTER_KEY", "mk")]),
    )
    .unwrap();
    assert_eq!(config.server.port, 5000);
    assert_eq!(
        config.master_key.map(|k| k.into_inner()).as_deref(),
        Some("mk")
    );
}

#[test]
fn variables_in_comments_are_not_expanded() {
    let text = "# api_key: ${OLD_KEY}\nproviders:\n  demo: {kind: mock}  # ${ALSO_UNSET}\n";
    load_ok(text);
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let text = include_str!("full.yaml");
    let env = env(&[
        ("TOLLGATE_MASTER_KEY", "mk-secret"),
        ("OPENAI_API_KEY", "sk-openai"),
    ]);
    let config = load_from_str(text, &env).unwrap();
    let debug = format!("{config:?}");
    assert!(!debug.contains("mk-secret"));
    assert!(!debug.contains("sk-openai"));
    assert!(!debug.contains("sk-ant"));
    assert!(debug.contains("*****"));
    let key = config.master_key.unwrap();
    assert_eq!(format!("{key}"), "*****");
    assert_eq!(format!("{key:?}"), "*****");
    assert_eq!(key.expose(), "mk-secret");
}

#[test]
fn loads_from_a_file() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/full.yaml");
    let env = env(&[("TOLLGATE_MASTER_KEY", "m"), ("OPENAI_API_KEY", "k")]);
    let config = load_from_file_with_env(&path, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.models.len(), 3);
}

#[test]
fn empty_file_means_no_providers() {
    let errors = common::load_err("# nothing yet\n");
    assert_eq!(errors.errors[0].path, "providers");
}
