//! The data model: organisations and activities as the import format v1 describes them.
//!
//! These types are the validated form. Raw input is checked by [`crate::validate`] and only then
//! turned into these structs, so code that holds a [`Record`] can trust its contents: ids are
//! well-formed, codes exist in the vocabularies, coordinates lie in Finland.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::geo::LatLon;

/// A language that localized text may be written in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Fi,
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Fi, Lang::Sv, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "fi" => Some(Lang::Fi),
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The order in which to look for a label when `self` is missing.
    pub fn fallback_order(self) -> [Lang; 3] {
        match self {
            Lang::Fi => [Lang::Fi, Lang::Sv, Lang::En],
            Lang::Sv => [Lang::Sv, Lang::Fi, Lang::En],
            Lang::En => [Lang::En, Lang::Fi, Lang::Sv],
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Text in one or more of fi/sv/en.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Localized(pub BTreeMap<Lang, String>);

impl Localized {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, lang: Lang, text: impl Into<String>) -> Self {
        self.0.insert(lang, text.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, lang: Lang) -> Option<&str> {
        self.0.get(&lang).map(String::as_str)
    }

    /// The text in `lang`, or in the first fallback language that has one, with the language used.
    pub fn pick(&self, lang: Lang) -> Option<(Lang, &str)> {
        lang.fallback_order()
            .into_iter()
            .find_map(|l| self.0.get(&l).map(|t| (l, t.as_str())))
    }

    pub fn iter(&self) -> impl Iterator<Item = (Lang, &str)> {
        self.0.iter().map(|(l, t)| (*l, t.as_str()))
    }
}

/// The kind of a record: what `type` says in the import format.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordType {
    Organisation,
    Activity,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Organisation => "organisation",
            RecordType::Activity => "activity",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "organisation" => Some(Self::Organisation),
            "activity" => Some(Self::Activity),
            _ => None,
        }
    }
}

/// A place: an office, a meeting room, a venue. Carries `lat` and `lon` (WGS84) when known.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Location {
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    pub name: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_office: Option<String>,
    /// Official 3-digit municipality code.
    pub municipality: String,
    /// `lat` and `lon` (WGS84), when known.
    #[serde(default, skip_serializing_if = "Option::is_none", flatten)]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub point: Option<LatLon>,
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    pub accessibility: Localized,
}

/// Weekday of a recurring slot.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "mon" => Self::Mon,
            "tue" => Self::Tue,
            "wed" => Self::Wed,
            "thu" => Self::Thu,
            "fri" => Self::Fri,
            "sat" => Self::Sat,
            "sun" => Self::Sun,
            _ => return None,
        })
    }
}

/// One weekly slot, e.g. Tuesdays 17:00-19:00.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklySlot {
    pub weekday: Weekday,
    /// `HH:MM`
    pub start: String,
    /// `HH:MM`
    pub end: String,
}

/// When an activity happens.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    pub text: Localized,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekly: Vec<WeeklySlot>,
    /// ISO 8601 date or date-time: a one-off event's start, or a season's first day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// Fields shared by organisations and activities.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Common {
    pub id: String,
    pub name: Localized,
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    pub description: Localized,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub themes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_groups: Vec<String>,
    /// ISO 639-1/639-3 codes the service is offered in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub plain_language: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// ISO 8601 date or date-time as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Every source this record was merged from (see the adapters); empty for plain imports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
}

/// An association or other organisation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Organisation {
    #[serde(flatten)]
    pub common: Common,
    /// Y-tunnus, `NNNNNNN-N`, check digit validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_id: Option<String>,
    /// Codes of the municipalities it serves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub municipalities: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

/// Something an organisation offers: a group, a club, a helpline, an event.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    #[serde(flatten)]
    pub common: Common,
    pub organisation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub online: bool,
    /// Where it is offered; when empty, the location's municipality (or national when online).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub municipalities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub free: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub registration_required: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accessible: bool,
}

/// A validated input record.
// Records are built once and moved, never copied in hot loops: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Record {
    Organisation(Organisation),
    Activity(Activity),
    /// Removes a record when applied as an update.
    Delete(Delete),
}

/// `{"type": "delete", "id": "...", "of": "activity"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delete {
    pub id: String,
    pub of: RecordType,
}

impl Record {
    pub fn id(&self) -> &str {
        match self {
            Record::Organisation(o) => &o.common.id,
            Record::Activity(a) => &a.common.id,
            Record::Delete(d) => &d.id,
        }
    }
}

impl Organisation {
    /// Municipalities it serves, including those of its locations, deduplicated.
    pub fn all_municipalities(&self) -> Vec<String> {
        let mut out = self.municipalities.clone();
        for loc in &self.locations {
            if !out.contains(&loc.municipality) {
                out.push(loc.municipality.clone());
            }
        }
        out
    }
}

impl Activity {
    /// Municipalities where it is offered; the location's when none are listed.
    /// Empty means national (online or phone with no area given).
    pub fn all_municipalities(&self) -> Vec<String> {
        let mut out = self.municipalities.clone();
        if let Some(loc) = &self.location
            && !out.contains(&loc.municipality)
        {
            out.push(loc.municipality.clone());
        }
        out
    }
}
