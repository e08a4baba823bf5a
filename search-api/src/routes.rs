//! The `/v1` handlers, health probes, and the OpenAPI document they are described in.

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tarjotin_core::model::{Lang, Localized};
use tarjotin_core::reference::{Term, reference};
use tarjotin_core::schema::SCHEMA_VERSION;
use tarjotin_core::search::{ActivityDetail, OrganisationDetail, SearchResponse, Suggestion};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::params::Params;
use crate::state::AppState;

/// Cache lifetimes per kind of resource.
pub(crate) const CACHE_SEARCH: &str = "public, max-age=60";
pub(crate) const CACHE_RECORD: &str = "public, max-age=300";
pub(crate) const CACHE_REFERENCE: &str = "public, max-age=86400";
pub(crate) const CACHE_NONE: &str = "no-store";

/// Longest record id looked up; longer ones cannot exist.
const MAX_ID_LEN: usize = 300;

pub(crate) fn json<T: Serialize>(value: &T, cache: &'static str) -> Response {
    let mut response = Json(value).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// Query parameters of `GET /v1/search` (documentation; parsing is in `params`).
#[derive(IntoParams)]
#[into_params(parameter_in = Query, style = Form)]
#[allow(dead_code)]
pub(crate) struct SearchParams {
    /// Free text, at most 200 characters; at most 10 words are used. Municipality names in the
    /// text (`Turussa`, `i Åbo`) are read as a place (see `understood.places`).
    q: Option<String>,
    /// Only organisations or only activities.
    #[param(inline, rename = "type")]
    record_type: Option<TypeParam>,
    /// Municipality code (`853`) or fi/sv/en name (`Turku`, `Åbo`); repeatable, comma lists allowed.
    #[param(explode = true)]
    municipality: Option<Vec<String>>,
    /// Wellbeing services county code (`02`) or name; repeatable.
    #[param(explode = true)]
    county: Option<Vec<String>>,
    /// Theme code (see `/v1/vocabularies`); repeatable.
    #[param(explode = true)]
    theme: Option<Vec<String>>,
    /// Target group code; repeatable.
    #[param(explode = true)]
    target_group: Option<Vec<String>>,
    /// Activity kind code; repeatable.
    #[param(explode = true)]
    kind: Option<Vec<String>>,
    /// ISO 639 language code the service is offered in (`fi`, `sv`, `en`, `ru`...); repeatable.
    #[param(explode = true)]
    language: Option<Vec<String>>,
    /// Only free activities.
    free: Option<bool>,
    /// Only accessible activities.
    accessible: Option<bool>,
    /// Only online activities.
    online: Option<bool>,
    /// Only records offered in plain language (selkokieli).
    plain_language: Option<bool>,
    /// A point `lat,lon` (WGS84 decimal degrees). Results are limited to `radius_km` around it
    /// (20 km when `radius_km` is not given) and carry `distance_m`. Never logged.
    #[param(example = "60.452,22.267")]
    near: Option<String>,
    /// Search radius around `near` in kilometres, at most 100 (default 20). Needs `near`.
    #[param(minimum = 0.0, maximum = 100.0)]
    radius_km: Option<f64>,
    /// Order: `relevance` (default; blended with distance when `near` is given), `distance`
    /// (needs `near`), `updated`.
    #[param(inline)]
    sort: Option<SortParam>,
    /// Label language (default fi); records fall back to their other languages.
    #[param(inline)]
    lang: Option<LangParam>,
    /// Hits per page, 1..50 (default 20).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<u32>,
    /// Hits to skip; `offset + limit` may be at most 1000.
    #[param(minimum = 0, maximum = 999)]
    offset: Option<u32>,
    /// Facet counts to return: type, theme, target_group, kind, language, municipality, county;
    /// repeatable or comma-separated.
    #[param(explode = true, inline)]
    facets: Option<Vec<FacetParam>>,
}

#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum TypeParam {
    Activity,
    Organisation,
}

#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum SortParam {
    Relevance,
    Distance,
    Updated,
}

#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum LangParam {
    Fi,
    Sv,
    En,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum FacetParam {
    Type,
    Theme,
    TargetGroup,
    Kind,
    Language,
    Municipality,
    County,
}

/// Search organisations and activities.
#[utoipa::path(
    get, path = "/v1/search", tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "Hits, facet counts and how the query was read", body = SearchResponse),
        (status = 429, description = "Rate limited (only when a limit is configured); see Retry-After", body = ErrorBody),
        (status = 400, description = "Invalid parameter", body = ErrorBody),
        (status = 503, description = "Overloaded or timed out; see Retry-After", body = ErrorBody),
    )
)]
pub(crate) async fn search(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let req = Params::parse(query.as_deref())?.search_request()?;
    let response = state.run(move |engine| engine.search(&req)).await?;
    Ok(json(&response, CACHE_SEARCH))
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct SuggestParams {
    /// What the user has typed so far, at most 200 characters.
    q: Option<String>,
    /// Label language (default fi).
    #[param(inline)]
    lang: Option<LangParam>,
    /// At most this many suggestions, 1..10 (default 10).
    #[param(minimum = 1, maximum = 10)]
    limit: Option<u32>,
}

/// Autocomplete suggestions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub suggestions: Vec<Suggestion>,
}

