//! Usage grouping and buckets, tenant filters, and the spend-log listing.

use serde_json::json;
use tollgate_store::{
    ApiKey, Bucket, Dimension, NewApiKey, PageRequest, SpendCostSource, SpendRecord, Timestamp,
    UsageFilter, UsageRow,
};
use tollgate_types::{NanoUsd, Usage};

use crate::fixtures::{self, spend_row};
use crate::harness::TestDb;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200_000;

struct World {
    acme_key: ApiKey,
    acme_team_key: ApiKey,
    other_key: ApiKey,
}

/// Acme has a key with no team and one in team "search"; Other has one key. Rows spread over
/// two hours of day one and one hour of day two, two models and two providers.
async fn world(db: &TestDb) -> World {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let other = fixtures::org(store, "Other").await;
    let search = fixtures::team(store, &acme, "search").await;
    let ada = fixtures::user(store, &acme, Some(&search), "ada@acme.test").await;
    let acme_key = fixtures::key_in(store, &acme, "acme").await.key;
    let acme_team_key = store
        .create_key(NewApiKey {
            team_id: Some(search.id.clone()),
            user_id: Some(ada.id.clone()),
            ..NewApiKey::named("search")
        })
        .await
        .unwrap()
        .key;
    let other_key = fixtures::key_in(store, &other, "other").await.key;

    let mut rows = vec![
        spend_row("a1", T0 + 5, &acme_key, 100),
        spend_row("a2", T0 + HOUR - 1, &acme_key, 200),
        spend_row("a3", T0 + HOUR, &acme_key, 400),
        spend_row("t1", T0 + HOUR + 10, &acme_team_key, 1_000),
        spend_row("t2", T0 + DAY + 3 * HOUR, &acme_team_key, 2_000),
        spend_row("o1", T0 + 20, &other_key, 10_000),
        // Exactly at the end of the range below: excluded.
        spend_row("late", T0 + 2 * DAY, &acme_key, 99_999),
    ];
    let mut smart = spend_row("a4", T0 + 30, &acme_key, 0);
    smart.requested_model = "smart".into();
    smart.provider = Some("anthropic".into());
    smart.cost = None;
    smart.cost_source = SpendCostSource::Unpriced;
    rows.push(smart);
    store.insert_spend(&rows).await.unwrap();
    World {
        acme_key,
        acme_team_key,
        other_key,
    }
}

fn range() -> UsageFilter {
    UsageFilter::between(Timestamp(T0), Timestamp(T0 + 2 * DAY))
}

fn brief(rows: &[UsageRow]) -> Vec<(i64, Option<&str>, u64, i64)> {
    rows.iter()
        .map(|row| {
            let group = row
                .model
                .as_deref()
                .or(row.key_id.as_deref())
                .or(row.org_id.as_deref());
            (row.bucket_start.0, group, row.requests, row.cost.0)
        })
        .collect()
}

