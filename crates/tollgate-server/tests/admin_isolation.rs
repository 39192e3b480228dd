#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The tenant-isolation matrix of the admin API: every endpoint × every caller (the master key
//! and a key of each of the five roles, all in organization A) × a target in the caller's own
//! tenant (A) or in the other one (B), each cell with its expected status, written as data in
//! [`matrix`]. Objects outside the caller's tenant answer 404 (never 403); inside, a role too low
//! answers 403.
//!
//! Then the contents: no listing shows a caller below admin anything of B, and no usage,
//! spend-log or audit-log query returns B's rows, whatever filter the caller sends.
//!
//! The world: organizations A and B, each with a team (A1, B1), a user of every scoped role
//! (`org_admin`, `viewer` at the org, `team_admin`, `member` in the team) with a key of that
//! role, and an `admin` key. The callers are A's keys; the member's key belongs to A's member
//! user. A target is, per endpoint: the organization (A or B), the team (A1 or B1), a fresh
//! `member` user in the team, or a fresh key in the team owned by the org's member user (so A's
//! member caller sees it as one of its own user's keys). Fresh targets are made per cell, so a
//! delete or a revoke in one cell never changes another's answer.

mod common;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use bytes::Bytes;
use common::{Gateway, MASTER_KEY, Reply};
use serde_json::{Value, json};

/// The callers, in the order of the columns of [`matrix`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Master,
    Admin,
    OrgAdmin,
    TeamAdmin,
    Member,
    Viewer,
}

const CALLERS: [Who; 6] = [
    Who::Master,
    Who::Admin,
    Who::OrgAdmin,
    Who::TeamAdmin,
    Who::Member,
    Who::Viewer,
];

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Who::Master => "master key",
            Who::Admin => "admin",
            Who::OrgAdmin => "org_admin",
            Who::TeamAdmin => "team_admin",
            Who::Member => "member",
            Who::Viewer => "viewer",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Organization A, the callers' own.
    Own,
    /// Organization B.
    Other,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Own => "own tenant (A)",
            Side::Other => "other tenant (B)",
        })
    }
}

/// Every operation of the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    CreateOrg,
    ListOrgs,
    GetOrg,
    UpdateOrg,
    DeleteOrg,
    RecordCredits,
    ListCredits,
    CreateTeam,
    ListTeams,
    GetTeam,
    UpdateTeam,
    DeleteTeam,
    CreateUser,
    ListUsers,
    GetUser,
    UpdateUser,
    MoveUser,
    DeleteUser,
    CreateKey,
    CreateKeyForUser,
    ListKeys,
    GetKey,
    UpdateKey,
    DeleteKey,
    RotateKey,
    RevokeKey,
    ExpireKey,
    ExplainBudgets,
    SetEndUserBudget,
    GetEndUserBudget,
    DeleteEndUserBudget,
    ListEndUserBudgets,
    Usage,
    SpendLogs,
    Audit,
    ReloadConfig,
    OpenApi,
}

