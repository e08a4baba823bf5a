//! Source adapters: turn real data sources into [`crate::model`] records.
//!
//! - [`ptv`]: Suomi.fi Finnish Service Catalogue (PTV) Open API v11 organisations and service
//!   channels.
//! - [`linkedevents`]: Linked Events (JSON-LD, schema.org) event lists, with a pager that takes
//!   the HTTP fetch as a closure so this crate stays HTTP-free.
//! - [`spreadsheet`]: the CSV template for small associations (`data/templates/`).
//! - [`merge`]: one record per organisation across sources, with provenance; freshness.
//!
//! # Contract shared by every adapter
//! An adapter returns an [`Import`]: the records it could build completely and a list of
//! [`Problem`]s, each with a location (`FILE:JSON-PATH` or `FILE:ROW:COLUMN`). A broken record
//! is reported as a [`Severity::Error`] and left out whole, never half-imported; a record left out
//! on purpose (unpublished, cancelled) is a [`Severity::Skipped`]; a [`Severity::Warning`] means the
//! record was kept but something was dropped (an unsupported language, bad coordinates). Only a
//! document that cannot be read at all (not JSON, not the expected shape) is an `Err`.
//! Adapters never panic on input.
//!
//! Every record an adapter builds carries `common.source` (the source system) and its own id in
//! `common.sources`, which [`merge`] unions when it merges records.

pub mod linkedevents;
pub mod merge;
pub mod ptv;
pub mod spreadsheet;

use std::fmt;
use std::sync::OnceLock;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::geo::LatLon;
use crate::model::{Lang, Localized, Record};

/// How bad a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The record was kept; some value was dropped or adjusted.
    Warning,
    /// The record was left out on purpose (unpublished, cancelled, not an activity).
    Skipped,
    /// The record is broken and was left out.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Skipped => "skipped",
            Severity::Error => "error",
        }
    }
}

/// Something an adapter found wrong with its input, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `FILE:JSON-PATH` (e.g. `ptv.json:itemList[0].addresses[0].postalCode`) or `FILE:ROW:COLUMN`.
    pub location: String,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.location,
            self.severity.as_str(),
            self.message
        )
    }
}

/// What an adapter produced: complete records and the problems it reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Import {
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
}

impl Import {
    /// Problems of exactly this severity.
    pub fn problems_of(&self, severity: Severity) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(move |p| p.severity == severity)
    }

    /// Number of records that were left out because they were broken.
    pub fn error_count(&self) -> usize {
        self.problems_of(Severity::Error).count()
    }
}

/// A whole document could not be read; per-record trouble is a [`Problem`] instead.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{origin}: not valid JSON: {source}")]
    Json {
        origin: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{origin}: {message}")]
    Shape { origin: String, message: String },
    #[error("{origin}: {message}")]
    Csv { origin: String, message: String },
    #[error("fetching page {page} ({url}) failed: {message}")]
    Fetch {
        url: String,
        page: usize,
        message: String,
    },
    #[error("paging stopped at page {page}: {message}")]
    Paging { page: usize, message: String },
}

/// Collects problems for one record while it is being built.
#[derive(Debug)]
pub(crate) struct Report<'a> {
    origin: &'a str,
    pub(crate) problems: Vec<Problem>,
}

impl<'a> Report<'a> {
    pub(crate) fn new(origin: &'a str) -> Self {
        Report {
            origin,
            problems: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, path: &str, severity: Severity, message: impl Into<String>) {
        self.problems.push(Problem {
            location: format!("{}:{}", self.origin, path),
            severity,
            message: message.into(),
        });
    }

    pub(crate) fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.push(path, Severity::Warning, message);
    }
}

/// A record is broken: the message that reports it.
#[derive(Debug)]
pub(crate) struct Broken {
    pub(crate) path: String,
    pub(crate) message: String,
}

pub(crate) fn broken(path: impl Into<String>, message: impl Into<String>) -> Broken {
    Broken {
        path: path.into(),
        message: message.into(),
    }
}

fn etrs_tm35fin() -> Option<&'static (proj4rs::Proj, proj4rs::Proj)> {
    static PROJS: OnceLock<Option<(proj4rs::Proj, proj4rs::Proj)>> = OnceLock::new();
    PROJS
        .get_or_init(|| {
            // EPSG:3067 ETRS89 / TM35FIN(E,N): UTM zone 35 on GRS80 (JHS 197). ETRS89 and WGS84
            // differ by well under a metre in Finland, far below what a directory needs.
            let from = proj4rs::Proj::from_proj_string(
                "+proj=utm +zone=35 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
            )
            .ok()?;
            let to = proj4rs::Proj::from_proj_string("+proj=longlat +datum=WGS84 +no_defs").ok()?;
            Some((from, to))
        })
        .as_ref()
}

/// Why an ETRS-TM35FIN coordinate pair could not be converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    #[error("northing {northing} / easting {easting} is not a finite number")]
    NotANumber { northing: f64, easting: f64 },
    #[error(
        "northing {northing} / easting {easting} is outside the ETRS-TM35FIN range used in Finland \
         (N 6,550,000..7,850,000, E 0..800,000); WGS84 degrees or swapped axes?"
    )]
    OutOfRange { northing: f64, easting: f64 },
    #[error("projection failed: {0}")]
    Projection(String),
    #[error(transparent)]
    Geo(#[from] crate::geo::GeoError),
}