/// Autocomplete: record names, themes, target groups and municipalities.
#[utoipa::path(
    get, path = "/v1/suggest", tag = "search",
    params(SuggestParams),
    responses(
        (status = 200, description = "At most 10 suggestions", body = Suggestions),
        (status = 429, description = "Rate limited (only when a limit is configured); see Retry-After", body = ErrorBody),
        (status = 400, description = "Invalid parameter", body = ErrorBody),
        (status = 503, description = "Overloaded or timed out", body = ErrorBody),
    )
)]
pub(crate) async fn suggest(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref())?;
    let q = params.q()?;
    let lang = params.lang()?;
    let limit = params.suggest_limit()?;
    let suggestions = if q.is_empty() {
        Vec::new()
    } else {
        state
            .run(move |engine| engine.suggest(&q, lang, limit))
            .await?
    };
    Ok(json(&Suggestions { suggestions }, CACHE_SEARCH))
}

fn record_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Ok(Path(id)) = path else {
        return Err(ApiError::not_found());
    };
    let id = id.trim_start_matches('/').to_string();
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(ApiError::not_found());
    }
    Ok(id)
}

/// One organisation with its activities. Ids may contain `/`: send it as is or as `%2F`.
#[utoipa::path(
    get, path = "/v1/organisations/{id}", tag = "records",
    params(("id" = String, Path, description = "Organisation id", example = "local:savon-omaishoitajat")),
    responses(
        (status = 200, description = "The organisation and its activities", body = OrganisationDetail),
        (status = 429, description = "Rate limited (only when a limit is configured); see Retry-After", body = ErrorBody),
        (status = 404, description = "No such organisation", body = ErrorBody),
        (status = 503, description = "Overloaded or timed out", body = ErrorBody),
    )
)]
pub(crate) async fn organisation(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = record_id(path)?;
    match state.run(move |engine| engine.organisation(&id)).await? {
        Some(detail) => Ok(json(&detail, CACHE_RECORD)),
        None => Err(ApiError::not_found()),
    }
}

/// One activity with its organisation. Ids may contain `/`: send it as is or as `%2F`.
#[utoipa::path(
    get, path = "/v1/activities/{id}", tag = "records",
    params(("id" = String, Path, description = "Activity id", example = "local:savon-omaishoitajat/vertaisryhma-kuopio")),
    responses(
        (status = 200, description = "The activity and its organisation", body = ActivityDetail),
        (status = 429, description = "Rate limited (only when a limit is configured); see Retry-After", body = ErrorBody),
        (status = 404, description = "No such activity", body = ErrorBody),
        (status = 503, description = "Overloaded or timed out", body = ErrorBody),
    )
)]
pub(crate) async fn activity(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = record_id(path)?;
    match state.run(move |engine| engine.activity(&id)).await? {
        Some(detail) => Ok(json(&detail, CACHE_RECORD)),
        None => Err(ApiError::not_found()),
    }
}

#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(crate) struct LangParams {
    /// Label language (default fi).
    #[param(inline)]
    lang: Option<LangParam>,
}

/// A municipality in force on 1 January 2026.
#[derive(Debug, Serialize, ToSchema)]
pub struct MunicipalityItem {
    /// Official 3-digit code.
    pub code: String,
    pub name: String,
    /// Wellbeing services county code.
    pub county: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Municipalities {
    /// Sorted by name in the requested language.
    pub municipalities: Vec<MunicipalityItem>,
}

fn label(text: &Localized, lang: Lang) -> String {
    text.pick(lang)
        .map(|(_, t)| t.to_string())
        .unwrap_or_default()
}

/// Sorts names the Finnish/Swedish way closely enough: å, ä, ö after z.
fn sort_key(name: &str) -> Vec<u32> {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'å' => 'z' as u32 + 1,
            'ä' => 'z' as u32 + 2,
            'ö' => 'z' as u32 + 3,
            c => c as u32,
        })
        .collect()
}