impl Op {
    /// Method and path template, for the failure messages.
    fn name(self) -> &'static str {
        match self {
            Op::CreateOrg => "POST /admin/v1/organizations",
            Op::ListOrgs => "GET /admin/v1/organizations",
            Op::GetOrg => "GET /admin/v1/organizations/{id}",
            Op::UpdateOrg => "PATCH /admin/v1/organizations/{id}",
            Op::DeleteOrg => "DELETE /admin/v1/organizations/{id}",
            Op::RecordCredits => "POST /admin/v1/organizations/{id}/credits",
            Op::ListCredits => "GET /admin/v1/organizations/{id}/credits",
            Op::CreateTeam => "POST /admin/v1/teams {org_id}",
            Op::ListTeams => "GET /admin/v1/teams?org_id=",
            Op::GetTeam => "GET /admin/v1/teams/{id}",
            Op::UpdateTeam => "PATCH /admin/v1/teams/{id}",
            Op::DeleteTeam => "DELETE /admin/v1/teams/{id}",
            Op::CreateUser => "POST /admin/v1/users {team_id}",
            Op::ListUsers => "GET /admin/v1/users?org_id=",
            Op::GetUser => "GET /admin/v1/users/{id}",
            Op::UpdateUser => "PATCH /admin/v1/users/{id}",
            Op::MoveUser => "PATCH /admin/v1/users/{id} {team_id} (a user of A1 into the team)",
            Op::DeleteUser => "DELETE /admin/v1/users/{id}",
            Op::CreateKey => "POST /admin/v1/keys {team_id}",
            Op::CreateKeyForUser => "POST /admin/v1/keys {user_id}",
            Op::ListKeys => "GET /admin/v1/keys?org_id=",
            Op::GetKey => "GET /admin/v1/keys/{id}",
            Op::UpdateKey => "PATCH /admin/v1/keys/{id}",
            Op::DeleteKey => "DELETE /admin/v1/keys/{id}",
            Op::RotateKey => "POST /admin/v1/keys/{id}/rotate",
            Op::RevokeKey => "POST /admin/v1/keys/{id}/revoke",
            Op::ExpireKey => "POST /admin/v1/keys/{id}/expire",
            Op::ExplainBudgets => "GET /admin/v1/budgets/explain?key_id=",
            Op::SetEndUserBudget => "PUT /admin/v1/end-users/{end_user}/budget {org_id}",
            Op::GetEndUserBudget => "GET /admin/v1/end-users/{end_user}/budget?org_id=",
            Op::DeleteEndUserBudget => "DELETE /admin/v1/end-users/{end_user}/budget?org_id=",
            Op::ListEndUserBudgets => "GET /admin/v1/end-users/budgets?org_id=",
            Op::Usage => "GET /admin/v1/usage?org_id=",
            Op::SpendLogs => "GET /admin/v1/spend/logs?org_id=",
            Op::Audit => "GET /admin/v1/audit?org_id=",
            Op::ReloadConfig => "POST /admin/v1/config/reload",
            Op::OpenApi => "GET /admin/v1/openapi.json",
        }
    }
}

impl Op {
    /// The operation of the OpenAPI document it calls: method and path template.
    fn route(self) -> (&'static str, &'static str) {
        let name = match self {
            // The same operations as CreateKey and UpdateUser, with other bodies.
            Op::CreateKeyForUser => Op::CreateKey.name(),
            Op::MoveUser => Op::UpdateUser.name(),
            other => other.name(),
        };
        let (method, rest) = name.split_once(' ').unwrap();
        let path = rest.split([' ', '?']).next().unwrap();
        (method, path)
    }
}

/// One endpoint's expected statuses, by caller in [`CALLERS`] order: master, admin, org_admin,
/// team_admin, member, viewer.
struct Row {
    op: Op,
    own: [u16; 6],
    other: [u16; 6],
}

const fn row(op: Op, own: [u16; 6], other: [u16; 6]) -> Row {
    Row { op, own, other }
}

/// Outside the tenant, for every caller below admin.
const HIDDEN: [u16; 6] = [200, 200, 404, 404, 404, 404];

