//! Turning a validated record into a tantivy document with every text view filled.

use serde::{Deserialize, Serialize};
use tantivy::TantivyDocument;

use crate::analysis::views::{self, DocTokens, Tokens};
use crate::geo::{LatLon, grid};
use crate::model::{Activity, Lang, Localized, Organisation, Record, RecordType};
use crate::reference::{Vocabulary, reference};
use crate::schema::Fields;

/// What the index stores per document: the record itself plus what a hit needs from elsewhere.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDoc {
    #[serde(with = "super::stored_form")]
    pub record: Record,
    /// The organisation's name, for an activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_name: Option<Localized>,
    /// The point used for distances: the record's own, or its municipality centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<LatLon>,
    /// True when `point` is a municipality centre.
    #[serde(default)]
    pub point_is_approximate: bool,
}

/// [`StoredDoc`] borrowing its parts, for writing: it serialises to the same JSON without
/// cloning the record.
#[derive(Serialize)]
struct StoredDocRef<'a> {
    #[serde(serialize_with = "serialize_record")]
    record: &'a Record,
    #[serde(skip_serializing_if = "Option::is_none")]
    organisation_name: Option<&'a Localized>,
    #[serde(skip_serializing_if = "Option::is_none")]
    point: Option<LatLon>,
    point_is_approximate: bool,
}

fn serialize_record<S: serde::Serializer>(record: &&Record, s: S) -> Result<S::Ok, S::Error> {
    super::stored_form::serialize(record, s)
}

/// Adds a view's tokens as one space-separated value; the schema's `whitespace` tokenizer
/// splits it again. (Pre-tokenized values would make tantivy serialise every token to JSON and
/// back, which cost a quarter of the build time.) Fields that keep a token once per document
/// ([`Fields::once_per_doc`]) get each token at its first place only.
fn add_tokens(
    doc: &mut TantivyDocument,
    fields: &Fields,
    field: tantivy::schema::Field,
    tokens: Tokens,
) {
    if tokens.is_empty() {
        return;
    }
    if fields.once_per_doc(field) {
        let mut seen = std::collections::HashSet::new();
        let unique: Vec<&str> = tokens.iter().filter(|t| seen.insert(*t)).collect();
        doc.add_text(field, unique.join(" "));
    } else {
        doc.add_text(field, tokens.into_string());
    }
}

/// Days since the Unix epoch of an ISO 8601 date or date-time (its date part).
pub fn day_number(iso: &str) -> Option<i64> {
    let date_part = iso.get(..10)?;
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(date_part, &fmt).ok()?;
    Some(i64::from(date.to_julian_day()) - 2_440_588)
}

struct Views {
    name: DocTokens,
    name_sv: Tokens,
    name_en: Tokens,
    text: DocTokens,
    text_sv: Tokens,
    text_en: Tokens,
    prefix: Vec<String>,
}

impl Views {
    fn new() -> Self {
        Views {
            name: DocTokens::default(),
            name_sv: Tokens::default(),
            name_en: Tokens::default(),
            text: DocTokens::default(),
            text_sv: Tokens::default(),
            text_en: Tokens::default(),
            prefix: Vec::new(),
        }
    }

    fn add_name(&mut self, names: &Localized) {
        for (lang, text) in names.iter() {
            views::add_prefixes(&mut self.prefix, text);
            match lang {
                Lang::Fi => self.name.add_finnish(text),
                Lang::Sv => {
                    views::add_swedish(&mut self.name_sv, text);
                    // Swedish names are also matched exactly and folded.
                    self.name.add_surface(text);
                }
                Lang::En => {
                    views::add_english(&mut self.name_en, text);
                    self.name.add_surface(text);
                }
            }
        }
    }

    fn add_text(&mut self, texts: &Localized) {
        for (lang, text) in texts.iter() {
            match lang {
                Lang::Fi => self.text.add_finnish(text),
                Lang::Sv => {
                    views::add_swedish(&mut self.text_sv, text);
                    self.text.add_surface(text);
                }
                Lang::En => {
                    views::add_english(&mut self.text_en, text);
                    self.text.add_surface(text);
                }
            }
        }
    }
}

