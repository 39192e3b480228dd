//! When the writer's channel is full, rows take the overflow path instead of being dropped or
//! blocking. A single-threaded runtime makes this deterministic: the writer task cannot run
//! until the test awaits.

use tollgate_store::{SpendWriter, SpendWriterConfig, Timestamp};
use tollgate_types::NanoUsd;

use crate::fixtures::{self, spend_row};
use crate::harness::TestDb;

async fn full_channel_overflows_without_loss(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let key = fixtures::key_in(store, &acme, "k").await.key;
    let writer = SpendWriter::start(
        store.clone(),
        SpendWriterConfig {
            capacity: 4,
            max_batch: 7,
            ..SpendWriterConfig::default()
        },
    );
    let at = Timestamp::now().millis();
    for i in 0..200 {
        writer
            .record(spend_row(&format!("o-{i}"), at, &key, 5))
            .unwrap();
    }
    let before = writer.stats();
    assert_eq!(before.overflowed, 196);
    assert_eq!(before.pending, 200);
    let after = writer.shutdown().await.unwrap();
    assert_eq!(after.rows_inserted, 200);
    assert_eq!(after.pending, 0);
    assert!(after.batches >= 200 / 7);
    let settled = store.get_key(&key.id).await.unwrap().unwrap();
    assert_eq!(settled.spend, NanoUsd(1_000));
}

on_both_backends!(flavor = "current_thread"; full_channel_overflows_without_loss);
