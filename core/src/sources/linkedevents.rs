//! Linked Events (JSON-LD, schema.org) → activities, with minimal publisher organisations.
//!
//! Input: the list envelope `{meta: {count, next, previous}, data: [...]}`, a bare array or a
//! single event. Ids become `le:<id>`; the publisher becomes the organisation `le:<publisher>`,
//! for which a minimal [`Organisation`] (named after the event's `provider`, else the publisher id)
//! is emitted once per batch.
//!
//! Rules:
//! - `deleted: true` → a [`Record::Delete`] of the activity.
//! - `event_status: EventCancelled` → [`Severity::Skipped`].
//! - A recurring super event (`super_event_type: recurring`) becomes one activity whose schedule
//!   `start`/`end` is the season; its sub events in the same batch are folded into it (not
//!   emitted). A sub event whose super event is not in the batch is imported on its own.
//! - Texts: fi/sv/en kept (others warned about), HTML turned into plain text by [`html_to_text`].
//! - `location`: an embedded place object, or an `{"@id": ...}` link looked up in the caller's
//!   [`Places`]; a place that cannot be found or placed in a municipality is a warning and the
//!   activity has no location. `is_virtualevent` or an `…:internet` place → `online`.
//! - `offers[].is_free` → `free`; `in_language` → languages; `audience_min_age`/`max_age` and
//!   `keywords`/`audience` (YSO ids, via `data/mappings/yso.csv`) → themes and target groups.
//! - `type_id` `Course` → kind `course`, `Volunteering` → `volunteering`, `General` → `event`,
//!   `Hobbies` → `exercise_group` when a physical-activity keyword is present, else `club`.
//!
//! [`sync`] pages through `meta.next` with a caller-supplied fetch closure, so this crate stays
//! HTTP-free and the pager is testable with a fake fetcher.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::ptv::{array_field, str_field};
use super::{
    Broken, Import, Report, Severity, SourceError, broken, clean_text, is_web_url,
    localized_from_pairs, truncate_chars, valid_id,
};
use crate::geo::LatLon;
use crate::model::{
    Activity, Common, Delete, Lang, Localized, Location, Organisation, Record, RecordType, Schedule,
};
use crate::reference::reference;

/// The `source` written on Linked Events records.
pub const SOURCE: &str = "linkedevents";

const YSO_CSV: &str = include_str!("../../../data/mappings/yso.csv");

/// Place objects by their `@id` URL or their `id` (e.g. `tprek:15417`).
pub type Places = HashMap<String, Value>;

/// What a YSO concept means for us (one row of `data/mappings/yso.csv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YsoConcept {
    pub label_fi: String,
    pub themes: Vec<String>,
    pub target_groups: Vec<String>,
}

/// The YSO mapping table, keyed by `yso:pNNNN`. Rows naming codes not in our vocabularies are
/// dropped (a unit test keeps the shipped file clean).
pub fn yso_mapping() -> &'static HashMap<String, YsoConcept> {
    static MAP: OnceLock<HashMap<String, YsoConcept>> = OnceLock::new();
    MAP.get_or_init(|| {
        let r = reference();
        let mut map = HashMap::new();
        let mut rdr = csv::ReaderBuilder::new().from_reader(YSO_CSV.as_bytes());
        for row in rdr.records().filter_map(Result::ok) {
            let split = |i: usize, vocab| -> Vec<String> {
                row.get(i)
                    .unwrap_or("")
                    .split('|')
                    .map(str::trim)
                    .filter(|c| !c.is_empty() && r.is_code(vocab, c))
                    .map(String::from)
                    .collect()
            };
            map.insert(
                row.get(0).unwrap_or("").trim().to_string(),
                YsoConcept {
                    label_fi: row.get(1).unwrap_or("").to_string(),
                    themes: split(2, crate::reference::Vocabulary::Theme),
                    target_groups: split(3, crate::reference::Vocabulary::TargetGroup),
                },
            );
        }
        map
    })
}

