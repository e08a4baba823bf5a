//! A response cache for the read-only API: the same request against the same index generation
//! gets the same bytes, so a finished (compressed) 200 response is kept and served again.
//!
//! Widget traffic repeats itself: every visitor of a municipality's page opens the same default
//! list, and popular words recur. The cache sits outside compression, so a hit costs neither
//! the search nor the gzip/brotli work. Keys hold the index generation, so a newly published
//! index is never answered from the old one's entries; they simply age out. Bounded by bytes
//! (least recently used entries go first); `0` turns it off.
//!
//! Concurrent misses for the same key are coalesced: the first runs the search, the others wait
//! for its answer instead of running the same search again. A popular request that is not cached
//! yet (after a restart, or after a new index is published) then costs one search, not one per
//! waiting client. When the first one's answer is not kept (an error, say), the next waiter runs
//! the request itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::middleware::{matches_if_none_match, not_modified};
use crate::state::AppState;

/// Largest response kept; bigger ones are served but not cached.
const MAX_ENTRY_BYTES: usize = 512 * 1024;
/// Largest response read (the ETag layer inside already buffers this much at most).
const MAX_BUFFERED_BYTES: usize = 8 * 1024 * 1024;
/// Longest key part taken from the request (path and query, `Accept-Encoding`).
const MAX_KEY_BYTES: usize = 2048;

/// Headers a cached response keeps (the outer layers add CORS, security headers, request id).
const KEPT: [HeaderName; 6] = [
    header::CONTENT_TYPE,
    header::CONTENT_ENCODING,
    header::CONTENT_LANGUAGE,
    header::ETAG,
    header::CACHE_CONTROL,
    header::VARY,
];

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    generation: Arc<str>,
    path_and_query: String,
    accept_encoding: String,
}

struct Entry {
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<Key, Arc<Entry>> for Weigh {
    fn weight(&self, key: &Key, entry: &Arc<Entry>) -> u64 {
        let headers: usize = entry
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        (key.path_and_query.len() + key.accept_encoding.len() + entry.body.len() + headers + 64)
            as u64
    }
}

/// The cache and its counters; cheap to share.
pub struct ResponseCache {
    entries: quick_cache::sync::Cache<Key, Arc<Entry>, Weigh>,
    /// Requests that ran the handler because no answer was cached.
    misses: AtomicU64,
    /// Requests answered from the cache, including those that waited for another's answer.
    hits: AtomicU64,
}

/// What the response cache holds and how often it answered, since the process started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ResponseCacheStatus {
    /// Responses held.
    pub entries: u64,
    /// Their size in bytes.
    pub bytes: u64,
    /// Requests answered from the cache (including those that waited for an identical request
    /// that was running).
    pub hits: u64,
    /// Requests that ran a search because no answer was cached.
    pub misses: u64,
}

impl ResponseCache {
    /// A cache of at most `max_bytes` of responses; `None` when `max_bytes` is 0.
    pub fn new(max_bytes: u64) -> Option<Arc<ResponseCache>> {
        if max_bytes == 0 {
            return None;
        }
        // quick_cache wants an estimate of the number of items; responses are ~2-20 KB.
        let estimated_items = (max_bytes / 8192).clamp(16, 1 << 20) as usize;
        Some(Arc::new(ResponseCache {
            entries: quick_cache::sync::Cache::with_weighter(estimated_items, max_bytes, Weigh),
            misses: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }))
    }

    /// Entries, bytes, and the hits and misses counted so far.
    pub fn status(&self) -> ResponseCacheStatus {
        ResponseCacheStatus {
            entries: self.entries.len() as u64,
            bytes: self.entries.weight(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

/// Which requests are cached: GETs of the data endpoints.
fn cacheable(req: &Request) -> bool {
    req.method() == Method::GET && req.uri().path().starts_with("/v1/")
}

fn key_of(req: &Request, generation: Arc<str>) -> Option<Key> {
    let path_and_query = req.uri().path_and_query()?.as_str();
    let accept_encoding = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if path_and_query.len() + accept_encoding.len() > MAX_KEY_BYTES {
        return None;
    }
    Some(Key {
        generation,
        path_and_query: path_and_query.to_string(),
        accept_encoding: String::from_utf8_lossy(accept_encoding).into_owned(),
    })
}

fn respond(entry: &Entry, request_headers: &HeaderMap) -> Response {
    let fresh = entry
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tag| matches_if_none_match(request_headers, tag));
    if fresh {
        return not_modified(&entry.headers);
    }
    let mut response = Response::new(Body::from(entry.body.clone()));
    *response.headers_mut() = entry.headers.clone();
    response
}

/// The middleware: answers from the cache when it can, else runs the request and keeps a
/// successful answer. Requests for a key that another request is already running wait for that
/// answer (see the module documentation).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(cache) = state.response_cache() else {
        return next.run(req).await;
    };
    if !cacheable(&req) {
        return next.run(req).await;
    }
    let generation: Arc<str> = Arc::from(state.engine().generation().name.as_str());
    let Some(key) = key_of(&req, generation) else {
        return next.run(req).await;
    };
    // Waiting for another request's answer is bounded by the request deadline, like a search.
    let waited = tokio::time::timeout(
        state.config().request_timeout,
        cache.entries.get_value_or_guard_async(&key),
    )
    .await;
    let guard = match waited {
        Ok(Ok(entry)) => {
            cache.hits.fetch_add(1, Ordering::Relaxed);
            return respond(&entry, req.headers());
        }
        Ok(Err(guard)) => guard,
        Err(_) => return ApiError::timeout().into_response(),
    };
    cache.misses.fetch_add(1, Ordering::Relaxed);
    // A miss: the ETag layer inside has already answered any If-None-Match. Returning without
    // inserting drops the guard, and the next waiter (if any) runs the request itself.
    let response = next.run(req).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, MAX_BUFFERED_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::internal(format!("reading a response body: {e}")).into_response();
        }
    };
    if body.len() <= MAX_ENTRY_BYTES {
        let mut headers = HeaderMap::new();
        for name in KEPT {
            if let Some(v) = parts.headers.get(&name) {
                headers.insert(name, v.clone());
            }
        }
        let entry = Entry {
            headers,
            body: body.clone(),
        };
        // Err only when the entry is heavier than the whole cache; it is then not kept.
        let _ = guard.insert(Arc::new(entry));
    }
    Response::from_parts(parts, Body::from(body))
}
