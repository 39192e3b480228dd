//! Accuracy on the labelled corpus (`corpus/*.jsonl`): precision and recall per entity type and
//! for injection, printed as a markdown table (written to `corpus/RESULTS.md` when
//! `TOLLGATE_WRITE_RESULTS=1`), with asserted floors:
//!
//! - PII over all entity types: precision and recall >= 0.98;
//! - every entity type: precision and recall >= 0.95;
//! - injection at the default threshold (500 per-mille), whole corpus: recall >= 0.95 and
//!   false-positive rate <= 0.01;
//! - injection on the held-out file (`heldout.jsonl`, never used to write rules): recall >= 0.84
//!   and false-positive rate <= 0.03.
//!
//! The floors sit one case below what the detectors achieve, so a regression fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Deserialize;
use tollgate_guard::{Guard, GuardSettings, InjectionMode, InjectionSettings};

#[derive(Deserialize)]
struct Case {
    text: String,
    labels: Vec<Label>,
    injection: bool,
    note: String,
}

#[derive(Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Label {
    #[serde(rename = "type")]
    kind: String,
    value: String,
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Counts {
    fn precision(self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 {
        1.0
    } else {
        f64::from(a) / f64::from(b)
    }
}

fn load() -> Vec<(String, Case)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for (n, line) in std::fs::read_to_string(&file).unwrap().lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Case =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}:{}: {e}", n + 1));
            cases.push((format!("{name}:{}", n + 1), case));
        }
    }
    cases
}