async fn buckets_and_groups(db: TestDb) {
    let world = world(&db).await;
    let store = &db.store;

    let total = store.usage(&range(), &[], Bucket::Day).await.unwrap();
    assert_eq!(
        brief(&total),
        [(T0, None, 6, 11_700), (T0 + DAY, None, 1, 2_000)]
    );
    assert_eq!(total[0].input_tokens, 600);
    assert_eq!(total[0].output_tokens, 120);
    assert_eq!(total[0].unpriced_requests, 1);
    assert_eq!(total[0].org_id, None);

    let hourly = store
        .usage(&range(), &[Dimension::Model], Bucket::Hour)
        .await
        .unwrap();
    assert_eq!(
        brief(&hourly),
        [
            (T0, Some("fast"), 3, 10_300),
            (T0, Some("smart"), 1, 0),
            (T0 + HOUR, Some("fast"), 2, 1_400),
            (T0 + DAY + 3 * HOUR, Some("fast"), 1, 2_000),
        ]
    );
    assert_eq!(hourly[1].unpriced_requests, 1);

    let by_key = store
        .usage(
            &range(),
            &[Dimension::Key, Dimension::Key, Dimension::Provider],
            Bucket::Day,
        )
        .await
        .unwrap();
    let mut expected = vec![
        (world.acme_key.id.as_str(), "anthropic", 1, 0),
        (world.acme_key.id.as_str(), "openai", 3, 700),
        (world.acme_team_key.id.as_str(), "openai", 1, 1_000),
        (world.other_key.id.as_str(), "openai", 1, 10_000),
    ];
    expected.sort();
    let day_one: Vec<_> = by_key
        .iter()
        .filter(|row| row.bucket_start.0 == T0)
        .map(|row| {
            (
                row.key_id.as_deref().unwrap(),
                row.provider.as_deref().unwrap(),
                row.requests,
                row.cost.0,
            )
        })
        .collect();
    assert_eq!(day_one, expected);

    let by_tenant = store
        .usage(
            &range(),
            &[Dimension::Org, Dimension::Team, Dimension::User],
            Bucket::Day,
        )
        .await
        .unwrap();
    let team_row = by_tenant
        .iter()
        .find(|row| row.team_id.is_some() && row.bucket_start.0 == T0)
        .unwrap();
    assert_eq!(team_row.team_id, world.acme_team_key.team_id);
    assert_eq!(team_row.user_id, world.acme_team_key.user_id);
    assert_eq!(team_row.org_id, world.acme_team_key.org_id);
    // Rows without a team sort after those with one, in both databases.
    let day_one_teams: Vec<_> = by_tenant
        .iter()
        .filter(|row| row.bucket_start.0 == T0 && row.org_id == world.acme_key.org_id)
        .map(|row| row.team_id.is_some())
        .collect();
    assert_eq!(day_one_teams, [true, false]);
}

async fn tenant_filters(db: TestDb) {
    let world = world(&db).await;
    let store = &db.store;
    let totals = |filter: UsageFilter| {
        let store = store.clone();
        async move {
            let rows = store.usage(&filter, &[], Bucket::Day).await.unwrap();
            (
                rows.iter().map(|row| row.requests).sum::<u64>(),
                rows.iter().map(|row| row.cost.0).sum::<i64>(),
            )
        }
    };
    let acme = UsageFilter {
        org_id: world.acme_key.org_id.clone(),
        ..range()
    };
    assert_eq!(totals(acme.clone()).await, (6, 3_700));
    let other = UsageFilter {
        org_id: world.other_key.org_id.clone(),
        ..range()
    };
    assert_eq!(totals(other).await, (1, 10_000));
    let team = UsageFilter {
        team_id: world.acme_team_key.team_id.clone(),
        ..range()
    };
    assert_eq!(totals(team).await, (2, 3_000));
    let user = UsageFilter {
        user_id: world.acme_team_key.user_id.clone(),
        ..range()
    };
    assert_eq!(totals(user).await, (2, 3_000));
    let key = UsageFilter {
        key_id: Some(world.acme_key.id.clone()),
        ..range()
    };
    assert_eq!(totals(key).await, (4, 700));
    let model = UsageFilter {
        model: Some("smart".into()),
        ..acme
    };
    assert_eq!(totals(model).await, (1, 0));
    let nobody = UsageFilter {
        org_id: Some("org_missing".into()),
        ..range()
    };
    assert_eq!(totals(nobody).await, (0, 0));
    // `to` is exclusive, `from` inclusive.
    let first_hour = UsageFilter::between(Timestamp(T0 + 5), Timestamp(T0 + HOUR));
    assert_eq!(totals(first_hour).await, (4, 10_300));
}

