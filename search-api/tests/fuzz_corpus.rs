//! Replays the committed fuzz seed corpora and crash regressions (`fuzz/corpus/<target>`,
//! `fuzz/regressions/<target>`) through the query-string fuzz harness on stable, so CI checks every input
//! the fuzzers were seeded with or once crashed on. The timed fuzz run is `scripts/fuzz.sh`.

use std::path::Path;

use search_api::fuzzing;

fn replay(target: &str, harness: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    tarjotin_core::fuzzing::replay_corpus(&root, target, harness);
}

#[test]
fn search_params() {
    replay("search_params", fuzzing::search_params);
}