/// Plain text of an HTML fragment: text kept, entities decoded, `script`/`style`/`template`
/// content dropped, block elements and `<br>` separated by line breaks, whitespace collapsed.
/// Never fails; anything that is not markup is kept as text.
pub fn html_to_text(html: &str) -> String {
    const BLOCKS: &[&str] = &[
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "blockquote",
        "pre",
        "hr",
        "dd",
        "dt",
    ];
    const DROPPED: &[&str] = &[
        "script", "style", "template", "noscript", "iframe", "object", "svg", "math", "head",
        "title",
    ];
    let doc = scraper::Html::parse_fragment(html);
    let mut raw = String::new();
    // Iterative walk: deeply nested input cannot overflow the stack.
    let mut stack = vec![Some(doc.tree.root())];
    while let Some(item) = stack.pop() {
        let Some(node) = item else {
            raw.push('\n');
            continue;
        };
        match node.value() {
            scraper::Node::Text(t) => raw.push_str(t),
            scraper::Node::Element(e) => {
                let name = e.name();
                if DROPPED.contains(&name) {
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if block {
                    raw.push('\n');
                    stack.push(None);
                }
                stack.extend(node.children().rev().map(Some));
            }
            _ => stack.extend(node.children().rev().map(Some)),
        }
    }
    raw.lines()
        .filter_map(clean_text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The next page URL of a list envelope (`meta.next`), if any.
pub fn next_page(envelope: &Value) -> Option<String> {
    envelope
        .get("meta")?
        .get("next")?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// Parses one Linked Events document (envelope, array or single event) from `origin`.
pub fn parse(json: &str, origin: &str, places: &Places) -> Result<Import, SourceError> {
    let doc = parse_json(json, origin)?;
    let events = events_of(&doc, origin)?;
    Ok(convert(&events, places))
}

/// Like [`parse`], on an already parsed document.
pub fn parse_value(doc: &Value, origin: &str, places: &Places) -> Result<Import, SourceError> {
    let events = events_of(doc, origin)?;
    Ok(convert(&events, places))
}

/// Reads place objects (an envelope, an array or one place) into a [`Places`] map keyed by both
/// `@id` and `id`.
pub fn places_from_json(json: &str, origin: &str) -> Result<Places, SourceError> {
    let doc = parse_json(json, origin)?;
    let mut places = Places::new();
    let list: Vec<&Value> = match &doc {
        Value::Object(o) => match o.get("data") {
            Some(Value::Array(a)) => a.iter().collect(),
            _ => vec![&doc],
        },
        Value::Array(a) => a.iter().collect(),
        _ => {
            return Err(SourceError::Shape {
                origin: origin.to_string(),
                message: "expected place objects".into(),
            });
        }
    };
    for p in list {
        for key in ["@id", "id"] {
            if let Some(k) = p.get(key).and_then(Value::as_str) {
                places.insert(k.to_string(), p.clone());
            }
        }
    }
    Ok(places)
}

/// Pages through a Linked Events list from `start_url` (with `last_modified_since=<since>`
/// appended when given), following `meta.next`, and converts every event of every page as one
/// batch (so recurring series fold across pages).
///
/// `fetch` returns a page body for a URL. Stops with an error on the first failed fetch, a page
/// that is not a list envelope, a `next` link to another host, a repeated URL or more than
/// `max_pages` pages; nothing is returned then, so a caller never publishes half a sync.
pub fn sync<E: fmt::Display>(
    start_url: &str,
    since: Option<&str>,
    places: &Places,
    max_pages: usize,
    mut fetch: impl FnMut(&str) -> Result<String, E>,
) -> Result<Import, SourceError> {
    let mut url = match since {
        Some(ts) => with_query(start_url, "last_modified_since", ts),
        None => start_url.to_string(),
    };
    let home = url_origin(start_url).ok_or_else(|| SourceError::Paging {
        page: 0,
        message: format!("not an http(s) URL: {start_url:?}"),
    })?;
    let mut seen = HashSet::new();
    let mut pages: Vec<(String, Value)> = Vec::new();
    for page in 1.. {
        if page > max_pages {
            return Err(SourceError::Paging {
                page,
                message: format!(
                    "more than {max_pages} pages; raise the limit or narrow the query"
                ),
            });
        }
        if !seen.insert(url.clone()) {
            return Err(SourceError::Paging {
                page,
                message: format!("meta.next points back to an already fetched page: {url}"),
            });
        }
        let body = fetch(&url).map_err(|e| SourceError::Fetch {
            url: url.clone(),
            page,
            message: e.to_string(),
        })?;
        let doc = parse_json(&body, &url)?;
        if !matches!(doc.get("data"), Some(Value::Array(_))) {
            return Err(SourceError::Shape {
                origin: url,
                message: "not a list envelope {meta, data: [...]}".into(),
            });
        }
        let next = next_page(&doc);
        pages.push((url, doc));
        match next {
            None => break,
            Some(n) => {
                if url_origin(&n).as_deref() != Some(home.as_str()) {
                    return Err(SourceError::Paging {
                        page,
                        message: format!("meta.next leaves {home}: {n}"),
                    });
                }
                url = n;
            }
        }
    }
    let mut events = Vec::new();
    for (url, doc) in &pages {
        events.extend(events_of(doc, url)?);
    }
    Ok(convert(&events, places))
}

fn parse_json(json: &str, origin: &str) -> Result<Value, SourceError> {
    let json = json.strip_prefix('\u{feff}').unwrap_or(json);
    serde_json::from_str(json).map_err(|source| SourceError::Json {
        origin: origin.to_string(),
        source,
    })
}

/// `scheme://host[:port]` of an http(s) URL, lowercased.
fn url_origin(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| format!("{scheme}://{host}"))
}

fn with_query(url: &str, key: &str, value: &str) -> String {
    let mut enc = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            enc.push(char::from(b));
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={enc}")
}

struct Event<'a> {
    origin: String,
    path: String,
    value: &'a Value,
}

fn events_of<'a>(doc: &'a Value, origin: &str) -> Result<Vec<Event<'a>>, SourceError> {
    let ev = |path: String, value| Event {
        origin: origin.to_string(),
        path,
        value,
    };
    match doc {
        Value::Object(o) if o.contains_key("data") => match o.get("data") {
            Some(Value::Array(a)) => Ok(a
                .iter()
                .enumerate()
                .map(|(i, v)| ev(format!("data[{i}]"), v))
                .collect()),
            _ => Err(SourceError::Shape {
                origin: origin.to_string(),
                message: "data: expected an array".into(),
            }),
        },
        Value::Object(_) => Ok(vec![ev("$".into(), doc)]),
        Value::Array(a) => Ok(a
            .iter()
            .enumerate()
            .map(|(i, v)| ev(format!("[{i}]"), v))
            .collect()),
        _ => Err(SourceError::Shape {
            origin: origin.to_string(),
            message: "expected an event list {meta, data: [...]}, an array or an event".into(),
        }),
    }
}