/// All municipalities, for a municipality picker.
#[utoipa::path(
    get, path = "/v1/municipalities", tag = "reference",
    params(LangParams),
    responses(
        (status = 200, description = "Municipalities sorted by name", body = Municipalities),
        (status = 429, description = "Rate limited (only when a limit is configured); see Retry-After", body = ErrorBody),
        (status = 400, description = "Invalid parameter", body = ErrorBody),
    )
)]
pub(crate) async fn municipalities(RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let lang = Params::parse(query.as_deref())?.lang()?;
    let mut municipalities: Vec<MunicipalityItem> = reference()
        .municipalities
        .iter()
        .map(|m| MunicipalityItem {
            code: m.code.clone(),
            name: label(&m.name, lang),
            county: m.county.clone(),
        })
        .collect();
    municipalities.sort_by_cached_key(|m| (sort_key(&m.name), m.code.clone()));
    Ok(json(&Municipalities { municipalities }, CACHE_REFERENCE))
}

/// A vocabulary code with its label in the requested language and in all three.
#[derive(Debug, Serialize, ToSchema)]
pub struct VocabularyItem {
    pub code: String,
    pub label: String,
    /// Labels by language: fi, sv, en.
    pub labels: Localized,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Vocabularies {
    pub themes: Vec<VocabularyItem>,
    pub target_groups: Vec<VocabularyItem>,
    pub kinds: Vec<VocabularyItem>,
}

fn items(terms: &[Term], lang: Lang) -> Vec<VocabularyItem> {
    terms
        .iter()
        .map(|t| VocabularyItem {
            code: t.code.clone(),
            label: label(&t.label, lang),
            labels: t.label.clone(),
        })
        .collect()
}

/// The controlled vocabularies: themes, target groups and activity kinds.
#[utoipa::path(
    get, path = "/v1/vocabularies", tag = "reference",
    params(LangParams),
    responses(
        (status = 200, description = "Codes with labels", body = Vocabularies),
        (status = 429, description = "Rate limited (only when a limit is configured); see Retry-After", body = ErrorBody),
        (status = 400, description = "Invalid parameter", body = ErrorBody),
    )
)]
pub(crate) async fn vocabularies(RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let lang = Params::parse(query.as_deref())?.lang()?;
    let r = reference();
    let body = Vocabularies {
        themes: items(&r.themes, lang),
        target_groups: items(&r.target_groups, lang),
        kinds: items(&r.kinds, lang),
    };
    Ok(json(&body, CACHE_REFERENCE))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// Liveness: the process answers.
#[utoipa::path(
    get, path = "/health", tag = "operations",
    responses((status = 200, description = "Alive", body = Health))
)]
pub(crate) async fn health() -> Response {
    json(
        &Health {
            status: "ok".into(),
        },
        CACHE_NONE,
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready`.
    pub status: String,
    /// Documents in the served index.
    pub documents: u64,
    pub organisations: u64,
    pub activities: u64,
    /// Name of the served index generation.
    pub generation: String,
    pub schema_version: u32,
    /// When the served generation was built, Unix seconds.
    pub built_at: u64,
    /// The response cache since the process started; absent when it is turned off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_cache: Option<crate::cache::ResponseCacheStatus>,
}

/// Readiness: an index is loaded and searchable.
#[utoipa::path(
    get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Serving an index", body = Ready),
        (status = 503, description = "Not ready", body = ErrorBody),
    )
)]
pub(crate) async fn ready(State(state): State<AppState>) -> Response {
    let engine = state.engine();
    let meta = engine.meta();
    json(
        &Ready {
            status: "ready".into(),
            documents: engine.doc_count(),
            organisations: meta.organisations,
            activities: meta.activities,
            generation: meta.generation.clone(),
            schema_version: SCHEMA_VERSION,
            built_at: meta.built_at,
            response_cache: state.response_cache().map(|c| c.status()),
        },
        CACHE_NONE,
    )
}

/// The JSON 404 for unknown routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found()
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this API is read-only: use GET",
    )
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tarjotin search API",
        description = "Search Finnish civil-society organisations and their activities.\n\n\
Errors are `{\"code\", \"message\"}` with `code` from a closed set (`ErrorCode`). Responses carry \
`ETag` (honouring `If-None-Match`), `Cache-Control` and `x-request-id`. Coordinates sent in `near` \
are never logged.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(search, suggest, organisation, activity, municipalities, vocabularies, health, ready),
    components(schemas(ErrorCode, ErrorBody)),
    tags(
        (name = "search", description = "Full-text, filtered and nearby search"),
        (name = "records", description = "Organisations and activities by id"),
        (name = "reference", description = "Municipalities and vocabularies for filters"),
        (name = "operations", description = "Health probes"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI 3.1 document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

/// Parameter names documented for `/v1/search`, for the drift test against the parser.
pub fn documented_search_params() -> Vec<String> {
    use utoipa::IntoParams;
    SearchParams::into_params(|| None)
        .into_iter()
        .map(|p| p.name)
        .collect()
}
