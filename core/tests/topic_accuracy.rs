//! The built-in topic classifier's precision (SH-TOPIC-1, SH-TOPIC-2) and the language
//! detector's accuracy on labelled customer messages: a dev set that the terms and the
//! calibration were tuned on (`data/topics_dev.json`), and an evaluation set written
//! before the classifier and never used to tune it (`data/topics_eval.json`). A label is
//! applied only at 90 % confidence; its precision is the share of applied labels that
//! are right; the share labelled is the share of messages with a clear topic
//! (expect ≠ `none`) that got one.
//!
//! Run: `cargo test -p shopmux-core --test topic_accuracy -- --nocapture`.

use serde::Deserialize;
use shopmux_core::domain::language;
use shopmux_core::domain::topic_model::{classify, confidence, evidence};
use shopmux_core::domain::topics::TopicGuess;
use std::collections::BTreeMap;

#[derive(Deserialize)]
struct Cases {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    lang: String,
    text: String,
    expect: String,
}

fn cases(json: &str) -> Vec<Case> {
    serde_json::from_str::<Cases>(json).unwrap().cases
}

/// (precision of applied labels, share of topical messages labelled), printing wrong
/// labels and the figures per language.
fn topic_figures(name: &str, cases: &[Case]) -> (f64, f64) {
    let (mut applied, mut right, mut topical, mut labelled_topical) = (0, 0, 0, 0);
    let mut by_lang: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for case in cases {
        let label = classify(&case.text).and_then(TopicGuess::label);
        if case.expect != "none" {
            topical += 1;
            labelled_topical += usize::from(label.is_some());
        }
        let Some(topic) = label else { continue };
        applied += 1;
        let entry = by_lang.entry(case.lang.as_str()).or_default();
        entry.1 += 1;
        if topic.as_str() == case.expect {
            right += 1;
            entry.0 += 1;
        } else {
            println!("{name}: {:?} → {topic}, expected {}", case.text, case.expect);
        }
    }
    let precision = right as f64 / applied.max(1) as f64;
    let share = labelled_topical as f64 / topical as f64;
    println!(
        "{name}: {right}/{applied} applied labels right (precision {precision:.3}); \
         {labelled_topical}/{topical} topical messages labelled ({share:.3}); {} messages",
        cases.len()
    );
    for (lang, (r, n)) in by_lang {
        println!("{name}:   {lang}: {r}/{n} right");
    }
    (precision, share)
}

#[test]
fn sh_topic_1_dev_set_calibration_by_lead() {
    // rule: SH-TOPIC-1 (the dev set only tunes: these figures set CALIBRATION)
    let cases = cases(include_str!("data/topics_dev.json"));
    let mut by_lead: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for case in &cases {
        let Some((topic, lead)) = evidence(&case.text) else { continue };
        let entry = by_lead.entry((lead.floor() as usize).min(4)).or_default();
        entry.1 += 1;
        entry.0 += usize::from(topic.as_str() == case.expect);
    }
    for (lead, (r, n)) in &by_lead {
        println!("dev: lead {lead}: {r}/{n} right; confidence {}", confidence(*lead as f32));
    }
    let (precision, _) = topic_figures("dev", &cases);
    assert!(precision >= 0.9, "dev precision {precision:.3}");
}

#[test]
fn sh_topic_2_evaluation_set_precision_of_applied_labels_is_at_least_0_9() {
    // rule: SH-TOPIC-1, SH-TOPIC-2 (labels only at 90 % confidence, and they are right)
    let cases = cases(include_str!("data/topics_eval.json"));
    assert!(cases.len() >= 300);
    let (precision, share) = topic_figures("eval", &cases);
    assert!(precision >= 0.9, "evaluation precision {precision:.3} under 0.9");
    assert!(share >= 0.5, "only {share:.3} of topical messages labelled");
}

#[test]
fn language_detection_accuracy_on_the_dev_set_for_tuning() {
    language_figures("dev", &cases(include_str!("data/topics_dev.json")));
}

#[test]
fn language_detection_accuracy_on_the_evaluation_set() {
    let (accuracy, applied_accuracy) =
        language_figures("eval", &cases(include_str!("data/topics_eval.json")));
    assert!(accuracy >= 0.85, "language accuracy {accuracy:.3}");
    assert!(applied_accuracy >= 0.95, "applied language accuracy {applied_accuracy:.3}");
}

/// (accuracy of detections, accuracy of those that would set a buyer's language).
fn language_figures(name: &str, cases: &[Case]) -> (f64, f64) {
    let (mut detected, mut right, mut applied, mut applied_right) = (0, 0, 0, 0);
    for case in cases {
        let Some(d) = language::detect(&case.text) else { continue };
        detected += 1;
        // What would set the language of a buyer who has none (hysteresis aside).
        if language::buyer_language(None, &d).is_some() {
            applied += 1;
            applied_right += usize::from(d.language == case.lang);
        }
        if d.language == case.lang {
            right += 1;
        } else {
            println!(
                "language: {:?} → {} ({}), expected {}",
                case.text, d.language, d.confidence, case.lang
            );
        }
    }
    let accuracy = right as f64 / detected as f64;
    println!(
        "{name} language: {right}/{detected} detections right (accuracy {accuracy:.3}); {detected}/{} messages long enough to detect",
        cases.len()
    );
    let applied_accuracy = applied_right as f64 / applied as f64;
    println!(
        "{name} language: {applied_right}/{applied} detections confident enough to set a buyer's language right (accuracy {applied_accuracy:.3})"
    );
    (accuracy, applied_accuracy)
}
