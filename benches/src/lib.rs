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
/// while the schema stays the same. Returns the engine and, when it built, how the build went.
pub fn bench_index(docs: usize) -> (Engine, Option<SyntheticBuild>) {
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

/// One timed build of synthetic records: generating them is not counted.
pub struct SyntheticBuild {
    pub summary: BuildSummary,
    /// Wall-clock time of the build.
    pub wall: Duration,
    /// CPU time the process (all its threads) used during the build.
    pub cpu: Duration,
}

/// CPU time this process has used so far, all threads together.
fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// Builds `docs` synthetic records into `root`, timing generation separately from indexing.
pub fn build_synthetic(root: &Path, docs: usize) -> SyntheticBuild {
    let records = Generator::new(SEED).records(docs);
    let store = IndexStore::open(root).unwrap_or_else(|e| panic!("store: {e}"));
    let cpu_before = process_cpu();
    let t = Instant::now();
    let summary = build(&store, records, &|_| {}).unwrap_or_else(|e| panic!("build: {e}"));
    SyntheticBuild {
        summary,
        wall: t.elapsed(),
        cpu: process_cpu().saturating_sub(cpu_before),
    }
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
                radius_km: None,
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

pub mod peers;

use std::collections::HashMap;

use peers::{PeerQuery, query_words};
use tarjotin_core::model::{Lang, Record};

/// A query class of the peer comparison: a name and the requests it cycles through.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PeerClass {
    pub name: String,
    pub requests: Vec<PeerQuery>,
}

/// City centres used by the geographic classes (Helsinki, Tampere, Turku, Oulu, Kuopio,
/// Jyväskylä, Lahti, Rovaniemi).
pub const CENTRES: [(f64, f64); 8] = [
    (60.1699, 24.9384),
    (61.4978, 23.7610),
    (60.4518, 22.2666),
    (65.0121, 25.4651),
    (62.8924, 27.6770),
    (62.2426, 25.7473),
    (60.9827, 25.6612),
    (66.5039, 25.7294),
];

/// Words of the records' names and descriptions with the number of records holding each,
/// most frequent first (ties by the word).
pub fn document_frequencies(records: &[Record]) -> Vec<(String, usize)> {
    let mut df: HashMap<String, usize> = HashMap::new();
    for r in records {
        let common = match r {
            Record::Organisation(o) => &o.common,
            Record::Activity(a) => &a.common,
            Record::Delete(_) => continue,
        };
        let mut words: Vec<String> = common
            .name
            .iter()
            .chain(common.description.iter())
            .flat_map(|(_, t)| query_words(t))
            .collect();
        words.sort();
        words.dedup();
        for w in words {
            *df.entry(w).or_insert(0) += 1;
        }
    }
    let mut out: Vec<(String, usize)> = df.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// `n` words of at least five letters whose document frequency is nearest to `share` of the
/// records, so that "rare" and "mid-frequency" mean the same at every corpus size. Words that
/// Tarjotin reads as a place ("espoon") are left out: it turns them into a municipality filter,
/// which the peers do not do, so the engines would not be answering the same question.
pub fn words_near_share(
    df: &[(String, usize)],
    records: usize,
    share: f64,
    n: usize,
) -> Vec<String> {
    let is_place = |w: &str| {
        !tarjotin_core::search::query::parse_query(w, true)
            .places
            .is_empty()
    };
    let target = (records as f64 * share).max(2.0);
    let mut candidates: Vec<&(String, usize)> = df
        .iter()
        .filter(|(w, _)| w.chars().count() >= 5 && w.chars().all(char::is_alphabetic))
        .collect();
    candidates.sort_by(|a, b| {
        let da = (a.1 as f64 / target).ln().abs();
        let db = (b.1 as f64 / target).ln().abs();
        da.total_cmp(&db).then_with(|| a.0.cmp(&b.0))
    });
    candidates
        .into_iter()
        .filter(|(w, _)| !is_place(w))
        .take(n)
        .map(|(w, _)| w.clone())
        .collect()
}

/// The query classes of the peer comparison over `records` (the same requests for every
/// engine): rare term, mid-frequency term, two-term AND, text + facet counts, text + 20 km
/// radius by distance, nearest 10 without text, prefix/autocomplete, get by id.
pub fn peer_classes(records: &[Record]) -> Vec<PeerClass> {
    let df = document_frequencies(records);
    let n = records.len();
    let rare = words_near_share(&df, n, 0.0005, 8);
    let mid = words_near_share(&df, n, 0.02, 8);
    let pairs: Vec<String> = mid
        .iter()
        .zip(mid.iter().cycle().skip(1))
        .map(|(a, b)| format!("{a} {b}"))
        .collect();
    // Terms common enough that a 20 km circle around a city holds some matches.
    let common = words_near_share(&df, n, 0.05, 8);
    let class = |name: &str, requests: Vec<PeerQuery>| PeerClass {
        name: name.to_string(),
        requests,
    };
    let ids: Vec<PeerQuery> = (1..=50)
        .map(|i| PeerQuery::Get(format!("synth:{}", 1 + (i * 7919) % n.max(1))))
        .collect();
    vec![
        class(
            "rare term",
            rare.iter().map(|w| PeerQuery::Text(w.clone())).collect(),
        ),
        class(
            "mid-frequency term",
            mid.iter().map(|w| PeerQuery::Text(w.clone())).collect(),
        ),
        class(
            "two-term AND",
            pairs.iter().map(|w| PeerQuery::Text(w.clone())).collect(),
        ),
        class(
            "text + 3 facet counts",
            mid.iter()
                .map(|w| PeerQuery::TextFacets(w.clone()))
                .collect(),
        ),
        class(
            "text + 20 km, by distance",
            common
                .iter()
                .zip(CENTRES.iter())
                .map(|(w, (lat, lon))| PeerQuery::TextRadius {
                    q: w.clone(),
                    lat: *lat,
                    lon: *lon,
                    radius_km: 20.0,
                })
                .collect(),
        ),
        class(
            "nearest 10, no text",
            CENTRES
                .iter()
                .map(|(lat, lon)| PeerQuery::Nearest {
                    lat: *lat,
                    lon: *lon,
                })
                .collect(),
        ),
        class(
            "prefix / autocomplete",
            [
                "ve",
                "kuo",
                "liik",
                "omais",
                "nuorten k",
                "harr",
                "vapaaeh",
                "kes",
            ]
            .iter()
            .map(|s| PeerQuery::Prefix(s.to_string()))
            .collect(),
        ),
        class("get by id", ids),
    ]
}

/// Runs one comparison request on Tarjotin; returns the number of hits.
pub fn run_tarjotin(
    engine: &Engine,
    q: &PeerQuery,
) -> Result<usize, tarjotin_core::search::SearchError> {
    let text = |q: &str| SearchRequest {
        limit: 10,
        ..SearchRequest::text(q)
    };
    let near = |lat: f64, lon: f64, radius_km: Option<f64>| {
        LatLon::new(lat, lon)
            .ok()
            .map(|point| Near { point, radius_km })
    };
    Ok(match q {
        PeerQuery::Text(t) => engine.search(&text(t))?.hits.len(),
        PeerQuery::TextFacets(t) => engine
            .search(&SearchRequest {
                facets: vec![Facet::Theme, Facet::Kind, Facet::Municipality],
                ..text(t)
            })?
            .hits
            .len(),
        PeerQuery::TextRadius {
            q,
            lat,
            lon,
            radius_km,
        } => engine
            .search(&SearchRequest {
                near: near(*lat, *lon, Some(*radius_km)),
                sort: Sort::Distance,
                ..text(q)
            })?
            .hits
            .len(),
        PeerQuery::Nearest { lat, lon } => engine
            .search(&SearchRequest {
                near: near(*lat, *lon, None),
                sort: Sort::Distance,
                limit: 10,
                ..SearchRequest::default()
            })?
            .hits
            .len(),
        PeerQuery::Prefix(p) => engine.suggest(p, Lang::Fi, 10)?.len(),
        PeerQuery::Get(id) => usize::from(engine.get(id)?.is_some()),
    })
}

/// A `/proc/<pid>/status` or `smaps_rollup` field in kB, e.g. `VmRSS:` or `Pss:`.
pub fn proc_mem_kb(pid: u32, field: &str) -> Option<u64> {
    let file = if field == "Pss:" {
        "smaps_rollup"
    } else {
        "status"
    };
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    text.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Pids whose parent is `pid` (from `/proc/*/stat`).
pub fn child_pids(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|s| {
                    // The command name is in parentheses and may hold spaces: read after it.
                    let rest = s.get(s.rfind(')')? + 1..)?.to_string();
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

/// Bytes under `path`, recursively.
pub fn dir_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|d| d.filter_map(Result::ok).map(|e| dir_size(&e.path())).sum())
        .unwrap_or(0)
}