/// The id in a JSON-LD link `{"@id": ".../event/turku:991415/"}` (last path segment), or the
/// `id` of an embedded object.
fn linked_id(v: &Value) -> Option<String> {
    let o = v.as_object()?;
    if let Some(Value::String(id)) = o.get("id") {
        return Some(id.clone());
    }
    let url = o.get("@id")?.as_str()?;
    let path = url.split(['?', '#']).next()?;
    path.rsplit('/').find(|s| !s.is_empty()).map(String::from)
}

fn convert(events: &[Event], places: &Places) -> Import {
    // Recurring super events present in this batch: their sub events fold into them.
    let recurring: HashSet<String> = events
        .iter()
        .filter_map(|e| {
            let o = e.value.as_object()?;
            (o.get("super_event_type")?.as_str()? == "recurring"
                && o.get("deleted") != Some(&Value::Bool(true)))
            .then(|| o.get("id")?.as_str().map(String::from))?
        })
        .collect();
    let mut import = Import::default();
    let mut publishers: BTreeMap<String, Localized> = BTreeMap::new();
    let mut emitted: HashSet<String> = HashSet::new();
    for e in events {
        let mut rep = Report::new(&e.origin);
        match convert_event(e, places, &recurring, &mut rep) {
            Ok(Some((record, publisher))) => {
                if let Some((id, name)) = publisher {
                    publishers.entry(id).or_insert(name);
                }
                if emitted.insert(format!("{:?}:{}", kind_of(&record), record.id())) {
                    import.records.push(record);
                } else {
                    rep.warn(
                        &e.path,
                        format!("duplicate of {}; later copy ignored", record.id()),
                    );
                }
            }
            Ok(None) => {}
            Err(b) => rep.push(&b.path, Severity::Error, b.message),
        }
        import.problems.extend(rep.problems);
    }
    for (publisher, name) in publishers {
        let id = format!("le:{publisher}");
        import.records.push(Record::Organisation(Organisation {
            common: Common {
                id: id.clone(),
                name,
                source: Some(SOURCE.to_string()),
                sources: vec![id],
                ..Common::default()
            },
            ..Organisation::default()
        }));
    }
    import
}

fn kind_of(r: &Record) -> &'static str {
    match r {
        Record::Organisation(_) => "organisation",
        Record::Activity(_) => "activity",
        Record::Delete(_) => "delete",
    }
}

type Converted = (Record, Option<(String, Localized)>);

fn localized(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    max: usize,
    ignored: &mut Vec<String>,
) -> Result<Localized, Broken> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Localized::new()),
        Some(Value::Object(m)) => {
            let mut pairs = Vec::new();
            for (lang, v) in m {
                match v {
                    Value::String(s) => {
                        let text = html_to_text(s);
                        if !text.is_empty() {
                            pairs.push((lang.as_str(), truncate_chars(text, max)));
                        }
                    }
                    Value::Null => {}
                    _ => {
                        return Err(broken(format!("{path}.{key}.{lang}"), "expected a string"));
                    }
                }
            }
            let (loc, ign) = localized_from_pairs(pairs);
            for l in ign {
                if !ignored.contains(&l) {
                    ignored.push(l);
                }
            }
            Ok(loc)
        }
        Some(_) => Err(broken(
            format!("{path}.{key}"),
            "expected an object of language -> text",
        )),
    }
}