/// The views of one vocabulary term's labels: the Finnish label analysed like text (for the tag
/// view), the Swedish and English labels stemmed (for those languages' text views).
#[derive(Debug, Default)]
struct LabelViews {
    fi: DocTokens,
    sv: Tokens,
    en: Tokens,
}

/// The label views of `code` in `vocab`, analysed on first use; `None` for an unknown code.
fn label_views(vocab: Vocabulary, code: &str) -> Option<&'static LabelViews> {
    type ByCode = std::collections::HashMap<String, LabelViews>;
    static VIEWS: std::sync::OnceLock<[ByCode; 3]> = std::sync::OnceLock::new();
    let slot = |v: Vocabulary| match v {
        Vocabulary::Theme => 0,
        Vocabulary::TargetGroup => 1,
        Vocabulary::ActivityKind => 2,
    };
    let all = VIEWS.get_or_init(|| {
        let r = reference();
        [
            Vocabulary::Theme,
            Vocabulary::TargetGroup,
            Vocabulary::ActivityKind,
        ]
        .map(|vocab| {
            r.vocabulary(vocab)
                .iter()
                .map(|term| {
                    let mut analysed = LabelViews::default();
                    for (lang, text) in term.label.iter() {
                        match lang {
                            Lang::Fi => analysed.fi.add_finnish(text),
                            Lang::Sv => views::add_swedish(&mut analysed.sv, text),
                            Lang::En => views::add_english(&mut analysed.en, text),
                        }
                    }
                    (term.code.clone(), analysed)
                })
                .collect()
        })
    });
    all[slot(vocab)].get(code)
}

