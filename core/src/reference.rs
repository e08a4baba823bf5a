//! Reference data shipped in `data/`: municipalities, wellbeing services counties, postal code
//! areas and the controlled vocabularies (themes, target groups, activity kinds).
//!
//! Everything is compiled into the binary, so a fresh machine needs no files to start, and
//! loaded once on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

use crate::geo::LatLon;
use crate::model::{Lang, Localized};

const MUNICIPALITIES_CSV: &str = include_str!("../../data/reference/municipalities_2026.csv");
const COUNTIES_CSV: &str = include_str!("../../data/reference/wellbeing_services_counties.csv");
const POSTAL_CSV: &str = include_str!("../../data/reference/postal_code_areas_2025.csv");
const THEMES_CSV: &str = include_str!("../../data/vocabulary/themes.csv");
const TARGET_GROUPS_CSV: &str = include_str!("../../data/vocabulary/target_groups.csv");
const KINDS_CSV: &str = include_str!("../../data/vocabulary/activity_kinds.csv");

/// A municipality in force on 1 January 2026.
#[derive(Debug, Clone, Serialize)]
pub struct Municipality {
    /// Official 3-digit code, e.g. `091`.
    pub code: String,
    pub name: Localized,
    /// Wellbeing services county code (`01`-`21`, `90` Helsinki, `91` Åland).
    pub county: String,
    /// The municipal administrative centre.
    #[serde(skip)]
    pub centre: LatLon,
    pub lat: f64,
    pub lon: f64,
}

/// A wellbeing services county (or Helsinki / Åland).
#[derive(Debug, Clone, Serialize)]
pub struct County {
    pub code: String,
    pub name: Localized,
    pub municipalities: Vec<String>,
}

/// A postal code area.
#[derive(Debug, Clone)]
pub struct PostalArea {
    pub code: String,
    pub municipality: String,
    pub centre: LatLon,
}

/// A vocabulary entry with its labels.
#[derive(Debug, Clone, Serialize)]
pub struct Term {
    pub code: String,
    pub label: Localized,
}

/// Which controlled vocabulary a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vocabulary {
    Theme,
    TargetGroup,
    ActivityKind,
}

impl Vocabulary {
    pub fn name(self) -> &'static str {
        match self {
            Vocabulary::Theme => "theme",
            Vocabulary::TargetGroup => "target_group",
            Vocabulary::ActivityKind => "kind",
        }
    }
}

/// All reference data, loaded once.
#[derive(Debug)]
pub struct Reference {
    pub municipalities: Vec<Municipality>,
    pub counties: Vec<County>,
    pub themes: Vec<Term>,
    pub target_groups: Vec<Term>,
    pub kinds: Vec<Term>,
    municipality_by_code: HashMap<String, usize>,
    municipality_by_name: HashMap<String, usize>,
    county_by_code: HashMap<String, usize>,
    postal: HashMap<String, PostalArea>,
}

/// The shared reference data.
pub fn reference() -> &'static Reference {
    static REF: OnceLock<Reference> = OnceLock::new();
    REF.get_or_init(Reference::load)
}

fn rows(csv_text: &str) -> impl Iterator<Item = csv::StringRecord> + '_ {
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv_text.as_bytes())
        .into_records()
        .filter_map(Result::ok)
}

fn col<'a>(row: &'a csv::StringRecord, i: usize) -> &'a str {
    row.get(i).unwrap_or("")
}

fn terms(csv_text: &str) -> Vec<Term> {
    rows(csv_text)
        .map(|r| Term {
            code: col(&r, 0).to_string(),
            label: Localized::new()
                .with(Lang::Fi, col(&r, 1))
                .with(Lang::Sv, col(&r, 2))
                .with(Lang::En, col(&r, 3)),
        })
        .collect()
}

/// Lower-cases and NFC-normalises a name for lookups.
pub fn name_key(name: &str) -> String {
    crate::analysis::normalize(name.trim()).to_lowercase()
}

