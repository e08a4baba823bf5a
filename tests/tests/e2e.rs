//! End to end: build an index of `data/eval/corpus.ndjson`, start the API on 127.0.0.1:0 and talk
//! to it over a real socket.

mod hostile;
mod limits;
mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::{HeaderMap, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use search_api::{AppState, Config};
use serde_json::Value;
use tarjotin_core::index::{IndexStore, build};
use tarjotin_core::model::{Lang, Record};

struct Server {
    addr: SocketAddr,
    state: AppState,
    client: Client<HttpConnector, Empty<Bytes>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    dir: tempfile::TempDir,
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

fn corpus() -> Vec<Record> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/eval/corpus.ndjson"),
    )
    .expect("read data/eval/corpus.ndjson");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("corpus line parses"))
        .collect()
}

async fn start_with(f: impl FnOnce(&mut Config)) -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = IndexStore::open(dir.path()).expect("store");
    build(&store, corpus(), &|_| {}).expect("build index");
    let mut config = Config::new(dir.path());
    config.reload_interval = Duration::from_millis(100);
    f(&mut config);
    let state = AppState::open(config).expect("open");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(search_api::serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    let client = Client::builder(TokioExecutor::new()).build_http();
    Server {
        addr,
        state,
        client,
        stop: Some(tx),
        task,
        dir,
    }
}

async fn start() -> Server {
    start_with(|_| {}).await
}

impl Server {
    async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = Request::get(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Empty::new()).expect("request");
        let response = self.client.request(req).await.expect("HTTP request");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let result = tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("server stops within 10 s")
            .expect("server task");
        result.expect("serve returns Ok");
    }
}

