//! Replays the committed fuzz seed corpora and crash regressions (`fuzz/corpus/<target>`,
//! `fuzz/regressions/<target>`) through the fuzz harnesses on stable, so CI checks every input
//! the fuzzers were seeded with or once crashed on. The timed fuzz run is `scripts/fuzz.sh`.

use std::path::Path;

use tarjotin_core::fuzzing;

fn replay(target: &str, harness: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    tarjotin_core::fuzzing::replay_corpus(&root, target, harness);
}

#[test]
fn analysis() {
    replay("analysis", fuzzing::analysis);
}

#[test]
fn kfst_lookup() {
    replay("kfst_lookup", fuzzing::kfst_lookup);
}

#[test]
fn kfst_parse() {
    replay("kfst_parse", fuzzing::kfst_parse);
}

#[test]
fn ndjson() {
    replay("ndjson", fuzzing::ndjson);
}

#[test]
fn csv() {
    replay("csv", fuzzing::csv);
}

#[test]
fn ptv() {
    replay("ptv", fuzzing::ptv);
}

#[test]
fn linked_events() {
    replay("linked_events", fuzzing::linked_events);
}