async fn spend_log_lists_newest_first_in_pages(db: TestDb) {
    let world = world(&db).await;
    let store = &db.store;
    let acme = UsageFilter {
        org_id: world.acme_key.org_id.clone(),
        ..range()
    };
    let mut page = PageRequest::first(2);
    let mut ids = Vec::new();
    loop {
        let result = store.spend_log(&acme, &page).await.unwrap();
        ids.extend(result.items.into_iter().map(|row| row.request_id));
        match result.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    assert_eq!(ids, ["t2", "t1", "a3", "a2", "a4", "a1"]);
    let bad_cursor = store
        .spend_log(
            &acme,
            &PageRequest {
                limit: 2,
                after: Some("nonsense".into()),
            },
        )
        .await;
    assert!(bad_cursor.is_err());
}

async fn spend_rows_round_trip_every_field(db: TestDb) {
    let store = &db.store;
    let row = SpendRecord {
        request_id: "req-full".into(),
        client_request_id: Some("caller-7".into()),
        created_at: Timestamp(T0 + 123),
        org_id: Some("org_x".into()),
        team_id: Some("team_x".into()),
        user_id: Some("user_x".into()),
        key_id: Some("key_x".into()),
        end_user: Some("customer-42".into()),
        requested_model: "smart".into(),
        deployment: Some("claude/claude-sonnet".into()),
        provider: Some("claude".into()),
        attempts: 3,
        usage: Usage {
            input_tokens: 1_000,
            output_tokens: 500,
            cached_input_tokens: 200,
            cache_write_tokens: 100,
            reasoning_tokens: 50,
        },
        cost: Some(NanoUsd(1_234_567)),
        cost_source: SpendCostSource::Provider,
        latency_ms: Some(1_500),
        ttft_ms: None,
        status: 429,
        error_class: Some("rate_limited".into()),
        tags: vec!["a".into(), "b".into()],
        guardrails: Some(json!({"pii": {"redacted": 2}})),
        charge_credits: false,
    };
    let minimal = SpendRecord {
        request_id: "req-min".into(),
        client_request_id: None,
        org_id: None,
        team_id: None,
        user_id: None,
        key_id: None,
        end_user: None,
        deployment: None,
        provider: None,
        cost: None,
        cost_source: SpendCostSource::Unpriced,
        latency_ms: None,
        error_class: None,
        tags: Vec::new(),
        guardrails: None,
        ..row.clone()
    };
    store
        .insert_spend(&[row.clone(), minimal.clone()])
        .await
        .unwrap();
    let listed = store
        .spend_log(&range(), &PageRequest::default())
        .await
        .unwrap();
    let mut items = listed.items;
    items.sort_by(|a, b| a.request_id.cmp(&b.request_id));
    assert_eq!(items, vec![row.clone(), minimal]);
    let json = serde_json::to_value(&row).unwrap();
    assert_eq!(json["cost_usd"], "0.001234567");
    assert_eq!(json["usage"]["reasoning_tokens"], 50);
    assert_eq!(json["cost_source"], "provider");
    assert_eq!(json["request_id"], "req-full");
    assert_eq!(json["client_request_id"], "caller-7");
    let json = serde_json::to_value(&items[1]).unwrap();
    assert_eq!(json["client_request_id"], serde_json::Value::Null);
}

/// The caller's request id is not the row's identity: two calls that sent the same one both keep
/// their row (and both count towards the key's spend), each with the caller's id intact.
async fn calls_sharing_a_client_request_id_are_both_logged(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let key = fixtures::key_in(store, &acme, "k").await.key;
    let first = SpendRecord {
        client_request_id: Some("caller-retry-1".into()),
        ..spend_row("0190a1b2-0000-7000-8000-000000000001", T0 + 1, &key, 1_000)
    };
    let second = SpendRecord {
        client_request_id: Some("caller-retry-1".into()),
        ..spend_row("0190a1b2-0000-7000-8000-000000000002", T0 + 2, &key, 2_000)
    };
    let anonymous = spend_row("0190a1b2-0000-7000-8000-000000000003", T0 + 3, &key, 300);
    assert_eq!(anonymous.client_request_id, None);
    // Apart, in two batches, as two calls' rows usually are.
    let outcome = store
        .insert_spend(std::slice::from_ref(&first))
        .await
        .unwrap();
    assert_eq!((outcome.inserted, outcome.duplicates), (1, 0));
    let outcome = store
        .insert_spend(&[second.clone(), anonymous.clone()])
        .await
        .unwrap();
    assert_eq!((outcome.inserted, outcome.duplicates), (2, 0));

    let listed = store
        .spend_log(&range(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(listed.items, vec![anonymous, second, first]);
    let settled = store.get_key(&key.id).await.unwrap().unwrap();
    assert_eq!(settled.spend, NanoUsd(3_300));
}

on_both_backends!(
    buckets_and_groups,
    tenant_filters,
    spend_log_lists_newest_first_in_pages,
    spend_rows_round_trip_every_field,
    calls_sharing_a_client_request_id_are_both_logged
);
