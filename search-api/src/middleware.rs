//! Cross-cutting HTTP behaviour: request ids, the access log, ETags, security headers and JSON
//! bodies for errors produced outside the handlers.

use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};

pub const REQUEST_ID: &str = "x-request-id";

/// Content Security Policy for HTML pages: no inline script or style.
pub const CSP_HTML: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Content Security Policy for everything else (JSON, scripts).
pub const CSP_API: &str = "default-src 'none'; frame-ancestors 'none'";

/// Largest response body the ETag layer buffers.
const MAX_ETAG_BODY: usize = 8 * 1024 * 1024;

/// The request id of a request, as the handlers and the log see it.
#[derive(Debug, Clone)]
pub struct RequestId(pub HeaderValue);

fn valid_request_id(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 64
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn new_request_id() -> HeaderValue {
    let id = format!("{:016x}", rand::random::<u64>());
    HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Outermost layer: takes or makes a request id, echoes it, and writes one access-log line with
/// the method, the path *without the query string* (coordinates live there), status and latency.
pub async fn request_id_and_access_log(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(REQUEST_ID)
        .filter(|v| valid_request_id(v))
        .cloned()
        .unwrap_or_else(new_request_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut response = next.run(req).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let request_id = id.to_str().unwrap_or("");
    if status >= 500 {
        tracing::warn!(target: "access", %method, %path, status, latency_ms, request_id, "request");
    } else {
        tracing::info!(target: "access", %method, %path, status, latency_ms, request_id, "request");
    }
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// `X-Content-Type-Options: nosniff` everywhere, a CSP (the strict API one unless the handler set
/// one), and no referrer leaks.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP_API),
        );
    }
    response
}

/// Turns error responses made by layers (413 from the body limit, 408, a rejected method...)
/// into the JSON error shape. Handler errors are JSON already and pass through.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => ErrorCode::Timeout,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Overloaded,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::InvalidParameter,
    };
    let message = match code {
        ErrorCode::InvalidParameter => "the request is not valid",
        ErrorCode::NotFound => "no such resource",
        ErrorCode::MethodNotAllowed => "this API is read-only: use GET",
        ErrorCode::PayloadTooLarge => "the request body may be at most 16 KB",
        ErrorCode::Timeout => "the request did not finish in time",
        ErrorCode::Overloaded => "the service is busy, retry shortly",
        ErrorCode::RateLimited => "too many requests from this address, retry later",
        _ => "internal error",
    };
    let mut out = ApiError::new(code, message).into_response();
    // Keep the status the layer chose (the code's default may differ, e.g. 408).
    *out.status_mut() = status;
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// FNV-1a, 64 bit: a fast, stable hash for ETags (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

pub(crate) fn matches_if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == bare)
}

/// A weak ETag (the body is hashed before compression) on successful GET responses, and
/// `304 Not Modified` when `If-None-Match` matches it.
pub async fn etag(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let request_headers = req.headers().clone();
    let response = next.run(req).await;
    if response.status() != StatusCode::OK || response.headers().contains_key(header::ETAG) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_ETAG_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::internal(format!("reading a response body: {e}")).into_response();
        }
    };
    let tag = format!("W/\"{:016x}-{:x}\"", fnv1a(&bytes), bytes.len());
    let Ok(value) = HeaderValue::from_str(&tag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.insert(header::ETAG, value);
    if matches_if_none_match(&request_headers, &tag) {
        return not_modified(&parts.headers);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A `304 Not Modified` for a response with `headers`: its validator and caching headers, no
/// body.
pub(crate) fn not_modified(headers: &HeaderMap) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    let h = response.headers_mut();
    for name in [
        header::ETAG,
        header::CACHE_CONTROL,
        header::CONTENT_LOCATION,
        header::VARY,
    ] {
        if let Some(v) = headers.get(&name) {
            h.insert(name, v.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_weak_and_lists() {
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"abc-1\""),
        );
        assert!(matches_if_none_match(&h, "W/\"abc-1\""));
        assert!(!matches_if_none_match(&h, "W/\"abd-1\""));
    }

    #[test]
    fn request_ids_are_checked() {
        assert!(valid_request_id(&HeaderValue::from_static("abc-123_x.y")));
        assert!(!valid_request_id(&HeaderValue::from_static("<script>")));
        assert!(valid_request_id(&new_request_id()));
    }
}
