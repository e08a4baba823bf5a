//! Replays the committed fuzz seed corpora and crash regressions (`fuzz/corpus/<target>`,
//! `fuzz/regressions/<target>`) through the query-string fuzz harness on stable, so CI checks every input
//! the fuzzers were seeded with or once crashed on. The timed fuzz run is `scripts/fuzz.sh`.

use std::path::Path;

use search_api::fuzzing;

fn replay(target: &str, harness: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut seeds = 0;
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let data = std::fs::read(&path).expect("read a corpus file");
            // A panic names the input that caused it.
            eprintln!("{target}: {}", path.display());
            harness(&data);
            seeds += usize::from(kind == "corpus");
        }
    }
    assert!(seeds >= 3, "{target}: only {seeds} committed seeds");
}

#[test]
fn search_params() {
    replay("search_params", fuzzing::search_params);
}