/// Builds the tantivy document of a record, its stored field holding the [`StoredDoc`].
/// `organisation` is the owner of an activity, when known. `None` for a delete.
pub fn build_document(
    fields: &Fields,
    record: &Record,
    organisation: Option<&Organisation>,
) -> Option<TantivyDocument> {
    let r = reference();
    let mut doc = TantivyDocument::new();
    let mut v = Views::new();
    let (common, record_type, municipalities, location_points, national) = match record {
        Record::Organisation(o) => {
            let points: Vec<(LatLon, String)> = o
                .locations
                .iter()
                .filter_map(|l| l.point.map(|p| (p, l.municipality.clone())))
                .collect();
            let munis = o.all_municipalities();
            let national = munis.is_empty();
            (&o.common, RecordType::Organisation, munis, points, national)
        }
        Record::Activity(a) => {
            let points: Vec<(LatLon, String)> = a
                .location
                .iter()
                .filter_map(|l| l.point.map(|p| (p, l.municipality.clone())))
                .collect();
            let munis = a.all_municipalities();
            let national = munis.is_empty();
            (&a.common, RecordType::Activity, munis, points, national)
        }
        Record::Delete(_) => return None,
    };

    doc.add_text(fields.id, &common.id);
    doc.add_text(fields.record_type, record_type.as_str());
    v.add_name(&common.name);
    v.add_text(&common.description);

    let mut organisation_name = None;
    if let Record::Activity(a) = record {
        doc.add_text(fields.org_id, &a.organisation_id);
        if let Some(org) = organisation {
            // The organisation's name helps find its activities ("Martat" finds their clubs).
            v.add_text(&org.common.name);
            organisation_name = Some(&org.common.name);
        }
        if let Some(schedule) = &a.schedule {
            v.add_text(&schedule.text);
        }
        if let Some(loc) = &a.location {
            v.add_text(&loc.name);
        }
        if let Some(kind) = &a.kind {
            doc.add_text(fields.kind, kind);
        }
        doc.add_u64(fields.free, u64::from(a.free));
        doc.add_u64(fields.accessible, u64::from(a.accessible));
        doc.add_u64(fields.online, u64::from(a.online));
    } else {
        doc.add_u64(fields.free, 0);
        doc.add_u64(fields.accessible, 0);
        doc.add_u64(fields.online, 0);
    }
    if let Record::Organisation(o) = record {
        for loc in &o.locations {
            v.add_text(&loc.name);
        }
    }

    // Vocabulary labels in all languages, analysed like text, at their own weight. Each term's
    // labels are analysed once per process (`label_views`), not once per record.
    let mut tags = DocTokens::default();
    let mut add_labels = |vocab: Vocabulary, code: &str| {
        if let Some(labels) = label_views(vocab, code) {
            tags.extend(&labels.fi);
            v.text_sv.extend(&labels.sv);
            v.text_en.extend(&labels.en);
        }
    };
    for code in &common.themes {
        doc.add_text(fields.theme, code);
        add_labels(Vocabulary::Theme, code);
    }
    for code in &common.target_groups {
        doc.add_text(fields.target_group, code);
        add_labels(Vocabulary::TargetGroup, code);
    }
    if let Record::Activity(a) = record
        && let Some(kind) = a.kind.as_deref()
    {
        add_labels(Vocabulary::ActivityKind, kind);
    }
    for code in &common.languages {
        doc.add_text(fields.language, code);
    }
    doc.add_u64(fields.plain_language, u64::from(common.plain_language));

    let mut counties = Vec::new();
    for code in &municipalities {
        doc.add_text(fields.municipality, code);
        if let Some(m) = r.municipality(code)
            && !counties.contains(&m.county)
        {
            counties.push(m.county.clone());
        }
    }
    for c in &counties {
        doc.add_text(fields.county, c);
    }
    doc.add_u64(fields.national, u64::from(national));

    // The point: the first location's own, else the first municipality's centre.
    let (point, approximate) = match location_points.first() {
        Some((p, _)) => (Some(*p), false),
        None => (
            municipalities
                .first()
                .and_then(|c| r.municipality(c))
                .map(|m| m.centre),
            true,
        ),
    };
    if let Some(p) = point {
        doc.add_f64(fields.lat, p.lat());
        doc.add_f64(fields.lon, p.lon());
        doc.add_u64(fields.has_point, u64::from(!approximate));
        for t in grid::point_terms(p) {
            doc.add_text(fields.geo_cell, &t);
        }
    }
    doc.add_i64(
        fields.updated_day,
        common
            .updated_at
            .as_deref()
            .and_then(day_number)
            .unwrap_or(0),
    );

    // Name words count as text too, so a query word found in the name or the description
    // meets one field; the name fields add the name boost on top.
    let mut text = v.text;
    text.extend(&v.name);
    let mut sv = v.text_sv;
    sv.extend(&v.name_sv);
    let mut en = v.text_en;
    en.extend(&v.name_en);
    let mut prefix = v.prefix;
    prefix.sort_unstable();
    prefix.dedup();
    add_tokens(&mut doc, fields, fields.name_exact, v.name.exact);
    add_tokens(&mut doc, fields, fields.name_lemma, v.name.lemma);
    add_tokens(&mut doc, fields, fields.name_sv, v.name_sv);
    add_tokens(&mut doc, fields, fields.name_en, v.name_en);
    if !prefix.is_empty() {
        doc.add_text(fields.name_prefix, prefix.join(" "));
    }
    add_tokens(&mut doc, fields, fields.text_exact, text.exact);
    add_tokens(&mut doc, fields, fields.text_lemma, text.lemma);
    add_tokens(&mut doc, fields, fields.text_stem, text.stem);
    add_tokens(&mut doc, fields, fields.text_folded, text.folded);
    add_tokens(&mut doc, fields, fields.text_sv, sv);
    add_tokens(&mut doc, fields, fields.text_en, en);
    add_tokens(&mut doc, fields, fields.tags_lemma, tags.lemma);

    let stored = StoredDocRef {
        record,
        organisation_name,
        point,
        point_is_approximate: approximate,
    };
    let json = serde_json::to_string(&stored).ok()?;
    doc.add_text(fields.stored, json);
    Some(doc)
}

