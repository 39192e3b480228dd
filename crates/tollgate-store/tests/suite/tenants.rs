//! Organizations, teams and users: create, get, list, update, delete, and the rules between them.

use tollgate_store::{
    NewOrganization, NewTeam, NewUser, OrganizationUpdate, PageRequest, Role, StoreError,
    TeamFilter, TeamUpdate, UserFilter, UserUpdate,
};

use crate::fixtures;
use crate::harness::TestDb;

async fn org_crud(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    assert!(acme.id.starts_with("org_"));
    assert_eq!(acme.tier, "default");
    assert_eq!(store.get_org(&acme.id).await.unwrap(), Some(acme.clone()));
    assert_eq!(store.get_org("org_missing").await.unwrap(), None);

    let gold = store
        .create_org(NewOrganization {
            name: "  Gold  ".into(),
            tier: Some("top".into()),
            budget: None,
            credits_enabled: false,
            guardrails: None,
        })
        .await
        .unwrap();
    assert_eq!((gold.name.as_str(), gold.tier.as_str()), ("Gold", "top"));

    let blank = store
        .create_org(NewOrganization {
            name: " ".into(),
            tier: None,
            budget: None,
            credits_enabled: false,
            guardrails: None,
        })
        .await;
    assert!(matches!(blank, Err(StoreError::Invalid(_))), "{blank:?}");

    let renamed = store
        .update_org(
            &acme.id,
            OrganizationUpdate {
                name: Some("Acme Inc".into()),
                tier: Some("top".into()),
                ..OrganizationUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.tier.as_str()),
        ("Acme Inc", "top")
    );
    assert_eq!(renamed.created_at, acme.created_at);
    let unchanged = store
        .update_org(&acme.id, OrganizationUpdate::default())
        .await
        .unwrap();
    assert_eq!(unchanged, renamed);
    let missing = store
        .update_org("org_missing", OrganizationUpdate::default())
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );

    store.delete_org(&gold.id).await.unwrap();
    assert_eq!(store.get_org(&gold.id).await.unwrap(), None);
    let again = store.delete_org(&gold.id).await;
    assert!(
        matches!(again, Err(StoreError::NotFound { .. })),
        "{again:?}"
    );
}

async fn lists_page_in_creation_order(db: TestDb) {
    let store = &db.store;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(fixtures::org(store, &format!("org {i}")).await.id);
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(2);
    let mut pages = 0;
    loop {
        let result = store.list_orgs(&page).await.unwrap();
        pages += 1;
        assert!(result.items.len() <= 2);
        seen.extend(result.items.into_iter().map(|org| org.id));
        match result.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, created);
    assert_eq!(pages, 3);
}

async fn team_crud_and_rules(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let other = fixtures::org(store, "Other").await;
    let search = fixtures::team(store, &acme, "search").await;
    assert!(search.id.starts_with("team_"));
    assert_eq!(search.org_id, acme.id);
    assert_eq!(
        store.get_team(&search.id).await.unwrap(),
        Some(search.clone())
    );

    let duplicate = store
        .create_team(NewTeam {
            org_id: acme.id.clone(),
            name: "search".into(),
            ..NewTeam::named("", "")
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    // The same name in another organization is fine.
    let other_search = fixtures::team(store, &other, "search").await;
    let orphan = store
        .create_team(NewTeam {
            org_id: "org_missing".into(),
            name: "x".into(),
            ..NewTeam::named("", "")
        })
        .await;
    assert!(matches!(orphan, Err(StoreError::Invalid(_))), "{orphan:?}");

    let ads = fixtures::team(store, &acme, "ads").await;
    let acme_teams = store
        .list_teams(
            &TeamFilter {
                org_id: Some(acme.id.clone()),
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    let ids: Vec<_> = acme_teams
        .items
        .iter()
        .map(|team| team.id.as_str())
        .collect();
    assert_eq!(ids, [search.id.as_str(), ads.id.as_str()]);
    let all = store
        .list_teams(&TeamFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 3);

    let renamed = store
        .update_team(
            &ads.id,
            TeamUpdate {
                name: Some("growth".into()),
                ..TeamUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "growth");
    let clash = store
        .update_team(
            &ads.id,
            TeamUpdate {
                name: Some("search".into()),
                ..TeamUpdate::default()
            },
        )
        .await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");

    // An organization with teams cannot be deleted; without them it can.
    let refused = store.delete_org(&other.id).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    store.delete_team(&other_search.id).await.unwrap();
    assert_eq!(store.get_team(&other_search.id).await.unwrap(), None);
    store.delete_org(&other.id).await.unwrap();
    let missing = store.delete_team(&other_search.id).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

async fn user_crud_and_rules(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let other = fixtures::org(store, "Other").await;
    let search = fixtures::team(store, &acme, "search").await;
    let foreign_team = fixtures::team(store, &other, "search").await;

    let ada = store
        .create_user(NewUser {
            org_id: acme.id.clone(),
            team_id: Some(search.id.clone()),
            email: "ada@acme.test".into(),
            name: Some("Ada".into()),
            role: Role::TeamAdmin,
            budget: None,
        })
        .await
        .unwrap();
    assert!(ada.id.starts_with("user_"));
    assert_eq!(store.get_user(&ada.id).await.unwrap(), Some(ada.clone()));

    let duplicate = store
        .create_user(NewUser {
            org_id: acme.id.clone(),
            team_id: None,
            email: "ada@acme.test".into(),
            name: None,
            role: Role::Member,
            budget: None,
        })
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let wrong_team = store
        .create_user(NewUser {
            org_id: acme.id.clone(),
            team_id: Some(foreign_team.id.clone()),
            email: "bob@acme.test".into(),
            name: None,
            role: Role::Member,
            budget: None,
        })
        .await;
    assert!(
        matches!(wrong_team, Err(StoreError::Invalid(_))),
        "{wrong_team:?}"
    );

    let bob = fixtures::user(store, &acme, None, "bob@acme.test").await;
    let in_team = store
        .list_users(
            &UserFilter {
                org_id: None,
                team_id: Some(search.id.clone()),
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(in_team.items, vec![ada.clone()]);
    let in_org = store
        .list_users(
            &UserFilter {
                org_id: Some(acme.id.clone()),
                team_id: None,
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(in_org.items.len(), 2);

    let moved = store
        .update_user(
            &ada.id,
            UserUpdate {
                team_id: Some(None),
                name: Some(None),
                role: Some(Role::Viewer),
                email: Some("ada@new.test".into()),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.team_id, None);
    assert_eq!(moved.name, None);
    assert_eq!(moved.role, Role::Viewer);
    assert_eq!(moved.email, "ada@new.test");
    let to_foreign = store
        .update_user(
            &bob.id,
            UserUpdate {
                team_id: Some(Some(foreign_team.id.clone())),
                ..UserUpdate::default()
            },
        )
        .await;
    assert!(
        matches!(to_foreign, Err(StoreError::Invalid(_))),
        "{to_foreign:?}"
    );
    let joined = store
        .update_user(
            &bob.id,
            UserUpdate {
                team_id: Some(Some(search.id.clone())),
                ..UserUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(joined.team_id.as_deref(), Some(search.id.as_str()));

    // A team with users cannot be deleted.
    let refused = store.delete_team(&search.id).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    store.delete_user(&bob.id).await.unwrap();
    assert_eq!(store.get_user(&bob.id).await.unwrap(), None);
    store.delete_team(&search.id).await.unwrap();
    let missing = store.delete_user(&bob.id).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
}

on_both_backends!(
    org_crud,
    lists_page_in_creation_order,
    team_crud_and_rules,
    user_crud_and_rules
);