impl Reference {
    fn load() -> Reference {
        let mut municipalities = Vec::new();
        for r in rows(MUNICIPALITIES_CSV) {
            let lat = col(&r, 16).parse().unwrap_or(f64::NAN);
            let lon = col(&r, 17).parse().unwrap_or(f64::NAN);
            // The shipped file is checked by a unit test; a bad row is skipped, never a panic.
            let Ok(centre) = LatLon::new(lat, lon) else {
                continue;
            };
            municipalities.push(Municipality {
                code: col(&r, 0).to_string(),
                name: Localized::new()
                    .with(Lang::Fi, col(&r, 1))
                    .with(Lang::Sv, col(&r, 2))
                    .with(Lang::En, col(&r, 3)),
                county: col(&r, 7).to_string(),
                centre,
                lat,
                lon,
            });
        }
        let counties: Vec<County> = rows(COUNTIES_CSV)
            .map(|r| County {
                code: col(&r, 0).to_string(),
                name: Localized::new()
                    .with(Lang::Fi, col(&r, 1))
                    .with(Lang::Sv, col(&r, 2))
                    .with(Lang::En, col(&r, 3)),
                municipalities: col(&r, 6).split_whitespace().map(String::from).collect(),
            })
            .collect();
        let mut postal = HashMap::new();
        for r in rows(POSTAL_CSV) {
            let lat = col(&r, 7).parse().unwrap_or(f64::NAN);
            let lon = col(&r, 8).parse().unwrap_or(f64::NAN);
            if let Ok(centre) = LatLon::new(lat, lon) {
                postal.insert(
                    col(&r, 0).to_string(),
                    PostalArea {
                        code: col(&r, 0).to_string(),
                        municipality: col(&r, 3).to_string(),
                        centre,
                    },
                );
            }
        }
        let municipality_by_code = municipalities
            .iter()
            .enumerate()
            .map(|(i, m)| (m.code.clone(), i))
            .collect();
        let mut municipality_by_name = HashMap::new();
        for (i, m) in municipalities.iter().enumerate() {
            for (_, n) in m.name.iter() {
                municipality_by_name.entry(name_key(n)).or_insert(i);
            }
        }
        let county_by_code = counties
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        Reference {
            municipalities,
            counties,
            themes: terms(THEMES_CSV),
            target_groups: terms(TARGET_GROUPS_CSV),
            kinds: terms(KINDS_CSV),
            municipality_by_code,
            municipality_by_name,
            county_by_code,
            postal,
        }
    }

    pub fn municipality(&self, code: &str) -> Option<&Municipality> {
        self.municipality_by_code
            .get(code)
            .map(|&i| &self.municipalities[i])
    }

    /// Finds a municipality by its code or its fi/sv/en name (case-insensitive).
    pub fn resolve_municipality(&self, code_or_name: &str) -> Option<&Municipality> {
        let s = code_or_name.trim();
        if let Some(m) = self.municipality(s) {
            return Some(m);
        }
        self.municipality_by_name
            .get(&name_key(s))
            .map(|&i| &self.municipalities[i])
    }

    pub fn county(&self, code: &str) -> Option<&County> {
        self.county_by_code.get(code).map(|&i| &self.counties[i])
    }

    /// Finds a county by code or by fi/sv/en name (case-insensitive).
    pub fn resolve_county(&self, code_or_name: &str) -> Option<&County> {
        let s = code_or_name.trim();
        if let Some(c) = self.county(s) {
            return Some(c);
        }
        let key = name_key(s);
        self.counties
            .iter()
            .find(|c| c.name.iter().any(|(_, n)| name_key(n) == key))
    }

    pub fn postal_area(&self, code: &str) -> Option<&PostalArea> {
        self.postal.get(code)
    }

    pub fn vocabulary(&self, vocab: Vocabulary) -> &[Term] {
        match vocab {
            Vocabulary::Theme => &self.themes,
            Vocabulary::TargetGroup => &self.target_groups,
            Vocabulary::ActivityKind => &self.kinds,
        }
    }

    pub fn term(&self, vocab: Vocabulary, code: &str) -> Option<&Term> {
        self.vocabulary(vocab).iter().find(|t| t.code == code)
    }

    pub fn is_code(&self, vocab: Vocabulary, code: &str) -> bool {
        self.term(vocab, code).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_every_row() {
        let r = reference();
        assert_eq!(r.municipalities.len(), 308);
        assert_eq!(r.counties.len(), 23);
        assert_eq!(r.themes.len(), 25);
        assert_eq!(r.target_groups.len(), 15);
        assert_eq!(r.kinds.len(), 11);
        assert!(r.postal_area("00100").is_some());
    }

    #[test]
    fn resolves_names_in_both_languages() {
        let r = reference();
        assert_eq!(
            r.resolve_municipality("Åbo").map(|m| m.code.as_str()),
            Some("853")
        );
        assert_eq!(
            r.resolve_municipality("helsingfors")
                .map(|m| m.code.as_str()),
            Some("091")
        );
        assert_eq!(
            r.resolve_municipality("405").map(|m| m.county.as_str()),
            Some("11")
        );
        assert!(r.resolve_municipality("Atlantis").is_none());
    }
}
