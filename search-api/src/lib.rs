//! Tarjotin search API: an axum router over the core [`Engine`](tarjotin_core::search::Engine).
//!
//! # Layout
//! - [`state`]: [`AppState`] (the swappable engine, the search limiter, [`Config`]) and the index
//!   reload that swaps in newly published generations.
//! - [`params`]: query-string parsing and validation into a core `SearchRequest`.
//! - [`routes`]: the handlers and the OpenAPI document ([`openapi`]).
//! - [`error`]: the closed set of error codes ([`ErrorCode`]) and the JSON error body.
//! - [`middleware`]: request ids, the access log (never with query strings), ETags, headers.
//! - [`ratelimit`]: the optional per-client rate limit and the trusted-proxy rules.
//!
//! [`router`] builds the whole service; [`serve`] runs it on a listener until a shutdown future
//! completes, reloading the index in the background.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;

pub mod cache;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod middleware;
pub mod params;
pub mod ratelimit;
pub mod routes;
pub mod state;

pub use error::{ApiError, ErrorBody, ErrorCode};
pub use routes::openapi;
pub use state::{AppState, Config, SearchSlot, StateError};

/// Largest accepted request body (the API only has GETs).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

const WIDGET_JS: &[u8] = include_bytes!("../../widget/dist/tarjotin.js");
const DEMO_HTML: &str = include_str!("../assets/index.html");
const DEMO_CSS: &str = include_str!("../assets/demo.css");

fn asset(content_type: &'static str, cache: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

async fn demo_page() -> Response {
    let mut r = asset(
        "text/html; charset=utf-8",
        "public, max-age=300",
        DEMO_HTML.as_bytes(),
    );
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(middleware::CSP_HTML),
    );
    r
}

async fn demo_css() -> Response {
    asset(
        "text/css; charset=utf-8",
        "public, max-age=300",
        DEMO_CSS.as_bytes(),
    )
}

async fn widget_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        "public, max-age=31536000, immutable",
        WIDGET_JS,
    )
}

async fn openapi_json() -> Response {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOC.get_or_init(openapi_string);
    let mut r = body.clone().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// The OpenAPI document as pretty JSON with a trailing newline (the committed file's form).
pub fn openapi_string() -> String {
    let mut s = openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// The whole HTTP service.
pub fn router(state: AppState) -> Router {
    let limiter = state.rate_limiter();
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers([
            header::IF_NONE_MATCH,
            HeaderName::from_static(middleware::REQUEST_ID),
        ])
        .expose_headers([
            header::ETAG,
            header::RETRY_AFTER,
            HeaderName::from_static(middleware::REQUEST_ID),
        ])
        .max_age(Duration::from_secs(86_400));

    Router::new()
        .route("/", get(demo_page))
        .route("/assets/demo.css", get(demo_css))
        .route("/widget/v1/tarjotin.js", get(widget_js))
        .route("/openapi.json", get(openapi_json))
        .route("/health", get(routes::health))
        .route("/ready", get(routes::ready))
        .route("/v1/search", get(routes::search))
        .route("/v1/suggest", get(routes::suggest))
        .route("/v1/organisations/{*id}", get(routes::organisation))
        .route("/v1/activities/{*id}", get(routes::activity))
        .route("/v1/municipalities", get(routes::municipalities))
        .route("/v1/vocabularies", get(routes::vocabularies))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .with_state(state.clone())
        // Innermost first: ETag hashes the uncompressed body; compression wraps it; the
        // response cache keeps the compressed result.
        .layer(axum::middleware::from_fn(middleware::etag))
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(axum::middleware::from_fn_with_state(state, cache::layer))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a handler panicked").into_response()
        }))
        .layer(axum::middleware::from_fn(middleware::json_errors))
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            ratelimit::limit,
        ))
        .layer(cors)
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn(
            middleware::request_id_and_access_log,
        ))
}

/// How often the rate limiter forgets clients that have been idle long enough.
const RATE_LIMIT_SWEEP: Duration = Duration::from_secs(30);

/// Serves the API on `listener` until `shutdown` completes, then drains open requests.
/// A background task swaps in newly published index generations meanwhile; another keeps the
/// rate limiter's memory to the recently active clients.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let watcher = tokio::spawn(state.clone().watch());
    let sweeper = tokio::spawn(state.clone().sweep_rate_limiter(RATE_LIMIT_SWEEP));
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    watcher.abort();
    sweeper.abort();
    tracing::info!("server stopped");
    result
}
