//! The credit ledger: appends (all or none, turning credits on), newest-first pages, exact totals,
//! and the spend writer's charges (once per call, whatever happens to the batch).

use tollgate_store::{
    CreditKind, NewCreditEntry, PageRequest, SpendWriter, SpendWriterConfig, StoreError, Timestamp,
};
use tollgate_types::NanoUsd;

use crate::fixtures::{self, spend_row};
use crate::harness::TestDb;

fn entry(kind: CreditKind, nanos: i64, reference: Option<&str>) -> NewCreditEntry {
    NewCreditEntry {
        kind,
        amount: NanoUsd(nanos),
        reference: reference.map(str::to_string),
    }
}

/// $100 of credits bought with a 4% fee: the payment and the fee add up to the credits.
fn purchase_of_100() -> [NewCreditEntry; 2] {
    [
        entry(CreditKind::Purchase, 104_000_000_000, Some("pay_1")),
        entry(CreditKind::Fee, -4_000_000_000, Some("pay_1")),
    ]
}

async fn appends_turn_credits_on_and_sum_exactly(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let other = fixtures::org(store, "Other").await;
    assert!(!acme.credits_enabled);
    assert_eq!(
        store.credit_totals(&acme.id).await.unwrap(),
        Default::default()
    );

    let written = store
        .append_credits(&acme.id, &purchase_of_100())
        .await
        .unwrap();
    assert_eq!(written.len(), 2);
    assert!(written.iter().all(|e| e.org_id == acme.id));
    assert!(written[0].id.starts_with("credit_"));
    assert_ne!(written[0].id, written[1].id);
    assert_eq!(written[0].kind, CreditKind::Purchase);
    assert_eq!(written[1].amount, NanoUsd(-4_000_000_000));
    assert_eq!(written[1].reference.as_deref(), Some("pay_1"));
    assert!(
        store
            .get_org(&acme.id)
            .await
            .unwrap()
            .unwrap()
            .credits_enabled
    );
    assert!(
        !store
            .get_org(&other.id)
            .await
            .unwrap()
            .unwrap()
            .credits_enabled
    );

    store
        .append_credits(
            &acme.id,
            &[
                entry(CreditKind::Refund, 1_500_000_000, Some("req-9")),
                entry(CreditKind::Adjustment, -7, None),
                entry(CreditKind::Spend, -250_000_001, Some("req-manual")),
            ],
        )
        .await
        .unwrap();
    let totals = store.credit_totals(&acme.id).await.unwrap();
    assert_eq!(totals.credited, NanoUsd(101_499_999_993));
    assert_eq!(totals.spent, NanoUsd(250_000_001));
    assert_eq!(totals.balance(), NanoUsd(101_249_999_992));
    // Another organization's ledger is its own.
    assert_eq!(
        store.credit_totals(&other.id).await.unwrap(),
        Default::default()
    );
}

async fn unknown_org_is_not_found_and_writes_nothing(db: TestDb) {
    let store = &db.store;
    let missing = store
        .append_credits("org_missing", &purchase_of_100())
        .await;
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    let empty = store.append_credits("org_missing", &[]).await;
    assert!(
        matches!(empty, Err(StoreError::NotFound { .. })),
        "{empty:?}"
    );
    let page = store
        .list_credits("org_missing", &PageRequest::default())
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.next.is_none());
    assert_eq!(
        store.credit_totals("org_missing").await.unwrap(),
        Default::default()
    );
    // An empty append to a real organization records nothing and changes nothing.
    let acme = fixtures::org(store, "Acme").await;
    assert!(
        store
            .append_credits(&acme.id, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !store
            .get_org(&acme.id)
            .await
            .unwrap()
            .unwrap()
            .credits_enabled
    );
}