/// Converts EPSG:3067 (ETRS-TM35FIN) northing/easting in metres to a WGS84 point in Finland.
///
/// Rejects values outside the range the grid covers in Finland (which catches WGS84 degrees
/// and swapped axes) and results outside Finland's bounding box.
pub fn etrs_tm35fin_to_wgs84(northing: f64, easting: f64) -> Result<LatLon, CoordError> {
    if !northing.is_finite() || !easting.is_finite() {
        return Err(CoordError::NotANumber { northing, easting });
    }
    if !(6_550_000.0..=7_850_000.0).contains(&northing) || !(0.0..=800_000.0).contains(&easting) {
        return Err(CoordError::OutOfRange { northing, easting });
    }
    let (from, to) =
        etrs_tm35fin().ok_or_else(|| CoordError::Projection("projection setup failed".into()))?;
    let mut p = (easting, northing, 0.0);
    proj4rs::transform::transform(from, to, &mut p)
        .map_err(|e| CoordError::Projection(e.to_string()))?;
    Ok(LatLon::in_finland(p.1.to_degrees(), p.0.to_degrees())?)
}

/// Parses an ISO 8601 date (`2026-09-01`) or date-time, with or without offset (none = UTC),
/// with optional fractional seconds. `None` when it is neither.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let date_fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &date_fmt) {
        return Some(d.midnight().assume_utc());
    }
    // Date-time without an offset, e.g. PTV's `2020-07-29T08:30:04.835555`.
    let naive = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    time::PrimitiveDateTime::parse(s, &naive)
        .ok()
        .map(|t| t.assume_utc())
}

/// Checks a Finnish business id (Y-tunnus) `NNNNNNN-N` and its check digit.
pub fn valid_business_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 || b[7] != b'-' || !b[..7].iter().chain(&b[8..]).all(u8::is_ascii_digit) {
        return false;
    }
    const W: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..7]
        .iter()
        .zip(W)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match sum % 11 {
        0 => 0,
        1 => return false,
        r => 11 - r,
    };
    u32::from(b[8] - b'0') == check
}

/// True for an `http`/`https` URL with a host.
pub(crate) fn is_web_url(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/') && !s.chars().any(char::is_whitespace))
}

/// True for an id the import format accepts: 1-200 chars of `[A-Za-z0-9._:/-]`.
pub(crate) fn valid_id(id: &str) -> bool {
    (1..=200).contains(&id.len())
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'/' | b'-'))
}

/// Trims, NFC-normalises and collapses internal whitespace; `None` when nothing is left.
pub(crate) fn clean_text(s: &str) -> Option<String> {
    let nfc = crate::analysis::normalize(s);
    let out = nfc.split_whitespace().collect::<Vec<_>>().join(" ");
    (!out.is_empty()).then_some(out)
}

