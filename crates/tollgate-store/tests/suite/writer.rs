//! The spend writer: nothing lost under concurrency, settled spend equal to the log, and
//! idempotent on request id.

use std::collections::HashMap;
use std::time::Duration;

use tollgate_store::{
    ApiKey, Bucket, DynStore, KeyFilter, PageRequest, SpendWriter, SpendWriterConfig, Timestamp,
    UsageFilter,
};
use tollgate_types::NanoUsd;

use crate::fixtures::{self, spend_row};
use crate::harness::TestDb;

const TASKS: usize = 50;
const ROWS_PER_TASK: usize = 100;

async fn five_thousand_rows_from_many_tasks_all_arrive(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let mut keys: Vec<ApiKey> = Vec::new();
    for i in 0..7 {
        keys.push(fixtures::key_in(store, &acme, &format!("k{i}")).await.key);
    }
    let writer = SpendWriter::start(
        store.clone(),
        SpendWriterConfig {
            // Small enough that the overflow path is taken too.
            capacity: 64,
            ..SpendWriterConfig::default()
        },
    );
    let base = Timestamp::now().millis();
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let writer = writer.clone();
        let keys = keys.clone();
        tasks.push(tokio::spawn(async move {
            let mut expected: HashMap<String, i64> = HashMap::new();
            for i in 0..ROWS_PER_TASK {
                let key = &keys[(task * 31 + i) % keys.len()];
                // Odd, varied costs: any lost, doubled or rounded row shows in the sums.
                let cost = 1_000 + i64::try_from(task * 7_919 + i * 104_729).unwrap();
                let row = spend_row(
                    &format!("req-{task}-{i}"),
                    base + i64::try_from(i).unwrap(),
                    key,
                    cost,
                );
                writer.record(row).unwrap();
                *expected.entry(key.id.clone()).or_default() += cost;
                if i % 10 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            expected
        }));
    }
    let mut expected: HashMap<String, i64> = HashMap::new();
    for task in tasks {
        for (key, cost) in task.await.unwrap() {
            *expected.entry(key).or_default() += cost;
        }
    }
    let stats = writer.shutdown().await.unwrap();
    let total = u64::try_from(TASKS * ROWS_PER_TASK).unwrap();
    assert_eq!(stats.rows_inserted, total, "{stats:?}");
    assert_eq!(stats.rows_written, total);
    assert_eq!(stats.duplicates, 0);
    assert_eq!(stats.pending, 0);
    assert!(stats.batches >= total / 500, "{stats:?}");

    let window = UsageFilter::between(Timestamp(base - 1), Timestamp(base + 1_000_000));
    let usage = store.usage(&window, &[], Bucket::Day).await.unwrap();
    let requests: u64 = usage.iter().map(|row| row.requests).sum();
    assert_eq!(requests, total);
    assert_eq!(count_log_rows(store, &window).await, total);

    let listed = store
        .list_keys(&KeyFilter::default(), &PageRequest::default())
        .await
        .unwrap();
    for key in listed.items {
        assert_eq!(
            key.spend,
            NanoUsd(expected.get(&key.id).copied().unwrap_or(0)),
            "settled spend of {}",
            key.id
        );
    }
}

async fn count_log_rows(store: &DynStore, filter: &UsageFilter) -> u64 {
    let mut page = PageRequest::first(1000);
    let mut count = 0;
    loop {
        let result = store.spend_log(filter, &page).await.unwrap();
        count += u64::try_from(result.items.len()).unwrap();
        match result.next {
            Some(next) => page.after = Some(next),
            None => return count,
        }
    }
}

async fn duplicate_request_ids_count_once(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let key = fixtures::key_in(store, &acme, "k").await.key;
    let at = Timestamp::now().millis();
    let batch = vec![
        spend_row("dup-1", at, &key, 1_000),
        spend_row("dup-2", at, &key, 20_000),
        // The same request twice in one batch.
        spend_row("dup-2", at, &key, 20_000),
    ];
    let first = store.insert_spend(&batch).await.unwrap();
    assert_eq!((first.inserted, first.duplicates), (2, 1));
    // A retried batch (its commit's answer was lost) adds nothing.
    let retried = store.insert_spend(&batch).await.unwrap();
    assert_eq!((retried.inserted, retried.duplicates), (0, 3));
    let settled = store.get_key(&key.id).await.unwrap().unwrap();
    assert_eq!(settled.spend, NanoUsd(21_000));

    // Through the writer, too.
    let writer = SpendWriter::start(store.clone(), SpendWriterConfig::default());
    writer.record(spend_row("dup-1", at, &key, 1_000)).unwrap();
    writer.record(spend_row("dup-3", at, &key, 300)).unwrap();
    writer.record(spend_row("dup-3", at, &key, 300)).unwrap();
    let stats = writer.shutdown().await.unwrap();
    assert_eq!((stats.rows_inserted, stats.duplicates), (1, 2));
    let settled = store.get_key(&key.id).await.unwrap().unwrap();
    assert_eq!(settled.spend, NanoUsd(21_300));
    assert_eq!(store.insert_spend(&[]).await.unwrap().inserted, 0);
}

async fn flushes_on_the_interval_and_refuses_after_shutdown(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let key = fixtures::key_in(store, &acme, "k").await.key;
    let writer = SpendWriter::start(store.clone(), SpendWriterConfig::default());
    let at = Timestamp::now().millis();
    for i in 0..3 {
        writer
            .record(spend_row(&format!("tick-{i}"), at, &key, 10))
            .unwrap();
    }
    // Far fewer rows than a batch: only the interval can flush them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while writer.stats().rows_written < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            writer.stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        store.get_key(&key.id).await.unwrap().unwrap().spend,
        NanoUsd(30)
    );

    writer.shutdown().await.unwrap();
    let refused = writer.record(spend_row("late", at, &key, 10)).unwrap_err();
    assert_eq!(refused.0.request_id, "late");
    assert_eq!(writer.stats().pending, 0);
    // Shutting down twice is harmless.
    writer.shutdown().await.unwrap();
}

async fn rows_that_cannot_be_written_are_handed_back(db: TestDb) {
    let acme = fixtures::org(&db.store, "Acme").await;
    let key = fixtures::key_in(&db.store, &acme, "k").await.key;
    // A second handle whose pool is closed: every write fails, as with a database gone away.
    let broken = tollgate_store::open(&db.url).await.unwrap();
    broken.close().await;
    let writer = SpendWriter::start(
        broken,
        SpendWriterConfig {
            shutdown_attempts: 2,
            ..SpendWriterConfig::default()
        },
    );
    let at = Timestamp::now().millis();
    for i in 0..3 {
        writer
            .record(spend_row(&format!("lost-{i}"), at, &key, 10))
            .unwrap();
    }
    let unwritten = writer.shutdown().await.unwrap_err();
    let mut ids: Vec<_> = unwritten
        .rows
        .iter()
        .map(|row| row.request_id.as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["lost-0", "lost-1", "lost-2"]);
    assert!(writer.stats().failed_batches >= 2, "{:?}", writer.stats());
    assert_eq!(writer.stats().rows_written, 0);
}

on_both_backends!(
    five_thousand_rows_from_many_tasks_all_arrive,
    duplicate_request_ids_count_once,
    flushes_on_the_interval_and_refuses_after_shutdown,
    rows_that_cannot_be_written_are_handed_back
);
