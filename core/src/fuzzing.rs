//! Fuzz harnesses: one function per fuzz target of `fuzz/` (cargo-fuzz, libFuzzer).
//!
//! Each takes arbitrary bytes, drives one parser or analyser over them and asserts the properties
//! that must hold for *every* input, so a violated property is a crash the fuzzer reports, not
//! just a panic inside the code under test. The same functions replay the committed seed corpora
//! and crash regressions in `core/tests/fuzz_corpus.rs` on stable, so CI checks them without
//! libFuzzer. Not part of the supported API.

use std::io::Cursor;
use std::path::Path;

use crate::analysis::finnish::analyzer;
use crate::analysis::kfst::{LookupOptions, Transducer, finnish_transducer};
use crate::analysis::{normalize, words};
use crate::import::ImportSet;
use crate::sources::{linkedevents, ptv, spreadsheet};

/// At most this many words of one input go through the (slower) Finnish analyser.
const MAX_ANALYSED_WORDS: usize = 32;

/// Loads the embedded Finnish analyser once, before fuzzing starts (libFuzzer's `init`).
/// Loading takes a few seconds, about 15 s in an AddressSanitizer build on a busy machine, and
/// libFuzzer would otherwise charge it to the first input that reaches the analyser and report
/// that input as a timeout.
pub fn warm_up() {
    let _ = analyzer();
}

/// Normalisation, word segmentation and the Finnish analyser.
pub fn analysis(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let nfc = normalize(text);
    assert_eq!(normalize(&nfc), nfc, "NFC is idempotent");
    let mut last = None;
    for (i, (offset, word)) in words(&nfc).enumerate() {
        assert!(!word.is_empty(), "empty word");
        assert!(offset < nfc.len() && nfc.is_char_boundary(offset));
        assert!(last.is_none_or(|l| l < offset), "words in text order");
        last = Some(offset);
        if i < MAX_ANALYSED_WORDS {
            let a = analyzer().analyze(&word);
            for lemma in a.lemmas() {
                assert!(!lemma.is_empty(), "empty lemma of {word:?}");
            }
        }
    }
}

/// Lookup of arbitrary text in the embedded Finnish transducer.
pub fn kfst_lookup(data: &[u8]) {
    let Some(t) = finnish_transducer() else {
        return;
    };
    let word = String::from_utf8_lossy(data);
    let opts = LookupOptions {
        max_results: 5,
        ..LookupOptions::default()
    };
    let results = t.lookup_with(&word, &opts);
    assert!(results.len() <= 5, "more results than asked for");
    assert!(
        results.windows(2).all(|w| w[0].1 <= w[1].1),
        "results not sorted by weight"
    );
    assert!(results.iter().all(|(_, w)| w.is_finite()));
}

/// Reading a transducer file: arbitrary bytes give an error, never a panic; whatever loads
/// can be looked up in.
pub fn kfst_parse(data: &[u8]) {
    if let Ok(t) = Transducer::from_bytes(data) {
        let _ = t.lookup("talo", 3);
        let _ = t.lookup("", 3);
    }
}

/// The NDJSON import reader and the cross-record checks: the report's counts add up.
pub fn ndjson(data: &[u8]) {
    let mut set = ImportSet::new()
        .with_max_line_bytes(64 * 1024)
        .with_max_stored_errors(16);
    set.read("fuzz.ndjson", Cursor::new(data));
    let (kept, report) = set.finish(|id| id.len() % 2 == 0);
    assert_eq!(report.read, report.indexed + report.skipped, "{report:?}");
    assert_eq!(kept.len() as u64, report.indexed);
    assert!(report.errors.len() <= 16);
    assert!(report.error_count >= report.errors.len() as u64);
}

/// The spreadsheet (CSV) adapter, with its encoding and delimiter sniffing.
pub fn csv(data: &[u8]) {
    let _ = spreadsheet::sniff_delimiter(&String::from_utf8_lossy(data));
    if let Ok(import) = spreadsheet::parse(data, "fuzz.csv") {
        let _ = import.error_count();
    }
}

/// The PTV (Palveluntarjotin) JSON adapter.
pub fn ptv(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ptv::parse(text, "fuzz");
}

/// The Linked Events adapter: places, events and the HTML-to-text step.
pub fn linked_events(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = linkedevents::html_to_text(text);
    let places = linkedevents::places_from_json(text, "fuzz").unwrap_or_default();
    let _ = linkedevents::parse(text, "fuzz", &places);
}

/// Replays the committed seed corpus and crash regressions of one fuzz target
/// (`fuzz/corpus/<target>`, `fuzz/regressions/<target>` under `fuzz_root`) through `harness`,
/// in file-name order, naming each input before it runs so a panic points at it. Panics when
/// fewer than three seeds are committed (a replay of nothing must not pass).
pub fn replay_corpus(fuzz_root: &Path, target: &str, harness: fn(&[u8])) {
    let mut seeds = 0;
    for kind in ["corpus", "regressions"] {
        let dir = fuzz_root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let data =
                std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            eprintln!("{target}: {}", path.display());
            harness(&data);
            seeds += usize::from(kind == "corpus");
        }
    }
    assert!(seeds >= 3, "{target}: only {seeds} committed seeds");
}
