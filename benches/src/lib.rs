//! Benchmark support shared by the criterion benches and the latency table harness.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tarjotin_core::geo::LatLon;
use tarjotin_core::index::{BuildSummary, IndexStore, build};
use tarjotin_core::search::{Engine, Facet, Near, SearchRequest, Sort};
use tarjotin_core::synth::Generator;

/// Seed of every synthetic corpus, so runs compare like with like.
pub const SEED: u64 = 20_261_123;

/// An index of `docs` synthetic records under `target/bench-index/<docs>`, built once and reused
/// while the schema stays the same. Returns the engine and, when it built, the build summary and time.
pub fn bench_index(docs: usize) -> (Engine, Option<(BuildSummary, Duration)>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench-index")
        .join(format!("{docs}-v{}", tarjotin_core::schema::SCHEMA_VERSION));
    let mut built = None;
    if Engine::open(&root).is_err() {
        let _ = std::fs::remove_dir_all(&root);
        built = Some(build_synthetic(&root, docs));
    }
    let engine = Engine::open(&root).unwrap_or_else(|e| panic!("bench index: {e}"));
    (engine, built)
}

/// Builds `docs` synthetic records into `root`, timing generation separately from indexing.
pub fn build_synthetic(root: &Path, docs: usize) -> (BuildSummary, Duration) {
    let records = Generator::new(SEED).records(docs);
    let store = IndexStore::open(root).unwrap_or_else(|e| panic!("store: {e}"));
    let t = Instant::now();
    let summary = build(&store, records, &|_| {}).unwrap_or_else(|e| panic!("build: {e}"));
    (summary, t.elapsed())
}

/// A named query class with the requests it cycles through.
pub struct QueryClass {
    pub name: &'static str,
    pub requests: Vec<SearchRequest>,
    pub suggest: Vec<String>,
    pub get_ids: Vec<String>,
}

fn point(lat: f64, lon: f64) -> LatLon {
    LatLon::new(lat, lon).unwrap_or_else(|e| panic!("{e}"))
}

/// The query classes of the issue: text, text + filters + facets, text + 20 km radius sorted by
/// distance, nearest 10 without text, prefix/autocomplete, get by id.
pub fn query_classes() -> Vec<QueryClass> {
    let words = [
        "vertaistuki",
        "kerho",
        "liikunta",
        "ryhmä",
        "kuoro",
        "omaishoitajat",
        "nuoret",
        "kahvila",
    ];
    let text: Vec<SearchRequest> = words
        .iter()
        .map(|w| SearchRequest {
            limit: 10,
            ..SearchRequest::text(*w)
        })
        .collect();
    let filtered = words
        .iter()
        .map(|w| SearchRequest {
            limit: 10,
            free: Some(true),
            target_groups: vec!["older_people".into()],
            facets: vec![Facet::Theme, Facet::Kind, Facet::Municipality],
            ..SearchRequest::text(*w)
        })
        .collect();
    let centres = [
        (60.1699, 24.9384),
        (61.4978, 23.7610),
        (60.4518, 22.2666),
        (65.0121, 25.4651),
        (62.8924, 27.6770),
    ];
    let radius = centres
        .iter()
        .zip(words.iter())
        .map(|((la, lo), w)| SearchRequest {
            limit: 10,
            near: Some(Near {
                point: point(*la, *lo),
                radius_km: Some(20.0),
            }),
            sort: Sort::Distance,
            ..SearchRequest::text(*w)
        })
        .collect();
    let nearest = centres
        .iter()
        .map(|(la, lo)| SearchRequest {
            limit: 10,
            near: Some(Near {
                point: point(*la, *lo),
                radius_km: Some(20.0),
            }),
            sort: Sort::Distance,
            ..SearchRequest::default()
        })
        .collect();
    vec![
        QueryClass {
            name: "text",
            requests: text,
            suggest: vec![],
            get_ids: vec![],
        },
        QueryClass {
            name: "text+filters+facets",
            requests: filtered,
            suggest: vec![],
            get_ids: vec![],
        },
        QueryClass {
            name: "text+20km radius by distance",
            requests: radius,
            suggest: vec![],
            get_ids: vec![],
        },
        QueryClass {
            name: "nearest 10, no text",
            requests: nearest,
            suggest: vec![],
            get_ids: vec![],
        },
        QueryClass {
            name: "autocomplete",
            requests: vec![],
            suggest: ["ve", "kuo", "liik", "omais", "nuorten k"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            get_ids: vec![],
        },
        QueryClass {
            name: "get by id",
            requests: vec![],
            suggest: vec![],
            get_ids: (1..=20).map(|i| format!("synth:{}", i * 37)).collect(),
        },
    ]
}

/// Runs one request of `class` (the `i`-th, cycling).
pub fn run_one(engine: &Engine, class: &QueryClass, i: usize) -> usize {
    if !class.requests.is_empty() {
        let r = &class.requests[i % class.requests.len()];
        engine.search(r).map(|x| x.hits.len()).unwrap_or(0)
    } else if !class.suggest.is_empty() {
        let q = &class.suggest[i % class.suggest.len()];
        engine
            .suggest(q, tarjotin_core::model::Lang::Fi, 10)
            .map(|x| x.len())
            .unwrap_or(0)
    } else {
        let id = &class.get_ids[i % class.get_ids.len()];
        engine
            .get(id)
            .map(|x| usize::from(x.is_some()))
            .unwrap_or(0)
    }
}

/// Percentile (0..=100) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}
