//! Tollgate's configuration: the YAML file of design.md §4.1 and the zero-config defaults.
//!
//! Loading runs in four steps, each in its own module:
//! 1. `expand`: `${VAR}` / `${VAR:-default}` substituted in the text, every unset
//!    variable collected;
//! 2. `source_index`: where each YAML node sits (line, column), so that errors found later
//!    can point at the file;
//! 3. `raw`: serde structs mirroring the file, `deny_unknown_fields` everywhere; syntax and type
//!    errors stop here, one at a time, with their path;
//! 4. `validate`: raw → [`Config`], checking every cross-field rule in one pass and reporting
//!    all the problems together.

mod budgets;
mod error;
mod expand;
mod guardrails;
mod keyword;
mod load;
mod raw;
mod secret;
mod source_index;
mod types;
mod validate;
mod zero_config;

pub use budgets::{
    BudgetAmount, BudgetMode, BudgetPeriod, BudgetsConfig, CreditsConfig, EndUserBudgets,
};
pub use error::{ConfigError, ConfigErrors};
pub use guardrails::{
    CustomEntityConfig, CustomEntityOverride, GuardrailsConfig, GuardrailsOverride,
    InjectionConfig, InjectionMode, InjectionOverride, PiiConfig, PiiMode, PiiOverride,
    PolicyConfig, PolicyMode, PolicyOverride, PolicyRuleConfig, PolicyRuleOverride,
};
pub use load::{load_from_file, load_from_file_with_env, load_from_str};
pub use secret::Secret;
pub use tollgate_guard::EntityKind;
pub use types::{
    Config, DeploymentConfig, MockConfig, ModelConfig, ModelKind, Price, ProviderConfig,
    ProviderKind, RedisConfig, RoutingConfig, RoutingStrategy, ServerConfig, StorageBackend,
    StorageConfig,
};
pub use zero_config::{ENV_PROVIDERS, EnvProvider, MOCK_PROVIDER};
