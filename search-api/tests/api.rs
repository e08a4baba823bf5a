//! In-process router tests (no socket): status codes, error codes, headers, the OpenAPI drift
//! check and the privacy of the logs.

mod fuzz_corpus;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use search_api::{AppState, Config, router};
use serde_json::Value;
use tower::ServiceExt;

/// One index of the default data for the whole binary.
fn index_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        tarjotin_core::defaults::ensure_default_index(dir.path()).expect("build default index");
        dir
    })
    .path()
}

/// Everything any test in this binary logged, at debug level.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .json()
            .with_writer(move || LogWriter(writer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buf
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(b);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn state_with(f: impl FnOnce(&mut Config)) -> AppState {
    logs();
    let mut config = Config::new(index_dir());
    f(&mut config);
    AppState::open(config).expect("open index")
}

fn state() -> AppState {
    state_with(|_| {})
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("").to_string()
    }
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

async fn send(state: &AppState, req: Request<Body>) -> Reply {
    let response = router(state.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

async fn get(state: &AppState, uri: &str) -> Reply {
    send(
        state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

#[tokio::test]
async fn search_returns_hits_facets_and_cache_headers() {
    let s = state();
    let r = get(
        &s,
        "/v1/search?q=kuoro&facets=theme,type&facets=municipality&limit=5",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert!(j["total"].as_u64().unwrap_or(0) > 0);
    assert!(
        j["hits"]
            .as_array()
            .is_some_and(|h| !h.is_empty() && h.len() <= 5)
    );
    for f in ["theme", "type", "municipality"] {
        assert!(
            j["facets"][f].is_array(),
            "facet {f} missing: {}",
            j["facets"]
        );
    }
    assert_eq!(r.header("cache-control"), "public, max-age=60");
    assert!(r.header("etag").starts_with("W/\""));
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert!(!r.header("x-request-id").is_empty());
}

#[tokio::test]
async fn filters_by_municipality_name_and_flags() {
    let s = state();
    let r = get(
        &s,
        "/v1/search?municipality=Turku&municipality=%C3%85bo&type=activity&limit=50",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    let hits = j["hits"].as_array().cloned().unwrap_or_default();
    assert!(!hits.is_empty());
    for h in &hits {
        assert_eq!(h["type"], "activity");
    }
    let r = get(&s, "/v1/search?free=true&limit=50").await;
    for h in r.json()["hits"].as_array().cloned().unwrap_or_default() {
        assert_eq!(h["free"], true);
    }
}

#[tokio::test]
async fn bad_input_gets_precise_400_codes() {
    let s = state();
    let long = format!("/v1/search?q={}", "a".repeat(201));
    for (uri, code) in [
        ("/v1/search?near=91,20", "invalid_latitude"),
        ("/v1/search?near=60,181", "invalid_longitude"),
        ("/v1/search?near=abc", "invalid_near"),
        ("/v1/search?near=60,20&radius_km=500", "radius_too_large"),
        ("/v1/search?municipality=Atlantis", "unknown_municipality"),
        ("/v1/search?county=Atlantis", "unknown_county"),
        ("/v1/search?theme=nope", "unknown_code"),
        ("/v1/search?kind=nope", "unknown_code"),
        ("/v1/search?facets=colour", "unknown_facet"),
        ("/v1/search?limit=51", "limit_too_large"),
        ("/v1/search?limit=-1", "invalid_number"),
        ("/v1/search?offset=990&limit=20", "page_too_deep"),
        ("/v1/search?sort=distance", "invalid_sort"),
        ("/v1/search?lang=de", "invalid_lang"),
        ("/v1/search?q=%FF%FE", "invalid_parameter"),
        ("/v1/search?q=%", "invalid_parameter"),
        ("/v1/suggest?q=a&limit=11", "limit_too_large"),
        ("/v1/municipalities?lang=xx", "invalid_lang"),
        (long.as_str(), "query_too_long"),
    ] {
        let r = get(&s, uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(r.code(), code, "{uri}");
        assert_eq!(r.header("content-type"), "application/json", "{uri}");
    }
}

#[tokio::test]
async fn messages_do_not_reflect_input() {
    let s = state();
    let r = get(
        &s,
        "/v1/search?municipality=%3Cscript%3Ealert(1)%3C/script%3E",
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let body = String::from_utf8_lossy(&r.body);
    assert!(!body.contains("script"), "{body}");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json() {
    let s = state();
    let r = get(&s, "/v2/nothing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    let r = send(
        &s,
        Request::post("/v1/search")
            .body(Body::from("x"))
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
    let big = vec![b'x'; 32 * 1024];
    let r = send(
        &s,
        Request::post("/v1/search")
            .header(header::CONTENT_LENGTH, big.len())
            .body(Body::from(big))
            .expect("req"),
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(r.header("content-type").starts_with("application/json"));
}

#[tokio::test]
async fn records_by_id_with_slashes_plain_or_encoded() {
    let s = state();
    for uri in [
        "/v1/activities/local:savon-omaishoitajat/vertaisryhma-kuopio",
        "/v1/activities/local%3Asavon-omaishoitajat%2Fvertaisryhma-kuopio",
    ] {
        let r = get(&s, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        let j = r.json();
        assert_eq!(
            j["activity"]["id"],
            "local:savon-omaishoitajat/vertaisryhma-kuopio"
        );
        assert_eq!(j["organisation"]["id"], "local:savon-omaishoitajat");
    }
    let r = get(&s, "/v1/organisations/local:savon-omaishoitajat").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.json()["activities"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    let r = get(&s, "/v1/organisations/local:nobody").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    let r = get(&s, "/v1/activities/%FF").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reference_endpoints() {
    let s = state();
    let r = get(&s, "/v1/municipalities?lang=sv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), "public, max-age=86400");
    let j = r.json();
    let list = j["municipalities"].as_array().cloned().unwrap_or_default();
    assert!(list.len() > 300);
    assert!(
        list.iter()
            .any(|m| m["code"] == "853" && m["name"] == "Åbo")
    );
    let r = get(&s, "/v1/vocabularies?lang=en").await;
    let j = r.json();
    for k in ["themes", "target_groups", "kinds"] {
        let first = &j[k][0];
        assert!(
            first["code"].is_string() && first["label"].is_string(),
            "{k}"
        );
        for l in ["fi", "sv", "en"] {
            assert!(first["labels"][l].is_string(), "{k} {l}");
        }
    }
}

#[tokio::test]
async fn suggest_and_probes() {
    let s = state();
    let r = get(&s, "/v1/suggest?q=kuo&lang=fi").await;
    assert_eq!(r.status, StatusCode::OK);
    let n = r.json()["suggestions"].as_array().map_or(0, Vec::len);
    assert!((1..=10).contains(&n));
    let r = get(&s, "/v1/suggest").await;
    assert_eq!(r.json()["suggestions"], serde_json::json!([]));
    let r = get(&s, "/health").await;
    assert_eq!(r.json()["status"], "ok");
    let r = get(&s, "/ready").await;
    let j = r.json();
    assert_eq!(j["status"], "ready");
    assert!(j["documents"].as_u64().unwrap_or(0) > 100);
    assert_eq!(j["schema_version"], tarjotin_core::schema::SCHEMA_VERSION);
}

#[tokio::test]
async fn etag_gives_304() {
    let s = state();
    let r = get(&s, "/v1/vocabularies").await;
    let tag = r.header("etag").to_string();
    assert!(!tag.is_empty());
    let r = send(
        &s,
        Request::get("/v1/vocabularies")
            .header(header::IF_NONE_MATCH, &tag)
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), tag);
}

#[tokio::test]
async fn demo_page_widget_and_headers() {
    let s = state();
    let r = get(&s, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = String::from_utf8_lossy(&r.body);
    assert!(html.contains("<tarjotin-search api=\"\" lang=\"fi\" near-me>"));
    assert!(html.contains("/widget/v1/tarjotin.js"));
    assert!(!html.contains("<script>"), "no inline script");
    assert!(!html.contains("style="), "no inline style");
    assert!(
        r.header("content-security-policy")
            .contains("script-src 'self'")
    );
    let r = get(&s, "/widget/v1/tarjotin.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").starts_with("text/javascript"));
    assert!(r.header("cache-control").contains("immutable"));
}

#[tokio::test]
async fn cors_and_compression() {
    let s = state();
    let r = send(
        &s,
        Request::get("/v1/search?q=kuoro")
            .header(header::ORIGIN, "https://kunta.example")
            .header(header::ACCEPT_ENCODING, "br")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(r.header("access-control-allow-origin"), "*");
    assert!(r.headers.get("access-control-allow-credentials").is_none());
    assert_eq!(r.header("content-encoding"), "br");
    let r = send(
        &s,
        Request::options("/v1/search")
            .header(header::ORIGIN, "https://kunta.example")
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert!(r.status.is_success());
    assert_eq!(r.header("access-control-allow-origin"), "*");
}

#[tokio::test]
async fn request_id_is_echoed_or_made() {
    let s = state();
    let r = send(
        &s,
        Request::get("/health")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(r.header("x-request-id"), "abc-123");
    let r = send(
        &s,
        Request::get("/health")
            .header("x-request-id", "<bad id>")
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_ne!(r.header("x-request-id"), "<bad id>");
    assert!(!r.header("x-request-id").is_empty());
}

#[tokio::test]
async fn overloaded_when_every_slot_is_held() {
    let s = state_with(|c| {
        c.max_concurrent = 1;
        c.max_queue = 0;
    });
    let slot = s.try_reserve_search_slot().expect("a free slot");
    let r = get(&s, "/v1/search?q=kuoro").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.code(), "overloaded");
    assert_eq!(r.header("retry-after"), "1");
    // Reference data needs no slot.
    assert_eq!(get(&s, "/v1/vocabularies").await.status, StatusCode::OK);
    drop(slot);
    assert_eq!(get(&s, "/v1/search?q=kuoro").await.status, StatusCode::OK);
}

#[tokio::test]
async fn queued_request_times_out_at_the_deadline() {
    let s = state_with(|c| {
        c.max_concurrent = 1;
        c.max_queue = 4;
        c.request_timeout = std::time::Duration::from_millis(200);
    });
    let _slot = s.try_reserve_search_slot().expect("a free slot");
    let r = get(&s, "/v1/search?q=kuoro").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.code(), "timeout");
}

#[tokio::test]
async fn logs_never_contain_coordinates_or_query_strings() {
    let s = state();
    for uri in [
        "/v1/search?q=kuoro&near=60.4518,22.2666&radius_km=10",
        "/v1/search?near=60.4518,22.2666&sort=distance",
        "/v1/search?near=61.4978,23.7610&radius_km=1000",
        "/v1/search?near=99.1234,22.2666",
    ] {
        let r = get(&s, uri).await;
        assert!(r.status == StatusCode::OK || r.status == StatusCode::BAD_REQUEST);
    }
    let text = String::from_utf8_lossy(&logs().lock().expect("log lock")).to_string();
    assert!(
        text.contains("/v1/search"),
        "access log lines missing: {text}"
    );
    for needle in [
        "60.45",
        "22.26",
        "61.49",
        "23.76",
        "99.12",
        "near=",
        "radius_km=",
    ] {
        assert!(!text.contains(needle), "logs contain {needle}: {text}");
    }
}

#[test]
fn documented_search_params_match_the_parser() {
    let mut documented = search_api::routes::documented_search_params();
    let mut parsed: Vec<String> = search_api::params::SEARCH_PARAMS
        .iter()
        .map(|s| s.to_string())
        .collect();
    documented.sort();
    parsed.sort();
    assert_eq!(documented, parsed);
}

#[test]
fn committed_openapi_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let generated = search_api::openapi_string();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "search-api/openapi.json is stale: regenerate it with `UPDATE_OPENAPI=1 cargo test -p search-api --test api committed_openapi_is_current` and commit it"
    );
}

#[tokio::test]
async fn openapi_is_served() {
    let s = state();
    let r = get(&s, "/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json();
    assert!(j["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    assert!(j["paths"]["/v1/search"].is_object());
    let codes = &j["components"]["schemas"]["ErrorCode"];
    assert!(codes.to_string().contains("unknown_municipality"));
}

async fn get_gzip(state: &AppState, uri: &str) -> Reply {
    send(
        state,
        Request::get(uri)
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn repeated_requests_are_answered_from_the_cache() {
    let s = state_with(|c| {
        c.max_concurrent = 1;
        c.max_queue = 0;
    });
    let cache = s.response_cache().expect("on by default").clone();
    let uri = "/v1/search?q=kuoro&limit=3";
    let first = get_gzip(&s, uri).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("content-encoding"), "gzip");
    assert_eq!(cache.status().entries, 1);
    // With every search slot held, only a cached answer can still be 200.
    let slot = s.try_reserve_search_slot().expect("a free slot");
    let again = get_gzip(&s, uri).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(again.header("content-encoding"), "gzip");
    assert_eq!(again.header("x-content-type-options"), "nosniff");
    // Another encoding is another entry, so it needs a search.
    assert_eq!(get(&s, uri).await.status, StatusCode::SERVICE_UNAVAILABLE);
    drop(slot);
    // Errors are never kept.
    assert_eq!(
        get(&s, "/v1/search?limit=x").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(cache.status().entries, 1);
    // A cached answer still honours If-None-Match.
    let r = send(
        &s,
        Request::get(uri)
            .header(header::ACCEPT_ENCODING, "gzip")
            .header(header::IF_NONE_MATCH, first.header("etag"))
            .body(Body::empty())
            .expect("req"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());
}

/// Sends `n` copies of a GET at once and collects the replies.
async fn concurrently(state: &AppState, uri: &'static str, n: usize) -> Vec<Reply> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let state = state.clone();
        tasks.spawn(async move { get(&state, uri).await });
    }
    let mut replies = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        replies.push(reply.expect("request task"));
    }
    replies
}

#[tokio::test]
async fn identical_concurrent_misses_run_one_search() {
    let s = state_with(|c| {
        c.max_concurrent = 1;
        c.max_queue = 64;
    });
    let cache = s.response_cache().expect("on by default").clone();
    let uri = "/v1/search?q=vertaistuki&municipality=091&facets=theme";
    let replies = concurrently(&s, uri, 8).await;
    let first = &replies[0];
    assert_eq!(first.status, StatusCode::OK);
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, first.body);
        assert_eq!(r.header("etag"), first.header("etag"));
    }
    let status = cache.status();
    assert_eq!(status.misses, 1, "{status:?}");
    assert_eq!(status.hits, 7, "{status:?}");
    // An answer that is not kept (a 400) hands the request to the next waiter, which runs it.
    let bad = "/v1/search?q=kuoro&near=95,25";
    let replies = concurrently(&s, bad, 3).await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.code(), "invalid_latitude");
    }
    assert_eq!(cache.status().misses, 4, "{:?}", cache.status());
    // /ready reports the counters.
    let ready = get(&s, "/ready").await.json();
    assert_eq!(ready["response_cache"]["misses"].as_u64(), Some(4));
    assert_eq!(ready["response_cache"]["hits"].as_u64(), Some(7));
}

#[tokio::test]
async fn waiting_for_an_identical_request_keeps_the_deadline() {
    let s = state_with(|c| {
        c.max_concurrent = 1;
        c.max_queue = 64;
        c.request_timeout = std::time::Duration::from_millis(300);
    });
    // With the only slot held, the first request waits in the queue until its deadline. Each
    // of the others waits for its answer no longer than its own deadline: they do not take
    // turns running the request one deadline after another.
    let slot = s.try_reserve_search_slot().expect("a free slot");
    let started = std::time::Instant::now();
    let replies = concurrently(&s, "/v1/search?q=kuoro&limit=4", 10).await;
    let took = started.elapsed();
    drop(slot);
    for r in &replies {
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.code(), "timeout");
    }
    assert!(took < std::time::Duration::from_millis(2500), "{took:?}");
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let s = state_with(|c| c.response_cache_bytes = 0);
    assert!(s.response_cache().is_none());
    assert_eq!(get(&s, "/v1/search?q=kuoro").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_new_index_is_never_answered_from_the_old_ones_cache() {
    logs();
    let dir = tempfile::tempdir().expect("tempdir");
    tarjotin_core::defaults::ensure_default_index(dir.path()).expect("default index");
    let s = AppState::open(Config::new(dir.path())).expect("open");
    let uri = "/v1/search?q=kuoro";
    let before = get(&s, uri).await.json()["total"].as_u64().unwrap_or(0);
    assert!(before > 0);
    assert_eq!(get(&s, uri).await.json()["total"].as_u64(), Some(before));
    // Publish an index of part of the default data (the evaluation corpus): fewer choirs.
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/eval/corpus.ndjson"),
    )
    .expect("corpus");
    let records: Vec<tarjotin_core::model::Record> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(200)
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect();
    let store = tarjotin_core::index::IndexStore::open(dir.path()).expect("store");
    tarjotin_core::index::build(&store, records, &|_| {}).expect("build");
    assert!(s.reload_if_changed());
    let after = get(&s, uri).await.json()["total"].as_u64().unwrap_or(0);
    assert_ne!(after, before, "answered from the old index's cache");
}
