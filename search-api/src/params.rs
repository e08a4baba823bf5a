//! Query-string parsing: repeated keys, strict UTF-8, and precise error codes.
//!
//! `form_urlencoded` decodes bad UTF-8 lossily; we want a 400 instead, so the string is split and
//! percent-decoded here. Values are never echoed back in error messages.

use tarjotin_core::geo::LatLon;
use tarjotin_core::model::{Lang, RecordType};
use tarjotin_core::reference::{Vocabulary, reference};
use tarjotin_core::search::{Facet, Near, SearchRequest, Sort, limits};

use crate::error::{ApiError, ErrorCode};

/// Longest accepted raw query string, in bytes.
pub const MAX_QUERY_STRING: usize = 8 * 1024;

/// The parameters `GET /v1/search` understands. Others are ignored (e.g. cache busters).
pub const SEARCH_PARAMS: &[&str] = &[
    "q",
    "type",
    "municipality",
    "county",
    "theme",
    "target_group",
    "kind",
    "language",
    "free",
    "accessible",
    "online",
    "plain_language",
    "near",
    "radius_km",
    "sort",
    "lang",
    "limit",
    "offset",
    "facets",
];

/// Decoded `key=value` pairs in order.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameter, message)
}

fn decode(part: &str) -> Option<String> {
    // Every `%` must start an escape of two hex digits.
    let b = part.as_bytes();
    for (i, _) in part.match_indices('%') {
        let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
        if !(hex(i + 1) && hex(i + 2)) {
            return None;
        }
    }
    let plus = part.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

impl Params {
    /// Parses a raw query string (without the `?`).
    pub fn parse(query: Option<&str>) -> Result<Params, ApiError> {
        let Some(query) = query else {
            return Ok(Params::default());
        };
        if query.len() > MAX_QUERY_STRING {
            return Err(invalid("the query string is too long"));
        }
        let mut out = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (Some(k), Some(v)) = (decode(k), decode(v)) else {
                return Err(invalid(
                    "the query string is not valid percent-encoded UTF-8",
                ));
            };
            out.push((k, v));
        }
        Ok(Params(out))
    }

    /// Every value of `key`; comma-separated lists are not split here.
    pub fn all<'a>(&'a self, key: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let key = key.to_owned();
        self.0
            .iter()
            .filter(move |(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The single value of `key`; given twice is an error.
    pub fn one(&self, key: &str) -> Result<Option<&str>, ApiError> {
        let mut it = self.all(key);
        let first = it.next();
        if it.next().is_some() {
            return Err(invalid(format!("{key} may be given only once")));
        }
        Ok(first)
    }

    /// Values of a repeatable filter, empty values skipped, capped in number.
    fn list(&self, key: &str) -> Result<Vec<&str>, ApiError> {
        let values: Vec<&str> = self
            .all(key)
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.len() > limits::MAX_FILTER_VALUES {
            return Err(invalid(format!(
                "{key} may have at most {} values",
                limits::MAX_FILTER_VALUES
            )));
        }
        Ok(values)
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.one(key)? {
            None | Some("") => Ok(None),
            Some("true" | "1" | "yes") => Ok(Some(true)),
            Some("false" | "0" | "no") => Ok(Some(false)),
            Some(_) => Err(invalid(format!("{key} must be true or false"))),
        }
    }

    fn usize(&self, key: &str) -> Result<Option<usize>, ApiError> {
        match self.one(key)? {
            None => Ok(None),
            Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidNumber,
                    format!("{key} must be a non-negative whole number"),
                )
            }),
        }
    }

    /// `lang` (default fi).
    pub fn lang(&self) -> Result<Lang, ApiError> {
        match self.one("lang")? {
            None | Some("") => Ok(Lang::Fi),
            Some(v) => Lang::parse(v)
                .ok_or_else(|| ApiError::new(ErrorCode::InvalidLang, "lang must be fi, sv or en")),
        }
    }

    /// `q`, length-checked.
    pub fn q(&self) -> Result<String, ApiError> {
        let q = self.one("q")?.unwrap_or("").trim().to_string();
        if q.chars().count() > limits::MAX_QUERY_CHARS {
            return Err(ApiError::new(
                ErrorCode::QueryTooLong,
                format!("q may be at most {} characters", limits::MAX_QUERY_CHARS),
            ));
        }
        Ok(q)
    }

    /// `limit` for suggestions (default and max [`limits::MAX_SUGGESTIONS`]).
    pub fn suggest_limit(&self) -> Result<usize, ApiError> {
        match self.usize("limit")? {
            None => Ok(limits::MAX_SUGGESTIONS),
            Some(0) => Err(ApiError::new(
                ErrorCode::InvalidNumber,
                "limit must be at least 1",
            )),
            Some(n) if n > limits::MAX_SUGGESTIONS => Err(ApiError::new(
                ErrorCode::LimitTooLarge,
                format!("limit may be at most {}", limits::MAX_SUGGESTIONS),
            )),
            Some(n) => Ok(n),
        }
    }

    /// Validates every search parameter and resolves names to codes.
    pub fn search_request(&self) -> Result<SearchRequest, ApiError> {
        let r = reference();
        let mut req = SearchRequest {
            q: self.q()?,
            lang: self.lang()?,
            ..SearchRequest::default()
        };
        req.record_type = match self.one("type")? {
            None | Some("") => None,
            Some(v) => Some(
                RecordType::parse(v)
                    .ok_or_else(|| invalid("type must be activity or organisation"))?,
            ),
        };
        for v in self.list("municipality")? {
            let m = r.resolve_municipality(v).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::UnknownMunicipality,
                    "municipality: no municipality has this code or name",
                )
            })?;
            push_unique(&mut req.municipalities, &m.code);
        }
        for v in self.list("county")? {
            let c = r.resolve_county(v).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::UnknownCounty,
                    "county: no wellbeing services county has this code or name",
                )
            })?;
            push_unique(&mut req.counties, &c.code);
        }
        for (key, vocab, target) in [
            ("theme", Vocabulary::Theme, &mut req.themes),
            (
                "target_group",
                Vocabulary::TargetGroup,
                &mut req.target_groups,
            ),
            ("kind", Vocabulary::ActivityKind, &mut req.kinds),
        ] {
            for v in self.list(key)? {
                if !r.is_code(vocab, v) {
                    return Err(ApiError::new(
                        ErrorCode::UnknownCode,
                        format!(
                            "{key}: not a code of the {} vocabulary (see /v1/vocabularies)",
                            vocab.name()
                        ),
                    ));
                }
                push_unique(target, v);
            }
        }
        for v in self.list("language")? {
            let v = v.to_ascii_lowercase();
            if !(2..=3).contains(&v.len()) || !v.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(invalid(
                    "language must be an ISO 639 code such as fi, sv or en",
                ));
            }
            push_unique(&mut req.languages, &v);
        }
        req.free = self.boolean("free")?;
        req.accessible = self.boolean("accessible")?;
        req.online = self.boolean("online")?;
        req.plain_language = self.boolean("plain_language")?;

        let radius = match self.one("radius_km")? {
            None | Some("") => None,
            Some(v) => Some(parse_radius(v)?),
        };
        req.near = match self.one("near")? {
            None | Some("") => {
                if radius.is_some() {
                    return Err(invalid("radius_km needs near=lat,lon"));
                }
                None
            }
            Some(v) => Some(Near {
                point: parse_near(v)?,
                radius_km: Some(radius.unwrap_or(limits::DEFAULT_RADIUS_KM)),
            }),
        };

        req.sort = match self.one("sort")? {
            None | Some("") | Some("relevance") => Sort::Relevance,
            Some("distance") => Sort::Distance,
            Some("updated") => Sort::Updated,
            Some(_) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidSort,
                    "sort must be relevance, distance or updated",
                ));
            }
        };
        if req.sort == Sort::Distance && req.near.is_none() {
            return Err(ApiError::new(
                ErrorCode::InvalidSort,
                "sort=distance needs near=lat,lon",
            ));
        }

        req.limit = match self.usize("limit")? {
            None => limits::DEFAULT_LIMIT,
            Some(0) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidNumber,
                    "limit must be at least 1",
                ));
            }
            Some(n) if n > limits::MAX_LIMIT => {
                return Err(ApiError::new(
                    ErrorCode::LimitTooLarge,
                    format!("limit may be at most {}", limits::MAX_LIMIT),
                ));
            }
            Some(n) => n,
        };
        req.offset = self.usize("offset")?.unwrap_or(0);
        if req.offset.saturating_add(req.limit) > limits::MAX_DEPTH {
            return Err(ApiError::new(
                ErrorCode::PageTooDeep,
                format!(
                    "offset + limit may be at most {}; narrow the search instead",
                    limits::MAX_DEPTH
                ),
            ));
        }

        for v in self.list("facets")? {
            let f = Facet::parse(v).ok_or_else(|| {
                ApiError::new(
                    ErrorCode::UnknownFacet,
                    "facets: known facets are type, theme, target_group, kind, language, municipality, county",
                )
            })?;
            if !req.facets.contains(&f) {
                req.facets.push(f);
            }
        }
        Ok(req)
    }
}

