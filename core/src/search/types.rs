//! The search contract: what a caller asks ([`SearchRequest`]) and what it gets back
//! ([`SearchResponse`]). The HTTP API maps query parameters onto these one to one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::geo::LatLon;
use crate::model::{Lang, RecordType};

/// Hard limits that keep every query cheap (DESIGN §5).
pub mod limits {
    /// Longest accepted query text, in characters.
    pub const MAX_QUERY_CHARS: usize = 200;
    /// Most words used from a query.
    pub const MAX_QUERY_TERMS: usize = 10;
    pub const DEFAULT_LIMIT: usize = 20;
    pub const MAX_LIMIT: usize = 50;
    /// `offset + limit` may not exceed this.
    pub const MAX_DEPTH: usize = 1000;
    pub const MAX_RADIUS_KM: f64 = 100.0;
    pub const DEFAULT_RADIUS_KM: f64 = 20.0;
    pub const MAX_SUGGESTIONS: usize = 10;
    /// Most values of one repeatable filter.
    pub const MAX_FILTER_VALUES: usize = 50;
    /// Without facets, a search ranked by relevance or by distance alone counts its matches
    /// exactly up to this many and then reports a lower bound (`total_relation: gte`). It equals
    /// [`MAX_DEPTH`]: every record a client can page to is counted.
    pub const EXACT_TOTAL_UP_TO: usize = MAX_DEPTH;
}

/// Whether a response's `total` is exact.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TotalRelation {
    /// `total` is the exact number of matches.
    #[default]
    Eq,
    /// At least `total` records match: counting stopped there.
    Gte,
}

/// How results are ordered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sort {
    /// Text relevance, blended with distance when a point is known.
    #[default]
    Relevance,
    /// Nearest first (needs `near`).
    Distance,
    /// Most recently updated first.
    Updated,
}

/// Which facet counts to return.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    Type,
    Theme,
    TargetGroup,
    Kind,
    Language,
    Municipality,
    County,
}

impl Facet {
    pub const ALL: [Facet; 7] = [
        Facet::Type,
        Facet::Theme,
        Facet::TargetGroup,
        Facet::Kind,
        Facet::Language,
        Facet::Municipality,
        Facet::County,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Facet::Type => "type",
            Facet::Theme => "theme",
            Facet::TargetGroup => "target_group",
            Facet::Kind => "kind",
            Facet::Language => "language",
            Facet::Municipality => "municipality",
            Facet::County => "county",
        }
    }

    pub fn parse(name: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A point to search around.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Near {
    pub point: LatLon,
    /// Search radius; `None` only ranks and sorts by distance without cutting off.
    pub radius_km: Option<f64>,
}

/// A validated search request. Filter values are codes (the API resolves names to codes).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub q: String,
    pub record_type: Option<RecordType>,
    pub municipalities: Vec<String>,
    pub counties: Vec<String>,
    pub themes: Vec<String>,
    pub target_groups: Vec<String>,
    pub kinds: Vec<String>,
    pub languages: Vec<String>,
    pub free: Option<bool>,
    pub accessible: Option<bool>,
    pub online: Option<bool>,
    pub plain_language: Option<bool>,
    pub near: Option<Near>,
    pub sort: Sort,
    /// Label language; records fall back to their other languages.
    pub lang: Lang,
    pub limit: usize,
    pub offset: usize,
    pub facets: Vec<Facet>,
    /// Read municipality names in the text (`Turussa`) as a place. On by default.
    pub places_in_text: bool,
}

impl Default for SearchRequest {
    fn default() -> Self {
        Self {
            q: String::new(),
            record_type: None,
            municipalities: Vec::new(),
            counties: Vec::new(),
            themes: Vec::new(),
            target_groups: Vec::new(),
            kinds: Vec::new(),
            languages: Vec::new(),
            free: None,
            accessible: None,
            online: None,
            plain_language: None,
            near: None,
            sort: Sort::Relevance,
            lang: Lang::Fi,
            limit: limits::DEFAULT_LIMIT,
            offset: 0,
            facets: Vec::new(),
            places_in_text: true,
        }
    }
}

impl SearchRequest {
    pub fn text(q: impl Into<String>) -> Self {
        Self {
            q: q.into(),
            ..Self::default()
        }
    }
}

/// A piece of highlighted text: render `hit` segments as `<mark>`, never as HTML.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// A code with its label in the requested language.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labelled {
    pub code: String,
    pub label: String,
}

/// The organisation behind an activity.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRef {
    pub id: String,
    pub name: String,
}

/// Address and point of a hit.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_office: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// True when the point is the municipality centre, not the record's own.
    pub approximate: bool,
}

/// One search result.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub id: String,
    #[serde(rename = "type")]
    pub record_type: RecordType,
    pub name: String,
    /// Language of `name` (differs from the request's when a fallback was used).
    pub name_lang: Lang,
    /// Description excerpt with the query's words marked.
    pub snippet: Vec<Segment>,
    pub snippet_lang: Option<Lang>,
    pub organisation: Option<OrganisationRef>,
    pub municipality: Option<Labelled>,
    pub location: Option<HitLocation>,
    /// Metres from the request's point, when one was given.
    pub distance_m: Option<f64>,
    pub themes: Vec<Labelled>,
    pub target_groups: Vec<Labelled>,
    pub kind: Option<Labelled>,
    pub schedule: Option<String>,
    pub free: bool,
    pub accessible: bool,
    pub online: bool,
    pub plain_language: bool,
    pub languages: Vec<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub updated_at: Option<String>,
    /// Not updated for 12 months.
    pub stale: bool,
    pub score: f32,
}

/// One facet value and how many matching records carry it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    pub value: String,
    pub label: String,
    pub count: u64,
}

/// How the engine read the query text, so a client can say "results in Turku".
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Understanding {
    /// Municipalities read from the text, e.g. `Turussa` -> 853.
    pub places: Vec<Labelled>,
    /// Words searched for (after places and stop words were taken out).
    pub terms: Vec<String>,
    /// Words also matched with a letter or two different (typo tolerance): words the analyser
    /// does not know and that fewer than three records contain as typed.
    #[serde(default)]
    pub typo_tolerant: Vec<String>,
    /// Words ignored: stop words, legal forms, words past the term limit.
    pub ignored: Vec<String>,
    /// Themes and target groups the thesaurus added for everyday words.
    pub themes: Vec<Labelled>,
    pub target_groups: Vec<Labelled>,
}

/// The answer to a [`SearchRequest`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResponse {
    /// Matching records. When fewer than ten records have every query word (relevance sort),
    /// records with some of the words follow them in `hits` and are counted here too.
    pub total: u64,
    /// `eq` when `total` is exact; `gte` when it is a lower bound. Without facets, a search
    /// ranked by relevance or by distance alone stops counting at 1,000 matches (the deepest
    /// page reachable).
    pub total_relation: TotalRelation,
    pub hits: Vec<Hit>,
    pub facets: BTreeMap<String, Vec<FacetCount>>,
    pub understood: Understanding,
}

/// What a suggestion completes to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    Organisation,
    Activity,
    Theme,
    TargetGroup,
    Municipality,
}

/// An autocomplete suggestion.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub text: String,
    pub kind: SuggestionKind,
    /// Record id or vocabulary/municipality code.
    pub value: String,
}
