//! How a record is written into the index's stored field.
//!
//! The import format's shape (a `type` tag beside flattened common fields, a location with a
//! flattened point) makes serde buffer every object before decoding it, and a search decodes a
//! stored record for every hit. The stored form nests the same fields instead, under an
//! external tag, and decodes in one pass. Used through `#[serde(with = "stored_form")]`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::geo::LatLon;
use crate::model::{Activity, Common, Localized, Location, Organisation, Record, Schedule};

// Lives only between a record and its JSON; boxing would add an allocation per hit.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
enum StoredRecord {
    #[serde(rename = "o")]
    Organisation(StoredOrganisation),
    #[serde(rename = "a")]
    Activity(StoredActivity),
}

#[derive(Serialize, Deserialize)]
struct StoredOrganisation {
    common: Common,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    business_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    municipalities: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    locations: Vec<StoredLocation>,
}

#[derive(Serialize, Deserialize)]
struct StoredActivity {
    common: Common,
    organisation_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<StoredLocation>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    online: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    municipalities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    schedule: Option<Schedule>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    free: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    registration_required: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    accessible: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredLocation {
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    name: Localized,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    post_office: Option<String>,
    municipality: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    point: Option<LatLon>,
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    accessibility: Localized,
}

/// Converts a field's value between the model and the stored form: as it is, or, for locations,
/// through their stored mirror.
trait Convert<T> {
    fn convert(self) -> T;
}

impl<T> Convert<T> for T {
    fn convert(self) -> T {
        self
    }
}

impl Convert<Option<StoredLocation>> for Option<Location> {
    fn convert(self) -> Option<StoredLocation> {
        self.map(Into::into)
    }
}

impl Convert<Option<Location>> for Option<StoredLocation> {
    fn convert(self) -> Option<Location> {
        self.map(Into::into)
    }
}

impl Convert<Vec<StoredLocation>> for Vec<Location> {
    fn convert(self) -> Vec<StoredLocation> {
        self.into_iter().map(Into::into).collect()
    }
}

impl Convert<Vec<Location>> for Vec<StoredLocation> {
    fn convert(self) -> Vec<Location> {
        self.into_iter().map(Into::into).collect()
    }
}

/// `From` both ways between a model type and its stored mirror, field by field. Both sides are
/// destructured whole, so a field added to either fails to compile until it is listed here.
macro_rules! mirror {
    ($model:ident <=> $stored:ident { $($field:ident),* $(,)? }) => {
        impl From<$model> for $stored {
            fn from(value: $model) -> Self {
                let $model { $($field),* } = value;
                $stored { $($field: Convert::convert($field)),* }
            }
        }

        impl From<$stored> for $model {
            fn from(value: $stored) -> Self {
                let $stored { $($field),* } = value;
                $model { $($field: Convert::convert($field)),* }
            }
        }
    };
}

mirror!(Location <=> StoredLocation {
    name,
    address,
    postal_code,
    post_office,
    municipality,
    point,
    accessibility,
});

mirror!(Organisation <=> StoredOrganisation {
    common,
    business_id,
    municipalities,
    locations,
});

mirror!(Activity <=> StoredActivity {
    common,
    organisation_id,
    kind,
    location,
    online,
    municipalities,
    schedule,
    free,
    registration_required,
    accessible,
});

/// Writes an organisation or activity in the stored form; a delete is never stored.
pub fn serialize<S: Serializer>(record: &Record, serializer: S) -> Result<S::Ok, S::Error> {
    let stored = match record.clone() {
        Record::Organisation(o) => StoredRecord::Organisation(o.into()),
        Record::Activity(a) => StoredRecord::Activity(a.into()),
        Record::Delete(_) => {
            return Err(serde::ser::Error::custom(
                "a delete is not a storable record",
            ));
        }
    };
    stored.serialize(serializer)
}

/// Reads a record written by [`serialize`].
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Record, D::Error> {
    Ok(match StoredRecord::deserialize(deserializer)? {
        StoredRecord::Organisation(o) => Record::Organisation(o.into()),
        StoredRecord::Activity(a) => Record::Activity(a.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::StoredDoc;
    use crate::model::{Delete, Lang, RecordType, Weekday, WeeklySlot};

    fn round_trip(record: &Record) -> Record {
        let doc = StoredDoc {
            record: record.clone(),
            organisation_name: None,
            point: None,
            point_is_approximate: false,
        };
        let json = serde_json::to_string(&doc).expect("stored form serialises");
        let back: StoredDoc = serde_json::from_str(&json).expect("stored form decodes");
        back.record
    }

    fn every_field_location() -> Location {
        Location {
            name: Localized::new().with(Lang::Fi, "Seurantalo"),
            address: Some("Kirkkokatu 1".into()),
            postal_code: Some("53100".into()),
            post_office: Some("Lappeenranta".into()),
            municipality: "405".into(),
            point: LatLon::new(61.058, 28.186).ok(),
            accessibility: Localized::new().with(Lang::Sv, "Hiss"),
        }
    }

    #[test]
    fn every_field_survives_the_stored_form() {
        let common = Common {
            id: "a:1".into(),
            name: Localized::new()
                .with(Lang::Fi, "Kuoro")
                .with(Lang::Sv, "Kör"),
            description: Localized::new().with(Lang::En, "A choir"),
            themes: vec!["culture".into()],
            target_groups: vec!["older_people".into()],
            languages: vec!["fi".into(), "sv".into()],
            plain_language: true,
            website: Some("https://example.fi".into()),
            email: Some("kuoro@example.fi".into()),
            phone: Some("+358401234567".into()),
            updated_at: Some("2026-01-02".into()),
            source: Some("test".into()),
            sources: vec!["ptv".into(), "linkedevents".into()],
        };
        let activity = Record::Activity(Activity {
            common: common.clone(),
            organisation_id: "o:1".into(),
            kind: Some("club".into()),
            location: Some(every_field_location()),
            online: true,
            municipalities: vec!["405".into(), "091".into()],
            schedule: Some(Schedule {
                text: Localized::new().with(Lang::Fi, "tiistaisin"),
                weekly: vec![WeeklySlot {
                    weekday: Weekday::Tue,
                    start: "17:00".into(),
                    end: "19:00".into(),
                }],
                start: Some("2026-09-01".into()),
                end: Some("2026-12-15".into()),
            }),
            free: true,
            registration_required: true,
            accessible: true,
        });
        let organisation = Record::Organisation(Organisation {
            common: Common {
                id: "o:1".into(),
                ..common
            },
            business_id: Some("1234567-1".into()),
            municipalities: vec!["405".into()],
            locations: vec![every_field_location(), Location::default()],
        });
        for record in [activity, organisation] {
            assert_eq!(round_trip(&record), record);
        }
    }

    #[test]
    fn a_delete_is_refused_not_stored() {
        let doc = StoredDoc {
            record: Record::Delete(Delete {
                id: "a:1".into(),
                of: RecordType::Activity,
            }),
            organisation_name: None,
            point: None,
            point_is_approximate: false,
        };
        assert!(serde_json::to_string(&doc).is_err());
    }
}
