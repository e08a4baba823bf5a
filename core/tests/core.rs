//! Integration tests of the core library over the evaluation corpus: one index, built once.

use std::path::PathBuf;
use std::sync::OnceLock;

use tarjotin_core::eval::{evaluate, parse_queries};
use tarjotin_core::index::{IndexStore, build};
use tarjotin_core::model::Record;
use tarjotin_core::search::{Engine, SearchRequest};

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(path)
}

fn corpus() -> Vec<Record> {
    let text = std::fs::read_to_string(data("eval/corpus.ndjson")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn engine() -> &'static Engine {
    static E: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &E.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = IndexStore::open(dir.path()).unwrap();
        build(&store, corpus(), &|_| {}).unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        (dir, engine)
    })
    .1
}

fn ids(q: &str) -> Vec<String> {
    engine()
        .search(&SearchRequest::text(q))
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

#[test]
fn builds_every_corpus_record() {
    assert_eq!(engine().doc_count(), 645);
    assert_eq!(engine().meta().organisations, 165);
}

#[test]
fn relevance_report() {
    let queries =
        parse_queries(&std::fs::read_to_string(data("eval/dev-queries.ndjson")).unwrap()).unwrap();
    let report = evaluate(engine(), &queries).unwrap();
    println!("{}", report.table());
    for q in &report.queries {
        println!(
            "{} ndcg={:.2} top={:?}",
            q.id,
            q.ndcg10,
            &q.returned[..q.returned.len().min(3)]
        );
    }
}

#[test]
fn plain_word_finds_something() {
    assert!(!ids("kuoro").is_empty());
}