/// Limits the length of a localized text to what the import format allows.
pub(crate) fn truncate_chars(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        s
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Keeps the first of each language; languages other than fi/sv/en are returned separately.
pub(crate) fn localized_from_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a str, String)>,
) -> (Localized, Vec<String>) {
    let mut out = Localized::new();
    let mut ignored = Vec::new();
    for (lang, text) in pairs {
        match Lang::parse(lang) {
            Some(l) => {
                out.0.entry(l).or_insert(text);
            }
            None => {
                if !ignored.iter().any(|i| i == lang) {
                    ignored.push(lang.to_string());
                }
            }
        }
    }
    (out, ignored)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closed-form inverse Transverse Mercator (Krüger series, as printed in JHS 197 appendix 2),
    /// written independently of proj4rs to cross-check it.
    fn kruger_inverse(n: f64, e: f64) -> (f64, f64) {
        let a = 6_378_137.0_f64;
        let f = 1.0 / 298.257_222_101;
        let k0 = 0.9996;
        let lon0 = 27f64.to_radians();
        let e0 = 500_000.0;
        let nn = f / (2.0 - f);
        let a1 = a / (1.0 + nn) * (1.0 + nn.powi(2) / 4.0 + nn.powi(4) / 64.0);
        let e2 = 2.0 * f - f * f;
        let ecc = e2.sqrt();
        let h1 =
            nn / 2.0 - 2.0 / 3.0 * nn.powi(2) + 37.0 / 96.0 * nn.powi(3) - 1.0 / 360.0 * nn.powi(4);
        let h2 = nn.powi(2) / 48.0 + nn.powi(3) / 15.0 - 437.0 / 1440.0 * nn.powi(4);
        let h3 = 17.0 / 480.0 * nn.powi(3) - 37.0 / 840.0 * nn.powi(4);
        let h4 = 4397.0 / 161_280.0 * nn.powi(4);
        let zeta = n / (a1 * k0);
        let eta = (e - e0) / (a1 * k0);
        let z1 = h1 * (2.0 * zeta).sin() * (2.0 * eta).cosh();
        let z2 = h2 * (4.0 * zeta).sin() * (4.0 * eta).cosh();
        let z3 = h3 * (6.0 * zeta).sin() * (6.0 * eta).cosh();
        let z4 = h4 * (8.0 * zeta).sin() * (8.0 * eta).cosh();
        let y1 = h1 * (2.0 * zeta).cos() * (2.0 * eta).sinh();
        let y2 = h2 * (4.0 * zeta).cos() * (4.0 * eta).sinh();
        let y3 = h3 * (6.0 * zeta).cos() * (6.0 * eta).sinh();
        let y4 = h4 * (8.0 * zeta).cos() * (8.0 * eta).sinh();
        let zp = zeta - (z1 + z2 + z3 + z4);
        let ep = eta - (y1 + y2 + y3 + y4);
        let beta = (zp.sin() / ep.cosh()).asin();
        let l = (ep.tanh() / beta.cos()).asin();
        let q = beta.tan().asinh();
        let mut qp = q + ecc * (ecc * q.tanh()).atanh();
        for _ in 0..6 {
            qp = q + ecc * (ecc * qp.tanh()).atanh();
        }
        (qp.sinh().atan().to_degrees(), (lon0 + l).to_degrees())
    }

    /// Metres between two nearby points (equirectangular is exact enough at this scale).
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        let dy = (a.0 - b.0).to_radians() * 6_371_000.0;
        let dx = (a.1 - b.1).to_radians() * 6_371_000.0 * a.0.to_radians().cos();
        (dx * dx + dy * dy).sqrt()
    }

    #[test]
    fn tm35fin_matches_jhs197_reference_point_g4_geta() {
        // JHS 197 appendix 3, point G4 (Geta): N 6715706.37705, E 106256.35958 <->
        // φ 60°23'06.38474", λ 19°50'53.29237" (EUREF-FIN).
        let p = etrs_tm35fin_to_wgs84(6_715_706.377_05, 106_256.359_58).unwrap();
        let lat = 60.0 + 23.0 / 60.0 + 6.384_74 / 3600.0;
        let lon = 19.0 + 50.0 / 60.0 + 53.292_37 / 3600.0;
        let err = metres((p.lat(), p.lon()), (lat, lon));
        eprintln!("G4 Geta error: {err:.6} m");
        assert!(err < 0.01, "G4 error {err} m");
    }

    #[test]
    fn tm35fin_matches_published_and_independent_points() {
        // epsg.io / PROJ result quoted to 1e-6 degrees (about 0.1 m): N 7369564.333, E 427997.035.
        let p = etrs_tm35fin_to_wgs84(7_369_564.333, 427_997.035).unwrap();
        let err = metres((p.lat(), p.lon()), (66.437_124, 25.385_742));
        eprintln!("epsg.io point error: {err:.6} m");
        assert!(err < 0.2);
        // Independent closed-form check across Finland, including the PTV sample (Kuopio).
        for (n, e) in [
            (6_974_202.909, 534_246.773),
            (6_672_000.0, 385_000.0),
            (7_750_000.0, 500_000.0),
            (6_710_000.0, 240_000.0),
            (6_950_000.0, 730_000.0),
        ] {
            let p = etrs_tm35fin_to_wgs84(n, e).unwrap();
            let k = kruger_inverse(n, e);
            let err = metres((p.lat(), p.lon()), k);
            eprintln!("closed-form check ({n}, {e}): {err:.9} m");
            assert!(err < 0.01, "({n}, {e}): {err} m");
        }
        let p = etrs_tm35fin_to_wgs84(6_974_202.909, 534_246.773).unwrap();
        assert!((p.lat() - 62.89).abs() < 0.01 && (p.lon() - 27.67).abs() < 0.01);
    }

    #[test]
    fn tm35fin_rejects_degrees_and_swaps() {
        assert!(matches!(
            etrs_tm35fin_to_wgs84(62.89, 27.67),
            Err(CoordError::OutOfRange { .. })
        ));
        assert!(etrs_tm35fin_to_wgs84(534_246.773, 6_974_202.909).is_err());
        assert!(etrs_tm35fin_to_wgs84(f64::NAN, 1.0).is_err());
    }

    #[test]
    fn business_ids() {
        assert!(valid_business_id("0112038-9"));
        assert!(valid_business_id("1572860-0"));
        assert!(!valid_business_id("0112038-8"));
        assert!(!valid_business_id("112038-9"));
        assert!(!valid_business_id("0112038 9"));
    }

    #[test]
    fn timestamps() {
        assert!(parse_timestamp("2026-09-01").is_some());
        assert!(parse_timestamp("2020-07-29T08:30:04.835555").is_some());
        assert!(parse_timestamp("2022-05-20T07:30:29.200452Z").is_some());
        assert!(parse_timestamp("2022-05-20T07:30:29+03:00").is_some());
        assert!(parse_timestamp("eilen").is_none());
    }

    #[test]
    fn urls() {
        assert!(is_web_url("https://example.org/x"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("https://"));
        assert!(!is_web_url("ftp://x"));
    }
}