async fn pages_are_newest_first(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let mut written = Vec::new();
    for i in 0..7 {
        let entries = store
            .append_credits(
                &acme.id,
                &[entry(CreditKind::Adjustment, i + 1, Some(&format!("n{i}")))],
            )
            .await
            .unwrap();
        written.extend(entries);
        // Distinct milliseconds for some, shared for others: both orders must hold.
        if i % 2 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::first(3);
    loop {
        let result = store.list_credits(&acme.id, &page).await.unwrap();
        assert!(result.items.len() <= 3);
        seen.extend(result.items);
        match result.next {
            Some(next) => page.after = Some(next),
            None => break,
        }
    }
    let mut expected = written.clone();
    expected.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    assert_eq!(seen, expected);
    assert_eq!(seen.len(), 7);
    let bad = store
        .list_credits(
            &acme.id,
            &PageRequest {
                limit: 3,
                after: Some("garbage".into()),
            },
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
}

async fn the_writer_charges_credits_once_per_call(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    let key = fixtures::key_in(store, &acme, "k").await.key;
    store
        .append_credits(&acme.id, &purchase_of_100())
        .await
        .unwrap();
    let at = Timestamp::now().millis();
    let charged = |id: &str, cost: i64| {
        let mut row = spend_row(id, at, &key, cost);
        row.charge_credits = true;
        row
    };
    let mut unpriced = charged("c-unpriced", 0);
    unpriced.cost = None;
    let mut orgless = charged("c-orgless", 999);
    orgless.org_id = None;
    let mut deleted_org = charged("c-gone", 5_000);
    deleted_org.org_id = Some("org_deleted".into());
    let batch = vec![
        charged("c-1", 1_234_567),
        charged("c-2", 765_433),
        // Neither free nor unpriced calls, nor calls outside an organization, nor calls not
        // asked to be charged, cost credits; an organization since deleted fails nothing.
        charged("c-free", 0),
        unpriced,
        orgless,
        deleted_org,
        spend_row("c-plain", at, &key, 10_000),
    ];
    let writer = SpendWriter::start(store.clone(), SpendWriterConfig::default());
    for row in batch.clone() {
        writer.record(row).unwrap();
    }
    let stats = writer.shutdown().await.unwrap();
    assert_eq!(stats.rows_inserted, 7, "{stats:?}");

    let totals = store.credit_totals(&acme.id).await.unwrap();
    assert_eq!(totals.spent, NanoUsd(2_000_000));
    assert_eq!(totals.balance(), NanoUsd(99_998_000_000));
    let ledger = store
        .list_credits(&acme.id, &PageRequest::default())
        .await
        .unwrap()
        .items;
    let mut spends: Vec<_> = ledger
        .iter()
        .filter(|entry| entry.kind == CreditKind::Spend)
        .map(|entry| {
            (
                entry.id.as_str(),
                entry.reference.as_deref(),
                entry.amount,
                entry.created_at,
            )
        })
        .collect();
    spends.sort();
    assert_eq!(
        spends,
        [
            ("spend-c-1", Some("c-1"), NanoUsd(-1_234_567), Timestamp(at)),
            ("spend-c-2", Some("c-2"), NanoUsd(-765_433), Timestamp(at)),
        ]
    );
    // The key's settled spend is unchanged by charging: every priced row counts.
    let settled = store.get_key(&key.id).await.unwrap().unwrap();
    assert_eq!(
        settled.spend,
        NanoUsd(1_234_567 + 765_433 + 999 + 5_000 + 10_000)
    );

    // A retried batch (the commit's answer was lost) charges nothing more.
    let retried = store.insert_spend(&batch).await.unwrap();
    assert_eq!((retried.inserted, retried.duplicates), (0, 7));
    assert_eq!(store.credit_totals(&acme.id).await.unwrap(), totals);
    // Nor does a call first logged uncharged and sent again charged.
    let again = store
        .insert_spend(&[charged("c-plain", 10_000)])
        .await
        .unwrap();
    assert_eq!(again.inserted, 0);
    assert_eq!(store.credit_totals(&acme.id).await.unwrap(), totals);
    // Read back, the flag is not part of the row.
    let logged = store
        .spend_log(
            &tollgate_store::UsageFilter::between(Timestamp(at), Timestamp(at + 1)),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(logged.items.iter().all(|row| !row.charge_credits));
}

async fn an_org_with_credit_entries_cannot_be_deleted(db: TestDb) {
    let store = &db.store;
    let acme = fixtures::org(store, "Acme").await;
    store
        .append_credits(&acme.id, &[entry(CreditKind::Adjustment, 1, None)])
        .await
        .unwrap();
    let refused = store.delete_org(&acme.id).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
}

on_both_backends!(
    appends_turn_credits_on_and_sum_exactly,
    unknown_org_is_not_found_and_writes_nothing,
    pages_are_newest_first,
    the_writer_charges_credits_once_per_call,
    an_org_with_credit_entries_cannot_be_deleted
);