fn convert_event(
    e: &Event,
    places: &Places,
    recurring: &HashSet<String>,
    rep: &mut Report,
) -> Result<Option<Converted>, Broken> {
    let path = e.path.as_str();
    let o = e
        .value
        .as_object()
        .ok_or_else(|| broken(path, "expected an event object"))?;
    let raw_id =
        str_field(o, "id", path)?.ok_or_else(|| broken(format!("{path}.id"), "missing"))?;
    let id = format!("le:{}", raw_id.trim());
    if !valid_id(&id) {
        return Err(broken(
            format!("{path}.id"),
            format!("not a valid id: {raw_id:?}"),
        ));
    }
    if o.get("deleted") == Some(&Value::Bool(true)) {
        return Ok(Some((
            Record::Delete(Delete {
                id,
                of: RecordType::Activity,
            }),
            None,
        )));
    }
    if str_field(o, "event_status", path)? == Some("EventCancelled") {
        rep.push(
            &format!("{path}.event_status"),
            Severity::Skipped,
            format!("{id} is cancelled"),
        );
        return Ok(None);
    }
    if let Some(sup) = o.get("super_event").and_then(linked_id)
        && recurring.contains(&sup)
    {
        // Folded into its recurring super event, which carries the season.
        return Ok(None);
    }
    let publisher = str_field(o, "publisher", path)?
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| broken(format!("{path}.publisher"), "missing"))?;
    let organisation_id = format!("le:{publisher}");
    if !valid_id(&organisation_id) {
        return Err(broken(
            format!("{path}.publisher"),
            format!("not a valid id: {publisher:?}"),
        ));
    }
    let mut ignored = Vec::new();
    let name = localized(o, "name", path, 300, &mut ignored)?;
    if name.is_empty() {
        return Err(broken(format!("{path}.name"), "no name in fi, sv or en"));
    }
    let mut description = localized(o, "description", path, 20_000, &mut ignored)?;
    let short = localized(o, "short_description", path, 20_000, &mut ignored)?;
    for (l, t) in short.0 {
        description.0.entry(l).or_insert(t);
    }
    let provider = localized(o, "provider", path, 300, &mut ignored)?;
    let info = localized(o, "info_url", path, 2000, &mut ignored)?;
    let website = Lang::ALL
        .iter()
        .filter_map(|l| info.get(*l))
        .find(|u| is_web_url(u))
        .map(String::from);
    if website.is_none() && !info.is_empty() {
        rep.warn(&format!("{path}.info_url"), "no http(s) URL; dropped");
    }

    let mut themes: Vec<String> = Vec::new();
    let mut target_groups: Vec<String> = Vec::new();
    let yso = yso_mapping();
    for key in ["keywords", "audience"] {
        for (i, k) in array_field(o, key, path)?.iter().enumerate() {
            let kid = linked_id(k)
                .ok_or_else(|| broken(format!("{path}.{key}[{i}]"), "expected {\"@id\": url}"))?;
            if let Some(c) = yso.get(&kid) {
                push_all(&mut themes, &c.themes);
                push_all(&mut target_groups, &c.target_groups);
            }
        }
    }
    let age = |key: &str| -> Result<Option<u64>, Broken> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| broken(format!("{path}.{key}"), "expected a whole number of years")),
        }
    };
    let (min_age, max_age) = (age("audience_min_age")?, age("audience_max_age")?);
    push_all(&mut target_groups, &age_groups(min_age, max_age));

    let mut languages = Vec::new();
    for (i, l) in array_field(o, "in_language", path)?.iter().enumerate() {
        match linked_id(l) {
            Some(code) => {
                let code = code
                    .split(['_', '-'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) {
                    if !languages.contains(&code) {
                        languages.push(code);
                    }
                } else {
                    rep.warn(
                        &format!("{path}.in_language[{i}]"),
                        "not a language code; ignored",
                    );
                }
            }
            None => rep.warn(
                &format!("{path}.in_language[{i}]"),
                "not a language link; ignored",
            ),
        }
    }
    let mut free = false;
    for (i, offer) in array_field(o, "offers", path)?.iter().enumerate() {
        match offer.get("is_free") {
            Some(Value::Bool(b)) => free |= *b,
            None | Some(Value::Null) => {}
            Some(_) => {
                return Err(broken(
                    format!("{path}.offers[{i}].is_free"),
                    "expected true or false",
                ));
            }
        }
    }
    let mut online = o.get("is_virtualevent") == Some(&Value::Bool(true));
    let location = match o.get("location") {
        None | Some(Value::Null) => None,
        Some(loc) => {
            let lp = format!("{path}.location");
            let lid = linked_id(loc);
            if lid.as_deref().is_some_and(|i| i.ends_with(":internet")) {
                online = true;
                None
            } else {
                let place = if loc.get("name").is_some() || loc.get("position").is_some() {
                    Some(loc)
                } else {
                    let url = loc.get("@id").and_then(Value::as_str);
                    url.and_then(|u| places.get(u))
                        .or_else(|| lid.as_deref().and_then(|i| places.get(i)))
                };
                match place {
                    Some(p) => place_location(p, &lp, rep),
                    None => {
                        rep.warn(
                            &lp,
                            format!(
                                "place {} is neither embedded nor in the place lookup; no location",
                                lid.unwrap_or_else(|| "?".into())
                            ),
                        );
                        None
                    }
                }
            }
        }
    };
    let ts = |key: &str| -> Result<Option<String>, Broken> {
        match str_field(o, key, path)? {
            Some(t) if super::parse_timestamp(t).is_some() => Ok(Some(t.trim().to_string())),
            Some(t) => Err(broken(
                format!("{path}.{key}"),
                format!("not an ISO 8601 date-time: {t:?}"),
            )),
            None => Ok(None),
        }
    };
    let (start, end) = (ts("start_time")?, ts("end_time")?);
    let updated_at = ts("last_modified_time")?;
    let schedule = (start.is_some() || end.is_some()).then(|| Schedule {
        start,
        end,
        ..Schedule::default()
    });
    let kind = match str_field(o, "type_id", path)? {
        Some("Course") => Some("course"),
        Some("Volunteering") => Some("volunteering"),
        Some("General") | None => Some("event"),
        Some("Hobbies") if themes.iter().any(|t| t == "physical_activity") => {
            Some("exercise_group")
        }
        Some("Hobbies") => Some("club"),
        Some(_) => None,
    }
    .map(String::from);
    let registration_required = ["enrolment_url", "enrolment_start_time"]
        .iter()
        .any(|k| matches!(o.get(*k), Some(Value::String(s)) if !s.trim().is_empty()));
    if !ignored.is_empty() {
        rep.warn(
            path,
            format!(
                "text in unsupported languages {} ignored (fi, sv and en are kept)",
                ignored.join(", ")
            ),
        );
    }
    let org_name = if provider.is_empty() {
        Localized::new().with(Lang::Fi, publisher)
    } else {
        provider
    };
    let municipalities = location
        .as_ref()
        .map(|l: &Location| vec![l.municipality.clone()])
        .unwrap_or_default();
    let activity = Activity {
        common: Common {
            id: id.clone(),
            name,
            description,
            themes,
            target_groups,
            languages,
            website,
            updated_at,
            source: Some(SOURCE.to_string()),
            sources: vec![id],
            ..Common::default()
        },
        organisation_id,
        kind,
        location,
        online,
        municipalities,
        schedule,
        free,
        registration_required,
        ..Activity::default()
    };
    Ok(Some((
        Record::Activity(activity),
        Some((publisher.to_string(), org_name)),
    )))
}

