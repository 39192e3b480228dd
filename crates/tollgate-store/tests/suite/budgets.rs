//! Budgets and limits of organizations, teams and users (set, read back, cleared, refused when
//! negative), and the spend sums that seed budget counters after a restart.

use tollgate_store::{
    ApiKeyUpdate, Budget, BudgetMode, BudgetPeriod, NewApiKey, NewOrganization, NewTeam, NewUser,
    OrganizationUpdate, PageRequest, Role, SpendScope, StoreError, TeamUpdate, Timestamp,
    UserUpdate,
};
use tollgate_types::NanoUsd;

use crate::fixtures::{self, spend_row};
use crate::harness::TestDb;

fn budget(nanos: i64, period: BudgetPeriod) -> Budget {
    Budget::new(NanoUsd(nanos), period)
}

async fn org_budget_and_credit_flag(db: TestDb) {
    let store = &db.store;
    let monthly = budget(12_500_000_000, BudgetPeriod::Monthly);
    let acme = store
        .create_org(NewOrganization {
            budget: Some(monthly),
            credits_enabled: true,
            ..NewOrganization::named("Acme")
        })
        .await
        .unwrap();
    assert_eq!((acme.budget, acme.credits_enabled), (Some(monthly), true));
    assert_eq!(store.get_org(&acme.id).await.unwrap(), Some(acme.clone()));
    let json = serde_json::to_value(&acme).unwrap();
    assert_eq!(
        json["budget"],
        serde_json::json!({"amount_usd": "12.500000000", "period": "monthly"})
    );

    let daily = budget(0, BudgetPeriod::Daily);
    let changed = store
        .update_org(
            &acme.id,
            OrganizationUpdate {
                budget: Some(Some(daily)),
                credits_enabled: Some(false),
                ..OrganizationUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.budget, changed.credits_enabled),
        (Some(daily), false)
    );
    assert_eq!(changed.name, "Acme");
    let cleared = store
        .update_org(
            &acme.id,
            OrganizationUpdate {
                budget: Some(None),
                ..OrganizationUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.budget, None);
    assert_eq!(store.get_org(&acme.id).await.unwrap(), Some(cleared));

    let negative = store
        .create_org(NewOrganization {
            budget: Some(budget(-1, BudgetPeriod::None)),
            ..NewOrganization::named("Neg")
        })
        .await;
    assert!(
        matches!(negative, Err(StoreError::Invalid(_))),
        "{negative:?}"
    );
    let negative = store
        .update_org(
            &acme.id,
            OrganizationUpdate {
                budget: Some(Some(budget(-1, BudgetPeriod::None))),
                ..OrganizationUpdate::default()
            },
        )
        .await;
    assert!(
        matches!(negative, Err(StoreError::Invalid(_))),
        "{negative:?}"
    );
    let missing = store
        .update_org(
            "org_missing",
            OrganizationUpdate {
                budget: Some(None),
                ..OrganizationUpdate::default()
            },
        )
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

async fn team_budget_and_limits(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let weekly = budget(3_000_000_001, BudgetPeriod::Weekly);
    let search = store
        .create_team(NewTeam {
            budget: Some(weekly),
            rpm_limit: Some(60),
            tpm_limit: Some(5_000_000_000),
            max_parallel: Some(4),
            ..NewTeam::named(acme.id.clone(), "search")
        })
        .await
        .unwrap();
    assert_eq!(search.budget, Some(weekly));
    assert_eq!(
        (search.rpm_limit, search.tpm_limit, search.max_parallel),
        (Some(60), Some(5_000_000_000), Some(4))
    );
    assert_eq!(
        store.get_team(&search.id).await.unwrap(),
        Some(search.clone())
    );

    let changed = store
        .update_team(
            &search.id,
            TeamUpdate {
                rpm_limit: Some(None),
                max_parallel: Some(Some(9)),
                budget: Some(None),
                ..TeamUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (
            changed.budget,
            changed.rpm_limit,
            changed.tpm_limit,
            changed.max_parallel
        ),
        (None, None, Some(5_000_000_000), Some(9))
    );
    let plain = fixtures::team(store, &acme, "plain").await;
    assert_eq!(
        (
            plain.budget,
            plain.rpm_limit,
            plain.tpm_limit,
            plain.max_parallel
        ),
        (None, None, None, None)
    );
    let too_many = store
        .update_team(
            &plain.id,
            TeamUpdate {
                tpm_limit: Some(Some(u64::MAX)),
                ..TeamUpdate::default()
            },
        )
        .await;
    assert!(
        matches!(too_many, Err(StoreError::Invalid(_))),
        "{too_many:?}"
    );
}

async fn user_budget(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let lifetime = budget(1, BudgetPeriod::None);
    let ada = store
        .create_user(NewUser {
            org_id: acme.id.clone(),
            team_id: None,
            email: "ada@acme.test".into(),
            name: None,
            role: Role::Member,
            budget: Some(lifetime),
        })
        .await
        .unwrap();
    assert_eq!(ada.budget, Some(lifetime));
    assert_eq!(store.get_user(&ada.id).await.unwrap(), Some(ada.clone()));
    let cleared = store
        .update_user(
            &ada.id,
            UserUpdate {
                budget: Some(None),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.budget, None);
    assert_eq!(cleared.email, ada.email);
    let negative = store
        .update_user(
            &ada.id,
            UserUpdate {
                budget: Some(Some(budget(-5, BudgetPeriod::Daily))),
                ..UserUpdate::default()
            },
        )
        .await;
    assert!(
        matches!(negative, Err(StoreError::Invalid(_))),
        "{negative:?}"
    );
}

async fn spent_since_sums_each_scope(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let other = fixtures::org(store, "Other").await;
    let search = fixtures::team(store, &acme, "search").await;
    let ada = fixtures::user(store, &acme, Some(&search), "ada@acme.test").await;
    let key = store
        .create_key(tollgate_store::NewApiKey {
            user_id: Some(ada.id.clone()),
            team_id: Some(search.id.clone()),
            ..tollgate_store::NewApiKey::named("ada's")
        })
        .await
        .unwrap()
        .key;
    let plain = fixtures::key_in(store, &acme, "plain").await.key;
    let elsewhere = fixtures::key_in(store, &other, "b").await.key;
    let t0 = 1_800_000_000_000;
    let mut rows = vec![
        // Before the window: not counted.
        spend_row("old", t0 - 1, &key, 1_000_000),
        spend_row("k1", t0, &key, 7),
        spend_row("k2", t0 + 5_000, &key, 11),
        spend_row("p1", t0 + 1, &plain, 100),
        spend_row("b1", t0 + 1, &elsewhere, 1_000),
    ];
    let mut unpriced = spend_row("k-unpriced", t0 + 2, &key, 0);
    unpriced.cost = None;
    rows.push(unpriced);
    let mut customer = |id: &str, key: &tollgate_store::ApiKey, end_user: &str, cost: i64| {
        let mut row = spend_row(id, t0 + 3, key, cost);
        row.end_user = Some(end_user.into());
        rows.push(row);
    };
    customer("e1", &plain, "alice", 20_000);
    customer("e2", &key, "alice", 300_000);
    customer("e3", &elsewhere, "alice", 4_000_000);
    let mut master = spend_row("e4", t0 + 3, &plain, 50_000_000);
    master.org_id = None;
    master.key_id = None;
    master.end_user = Some("alice".into());
    rows.push(master);
    store.insert_spend(&rows).await.unwrap();

    let since = Timestamp(t0);
    let sum = |scope: SpendScope| async move { store.spent_since(scope, since).await.unwrap() };
    assert_eq!(sum(SpendScope::Key(key.id.clone())).await, NanoUsd(300_018));
    assert_eq!(
        sum(SpendScope::User(ada.id.clone())).await,
        NanoUsd(300_018)
    );
    assert_eq!(
        sum(SpendScope::Team(search.id.clone())).await,
        NanoUsd(300_018)
    );
    assert_eq!(
        sum(SpendScope::Org(acme.id.clone())).await,
        NanoUsd(320_118)
    );
    assert_eq!(
        sum(SpendScope::Org(other.id.clone())).await,
        NanoUsd(4_001_000)
    );
    assert_eq!(
        sum(SpendScope::EndUser {
            org_id: Some(acme.id.clone()),
            end_user: "alice".into()
        })
        .await,
        NanoUsd(320_000)
    );
    assert_eq!(
        sum(SpendScope::EndUser {
            org_id: None,
            end_user: "alice".into()
        })
        .await,
        NanoUsd(50_000_000)
    );
    assert_eq!(sum(SpendScope::Key("key_none".into())).await, NanoUsd::ZERO);
    // The window's start is inclusive.
    assert_eq!(
        store
            .spent_since(SpendScope::Key(key.id.clone()), Timestamp(t0 - 1))
            .await
            .unwrap(),
        NanoUsd(1_300_018)
    );
    assert_eq!(
        store
            .spent_since(SpendScope::Key(key.id.clone()), Timestamp(t0 + 1))
            .await
            .unwrap(),
        NanoUsd(300_011)
    );
}

/// Each budget's own mode and alert threshold are written and read back on every owner, kept
/// by an update that changes the amount, cleared with the budget, and checked.
async fn budget_mode_and_alert_round_trip(db: TestDb) {
    let store = &db.store;
    let soft = Budget {
        mode: Some(BudgetMode::Soft),
        alert_at_percent: Some(80),
        ..budget(25_000_000, BudgetPeriod::Daily)
    };
    let hard = Budget {
        mode: Some(BudgetMode::Hard),
        alert_at_percent: Some(100),
        ..budget(7, BudgetPeriod::None)
    };
    let acme = store
        .create_org(NewOrganization {
            budget: Some(soft),
            ..NewOrganization::named("Acme")
        })
        .await
        .unwrap();
    assert_eq!(acme.budget, Some(soft));
    assert_eq!(store.get_org(&acme.id).await.unwrap(), Some(acme.clone()));
    assert_eq!(
        serde_json::to_value(acme.budget).unwrap(),
        serde_json::json!({
            "amount_usd": "0.025000000",
            "period": "daily",
            "mode": "soft",
            "alert_at_percent": 80
        })
    );
    let org = store
        .update_org(
            &acme.id,
            OrganizationUpdate {
                budget: Some(Some(hard)),
                ..OrganizationUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(org.budget, Some(hard));
    assert_eq!(store.get_org(&acme.id).await.unwrap(), Some(org));

    let team = store
        .create_team(NewTeam {
            budget: Some(hard),
            ..NewTeam::named(acme.id.clone(), "search")
        })
        .await
        .unwrap();
    assert_eq!(
        store.get_team(&team.id).await.unwrap().unwrap().budget,
        Some(hard)
    );
    let team = store
        .update_team(
            &team.id,
            TeamUpdate {
                budget: Some(Some(soft)),
                ..TeamUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(store.get_team(&team.id).await.unwrap(), Some(team));

    let ada = store
        .create_user(NewUser {
            org_id: acme.id.clone(),
            team_id: None,
            email: "ada@acme.test".into(),
            name: None,
            role: Role::Member,
            budget: Some(soft),
        })
        .await
        .unwrap();
    assert_eq!(
        store.get_user(&ada.id).await.unwrap().unwrap().budget,
        Some(soft)
    );
    // Back to the gateway's defaults: the amount stays, mode and alert go.
    let plain = budget(25_000_000, BudgetPeriod::Daily);
    let ada = store
        .update_user(
            &ada.id,
            UserUpdate {
                budget: Some(Some(plain)),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ada.budget, Some(plain));
    assert_eq!(store.get_user(&ada.id).await.unwrap(), Some(ada));

    let key = store
        .create_key(NewApiKey {
            org_id: Some(acme.id.clone()),
            budget: Some(soft),
            ..NewApiKey::named("k")
        })
        .await
        .unwrap()
        .key;
    assert_eq!(
        store.get_key(&key.id).await.unwrap().unwrap().budget,
        Some(soft)
    );
    let half = Budget {
        alert_at_percent: Some(50),
        ..hard
    };
    let key = store
        .update_key(
            &key.id,
            ApiKeyUpdate {
                budget: Some(Some(half)),
                ..ApiKeyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(key.budget, Some(half));
    assert_eq!(store.get_key(&key.id).await.unwrap(), Some(key.clone()));
    let cleared = store
        .update_key(
            &key.id,
            ApiKeyUpdate {
                budget: Some(None),
                ..ApiKeyUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.budget, None);
    assert_eq!(store.get_key(&key.id).await.unwrap().unwrap().budget, None);

    for percent in [0, 101] {
        let bad = Budget {
            alert_at_percent: Some(percent),
            ..soft
        };
        let created = store
            .create_team(NewTeam {
                budget: Some(bad),
                ..NewTeam::named(acme.id.clone(), format!("bad {percent}"))
            })
            .await;
        assert!(
            matches!(created, Err(StoreError::Invalid(_))),
            "{created:?}"
        );
        let updated = store
            .update_key(
                &key.id,
                ApiKeyUpdate {
                    budget: Some(Some(bad)),
                    ..ApiKeyUpdate::default()
                },
            )
            .await;
        assert!(
            matches!(updated, Err(StoreError::Invalid(_))),
            "{updated:?}"
        );
    }
}

/// End users' own budgets: set, replaced, listed per organization (keys outside any org have a
/// namespace of their own), deleted.
async fn end_user_budgets(db: TestDb) {
    let store = &db.store;
    let daily = budget(2_000_000_000, BudgetPeriod::Daily);
    let set = store
        .put_end_user_budget(Some("org-a"), "alice", daily)
        .await
        .unwrap();
    assert_eq!(
        (set.org_id.as_deref(), set.end_user.as_str(), set.budget),
        (Some("org-a"), "alice", daily)
    );
    assert_eq!(
        store
            .get_end_user_budget(Some("org-a"), "alice")
            .await
            .unwrap(),
        Some(set)
    );
    // The same name in another organization, and outside any, is someone else.
    assert_eq!(
        store
            .get_end_user_budget(Some("org-b"), "alice")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.get_end_user_budget(None, "alice").await.unwrap(),
        None
    );

    let soft = Budget {
        mode: Some(BudgetMode::Soft),
        alert_at_percent: Some(75),
        ..budget(5_000_000_000, BudgetPeriod::Monthly)
    };
    store
        .put_end_user_budget(Some("org-a"), "alice", soft)
        .await
        .unwrap();
    store
        .put_end_user_budget(Some("org-a"), "bob", daily)
        .await
        .unwrap();
    store
        .put_end_user_budget(None, "carol", daily)
        .await
        .unwrap();
    let first = store
        .list_end_user_budgets(Some("org-a"), &PageRequest::first(1))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 1);
    assert_eq!(
        (first.items[0].end_user.as_str(), first.items[0].budget),
        ("alice", soft)
    );
    let second = store
        .list_end_user_budgets(
            Some("org-a"),
            &PageRequest {
                limit: 1,
                after: first.next.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(second.items[0].end_user, "bob");
    assert_eq!(second.next, None);
    let outside = store
        .list_end_user_budgets(None, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(outside.items.len(), 1);
    assert_eq!(
        (
            outside.items[0].org_id.as_deref(),
            outside.items[0].end_user.as_str()
        ),
        (None, "carol")
    );

    store
        .delete_end_user_budget(Some("org-a"), "alice")
        .await
        .unwrap();
    assert_eq!(
        store
            .get_end_user_budget(Some("org-a"), "alice")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        store.delete_end_user_budget(Some("org-a"), "alice").await,
        Err(StoreError::NotFound { .. })
    ));
    let negative = store
        .put_end_user_budget(None, "dave", budget(-1, BudgetPeriod::None))
        .await;
    assert!(
        matches!(negative, Err(StoreError::Invalid(_))),
        "{negative:?}"
    );
}

on_both_backends!(
    end_user_budgets,
    budget_mode_and_alert_round_trip,
    org_budget_and_credit_flag,
    team_budget_and_limits,
    user_budget,
    spent_since_sums_each_scope
);