#[test]
fn corpus_precision_and_recall() {
    let settings = GuardSettings {
        injection: InjectionSettings {
            mode: InjectionMode::Log,
            threshold_permille: InjectionSettings::DEFAULT_THRESHOLD_PERMILLE,
        },
        ..GuardSettings::default()
    };
    let threshold = settings.injection.threshold_permille;
    let guard = Guard::new(settings).unwrap();
    let cases = load();
    assert!(cases.len() >= 400, "corpus has {} cases", cases.len());

    let mut per_entity: BTreeMap<String, Counts> = BTreeMap::new();
    let mut errors = Vec::new();
    let (mut inj_tp, mut inj_fn, mut inj_fp, mut inj_tn) = (0u32, 0u32, 0u32, 0u32);
    // Per corpus file: [attacks caught, attacks, benign flagged, benign].
    let mut per_file: BTreeMap<String, [u32; 4]> = BTreeMap::new();
    for (at, case) in &cases {
        let mut expected = case.labels.clone();
        expected.sort();
        let mut found: Vec<Label> = guard
            .detect_pii(&case.text)
            .into_iter()
            .map(|d| Label {
                kind: d.entity,
                value: case.text[d.range].to_owned(),
            })
            .collect();
        found.sort();
        for label in &found {
            let c = per_entity.entry(label.kind.clone()).or_default();
            if let Some(i) = expected.iter().position(|e| e == label) {
                expected.remove(i);
                c.tp += 1;
            } else {
                c.fp += 1;
                errors.push(format!(
                    "FP {at} [{}] {}: {:?}",
                    case.note, label.kind, label.value
                ));
            }
        }
        for missed in expected {
            per_entity.entry(missed.kind.clone()).or_default().fn_ += 1;
            errors.push(format!(
                "FN {at} [{}] {}: {:?}",
                case.note, missed.kind, missed.value
            ));
        }
        let report = guard.injection_report(&case.text);
        let flagged = report.score_permille >= threshold;
        let file = per_file
            .entry(at.split(':').next().unwrap_or("").to_owned())
            .or_default();
        if case.injection {
            file[0] += u32::from(flagged);
            file[1] += 1;
        } else {
            file[2] += u32::from(flagged);
            file[3] += 1;
        }
        match (case.injection, flagged) {
            (true, true) => inj_tp += 1,
            (true, false) => {
                inj_fn += 1;
                errors.push(format!(
                    "injection FN {at} [{}] score {} {:?}",
                    case.note, report.score_permille, report.signals
                ));
            }
            (false, true) => {
                inj_fp += 1;
                errors.push(format!(
                    "injection FP {at} [{}] score {} {:?}",
                    case.note, report.score_permille, report.signals
                ));
            }
            (false, false) => inj_tn += 1,
        }
    }

    let total = per_entity.values().fold(Counts::default(), |a, c| Counts {
        tp: a.tp + c.tp,
        fp: a.fp + c.fp,
        fn_: a.fn_ + c.fn_,
    });
    let mut table = String::new();
    writeln!(table, "# Guardrail accuracy on the labelled corpus\n").unwrap();
    writeln!(table, "{} cases (`corpus/*.jsonl`). Generated by `TOLLGATE_WRITE_RESULTS=1 cargo test -p tollgate-guard --test corpus`.\n", cases.len()).unwrap();
    writeln!(
        table,
        "| entity | labelled | TP | FP | FN | precision | recall |"
    )
    .unwrap();
    writeln!(table, "|---|---:|---:|---:|---:|---:|---:|").unwrap();
    for (name, c) in per_entity
        .iter()
        .chain(std::iter::once((&"**all PII**".to_owned(), &total)))
    {
        writeln!(
            table,
            "| {name} | {} | {} | {} | {} | {:.3} | {:.3} |",
            c.tp + c.fn_,
            c.tp,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall()
        )
        .unwrap();
    }
    let inj_recall = ratio(inj_tp, inj_tp + inj_fn);
    let inj_precision = ratio(inj_tp, inj_tp + inj_fp);
    let fpr = ratio(inj_fp, inj_fp + inj_tn);
    writeln!(table, "\n| injection (threshold {threshold}‰) | attacks | benign | TP | FN | FP | TN | precision | recall | FPR |").unwrap();
    writeln!(table, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    writeln!(
        table,
        "| prompt injection | {} | {} | {inj_tp} | {inj_fn} | {inj_fp} | {inj_tn} | {inj_precision:.3} | {inj_recall:.3} | {fpr:.3} |",
        inj_tp + inj_fn,
        inj_fp + inj_tn
    )
    .unwrap();
    writeln!(table, "\n| file | attacks caught | benign flagged |").unwrap();
    writeln!(table, "|---|---:|---:|").unwrap();
    for (file, [caught, attacks, flagged, benign]) in &per_file {
        writeln!(
            table,
            "| {file} | {caught}/{attacks} | {flagged}/{benign} |"
        )
        .unwrap();
    }
    let [ho_caught, ho_attacks, ho_flagged, ho_benign] =
        per_file.get("heldout.jsonl").copied().unwrap_or_default();
    let ho_recall = ratio(ho_caught, ho_attacks);
    let ho_fpr = ratio(ho_flagged, ho_benign);
    writeln!(
        table,
        "\nHeld-out injection: recall {ho_recall:.3} ({ho_caught}/{ho_attacks}) at FPR {ho_fpr:.3} ({ho_flagged}/{ho_benign})."
    )
    .unwrap();
    writeln!(table, "\nFloors asserted: all-PII precision and recall >= 0.98; every entity >= 0.95; injection (all cases) recall >= 0.95 at FPR <= 0.01; held-out injection recall >= 0.84 at FPR <= 0.03.").unwrap();
    println!("{table}");
    for e in &errors {
        println!("{e}");
    }
    if std::env::var("TOLLGATE_WRITE_RESULTS").as_deref() == Ok("1") {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/RESULTS.md");
        std::fs::write(path, &table).unwrap();
    }

    assert!(
        total.precision() >= 0.98,
        "PII precision {:.3}",
        total.precision()
    );
    assert!(total.recall() >= 0.98, "PII recall {:.3}", total.recall());
    for (name, c) in &per_entity {
        assert!(
            c.precision() >= 0.95,
            "{name} precision {:.3}",
            c.precision()
        );
        assert!(c.recall() >= 0.95, "{name} recall {:.3}", c.recall());
    }
    assert!(inj_recall >= 0.95, "injection recall {inj_recall:.3}");
    assert!(fpr <= 0.01, "injection false-positive rate {fpr:.3}");
    assert!(ho_attacks >= 20 && ho_benign >= 30, "held-out file shrank");
    assert!(
        ho_recall >= 0.84,
        "held-out injection recall {ho_recall:.3}"
    );
    assert!(
        ho_fpr <= 0.03,
        "held-out injection false-positive rate {ho_fpr:.3}"
    );
}