/// The matrix. Columns: master, admin, org_admin, team_admin, member, viewer.
///
/// Notes on cells that are not plain successes:
/// - Deleting organization A/B or team A1/B1 answers 409 to whoever passes the policy: they still
///   hold users and keys (the policy said yes; the store refused).
/// - The config reload answers 400 to admins: this in-process gateway has no config file. Its
///   403s are the point.
/// - A member sees neither its team nor its org (403: its ancestors), nor other users (404, as
///   everything beyond its own user's keys); a team admin reads its org and team (ancestors) but
///   changes neither.
/// - Bodies naming B's objects (a key for B's user, moving A's user into B's team) answer 404
///   below admin, as B's objects themselves; admins get 400 for a user moved across orgs.
///   A viewer's 403 comes first: it may change no user, wherever to.
/// - Lists, usage and spend logs filtered to B answer 200 with nothing in them (checked below).
#[rustfmt::skip]
fn matrix() -> Vec<Row> {
    vec![
        // Organizations: only admins create, change or delete them.
        row(Op::CreateOrg,         [201, 201, 403, 403, 403, 403], [201, 201, 403, 403, 403, 403]),
        row(Op::ListOrgs,          [200, 200, 200, 200, 403, 200], [200, 200, 200, 200, 403, 200]),
        row(Op::GetOrg,            [200, 200, 200, 200, 403, 200], HIDDEN),
        row(Op::UpdateOrg,         [200, 200, 403, 403, 403, 403], HIDDEN),
        row(Op::DeleteOrg,         [409, 409, 403, 403, 403, 403], [409, 409, 404, 404, 404, 404]),
        // Credits: every role of the org reads them; only admins record.
        row(Op::RecordCredits,     [201, 201, 403, 403, 403, 403], [201, 201, 404, 404, 404, 404]),
        row(Op::ListCredits,       [200, 200, 200, 200, 200, 200], HIDDEN),
        // Teams: org admins manage their org's.
        row(Op::CreateTeam,        [201, 201, 201, 403, 403, 403], [201, 201, 404, 404, 404, 404]),
        row(Op::ListTeams,         [200, 200, 200, 200, 403, 200], [200, 200, 200, 200, 403, 200]),
        row(Op::GetTeam,           [200, 200, 200, 200, 403, 200], HIDDEN),
        row(Op::UpdateTeam,        [200, 200, 200, 403, 403, 403], HIDDEN),
        row(Op::DeleteTeam,        [409, 409, 409, 403, 403, 403], [409, 409, 404, 404, 404, 404]),
        // Users (a fresh `member` user in the team).
        row(Op::CreateUser,        [201, 201, 201, 201, 403, 403], [201, 201, 404, 404, 404, 404]),
        row(Op::ListUsers,         [200, 200, 200, 200, 403, 200], [200, 200, 200, 200, 403, 200]),
        row(Op::GetUser,           [200, 200, 200, 200, 404, 200], HIDDEN),
        row(Op::UpdateUser,        [200, 200, 200, 200, 404, 403], HIDDEN),
        row(Op::MoveUser,          [200, 200, 200, 200, 404, 403], [400, 400, 404, 404, 404, 403]),
        row(Op::DeleteUser,        [204, 204, 204, 204, 404, 403], [204, 204, 404, 404, 404, 404]),
        // Keys (a fresh `member` key in the team, owned by the org's member user).
        row(Op::CreateKey,         [201, 201, 201, 201, 403, 403], [201, 201, 404, 404, 404, 404]),
        row(Op::CreateKeyForUser,  [201, 201, 201, 201, 403, 403], [201, 201, 404, 404, 404, 404]),
        row(Op::ListKeys,          [200; 6], [200; 6]),
        row(Op::GetKey,            [200; 6], HIDDEN),
        row(Op::UpdateKey,         [200, 200, 200, 200, 403, 403], HIDDEN),
        row(Op::DeleteKey,         [200, 200, 200, 200, 403, 403], HIDDEN),
        row(Op::RotateKey,         [200, 200, 200, 200, 403, 403], HIDDEN),
        row(Op::RevokeKey,         [200, 200, 200, 200, 403, 403], HIDDEN),
        row(Op::ExpireKey,         [200, 200, 200, 200, 403, 403], HIDDEN),
        row(Op::ExplainBudgets,    [200; 6], HIDDEN),
        // End users' own budgets: the org's admins set them, every role of the org reads them.
        row(Op::SetEndUserBudget,  [200, 200, 200, 403, 403, 403], HIDDEN),
        row(Op::GetEndUserBudget,  [200; 6], HIDDEN),
        row(Op::DeleteEndUserBudget, [204, 204, 204, 403, 403, 403], [204, 204, 404, 404, 404, 404]),
        row(Op::ListEndUserBudgets, [200; 6], HIDDEN),
        // Usage: narrowed, never refused (B's rows are checked absent below).
        row(Op::Usage,             [200; 6], [200; 6]),
        row(Op::SpendLogs,         [200; 6], [200; 6]),
        // The audit log: narrowed like usage (B's events are checked absent below).
        row(Op::Audit,             [200; 6], [200; 6]),
        // Gateway-wide.
        row(Op::ReloadConfig,      [400, 400, 403, 403, 403, 403], [400, 400, 403, 403, 403, 403]),
        row(Op::OpenApi,           [200; 6], [200; 6]),
    ]
}

