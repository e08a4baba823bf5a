//! The peers Tarjotin is compared with: PostgreSQL full-text search + PostGIS, and SQLite FTS5.
//!
//! Both get the same flattened documents ([`PeerDoc`]) made from the same records, and answer the
//! same query shapes ([`PeerQuery`]). Each is used the way its documentation recommends; the
//! choices are listed in `BENCHMARKS.md`.

pub mod postgres;
pub mod sqlite;

use tarjotin_core::model::{Localized, Location, Record};
use tarjotin_core::reference::reference;

/// Errors of the peer engines and their setup.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("postgres: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Setup(String),
}

/// A record flattened into the columns a peer indexes.
#[derive(Debug, Clone)]
pub struct PeerDoc {
    pub id: String,
    pub record_type: &'static str,
    /// Names in every language, joined (weight A / highest bm25 weight).
    pub name: String,
    /// Descriptions in every language (weight B).
    pub description: String,
    /// Location names, addresses, post offices and the names of the municipalities (weight C).
    pub place: String,
    /// Labels of the themes, target groups and kind (weight D).
    pub tags: String,
    pub municipalities: Vec<String>,
    pub themes: Vec<String>,
    pub target_groups: Vec<String>,
    pub kind: Option<String>,
    pub free: bool,
    pub accessible: bool,
    pub online: bool,
    pub point: Option<(f64, f64)>,
    /// The record as JSON: what a service would return for a hit.
    pub json: String,
}

fn all_text(l: &Localized) -> String {
    l.iter().map(|(_, t)| t).collect::<Vec<_>>().join(" ")
}

fn push_location(out: &mut Vec<String>, loc: &Location) {
    let name = all_text(&loc.name);
    if !name.is_empty() {
        out.push(name);
    }
    out.extend(loc.address.iter().cloned());
    out.extend(loc.post_office.iter().cloned());
}

impl PeerDoc {
    /// Flattens an organisation or activity; deletions have no document.
    pub fn from_record(record: &Record) -> Result<Option<PeerDoc>, PeerError> {
        let r = reference();
        let json = serde_json::to_string(record)?;
        let (common, record_type, municipalities, locations, kind, free, accessible, online) =
            match record {
                Record::Organisation(o) => (
                    &o.common,
                    "organisation",
                    o.all_municipalities(),
                    o.locations.iter().collect::<Vec<_>>(),
                    None,
                    false,
                    false,
                    false,
                ),
                Record::Activity(a) => (
                    &a.common,
                    "activity",
                    a.all_municipalities(),
                    a.location.iter().collect(),
                    a.kind.clone(),
                    a.free,
                    a.accessible,
                    a.online,
                ),
                Record::Delete(_) => return Ok(None),
            };
        let mut place = Vec::new();
        for loc in &locations {
            push_location(&mut place, loc);
        }
        for code in &municipalities {
            if let Some(m) = r.municipality(code) {
                place.push(all_text(&m.name));
            }
        }
        let mut tags = Vec::new();
        for code in &common.themes {
            if let Some(t) = r.themes.iter().find(|t| &t.code == code) {
                tags.push(all_text(&t.label));
            }
        }
        for code in &common.target_groups {
            if let Some(t) = r.target_groups.iter().find(|t| &t.code == code) {
                tags.push(all_text(&t.label));
            }
        }
        if let Some(k) = &kind
            && let Some(t) = r.kinds.iter().find(|t| &t.code == k)
        {
            tags.push(all_text(&t.label));
        }
        let point = locations
            .iter()
            .find_map(|l| l.point)
            .map(|p| (p.lat(), p.lon()));
        Ok(Some(PeerDoc {
            id: common.id.clone(),
            record_type,
            name: all_text(&common.name),
            description: all_text(&common.description),
            place: place.join(" "),
            tags: tags.join(" "),
            municipalities,
            themes: common.themes.clone(),
            target_groups: common.target_groups.clone(),
            kind,
            free,
            accessible,
            online,
            point,
            json,
        }))
    }
}

/// Flattens every record.
pub fn peer_docs(records: &[Record]) -> Result<Vec<PeerDoc>, PeerError> {
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        if let Some(d) = PeerDoc::from_record(r)? {
            out.push(d);
        }
    }
    Ok(out)
}

/// Structured filters of a judged query, applied in SQL by the peers.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub municipalities: Vec<String>,
    pub target_groups: Vec<String>,
    pub themes: Vec<String>,
    pub kinds: Vec<String>,
    pub free: Option<bool>,
    pub accessible: Option<bool>,
    pub online: Option<bool>,
    /// (lat, lon, radius in km)
    pub near: Option<(f64, f64, f64)>,
}

impl Filters {
    /// The filters of a judged query. Counties and languages are not used by the dev queries;
    /// asking for them is an error rather than a silently ignored filter.
    pub fn of(q: &tarjotin_core::eval::JudgedQuery) -> Result<Filters, PeerError> {
        let p = &q.params;
        if !p.county.is_empty() || !p.language.is_empty() {
            return Err(PeerError::Setup(format!(
                "query {}: county and language filters are not mapped to the peers",
                q.id
            )));
        }
        Ok(Filters {
            municipalities: p.municipality.clone(),
            target_groups: p.target_group.clone(),
            themes: p.theme.clone(),
            kinds: p.kind.clone(),
            free: p.free,
            accessible: p.accessible,
            online: p.online,
            near: q
                .near
                .as_ref()
                .and_then(|n| n.radius_km.map(|r| (n.lat, n.lon, r))),
        })
    }
}

/// One request of a benchmark query class, in terms every engine understands.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum PeerQuery {
    /// Ranked text search, top 10 with the total count.
    Text(String),
    /// Ranked text search plus counts by theme, kind and municipality over all matches.
    TextFacets(String),
    /// Text within `radius_km` of a point, nearest first.
    TextRadius {
        q: String,
        lat: f64,
        lon: f64,
        radius_km: f64,
    },
    /// The 10 records nearest to a point, no text.
    Nearest { lat: f64, lon: f64 },
    /// Completions of what has been typed so far.
    Prefix(String),
    /// One record by id.
    Get(String),
}

/// Words of a query as the peers' query syntax sees them: letters and digits.
pub fn query_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}
