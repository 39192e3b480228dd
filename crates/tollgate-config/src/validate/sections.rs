//! The small top-level sections: server, storage, redis, routing, guardrails.

use super::Validator;
use crate::guardrails::Check;
use crate::raw::{RawRedis, RawRouting, RawServer, RawUrl};
use crate::{
    GuardrailsConfig, GuardrailsOverride, RedisConfig, RoutingConfig, ServerConfig, StorageBackend,
    StorageConfig,
};

impl Validator {
    pub(super) fn server(&mut self, raw: Option<RawServer>) -> ServerConfig {
        let defaults = ServerConfig::default();
        let Some(raw) = raw else {
            return defaults;
        };
        let host = match raw.host {
            Some(host) if host.trim().is_empty() => {
                self.problem("server.host", "must not be empty");
                defaults.host
            }
            Some(host) => host,
            None => defaults.host,
        };
        let port = self.int_in(
            "server.port",
            raw.port,
            0,
            i64::from(u16::MAX),
            i64::from(defaults.port),
        );
        let max_body_bytes = self.int_in(
            "server.max_body_bytes",
            raw.max_body_bytes,
            1,
            i64::MAX,
            i64::try_from(defaults.max_body_bytes).unwrap_or(i64::MAX),
        );
        let grace_ms = self.int_in(
            "server.shutdown_grace_ms",
            raw.shutdown_grace_ms,
            0,
            i64::MAX,
            i64::try_from(defaults.shutdown_grace.as_millis()).unwrap_or(i64::MAX),
        );
        ServerConfig {
            host,
            port: u16::try_from(port).unwrap_or(defaults.port),
            max_body_bytes: max_body_bytes.unsigned_abs(),
            shutdown_grace: std::time::Duration::from_millis(grace_ms.unsigned_abs()),
        }
    }

    pub(super) fn storage(&mut self, raw: Option<RawUrl>) -> StorageConfig {
        let Some(raw) = raw else {
            return StorageConfig::default();
        };
        let Some(url) = self.required("storage.url", raw.url) else {
            return StorageConfig::default();
        };
        match StorageBackend::from_url(&url) {
            Some(backend) => StorageConfig { url, backend },
            None => {
                self.problem(
                    "storage.url",
                    "must start with sqlite:, postgres:// or postgresql://",
                );
                StorageConfig::default()
            }
        }
    }

    pub(super) fn redis(&mut self, raw: Option<RawRedis>) -> Option<RedisConfig> {
        let raw = raw?;
        let url = self.required("redis.url", raw.url)?;
        if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
            self.problem("redis.url", "must start with redis:// or rediss://");
        }
        let prefix = match raw.prefix {
            Some(prefix) if prefix.is_empty() => {
                self.problem("redis.prefix", "must not be empty");
                RedisConfig::DEFAULT_PREFIX.to_string()
            }
            Some(prefix) => prefix,
            None => RedisConfig::DEFAULT_PREFIX.to_string(),
        };
        Some(RedisConfig { url, prefix })
    }

    pub(super) fn routing(&mut self, raw: Option<RawRouting>) -> RoutingConfig {
        let defaults = RoutingConfig::default();
        let Some(raw) = raw else {
            return defaults;
        };
        RoutingConfig {
            strategy: self.keyword(
                "routing.strategy",
                raw.strategy.as_deref(),
                defaults.strategy,
            ),
            allow_provider_prefix: raw
                .allow_provider_prefix
                .unwrap_or(defaults.allow_provider_prefix),
            deadline: self.optional_millis("routing.deadline_ms", raw.deadline_ms),
        }
    }

    pub(super) fn guardrails(&mut self, raw: Option<GuardrailsOverride>) -> GuardrailsConfig {
        let defaults = GuardrailsConfig::default();
        let Some(raw) = raw else {
            return defaults;
        };
        let mut check = Check::new("guardrails");
        let config = check.apply(&defaults, &raw);
        for (path, message) in check.problems {
            self.problem(path, message);
        }
        config
    }
}