fn push_unique(list: &mut Vec<String>, value: &str) {
    if !list.iter().any(|v| v == value) {
        list.push(value.to_string());
    }
}

fn parse_radius(v: &str) -> Result<f64, ApiError> {
    let r: f64 = v.trim().parse().map_err(|_| {
        ApiError::new(
            ErrorCode::InvalidNumber,
            "radius_km must be a number of kilometres",
        )
    })?;
    if !r.is_finite() || r <= 0.0 {
        return Err(ApiError::new(
            ErrorCode::InvalidNumber,
            "radius_km must be a positive number of kilometres",
        ));
    }
    if r > limits::MAX_RADIUS_KM {
        return Err(ApiError::new(
            ErrorCode::RadiusTooLarge,
            format!(
                "radius_km may be at most {}; use municipality or county for larger areas",
                limits::MAX_RADIUS_KM
            ),
        ));
    }
    Ok(r)
}

/// `lat,lon` in decimal degrees (WGS84).
fn parse_near(v: &str) -> Result<LatLon, ApiError> {
    let bad = || {
        ApiError::new(
            ErrorCode::InvalidNear,
            "near must be lat,lon in decimal degrees",
        )
    };
    let (lat, lon) = v.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(ApiError::new(
            ErrorCode::InvalidLatitude,
            "near: latitude must be between -90 and 90",
        ));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(ApiError::new(
            ErrorCode::InvalidLongitude,
            "near: longitude must be between -180 and 180",
        ));
    }
    LatLon::new(lat, lon).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(q: &str) -> Result<SearchRequest, ErrorCode> {
        Params::parse(Some(q))
            .and_then(|p| p.search_request())
            .map_err(|e| e.code)
    }

    #[test]
    fn repeated_and_comma_lists() {
        let r = req("theme=culture&theme=hobbies,culture&facets=theme,type&facets=county")
            .expect("valid request");
        assert_eq!(r.facets, vec![Facet::Theme, Facet::Type, Facet::County]);
    }

    #[test]
    fn errors_have_precise_codes() {
        assert_eq!(req("near=91,20").unwrap_err(), ErrorCode::InvalidLatitude);
        assert_eq!(req("near=60,200").unwrap_err(), ErrorCode::InvalidLongitude);
        assert_eq!(req("near=60").unwrap_err(), ErrorCode::InvalidNear);
        assert_eq!(req("near=NaN,20").unwrap_err(), ErrorCode::InvalidLatitude);
        assert_eq!(
            req("near=60,20&radius_km=101").unwrap_err(),
            ErrorCode::RadiusTooLarge
        );
        assert_eq!(
            req("near=60,20&radius_km=-1").unwrap_err(),
            ErrorCode::InvalidNumber
        );
        assert_eq!(req("radius_km=5").unwrap_err(), ErrorCode::InvalidParameter);
        assert_eq!(req("limit=51").unwrap_err(), ErrorCode::LimitTooLarge);
        assert_eq!(req("limit=x").unwrap_err(), ErrorCode::InvalidNumber);
        assert_eq!(
            req("offset=990&limit=20").unwrap_err(),
            ErrorCode::PageTooDeep
        );
        assert_eq!(
            req("offset=18446744073709551615").unwrap_err(),
            ErrorCode::PageTooDeep
        );
        assert_eq!(req("sort=distance").unwrap_err(), ErrorCode::InvalidSort);
        assert_eq!(req("sort=x").unwrap_err(), ErrorCode::InvalidSort);
        assert_eq!(req("lang=de").unwrap_err(), ErrorCode::InvalidLang);
        assert_eq!(req("facets=nope").unwrap_err(), ErrorCode::UnknownFacet);
        assert_eq!(
            req("municipality=Atlantis").unwrap_err(),
            ErrorCode::UnknownMunicipality
        );
        assert_eq!(
            req("county=Atlantis").unwrap_err(),
            ErrorCode::UnknownCounty
        );
        assert_eq!(req("theme=nope").unwrap_err(), ErrorCode::UnknownCode);
        assert_eq!(req("q=%FF").unwrap_err(), ErrorCode::InvalidParameter);
        assert_eq!(req("q=a&q=b").unwrap_err(), ErrorCode::InvalidParameter);
        let long = format!("q={}", "a".repeat(201));
        assert_eq!(req(&long).unwrap_err(), ErrorCode::QueryTooLong);
    }

    #[test]
    fn names_resolve_to_codes_and_near_gets_default_radius() {
        let r = req("municipality=Turku&municipality=Åbo&county=02&near=60.45,22.26&sort=distance")
            .expect("valid request");
        assert_eq!(r.municipalities, vec!["853".to_string()]);
        assert_eq!(
            r.near.and_then(|n| n.radius_km),
            Some(limits::DEFAULT_RADIUS_KM)
        );
        assert_eq!(r.sort, Sort::Distance);
    }
}
