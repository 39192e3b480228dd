//! The entity types the PII scanner knows, and the per-guard table that also holds custom ones.

use serde::{Deserialize, Serialize};

use crate::settings::PiiMode;

/// A built-in entity type. Its `name()` is what findings, logs and metrics carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Email,
    Phone,
    CreditCard,
    Iban,
    UsSsn,
    Ipv4,
    Ipv6,
    AwsAccessKey,
    AwsSecretKey,
    GcpApiKey,
    OpenaiKey,
    AnthropicKey,
    GithubToken,
    SlackToken,
    StripeKey,
    PrivateKey,
    Jwt,
    ConnectionPassword,
}

impl EntityKind {
    pub const ALL: &'static [EntityKind] = &[
        EntityKind::Email,
        EntityKind::Phone,
        EntityKind::CreditCard,
        EntityKind::Iban,
        EntityKind::UsSsn,
        EntityKind::Ipv4,
        EntityKind::Ipv6,
        EntityKind::AwsAccessKey,
        EntityKind::AwsSecretKey,
        EntityKind::GcpApiKey,
        EntityKind::OpenaiKey,
        EntityKind::AnthropicKey,
        EntityKind::GithubToken,
        EntityKind::SlackToken,
        EntityKind::StripeKey,
        EntityKind::PrivateKey,
        EntityKind::Jwt,
        EntityKind::ConnectionPassword,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            EntityKind::Email => "email",
            EntityKind::Phone => "phone",
            EntityKind::CreditCard => "credit_card",
            EntityKind::Iban => "iban",
            EntityKind::UsSsn => "us_ssn",
            EntityKind::Ipv4 => "ipv4",
            EntityKind::Ipv6 => "ipv6",
            EntityKind::AwsAccessKey => "aws_access_key",
            EntityKind::AwsSecretKey => "aws_secret_key",
            EntityKind::GcpApiKey => "gcp_api_key",
            EntityKind::OpenaiKey => "openai_key",
            EntityKind::AnthropicKey => "anthropic_key",
            EntityKind::GithubToken => "github_token",
            EntityKind::SlackToken => "slack_token",
            EntityKind::StripeKey => "stripe_key",
            EntityKind::PrivateKey => "private_key",
            EntityKind::Jwt => "jwt",
            EntityKind::ConnectionPassword => "connection_password",
        }
    }

    pub fn from_name(name: &str) -> Option<EntityKind> {
        EntityKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Secrets are never partly shown: their mask keeps no characters.
    pub const fn is_secret(self) -> bool {
        !matches!(
            self,
            EntityKind::Email
                | EntityKind::Phone
                | EntityKind::CreditCard
                | EntityKind::Iban
                | EntityKind::UsSsn
                | EntityKind::Ipv4
                | EntityKind::Ipv6
        )
    }
}

/// Index into a guard's [`EntityTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct EntityId(pub u16);

/// One entity type as a guard enforces it.
#[derive(Debug, Clone)]
pub(crate) struct EntityInfo {
    /// `email`, `credit_card`, or a custom name.
    pub name: String,
    /// Placeholder tag: `EMAIL`, `CREDIT_CARD`, ...
    pub tag: String,
    pub mode: PiiMode,
    /// Characters a mask keeps from the end of the value.
    pub mask_keep: usize,
}

/// Built-ins first (in `EntityKind::ALL` order), then custom entities in settings order.
#[derive(Debug, Clone, Default)]
pub(crate) struct EntityTable {
    entries: Vec<EntityInfo>,
}

impl EntityTable {
    pub fn push(&mut self, name: &str, mode: PiiMode, mask_keep: usize) -> EntityId {
        let id = EntityId(u16::try_from(self.entries.len()).unwrap_or(u16::MAX));
        self.entries.push(EntityInfo {
            name: name.to_owned(),
            tag: name.to_ascii_uppercase(),
            mode,
            mask_keep,
        });
        id
    }

    pub fn get(&self, id: EntityId) -> &EntityInfo {
        // Ids are only ever made by `push` on this table, so the index is in range; the fallback
        // keeps this total anyway.
        self.entries
            .get(usize::from(id.0))
            .unwrap_or_else(|| &self.entries[0])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }
}
