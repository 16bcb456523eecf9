//! Analysis benchmark: the time to read one buyer text — language detection and the
//! built-in topic classifier (SH-TOPIC-1) — over the topic evaluation set's 320 messages
//! in four languages, repeated, reported per message (the goal is well under 1 ms).
//!
//! Run: `cargo run --release --example analysis_bench [-- --rounds 200]`

use shopmux_core::domain::{language, topic_model};
use std::time::Instant;

fn main() {
    let mut rounds = 200;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).expect("--rounds N"),
            other => panic!("unknown option {other}"),
        }
    }
    let set: serde_json::Value =
        serde_json::from_str(include_str!("../core/tests/data/topics_eval.json")).unwrap();
    let texts: Vec<String> = set["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap().to_owned())
        .collect();
    // Warm-up: compiles the term table and the detector's profiles.
    let mut labelled = 0;
    for t in &texts {
        labelled += usize::from(topic_model::classify(t).is_some());
        std::hint::black_box(language::detect(t));
    }
    for (name, run) in
        [("language detection", detect_one as fn(&str)), ("topic classifier", classify_one)]
    {
        let start = Instant::now();
        for _ in 0..rounds {
            texts.iter().for_each(|t| run(t));
        }
        let per = start.elapsed().as_secs_f64() * 1e6 / (rounds * texts.len()) as f64;
        println!("{name}: {per:.1} µs per message ({} messages × {rounds})", texts.len());
    }
    println!("({labelled} of {} messages had a topic guess)", texts.len());
}

fn detect_one(text: &str) {
    std::hint::black_box(language::detect(text));
}

fn classify_one(text: &str) {
    std::hint::black_box(topic_model::classify(text));
}
