//! Small builders for test data.

use tollgate_store::{
    ApiKey, CreatedKey, DynStore, NewApiKey, NewOrganization, NewTeam, NewUser, Organization, Role,
    SpendCostSource, SpendRecord, Team, Timestamp, User,
};
use tollgate_types::{NanoUsd, Usage};

pub async fn org(store: &DynStore, name: &str) -> Organization {
    store
        .create_org(NewOrganization::named(name))
        .await
        .unwrap()
}

pub async fn team(store: &DynStore, org: &Organization, name: &str) -> Team {
    store
        .create_team(NewTeam::named(org.id.clone(), name))
        .await
        .unwrap()
}

pub async fn user(store: &DynStore, org: &Organization, team: Option<&Team>, email: &str) -> User {
    store
        .create_user(NewUser {
            org_id: org.id.clone(),
            team_id: team.map(|team| team.id.clone()),
            email: email.into(),
            name: None,
            role: Role::Member,
            budget: None,
        })
        .await
        .unwrap()
}

pub async fn key_in(store: &DynStore, org: &Organization, name: &str) -> CreatedKey {
    store
        .create_key(NewApiKey {
            org_id: Some(org.id.clone()),
            ..NewApiKey::named(name)
        })
        .await
        .unwrap()
}

/// A successful, catalog-priced row of `key` (its tenants copied onto the row).
pub fn spend_row(request_id: &str, at: i64, key: &ApiKey, cost: i64) -> SpendRecord {
    SpendRecord {
        request_id: request_id.into(),
        client_request_id: None,
        created_at: Timestamp(at),
        org_id: key.org_id.clone(),
        team_id: key.team_id.clone(),
        user_id: key.user_id.clone(),
        key_id: Some(key.id.clone()),
        end_user: None,
        requested_model: "fast".into(),
        deployment: Some("openai/gpt-4o-mini".into()),
        provider: Some("openai".into()),
        attempts: 1,
        usage: Usage {
            input_tokens: 100,
            output_tokens: 20,
            ..Usage::default()
        },
        cost: Some(NanoUsd(cost)),
        cost_source: SpendCostSource::Catalog,
        latency_ms: Some(250),
        ttft_ms: Some(40),
        status: 200,
        error_class: None,
        tags: vec!["test".into()],
        guardrails: None,
        charge_credits: false,
    }
}
