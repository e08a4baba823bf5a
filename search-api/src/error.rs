//! API errors: a closed set of machine-readable codes with a short, safe message.
//!
//! Messages never contain the raw input: they name the parameter and the rule it broke. Details of
//! internal failures go to the log only; a 5xx body is generic.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Every error code the API returns. Clients may match on these; the set only grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A parameter is malformed or not allowed in this combination.
    InvalidParameter,
    /// A numeric parameter is not a valid number in range.
    InvalidNumber,
    /// `near` latitude is not a number in -90..90.
    InvalidLatitude,
    /// `near` longitude is not a number in -180..180.
    InvalidLongitude,
    /// `near` is not of the form `lat,lon`.
    InvalidNear,
    /// `radius_km` is over the maximum (100 km).
    RadiusTooLarge,
    /// `municipality` is neither a municipality code nor a fi/sv/en name.
    UnknownMunicipality,
    /// `county` is neither a wellbeing services county code nor a name.
    UnknownCounty,
    /// `theme`, `target_group` or `kind` is not a vocabulary code.
    UnknownCode,
    /// `facets` names a facet that does not exist.
    UnknownFacet,
    /// `q` is longer than 200 characters.
    QueryTooLong,
    /// `offset + limit` is over 1000.
    PageTooDeep,
    /// `limit` is over the maximum.
    LimitTooLarge,
    /// `sort` is not relevance, distance or updated, or distance without `near`.
    InvalidSort,
    /// `lang` is not fi, sv or en.
    InvalidLang,
    /// No such route or record.
    NotFound,
    /// The method is not allowed on this route (the API is read-only).
    MethodNotAllowed,
    /// The request body is larger than 16 KB.
    PayloadTooLarge,
    /// Too many searches at once; retry after `Retry-After` seconds.
    Overloaded,
    /// Too many requests from this client address; retry after `Retry-After` seconds.
    RateLimited,
    /// The request did not finish within the deadline.
    Timeout,
    /// The index is not available.
    Unavailable,
    /// An internal error; details are in the server log.
    Internal,
}

impl ErrorCode {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Overloaded | ErrorCode::Timeout | ErrorCode::Unavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidParameter => "invalid_parameter",
            ErrorCode::InvalidNumber => "invalid_number",
            ErrorCode::InvalidLatitude => "invalid_latitude",
            ErrorCode::InvalidLongitude => "invalid_longitude",
            ErrorCode::InvalidNear => "invalid_near",
            ErrorCode::RadiusTooLarge => "radius_too_large",
            ErrorCode::UnknownMunicipality => "unknown_municipality",
            ErrorCode::UnknownCounty => "unknown_county",
            ErrorCode::UnknownCode => "unknown_code",
            ErrorCode::UnknownFacet => "unknown_facet",
            ErrorCode::QueryTooLong => "query_too_long",
            ErrorCode::PageTooDeep => "page_too_deep",
            ErrorCode::LimitTooLarge => "limit_too_large",
            ErrorCode::InvalidSort => "invalid_sort",
            ErrorCode::InvalidLang => "invalid_lang",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub code: ErrorCode,
    /// A short English description for developers; do not show it to end users verbatim.
    pub message: String,
}

/// An error a handler returns; turns into a JSON response with the code's status.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound, "no such resource")
    }

    pub fn overloaded() -> Self {
        Self::new(
            ErrorCode::Overloaded,
            "too many searches at once, retry shortly",
        )
    }

    pub fn timeout() -> Self {
        Self::new(ErrorCode::Timeout, "the request did not finish in time")
    }

    /// An internal failure: the detail is logged, the client gets a generic message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let retry = matches!(
            self.code,
            ErrorCode::Overloaded | ErrorCode::Timeout | ErrorCode::Unavailable
        );
        let mut response = (
            status,
            Json(ErrorBody {
                code: self.code,
                message: self.message,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if retry {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}