fn push_all(out: &mut Vec<String>, items: &[String]) {
    for i in items {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
}

/// Target groups implied by an age range. Open-ended ranges imply nothing except `min >= 63`
/// (older people). `max <= 12` → children; `min >= 13, max <= 29` → youth; a range from under 13
/// to 13-17 → children and youth.
pub fn age_groups(min: Option<u64>, max: Option<u64>) -> Vec<String> {
    let mut out = Vec::new();
    let lo = min.unwrap_or(0);
    if let Some(hi) = max {
        if hi <= 12 {
            out.push("children".to_string());
        } else if hi <= 17 && lo < 13 {
            out.push("children".to_string());
            out.push("youth".to_string());
        } else if hi <= 29 && lo >= 13 {
            out.push("youth".to_string());
        }
    }
    if lo >= 63 {
        out.push("older_people".to_string());
    }
    out
}

fn pick_map(v: Option<&Value>) -> Option<String> {
    let m = v?.as_object()?;
    ["fi", "sv", "en"]
        .iter()
        .find_map(|l| m.get(*l)?.as_str().and_then(clean_text))
}

/// A place object → a location; `None` (with a warning) when no municipality can be found.
fn place_location(p: &Value, lp: &str, rep: &mut Report) -> Option<Location> {
    let r = reference();
    let name = p
        .get("name")
        .and_then(Value::as_object)
        .map(|m| {
            localized_from_pairs(
                m.iter()
                    .filter_map(|(l, v)| v.as_str().and_then(clean_text).map(|t| (l.as_str(), t))),
            )
            .0
        })
        .unwrap_or_default();
    let address = pick_map(p.get("street_address"));
    let post_office = pick_map(p.get("address_locality"));
    let postal_code = p
        .get("postal_code")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|pc| pc.len() == 5 && pc.bytes().all(|b| b.is_ascii_digit()))
        .map(String::from);
    let mut municipality = None;
    if let Some(Value::Array(divs)) = p.get("divisions") {
        for d in divs {
            if d.get("type").and_then(Value::as_str) != Some("muni") {
                continue;
            }
            let by_name = pick_map(d.get("name"));
            let by_ocd = d
                .get("ocd_id")
                .and_then(Value::as_str)
                .and_then(|s| s.rsplit_once("kunta:"))
                .map(|(_, n)| n.to_string());
            municipality = by_name
                .iter()
                .chain(by_ocd.iter())
                .find_map(|n| r.resolve_municipality(n))
                .map(|m| m.code.clone());
            if municipality.is_some() {
                break;
            }
        }
    }
    if municipality.is_none()
        && let Some(Value::Object(m)) = p.get("address_locality")
    {
        municipality = m
            .values()
            .filter_map(Value::as_str)
            .find_map(|n| r.resolve_municipality(n))
            .map(|m| m.code.clone());
    }
    if municipality.is_none() {
        municipality = postal_code
            .as_deref()
            .and_then(|pc| r.postal_area(pc))
            .map(|a| a.municipality.clone());
    }
    let Some(municipality) = municipality else {
        rep.warn(lp, "place has no recognisable municipality (divisions, address_locality, postal_code); no location");
        return None;
    };
    let point = match p.get("position") {
        None | Some(Value::Null) => None,
        Some(pos) => {
            let c = pos.get("coordinates").and_then(Value::as_array);
            let lon = c.and_then(|c| c.first()).and_then(Value::as_f64);
            let lat = c.and_then(|c| c.get(1)).and_then(Value::as_f64);
            match (lat, lon) {
                (Some(lat), Some(lon)) => match LatLon::in_finland(lat, lon) {
                    Ok(pt) => Some(pt),
                    Err(err) => {
                        rep.warn(
                            &format!("{lp}.position"),
                            format!("{err}; coordinates dropped"),
                        );
                        None
                    }
                },
                _ => {
                    rep.warn(
                        &format!("{lp}.position"),
                        "expected GeoJSON {\"type\": \"Point\", \"coordinates\": [lon, lat]}; coordinates dropped",
                    );
                    None
                }
            }
        }
    };
    Some(Location {
        name,
        address,
        postal_code,
        post_office,
        municipality,
        point,
        ..Location::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SAMPLE: &str =
        include_str!("../../../data/formats/linkedevents/turku_event_list_sample.json");

    fn sample() -> Value {
        serde_json::from_str(SAMPLE).unwrap()
    }

    fn event(f: impl FnOnce(&mut Map<String, Value>)) -> Import {
        let mut doc = sample();
        f(doc["data"][0].as_object_mut().unwrap());
        parse_value(&doc, "le.json", &Places::new()).unwrap()
    }

    fn activity(i: &Import) -> &Activity {
        i.records
            .iter()
            .find_map(|r| match r {
                Record::Activity(a) => Some(a),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no activity: {:?}", i.problems))
    }

    fn has(import: &Import, sev: Severity, needle: &str) -> bool {
        import
            .problems
            .iter()
            .any(|p| p.severity == sev && p.to_string().contains(needle))
    }

    fn place() -> Value {
        json!({
            "id": "tprek:8100",
            "@id": "https://linkedevents-api.turku.fi/v1/place/tprek:8100/",
            "name": {"fi": "Kupittaan maauimala", "sv": "Kuppis friluftsbad"},
            "street_address": {"fi": "Blombergin aukio 12"},
            "address_locality": {"fi": "Turku", "sv": "Åbo"},
            "postal_code": "20520",
            "position": {"type": "Point", "coordinates": [22.2909, 60.4482]},
            "divisions": [{"type": "muni", "ocd_id": "ocd-division/country:fi/kunta:turku", "name": {"fi": "Turku"}}]
        })
    }

    #[test]
    fn sample_event_becomes_activity_and_publisher() {
        let import = parse(SAMPLE, "le.json", &Places::new()).unwrap();
        assert_eq!(import.error_count(), 0, "{:?}", import.problems);
        let a = activity(&import);
        assert_eq!(a.common.id, "le:turku:991417");
        assert_eq!(a.organisation_id, "le:turku:853");
        assert_eq!(a.common.name.get(Lang::Fi), Some("Kesäillan vesijumppa"));
        assert!(
            a.common
                .description
                .get(Lang::Fi)
                .unwrap()
                .starts_with("Reipas vesijumppa")
        );
        assert_eq!(a.common.languages, ["fi"]);
        assert!(!a.free);
        assert_eq!(a.kind.as_deref(), Some("club"));
        let s = a.schedule.as_ref().unwrap();
        assert_eq!(s.start.as_deref(), Some("2022-06-14T16:30:00Z"));
        assert_eq!(s.end.as_deref(), Some("2022-06-14T17:15:00Z"));
        assert!(
            a.common
                .website
                .as_deref()
                .unwrap()
                .starts_with("https://www.turku.fi/")
        );
        let org = import
            .records
            .iter()
            .find_map(|r| match r {
                Record::Organisation(o) => Some(o),
                _ => None,
            })
            .unwrap();
        assert_eq!(org.common.id, "le:turku:853");
        assert_eq!(
            org.common.name.get(Lang::Fi),
            Some("Turun kaupungin liikuntapalvelut")
        );
        assert_eq!(
            next_page(&sample()).as_deref(),
            Some(
                "https://linkedevents-api.turku.fi/v1/event/?last_modified_since=2022-05-15&page=2"
            )
        );
    }

    #[test]
    fn html_is_stripped_safely() {
        assert_eq!(
            html_to_text(
                "<p>Tervetuloa &amp; <b>mukaan</b>!</p><script>alert('x')</script><style>p{}</style><p>Toinen&nbsp;kappale</p>"
            ),
            "Tervetuloa & mukaan!\nToinen kappale"
        );
        assert_eq!(html_to_text("a<br>b"), "a\nb");
        assert_eq!(html_to_text("<img src=x onerror=alert(1)>"), "");
        assert_eq!(html_to_text("1 < 2 &lt; 3"), "1 < 2 < 3");
        let deep = "<div>".repeat(20_000) + "x";
        assert_eq!(html_to_text(&deep), "x");
    }

    #[test]
    fn place_keywords_ages_and_offers() {
        let mut places = Places::new();
        places.insert(
            "https://linkedevents-api.turku.fi/v1/place/tprek:8100/".into(),
            place(),
        );
        let mut doc = sample();
        let ev = doc["data"][0].as_object_mut().unwrap();
        ev.insert(
            "location".into(),
            json!({"@id": "https://linkedevents-api.turku.fi/v1/place/tprek:8100/"}),
        );
        ev.insert("keywords".into(), json!([{"@id": "https://x/v1/keyword/yso:p6433/"}, {"@id": "https://x/v1/keyword/yso:p99999999/"}]));
        ev.insert(
            "audience".into(),
            json!([{"@id": "https://x/v1/keyword/yso:p2433/"}]),
        );
        ev.insert("audience_min_age".into(), json!(65));
        ev.insert("offers".into(), json!([{"is_free": true}]));
        ev.insert(
            "in_language".into(),
            json!([{"@id": "https://x/v1/language/fi/"}, {"@id": "https://x/v1/language/sv/"}]),
        );
        ev.insert("enrolment_url".into(), json!("https://example.org/ilmo"));
        let import = parse_value(&doc, "le.json", &places).unwrap();
        let a = activity(&import);
        let loc = a.location.as_ref().unwrap();
        assert_eq!(loc.municipality, "853");
        assert_eq!(loc.address.as_deref(), Some("Blombergin aukio 12"));
        assert!((loc.point.unwrap().lat() - 60.4482).abs() < 1e-9);
        assert_eq!(a.municipalities, ["853"]);
        assert_eq!(a.common.themes, ["physical_activity"]);
        assert_eq!(a.common.target_groups, ["older_people"]);
        assert_eq!(a.kind.as_deref(), Some("exercise_group"));
        assert!(a.free && a.registration_required);
        assert_eq!(a.common.languages, ["fi", "sv"]);

        // Embedded place, and an unknown link.
        let import = event(|e| {
            e.insert("location".into(), place());
        });
        assert_eq!(
            activity(&import).location.as_ref().unwrap().municipality,
            "853"
        );
        let import = event(|e| {
            e.insert(
                "location".into(),
                json!({"@id": "https://x/v1/place/tprek:1/"}),
            );
        });
        assert!(activity(&import).location.is_none());
        assert!(has(
            &import,
            Severity::Warning,
            "tprek:1 is neither embedded nor in the place lookup"
        ));
        // Bad coordinates drop the point only.
        let import = event(|e| {
            let mut p = place();
            p["position"]["coordinates"] = json!([60.4482, 22.2909]);
            e.insert("location".into(), p);
        });
        assert!(activity(&import).location.as_ref().unwrap().point.is_none());
        assert!(has(&import, Severity::Warning, "data[0].location.position"));
    }

    #[test]
    fn age_rules() {
        assert_eq!(age_groups(Some(3), Some(6)), ["children"]);
        assert_eq!(age_groups(Some(10), Some(15)), ["children", "youth"]);
        assert_eq!(age_groups(Some(13), Some(29)), ["youth"]);
        assert_eq!(age_groups(Some(68), None), ["older_people"]);
        assert!(age_groups(Some(18), None).is_empty());
        assert!(age_groups(None, Some(99)).is_empty());
    }

    #[test]
    fn deleted_cancelled_and_broken() {
        let import = event(|e| {
            e.insert("deleted".into(), json!(true));
        });
        assert!(
            matches!(&import.records[0], Record::Delete(d) if d.id == "le:turku:991417" && d.of == RecordType::Activity)
        );

        let import = event(|e| {
            e.insert("event_status".into(), json!("EventCancelled"));
        });
        assert!(import.records.is_empty());
        assert!(has(
            &import,
            Severity::Skipped,
            "le.json:data[0].event_status: skipped: le:turku:991417 is cancelled"
        ));

        let import = event(|e| {
            e.remove("name");
        });
        assert!(
            import.records.is_empty(),
            "no half import, not even the organisation"
        );
        assert!(has(
            &import,
            Severity::Error,
            "le.json:data[0].name: error: no name"
        ));

        let import = event(|e| {
            e.insert("start_time".into(), json!("ensi tiistaina"));
        });
        assert!(has(
            &import,
            Severity::Error,
            "data[0].start_time: error: not an ISO 8601"
        ));

        let import = event(|e| {
            e.insert("offers".into(), json!([{"is_free": "yes"}]));
        });
        assert!(has(&import, Severity::Error, "data[0].offers[0].is_free"));

        let import = event(|e| {
            e.insert("audience_min_age".into(), json!("kuusi"));
        });
        assert!(has(
            &import,
            Severity::Error,
            "audience_min_age: error: expected a whole number"
        ));

        let import = event(|e| {
            e.insert("name".into(), json!({"fi": "Nimi", "ru": "Имя"}));
        });
        assert!(has(&import, Severity::Warning, "unsupported languages ru"));
    }

    #[test]
    fn recurring_super_event_folds_sub_events() {
        let mut doc = sample();
        let sub = doc["data"][0].clone();
        let mut sup = sub.clone();
        sup["id"] = json!("turku:991415");
        sup["super_event"] = Value::Null;
        sup["super_event_type"] = json!("recurring");
        sup["sub_events"] =
            json!([{"@id": "https://linkedevents-api.turku.fi/v1/event/turku:991417/"}]);
        sup["start_time"] = json!("2022-06-01T16:30:00Z");
        sup["end_time"] = json!("2022-08-31T17:15:00Z");
        doc["data"] = json!([sub, sup]);
        let import = parse_value(&doc, "le.json", &Places::new()).unwrap();
        let acts: Vec<_> = import
            .records
            .iter()
            .filter(|r| matches!(r, Record::Activity(_)))
            .collect();
        assert_eq!(acts.len(), 1);
        let a = activity(&import);
        assert_eq!(a.common.id, "le:turku:991415");
        let s = a.schedule.as_ref().unwrap();
        assert_eq!(
            (s.start.as_deref(), s.end.as_deref()),
            (Some("2022-06-01T16:30:00Z"), Some("2022-08-31T17:15:00Z"))
        );
    }

    #[test]
    fn sync_pages_with_a_fake_fetcher() {
        let mut page1 = sample();
        page1["meta"]["next"] = json!("https://le.example/v1/event/?page=2");
        let mut page2 = sample();
        page2["meta"]["next"] = Value::Null;
        page2["data"][0]["id"] = json!("turku:2");
        let mut urls = Vec::new();
        let import = sync(
            "https://le.example/v1/event/",
            Some("2026-01-01T00:00:00+02:00"),
            &Places::new(),
            10,
            |u: &str| {
                urls.push(u.to_string());
                Ok::<_, String>(if u.contains("page=2") {
                    page2.to_string()
                } else {
                    page1.to_string()
                })
            },
        )
        .unwrap();
        assert_eq!(
            urls[0],
            "https://le.example/v1/event/?last_modified_since=2026-01-01T00:00:00%2B02:00"
        );
        assert_eq!(urls.len(), 2);
        assert_eq!(
            import
                .records
                .iter()
                .filter(|r| matches!(r, Record::Activity(_)))
                .count(),
            2
        );

        let err = sync(
            "https://le.example/v1/event/",
            None,
            &Places::new(),
            10,
            |u: &str| {
                if u.contains("page=2") {
                    Err("503 Service Unavailable".to_string())
                } else {
                    Ok(page1.to_string())
                }
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "fetching page 2 (https://le.example/v1/event/?page=2) failed: 503 Service Unavailable"
        );

        let mut evil = sample();
        evil["meta"]["next"] = json!("https://evil.example/steal");
        let err = sync(
            "https://le.example/v1/event/",
            None,
            &Places::new(),
            10,
            |_: &str| Ok::<_, String>(evil.to_string()),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("meta.next leaves https://le.example"),
            "{err}"
        );

        let mut looping = sample();
        looping["meta"]["next"] = json!("https://le.example/v1/event/");
        let err = sync(
            "https://le.example/v1/event/",
            None,
            &Places::new(),
            10,
            |_: &str| Ok::<_, String>(looping.to_string()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("already fetched"), "{err}");

        let err = sync(
            "https://le.example/v1/event/",
            None,
            &Places::new(),
            10,
            |_: &str| Ok::<_, String>("<html>".into()),
        )
        .unwrap_err();
        assert!(matches!(err, SourceError::Json { .. }));
    }

    #[test]
    fn yso_table_is_clean() {
        let r = reference();
        let mut rdr = csv::Reader::from_reader(YSO_CSV.as_bytes());
        let mut n = 0;
        for row in rdr.records() {
            let row = row.unwrap();
            n += 1;
            let id = &row[0];
            assert!(
                id.starts_with("yso:p") && id[5..].bytes().all(|b| b.is_ascii_digit()),
                "{id}"
            );
            for t in row[2].split('|').filter(|s| !s.is_empty()) {
                assert!(
                    r.is_code(crate::reference::Vocabulary::Theme, t),
                    "{id}: theme {t}"
                );
            }
            for t in row[3].split('|').filter(|s| !s.is_empty()) {
                assert!(
                    r.is_code(crate::reference::Vocabulary::TargetGroup, t),
                    "{id}: group {t}"
                );
            }
            assert!(
                !row[2].is_empty() || !row[3].is_empty(),
                "{id} maps to nothing"
            );
        }
        assert_eq!(yso_mapping().len(), n);
        assert!((30..=60).contains(&n));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in ".{0,400}") {
            let _ = parse(&s, "fuzz.json", &Places::new());
            let _ = html_to_text(&s);
        }

        #[test]
        fn never_panics_on_mutated_sample(cut in 0usize..4783, byte in proptest::num::u8::ANY) {
            let mut b = SAMPLE.as_bytes().to_vec();
            if cut < b.len() { b[cut] = byte; }
            let s = String::from_utf8_lossy(&b);
            let _ = parse(&s, "fuzz.json", &Places::new());
        }
    }
}