/// Reads the owner organisation of an activity record, if it is one.
pub fn activity_of(record: &Record) -> Option<&Activity> {
    match record {
        Record::Activity(a) => Some(a),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::build_schema;
    use crate::validate::parse_record;
    use tantivy::schema::Value;

    fn tokens(doc: &TantivyDocument, field: tantivy::schema::Field) -> Vec<String> {
        doc.get_all(field)
            .filter_map(|v| v.as_str().map(str::to_string))
            .flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect()
    }

    #[test]
    fn name_and_tag_views_hold_each_token_once() {
        let line = r#"{"type":"organisation","id":"t:1","name":{"fi":"Kuoro Kuoro Martat","sv":"Martat kör","en":"Martat choir"},"description":{"fi":"Kuoro laulaa. Kuoro harjoittelee."},"themes":["mental_health","peer_support"],"target_groups":["everyone"],"languages":["fi"]}"#;
        let record = parse_record(line).map(|v| v.record).unwrap_or_else(|e| {
            panic!("{e:?}");
        });
        let (_, fields) = build_schema();
        let doc = build_document(&fields, &record, None).expect("a document");
        for field in [
            fields.name_exact,
            fields.name_lemma,
            fields.name_sv,
            fields.name_en,
            fields.tags_lemma,
        ] {
            assert!(fields.once_per_doc(field));
            let t = tokens(&doc, field);
            let unique: std::collections::HashSet<&String> = t.iter().collect();
            assert_eq!(unique.len(), t.len(), "{t:?}");
        }
        assert_eq!(
            tokens(&doc, fields.name_exact)
                .iter()
                .filter(|t| *t == "martat")
                .count(),
            1
        );
        // Every name token is in the name's text view too: a name match is a text match.
        for name_view in [
            fields.name_exact,
            fields.name_lemma,
            fields.name_sv,
            fields.name_en,
        ] {
            let text_view = fields.text_view_of(name_view).expect("a text view");
            let text = tokens(&doc, text_view);
            for t in tokens(&doc, name_view) {
                assert!(text.contains(&t), "{t} is missing from the text view");
            }
        }
        assert_eq!(fields.text_view_of(fields.text_exact), None);
        // Descriptions keep their term frequencies.
        assert!(!fields.once_per_doc(fields.text_exact));
        let kuoro = tokens(&doc, fields.text_exact)
            .iter()
            .filter(|t| *t == "kuoro")
            .count();
        assert!(kuoro >= 3, "{kuoro}");
    }

    #[test]
    fn the_stored_field_is_the_stored_doc() {
        let org_line =
            r#"{"type":"organisation","id":"t:org","name":{"fi":"Martat","sv":"Martha"}}"#;
        let act_line = r#"{"type":"activity","id":"t:act","organisation_id":"t:org","name":{"fi":"Kerho"},"municipality":"091","location":{"address":"Katu 1","municipality":"091"}}"#;
        let parse = |line: &str| {
            parse_record(line)
                .map(|v| v.record)
                .unwrap_or_else(|e| panic!("{e:?}"))
        };
        let org = match parse(org_line) {
            Record::Organisation(o) => o,
            other => panic!("{other:?}"),
        };
        let activity = parse(act_line);
        let (_, fields) = build_schema();
        let doc = build_document(&fields, &activity, Some(&org)).expect("a document");
        let json = doc
            .get_first(fields.stored)
            .and_then(|v| v.as_str().map(str::to_string))
            .expect("a stored field");
        let centre = reference().municipality("091").map(|m| m.centre);
        let expected = StoredDoc {
            record: activity.clone(),
            organisation_name: Some(org.common.name.clone()),
            point: centre,
            point_is_approximate: true,
        };
        assert_eq!(json, serde_json::to_string(&expected).expect("json"));
        let back: StoredDoc = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back.organisation_name, expected.organisation_name);
        assert!(back.point_is_approximate);
    }
}