fn hits(j: &Value) -> Vec<Value> {
    j["hits"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_with_filters_and_facets() {
    let s = start().await;
    let r = s
        .get("/v1/search?q=kuoro&municipality=Turku&type=organisation&type=organisation&facets=theme,municipality")
        .await;
    // `type` twice is an error: single-valued parameters may not repeat.
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = s
        .get("/v1/search?municipality=Turku&municipality=091&facets=theme&facets=municipality&limit=50")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert!(j["total"].as_u64().unwrap_or(0) > 0);
    let facet_codes: Vec<String> = j["facets"]["municipality"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f["value"].as_str().map(str::to_string))
        .collect();
    assert!(
        facet_codes.iter().any(|c| c == "853" || c == "091"),
        "{facet_codes:?}"
    );
    assert!(
        j["facets"]["theme"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    let r = s
        .get("/v1/search?theme=peer_support&free=true&limit=50")
        .await;
    for h in hits(&r.json()) {
        assert_eq!(h["free"], true);
        assert!(h["themes"].to_string().contains("peer_support"), "{h}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_names_in_the_query_are_understood() {
    let s = start().await;
    let j = s.get("/v1/search?q=k%C3%B6r+i+%C3%85bo").await.json();
    let places = j["understood"]["places"].to_string();
    assert!(places.contains("\"853\""), "{places}");
    s.stop().await;
}

/// Inflected place names (`Turussa`) are read as the municipality by the morphological analyser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inflected_place_turussa_is_turku() {
    let s = start().await;
    let j = s.get("/v1/search?q=kuoro+Turussa").await.json();
    assert_eq!(
        j["understood"]["places"][0]["code"], "853",
        "{}",
        j["understood"]
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_with_radius_sorts_by_distance() {
    let s = start().await;
    // Turku market square.
    let r = s
        .get("/v1/search?near=60.4518,22.2666&radius_km=10&sort=distance&limit=50")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let hs = hits(&r.json());
    assert!(!hs.is_empty());
    let d: Vec<f64> = hs.iter().filter_map(|h| h["distance_m"].as_f64()).collect();
    assert_eq!(d.len(), hs.len(), "every hit has distance_m");
    assert!(d.iter().all(|&m| m <= 10_000.0), "{d:?}");
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "nearest first: {d:?}");
    let r = s.get("/v1/search?near=60.4518,22.2666&radius_km=101").await;
    assert_eq!(r.json()["code"], "radius_too_large");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggest_and_records_by_id() {
    let s = start().await;
    let j = s.get("/v1/suggest?q=omais&lang=fi").await.json();
    let list = j["suggestions"].as_array().cloned().unwrap_or_default();
    assert!(!list.is_empty() && list.len() <= 10);
    let r = s
        .get("/v1/activities/local:savon-omaishoitajat/vertaisryhma-kuopio")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["activity"]["id"],
        "local:savon-omaishoitajat/vertaisryhma-kuopio"
    );
    let r = s
        .get("/v1/activities/local%3Asavon-omaishoitajat%2Fvertaisryhma-kuopio")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = s.get("/v1/organisations/local:savon-omaishoitajat").await;
    assert!(
        r.json()["activities"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_json_with_codes() {
    let s = start().await;
    for (path, status, code) in [
        ("/v1/search?near=95,22", 400, "invalid_latitude"),
        (
            "/v1/search?municipality=Narnia",
            400,
            "unknown_municipality",
        ),
        ("/v1/search?target_group=martians", 400, "unknown_code"),
        ("/v1/search?facets=x", 400, "unknown_facet"),
        ("/v1/search?offset=1000", 400, "page_too_deep"),
        ("/v1/search?q=%C3%28", 400, "invalid_parameter"),
        ("/v1/activities/local:none/none", 404, "not_found"),
        ("/v1/nothing/here", 404, "not_found"),
    ] {
        let r = s.get(path).await;
        assert_eq!(r.status.as_u16(), status, "{path}");
        assert_eq!(r.json()["code"], code, "{path}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_compression_and_etag() {
    let s = start().await;
    let r = s
        .get_with(
            "/v1/search?q=kuoro",
            &[
                ("origin", "https://www.kunta.example"),
                ("accept-encoding", "gzip"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("access-control-allow-origin"), "*");
    assert_eq!(r.header("content-encoding"), "gzip");
    let r = s
        .get_with("/v1/vocabularies", &[("accept-encoding", "br")])
        .await;
    assert_eq!(r.header("content-encoding"), "br");
    let tag = r.header("etag").to_string();
    assert!(tag.starts_with("W/\""));
    let r = s
        .get_with("/v1/vocabularies", &[("if-none-match", &tag)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_gives_503_with_retry_after() {
    let s = start_with(|c| {
        c.max_concurrent = 1;
        c.max_queue = 0;
    })
    .await;
    let slot = s.state.try_reserve_search_slot().expect("free slot");
    let r = s.get("/v1/search?q=kuoro").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), "1");
    assert_eq!(r.json()["code"], "overloaded");
    drop(slot);
    assert_eq!(s.get("/v1/search?q=kuoro").await.status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_swap_of_the_index_without_failed_requests() {
    let s = Arc::new(start().await);
    let word = "Zyxkvanttikuoro";
    let before = s.get(&format!("/v1/search?q={word}")).await.json();
    assert_eq!(before["total"], 0);
    let gen_before = s.get("/ready").await.json()["generation"].clone();

    let running = Arc::new(AtomicBool::new(true));
    let ok = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for i in 0..4 {
        let (s, running, ok, failed) = (s.clone(), running.clone(), ok.clone(), failed.clone());
        load.push(tokio::spawn(async move {
            let paths = [
                "/v1/search?q=kuoro",
                "/v1/search?q=omaishoitajat&facets=theme",
                "/v1/suggest?q=ku",
                "/ready",
            ];
            let mut n = i;
            while running.load(Ordering::SeqCst) {
                let r = s.get(paths[n % paths.len()]).await;
                if r.status == StatusCode::OK {
                    ok.fetch_add(1, Ordering::SeqCst);
                } else {
                    failed.fetch_add(1, Ordering::SeqCst);
                }
                n += 1;
            }
        }));
    }

    // Publish a new generation with one extra organisation into the served directory.
    let mut records = corpus();
    let mut extra = records
        .iter()
        .find_map(|r| match r {
            Record::Organisation(o) => Some(o.clone()),
            _ => None,
        })
        .expect("an organisation");
    extra.common.id = "local:e2e-hot-swap".into();
    extra.common.name = tarjotin_core::model::Localized::new().with(Lang::Fi, format!("{word} ry"));
    records.push(Record::Organisation(extra));
    let root = s.dir.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let store = IndexStore::open(root).expect("store");
        build(&store, records, &|_| {}).expect("build new generation");
    })
    .await
    .expect("build task");

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let j = s.get(&format!("/v1/search?q={word}")).await.json();
        if j["total"].as_u64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new generation was not picked up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.store(false, Ordering::SeqCst);
    for t in load {
        t.await.expect("load task");
    }
    assert_eq!(
        failed.load(Ordering::SeqCst),
        0,
        "requests failed during the swap"
    );
    assert!(ok.load(Ordering::SeqCst) > 10);
    let gen_after = s.get("/ready").await.json()["generation"].clone();
    assert_ne!(gen_before, gen_after);
    let s = Arc::into_inner(s).expect("sole owner");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_new_generation_keeps_the_old_one() {
    let s = start().await;
    let gen_before = s.get("/ready").await.json()["generation"].clone();
    // Point CURRENT at a generation that does not exist.
    std::fs::write(s.dir.path().join("CURRENT"), "g-missing").expect("write CURRENT");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!s.state.reload_if_changed());
    let r = s.get("/v1/search?q=kuoro").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(s.get("/ready").await.json()["generation"], gen_before);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_page_and_widget_are_served() {
    let s = start().await;
    let r = s.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&r.body).contains("<tarjotin-search"));
    assert!(
        r.header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    let r = s.get("/widget/v1/tarjotin.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("cache-control").contains("immutable"));
    let r = s.get("/openapi.json").await;
    assert!(
        r.json()["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    s.stop().await;
}