/// One organization's objects.
struct Tenant {
    org: String,
    team: String,
    /// `(role, user id)` of the users of every scoped role.
    users: Vec<(&'static str, String)>,
    /// `(role, key id, secret)` of its keys, one per role.
    keys: Vec<(&'static str, String, String)>,
}

impl Tenant {
    fn user(&self, role: &str) -> &str {
        &self.users.iter().find(|(r, _)| *r == role).unwrap().1
    }

    fn key(&self, role: &str) -> (&str, &str) {
        let (_, id, secret) = self.keys.iter().find(|(r, ..)| *r == role).unwrap();
        (id, secret)
    }

    fn key_ids(&self) -> BTreeSet<String> {
        self.keys.iter().map(|(_, id, _)| id.clone()).collect()
    }
}

struct World {
    a: Tenant,
    b: Tenant,
}

impl World {
    fn tenant(&self, side: Side) -> &Tenant {
        match side {
            Side::Own => &self.a,
            Side::Other => &self.b,
        }
    }

    /// The caller's secret (every caller is in A).
    fn secret(&self, who: Who) -> &str {
        match who {
            Who::Master => MASTER_KEY,
            Who::Admin => self.a.key("admin").1,
            Who::OrgAdmin => self.a.key("org_admin").1,
            Who::TeamAdmin => self.a.key("team_admin").1,
            Who::Member => self.a.key("member").1,
            Who::Viewer => self.a.key("viewer").1,
        }
    }
}

/// A name no other call used.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn call(
    gateway: &Gateway,
    method: &str,
    path: &str,
    key: &str,
    body: Option<&Value>,
) -> Reply {
    let authorization = format!("Bearer {key}");
    let body = body
        .map(|body| Bytes::from(serde_json::to_vec(body).unwrap()))
        .unwrap_or_default();
    gateway
        .send(method, path, &[("authorization", &authorization)], body)
        .await
}

/// POSTs as the master key, expects 201, answers the created object's id (and secret, if any).
async fn create(gateway: &Gateway, path: &str, body: Value) -> (String, Option<String>) {
    let reply = call(gateway, "POST", path, MASTER_KEY, Some(&body)).await;
    assert_eq!(
        reply.status,
        201,
        "setup: POST {path} {body}: {}",
        reply.text()
    );
    let created = reply.json();
    (
        created["id"].as_str().unwrap().to_string(),
        created["key"].as_str().map(str::to_string),
    )
}

async fn tenant(gateway: &Gateway, name: &str) -> Tenant {
    let (org, _) = create(gateway, "/admin/v1/organizations", json!({"name": name})).await;
    let (team, _) = create(
        gateway,
        "/admin/v1/teams",
        json!({"org_id": org, "name": format!("{name}1")}),
    )
    .await;
    let mut users = Vec::new();
    let mut keys = Vec::new();
    for role in ["org_admin", "viewer", "team_admin", "member"] {
        let in_team = matches!(role, "team_admin" | "member");
        let mut user =
            json!({"org_id": org, "email": format!("{role}@{name}.example"), "role": role});
        if in_team {
            user["team_id"] = json!(team);
        }
        let (user_id, _) = create(gateway, "/admin/v1/users", user).await;
        let mut key = json!({"name": format!("{name}-{role}"), "org_id": org, "user_id": user_id, "role": role});
        if in_team {
            key["team_id"] = json!(team);
        }
        let (key_id, secret) = create(gateway, "/admin/v1/keys", key).await;
        users.push((role, user_id));
        keys.push((role, key_id, secret.unwrap()));
    }
    let (key_id, secret) = create(
        gateway,
        "/admin/v1/keys",
        json!({"name": format!("{name}-admin"), "org_id": org, "role": "admin"}),
    )
    .await;
    keys.push(("admin", key_id, secret.unwrap()));
    Tenant {
        org,
        team,
        users,
        keys,
    }
}

/// A fresh `member` user in the tenant's team.
async fn fresh_user(gateway: &Gateway, tenant: &Tenant) -> String {
    create(
        gateway,
        "/admin/v1/users",
        json!({"team_id": tenant.team, "email": format!("{}@x.example", unique("u"))}),
    )
    .await
    .0
}

/// A fresh `member` key in the tenant's team, owned by its member user.
async fn fresh_key(gateway: &Gateway, tenant: &Tenant) -> String {
    create(
        gateway,
        "/admin/v1/keys",
        json!({"name": unique("k"), "team_id": tenant.team, "user_id": tenant.user("member")}),
    )
    .await
    .0
}

/// The request of `op` against `side`'s tenant (making any fresh target it needs).
async fn request(
    gateway: &Gateway,
    world: &World,
    op: Op,
    side: Side,
) -> (&'static str, String, Option<Value>) {
    let t = world.tenant(side);
    let (org, team) = (&t.org, &t.team);
    match op {
        Op::CreateOrg => (
            "POST",
            "/admin/v1/organizations".into(),
            Some(json!({"name": unique("org")})),
        ),
        Op::ListOrgs => ("GET", "/admin/v1/organizations".into(), None),
        Op::GetOrg => ("GET", format!("/admin/v1/organizations/{org}"), None),
        Op::UpdateOrg => (
            "PATCH",
            format!("/admin/v1/organizations/{org}"),
            Some(json!({"budget_usd": null})),
        ),
        Op::DeleteOrg => ("DELETE", format!("/admin/v1/organizations/{org}"), None),
        Op::RecordCredits => (
            "POST",
            format!("/admin/v1/organizations/{org}/credits"),
            Some(json!({"amount_usd": "1.00", "reference": format!("for {org}")})),
        ),
        Op::ListCredits => (
            "GET",
            format!("/admin/v1/organizations/{org}/credits"),
            None,
        ),
        Op::CreateTeam => (
            "POST",
            "/admin/v1/teams".into(),
            Some(json!({"org_id": org, "name": unique("team")})),
        ),
        Op::ListTeams => ("GET", format!("/admin/v1/teams?org_id={org}"), None),
        Op::GetTeam => ("GET", format!("/admin/v1/teams/{team}"), None),
        Op::UpdateTeam => (
            "PATCH",
            format!("/admin/v1/teams/{team}"),
            Some(json!({"max_parallel": null})),
        ),
        Op::DeleteTeam => ("DELETE", format!("/admin/v1/teams/{team}"), None),
        Op::CreateUser => (
            "POST",
            "/admin/v1/users".into(),
            Some(json!({"team_id": team, "email": format!("{}@x.example", unique("new"))})),
        ),
        Op::ListUsers => ("GET", format!("/admin/v1/users?org_id={org}"), None),
        Op::GetUser => {
            let user = fresh_user(gateway, t).await;
            ("GET", format!("/admin/v1/users/{user}"), None)
        }
        Op::UpdateUser => {
            let user = fresh_user(gateway, t).await;
            (
                "PATCH",
                format!("/admin/v1/users/{user}"),
                Some(json!({"name": "renamed"})),
            )
        }
        Op::MoveUser => {
            let user = fresh_user(gateway, &world.a).await;
            (
                "PATCH",
                format!("/admin/v1/users/{user}"),
                Some(json!({"team_id": team})),
            )
        }
        Op::DeleteUser => {
            let user = fresh_user(gateway, t).await;
            ("DELETE", format!("/admin/v1/users/{user}"), None)
        }
        Op::CreateKey => (
            "POST",
            "/admin/v1/keys".into(),
            Some(json!({"name": unique("new"), "team_id": team})),
        ),
        Op::CreateKeyForUser => (
            "POST",
            "/admin/v1/keys".into(),
            Some(json!({"name": unique("new"), "user_id": t.user("member")})),
        ),
        Op::ListKeys => ("GET", format!("/admin/v1/keys?org_id={org}"), None),
        Op::GetKey => {
            let key = fresh_key(gateway, t).await;
            ("GET", format!("/admin/v1/keys/{key}"), None)
        }
        Op::UpdateKey => {
            let key = fresh_key(gateway, t).await;
            (
                "PATCH",
                format!("/admin/v1/keys/{key}"),
                Some(json!({"name": "renamed"})),
            )
        }
        Op::DeleteKey => {
            let key = fresh_key(gateway, t).await;
            ("DELETE", format!("/admin/v1/keys/{key}"), None)
        }
        Op::RotateKey | Op::RevokeKey | Op::ExpireKey => {
            let key = fresh_key(gateway, t).await;
            let action = match op {
                Op::RotateKey => "rotate",
                Op::RevokeKey => "revoke",
                _ => "expire",
            };
            ("POST", format!("/admin/v1/keys/{key}/{action}"), None)
        }
        Op::ExplainBudgets => {
            let key = fresh_key(gateway, t).await;
            (
                "GET",
                format!("/admin/v1/budgets/explain?key_id={key}"),
                None,
            )
        }
        Op::SetEndUserBudget => (
            "PUT",
            format!("/admin/v1/end-users/{}/budget", unique("end-user")),
            Some(json!({"org_id": org, "budget_usd": "1.00"})),
        ),
        Op::GetEndUserBudget | Op::DeleteEndUserBudget => {
            let end_user = unique("end-user");
            gateway
                .store
                .put_end_user_budget(
                    Some(org),
                    &end_user,
                    tollgate_store::Budget::new(
                        tollgate_types::NanoUsd(1_000_000_000),
                        tollgate_store::BudgetPeriod::None,
                    ),
                )
                .await
                .unwrap();
            let method = if op == Op::GetEndUserBudget {
                "GET"
            } else {
                "DELETE"
            };
            (
                method,
                format!("/admin/v1/end-users/{end_user}/budget?org_id={org}"),
                None,
            )
        }
        Op::ListEndUserBudgets => (
            "GET",
            format!("/admin/v1/end-users/budgets?org_id={org}"),
            None,
        ),
        Op::Usage => ("GET", format!("/admin/v1/usage?org_id={org}&from=0"), None),
        Op::SpendLogs => ("GET", format!("/admin/v1/spend/logs?org_id={org}"), None),
        Op::Audit => ("GET", format!("/admin/v1/audit?org_id={org}"), None),
        Op::ReloadConfig => ("POST", "/admin/v1/config/reload".into(), None),
        Op::OpenApi => ("GET", "/admin/v1/openapi.json".into(), None),
    }
}

async fn world(gateway: &Gateway) -> World {
    World {
        a: tenant(gateway, "a").await,
        b: tenant(gateway, "b").await,
    }
}

/// A chat call with every key of both tenants, so that usage and spend logs have rows on both
/// sides; answers how many rows were made.
async fn traffic(gateway: &Gateway, world: &World) -> usize {
    let mut calls = 0;
    for tenant in [&world.a, &world.b] {
        for (role, _, secret) in &tenant.keys {
            let reply = call(
                gateway,
                "POST",
                "/v1/chat/completions",
                secret,
                Some(&json!({"model": "mock", "messages": [{"role": "user", "content": "hi"}]})),
            )
            .await;
            assert_eq!(reply.status, 200, "setup: chat as {role}: {}", reply.text());
            calls += 1;
        }
    }
    calls
}

#[tokio::test]
async fn every_endpoint_every_role_own_and_other_tenant() {
    let gateway = common::start().await;
    let world = world(&gateway).await;
    let rows = traffic(&gateway, &world).await;
    assert_eq!(gateway.spend_rows(rows).await.len(), rows);

    let matrix = matrix();
    // One row per operation of the admin API (every variant of `Op`; `Op::name`'s match is
    // exhaustive, so a new operation needs a name, and a row here).
    let ops: Vec<&str> = matrix.iter().map(|row| row.op.name()).collect();
    let unique: BTreeSet<&str> = ops.iter().copied().collect();
    assert_eq!(ops.len(), unique.len(), "an operation has two rows");
    assert_eq!(ops.len(), 37, "the matrix covers every operation");
    // ... and every operation of the OpenAPI document, which is generated from the handlers.
    let document = call(&gateway, "GET", "/admin/v1/openapi.json", "", None)
        .await
        .json();
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .map(|method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let covered: BTreeSet<(String, String)> = matrix
        .iter()
        .map(|row| row.op.route())
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(
        covered, documented,
        "the matrix's operations are the documented ones"
    );
    let mut failures = Vec::new();
    let mut cells = 0;
    for row in &matrix {
        for (side, expected) in [(Side::Own, row.own), (Side::Other, row.other)] {
            for (who, expected) in CALLERS.into_iter().zip(expected) {
                let (method, path, body) = request(&gateway, &world, row.op, side).await;
                let reply = call(&gateway, method, &path, world.secret(who), body.as_ref()).await;
                cells += 1;
                let cell = format!("{} as {who} on {side} ({method} {path})", row.op.name());
                if reply.status != expected {
                    failures.push(format!(
                        "{cell}: expected {expected}, got {}: {}",
                        reply.status,
                        reply.text()
                    ));
                    continue;
                }
                // Refusals say which refusal they are; a 404 reads exactly as an unknown id.
                let code = match expected {
                    403 => Some("forbidden"),
                    404 => Some("not_found"),
                    _ => None,
                };
                if let Some(code) = code
                    && reply.json()["error"]["code"] != code
                {
                    failures.push(format!(
                        "{cell}: a {expected} without code `{code}`: {}",
                        reply.text()
                    ));
                }
            }
        }
    }
    assert_eq!(cells, matrix.len() * 2 * CALLERS.len());
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ from the matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every call an operation list makes, as a caller: answers the `data` array.
async fn list(gateway: &Gateway, who: Who, world: &World, path: &str) -> Vec<Value> {
    let reply = call(gateway, "GET", path, world.secret(who), None).await;
    assert_eq!(reply.status, 200, "GET {path} as {who}: {}", reply.text());
    reply.json()["data"]
        .as_array()
        .unwrap_or_else(|| panic!("GET {path} as {who}: no data array"))
        .clone()
}

/// Whether a listed object or row touches tenant B (by any of its tenant fields or its id).
fn touches(item: &Value, b: &Tenant) -> bool {
    let mut b_ids: BTreeSet<String> = b.key_ids();
    b_ids.extend(b.users.iter().map(|(_, id)| id.clone()));
    b_ids.insert(b.org.clone());
    b_ids.insert(b.team.clone());
    [
        "id",
        "org_id",
        "team_id",
        "user_id",
        "key_id",
        "target_id",
        "actor",
    ]
    .iter()
    .any(|field| item[*field].as_str().is_some_and(|id| b_ids.contains(id)))
}

#[tokio::test]
async fn lists_usage_and_spend_logs_never_show_the_other_tenant() {
    let gateway = common::start().await;
    let world = world(&gateway).await;
    let rows = traffic(&gateway, &world).await;
    assert_eq!(gateway.spend_rows(rows).await.len(), rows);
    // Some of B's own objects beyond the world: a second team, a user, a key, credits.
    create(
        &gateway,
        "/admin/v1/teams",
        json!({"org_id": world.b.org, "name": "b2"}),
    )
    .await;
    fresh_user(&gateway, &world.b).await;
    fresh_key(&gateway, &world.b).await;
    let reply = call(
        &gateway,
        "POST",
        &format!("/admin/v1/organizations/{}/credits", world.b.org),
        MASTER_KEY,
        Some(&json!({"amount_usd": "5.00", "reference": "b's purchase"})),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.text());

    let (b, a) = (&world.b, &world.a);
    let (b_member_user, b_member_key) = (b.user("member"), b.key("member").0);
    // Every way of asking for B: no filter, and each of B's tenant fields.
    let asking_for_b = [
        String::new(),
        format!("org_id={}", b.org),
        format!("team_id={}", b.team),
        format!("user_id={b_member_user}"),
        format!("key_id={b_member_key}"),
        format!("org_id={}&team_id={}", a.org, b.team),
    ];
    let mut checked = 0;
    for who in [Who::OrgAdmin, Who::TeamAdmin, Who::Member, Who::Viewer] {
        for filter in &asking_for_b {
            // Lists take org/team/user filters (users and teams a subset); usage and spend
            // logs take all four. An unknown query parameter is a 400, so each list gets only
            // the ones it knows.
            let mut paths = vec![
                format!("/admin/v1/usage?from=0&group_by=org,team,user,key&{filter}"),
                format!("/admin/v1/spend/logs?{filter}"),
            ];
            if !filter.contains("key_id") && !filter.contains("user_id") {
                // The audit log takes org and team filters.
                paths.push(format!("/admin/v1/audit?{filter}"));
            }
            if !filter.contains("key_id") {
                paths.push(format!("/admin/v1/keys?include_revoked=true&{filter}"));
                if who != Who::Member && !filter.contains("user_id") {
                    paths.push(format!("/admin/v1/users?{filter}"));
                }
            }
            if who != Who::Member
                && (filter.is_empty() || filter.starts_with("org_id=") && !filter.contains('&'))
            {
                paths.push(format!("/admin/v1/teams?{filter}"));
            }
            if who != Who::Member && filter.is_empty() {
                paths.push("/admin/v1/organizations".into());
            }
            for path in paths {
                let data = list(&gateway, who, &world, &path).await;
                checked += 1;
                let leaked: Vec<&Value> = data.iter().filter(|item| touches(item, b)).collect();
                assert!(
                    leaked.is_empty(),
                    "GET {path} as {who} shows tenant B: {leaked:?}"
                );
                if filter.is_empty() {
                    // Not vacuous: the caller's own tenant is there.
                    assert!(!data.is_empty(), "GET {path} as {who} is empty");
                } else if filter.contains(&b.org)
                    || filter.contains(&b.team)
                    || filter.contains(b_member_user)
                    || filter.contains(b_member_key)
                {
                    assert!(data.is_empty(), "GET {path} as {who}: {data:?}");
                }
            }
        }
        // A's credits ledger, read by every role of A, holds nothing of B's.
        let reply = call(
            &gateway,
            "GET",
            &format!("/admin/v1/organizations/{}/credits", a.org),
            world.secret(who),
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "A's credits as {who}: {}", reply.text());
        let ledger = reply.json();
        assert_eq!(ledger["org_id"], a.org.as_str());
        assert_eq!(
            ledger["balance_usd"], "0.000000000",
            "A's balance as {who}: {ledger}"
        );
        assert!(
            ledger["entries"].as_array().unwrap().is_empty(),
            "A's ledger as {who}: {ledger}"
        );
        checked += 1;
    }

    // What the narrowed callers see is exactly their own share, and the admins see B (so the
    // absences above are not for want of rows).
    let requests = |rows: &[Value]| {
        rows.iter()
            .map(|row| row["requests"].as_u64().unwrap())
            .sum::<u64>()
    };
    let usage = "/admin/v1/usage?from=0&group_by=org,team,user,key";
    let per_tenant = a.keys.len() as u64;
    for (who, expected) in [
        (Who::Master, 2 * per_tenant),
        (Who::Admin, 2 * per_tenant),
        (Who::OrgAdmin, per_tenant),
        (Who::Viewer, per_tenant),
        // The team's keys: its team admin's and member's.
        (Who::TeamAdmin, 2),
        (Who::Member, 1),
    ] {
        let rows = list(&gateway, who, &world, usage).await;
        assert_eq!(requests(&rows), expected, "{usage} as {who}: {rows:?}");
        let logs = list(&gateway, who, &world, "/admin/v1/spend/logs").await;
        assert_eq!(logs.len() as u64, expected, "spend logs as {who}: {logs:?}");
    }
    for who in [Who::Master, Who::Admin] {
        let rows = list(&gateway, who, &world, &format!("{usage}&org_id={}", b.org)).await;
        assert_eq!(requests(&rows), per_tenant, "B's usage as {who}");
        let keys = list(
            &gateway,
            who,
            &world,
            &format!("/admin/v1/keys?org_id={}", b.org),
        )
        .await;
        assert!(keys.iter().all(|key| key["org_id"] == b.org.as_str()));
        assert!(keys.len() > b.keys.len(), "B's keys as {who}: {keys:?}");
        let events = list(
            &gateway,
            who,
            &world,
            &format!("/admin/v1/audit?org_id={}&limit=1000", b.org),
        )
        .await;
        assert!(
            events.iter().all(|event| event["org_id"] == b.org.as_str()),
            "B's audit as {who}: {events:?}"
        );
        assert!(
            events.len() > b.keys.len() + b.users.len(),
            "B's audit as {who}: {events:?}"
        );
    }
    assert!(checked >= 90, "{checked} lists checked");
}
