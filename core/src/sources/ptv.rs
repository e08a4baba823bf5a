//! Suomi.fi Finnish Service Catalogue (PTV) Open API v11 → organisations and activities.
//!
//! Accepts the paged shape `{pageNumber, pageSize, pageCount, itemList: [...]}`, a bare array of
//! items, or a single item. An item with `organizationNames` is an organisation
//! (`ptv:<id>`); one with `serviceChannelNames` is a service channel, which becomes an activity
//! of `ptv:<organizationId>`.
//!
//! What the source can get wrong, and what happens:
//! - `publishingStatus` other than `Published` → [`Severity::Skipped`].
//! - Missing or malformed id, no fi/sv/en name, wrong JSON types, an address whose municipality
//!   code is unknown (and no postal code resolves it), a malformed postal code → [`Severity::Error`],
//!   record left out.
//! - Text in other languages (Sámi `se`, `smn`, `sms`, …), `coordinateState` other than `Ok`,
//!   coordinates that do not convert into Finland, non-http web pages, invalid business ids,
//!   unknown area codes → [`Severity::Warning`], the value is dropped.
//!
//! Coordinates are strings in EPSG:3067 where `latitude` is the northing and `longitude` the
//! easting; they are converted with [`super::etrs_tm35fin_to_wgs84`].

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{
    Broken, Import, Report, Severity, SourceError, broken, clean_text, etrs_tm35fin_to_wgs84,
    is_web_url, localized_from_pairs, truncate_chars, valid_business_id, valid_id,
};
use crate::model::{
    Activity, Common, Lang, Localized, Location, Organisation, Record, Schedule, Weekday,
    WeeklySlot,
};
use crate::reference::reference;

/// The `source` written on PTV records.
pub const SOURCE: &str = "ptv";

/// Parses a PTV v11 JSON document (page, array or single item) from `origin` (a file name or URL
/// used in problem locations).
///
/// Errors only when the text is not JSON or not one of the accepted shapes.
pub fn parse(json: &str, origin: &str) -> Result<Import, SourceError> {
    let json = json.strip_prefix('\u{feff}').unwrap_or(json);
    let doc: Value = serde_json::from_str(json).map_err(|source| SourceError::Json {
        origin: origin.to_string(),
        source,
    })?;
    parse_value(&doc, origin)
}

/// Like [`parse`], on an already parsed document.
pub fn parse_value(doc: &Value, origin: &str) -> Result<Import, SourceError> {
    let items: Vec<(String, &Value)> = match doc {
        Value::Object(o) if o.contains_key("itemList") => match o.get("itemList") {
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("itemList[{i}]"), v))
                .collect(),
            Some(Value::Null) => Vec::new(),
            _ => {
                return Err(SourceError::Shape {
                    origin: origin.to_string(),
                    message: "itemList: expected an array".into(),
                });
            }
        },
        Value::Object(_) => vec![("$".to_string(), doc)],
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("[{i}]"), v))
            .collect(),
        _ => {
            return Err(SourceError::Shape {
                origin: origin.to_string(),
                message: "expected a PTV page {itemList: [...]}, an array or an object".into(),
            });
        }
    };
    let mut import = Import::default();
    for (path, item) in items {
        let mut report = Report::new(origin);
        match convert_item(item, &path, &mut report) {
            Ok(Some(record)) => import.records.push(record),
            Ok(None) => {}
            Err(b) => {
                // Nothing of a broken record is kept, not even its warnings' values.
                report.push(&b.path, Severity::Error, b.message);
            }
        }
        import.problems.extend(report.problems);
    }
    Ok(import)
}

fn convert_item(v: &Value, path: &str, rep: &mut Report) -> Result<Option<Record>, Broken> {
    let o = v
        .as_object()
        .ok_or_else(|| broken(path, format!("expected an object, got {}", kind(v))))?;
    let is_org = o.contains_key("organizationNames");
    let is_channel = o.contains_key("serviceChannelNames") || o.contains_key("serviceChannelType");
    if !is_org && !is_channel {
        return Err(broken(
            path,
            "neither a PTV organisation (organizationNames) nor a service channel \
             (serviceChannelNames)",
        ));
    }
    let uuid = str_field(o, "id", path)?.ok_or_else(|| broken(format!("{path}.id"), "missing"))?;
    let id = format!("ptv:{}", uuid.trim());
    if !valid_id(&id) {
        return Err(broken(
            format!("{path}.id"),
            format!("not a valid id: {uuid:?}"),
        ));
    }
    match str_field(o, "publishingStatus", path)? {
        Some("Published") => {}
        Some(other) => {
            rep.push(
                &format!("{path}.publishingStatus"),
                Severity::Skipped,
                format!("{id} is {other}; only Published records are imported"),
            );
            return Ok(None);
        }
        None => {
            rep.push(
                &format!("{path}.publishingStatus"),
                Severity::Skipped,
                format!("{id} has no publishingStatus; only Published records are imported"),
            );
            return Ok(None);
        }
    }
    let mut ignored = BTreeSet::new();
    let names_key = if is_org {
        "organizationNames"
    } else {
        "serviceChannelNames"
    };
    let descs_key = if is_org {
        "organizationDescriptions"
    } else {
        "serviceChannelDescriptions"
    };
    let name = typed_text(
        o,
        names_key,
        path,
        &["Name", "AlternativeName"],
        300,
        &mut ignored,
    )?;
    if name.is_empty() {
        return Err(broken(
            format!("{path}.{names_key}"),
            "no name in fi, sv or en",
        ));
    }
    let description = typed_text(
        o,
        descs_key,
        path,
        &["Description", "Summary"],
        20_000,
        &mut ignored,
    )?;
    let updated_at = match str_field(o, "modified", path)? {
        Some(m) if super::parse_timestamp(m).is_some() => Some(m.to_string()),
        Some(m) => {
            rep.warn(
                &format!("{path}.modified"),
                format!("not a date-time: {m:?}; ignored"),
            );
            None
        }
        None => None,
    };
    let mut common = Common {
        id: id.clone(),
        name,
        description,
        updated_at,
        source: Some(SOURCE.to_string()),
        sources: vec![id.clone()],
        ..Common::default()
    };
    common.email = first_email(o, path, rep)?;
    common.phone = first_phone(o, path)?;
    common.website = first_web_page(o, path, rep)?;
    let mut languages = Vec::new();
    for (i, l) in array_field(o, "languages", path)?.iter().enumerate() {
        let l = l
            .as_str()
            .ok_or_else(|| broken(format!("{path}.languages[{i}]"), "expected a string"))?;
        let l = l.trim().to_ascii_lowercase();
        if (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()) {
            if !languages.contains(&l) {
                languages.push(l);
            }
        } else {
            rep.warn(
                &format!("{path}.languages[{i}]"),
                format!("not a language code: {l:?}"),
            );
        }
    }
    common.languages = languages;
    let area = area_municipalities(o, path, rep)?;
    let addresses = addresses(o, path, rep, &mut ignored)?;
    let record = if is_org {
        let business_id = match str_field(o, "businessCode", path)? {
            Some(b) if valid_business_id(b.trim()) => Some(b.trim().to_string()),
            Some(b) if b.trim().is_empty() => None,
            Some(b) => {
                rep.warn(
                    &format!("{path}.businessCode"),
                    format!("not a valid Y-tunnus: {b:?}; dropped"),
                );
                None
            }
            None => None,
        };
        let mut municipalities = area;
        let mut locations = Vec::new();
        for a in addresses {
            if a.visiting {
                locations.push(a.location);
            } else if !municipalities.contains(&a.location.municipality) {
                municipalities.push(a.location.municipality);
            }
        }
        Record::Organisation(Organisation {
            common,
            business_id,
            municipalities,
            locations,
        })
    } else {
        let org = str_field(o, "organizationId", path)?
            .ok_or_else(|| broken(format!("{path}.organizationId"), "missing"))?;
        let organisation_id = format!("ptv:{}", org.trim());
        if !valid_id(&organisation_id) {
            return Err(broken(
                format!("{path}.organizationId"),
                format!("not a valid id: {org:?}"),
            ));
        }
        let channel_type = str_field(o, "serviceChannelType", path)?.unwrap_or("");
        let (kind, online) = match channel_type {
            "ServiceLocation" | "" => (None, false),
            "Phone" => (Some("helpline".to_string()), true),
            "EChannel" | "WebPage" => (None, true),
            other => {
                rep.push(
                    &format!("{path}.serviceChannelType"),
                    Severity::Skipped,
                    format!("{id}: a {other} channel is not an activity"),
                );
                return Ok(None);
            }
        };
        let mut visiting = addresses.into_iter().filter(|a| a.visiting);
        let location = visiting.next().map(|a| a.location);
        if visiting.next().is_some() {
            rep.warn(
                &format!("{path}.addresses"),
                "several visiting addresses; only the first is kept",
            );
        }
        let schedule = service_hours(o, path)?;
        Record::Activity(Activity {
            common,
            organisation_id,
            kind,
            location,
            online,
            municipalities: area,
            schedule,
            ..Activity::default()
        })
    };
    if !ignored.is_empty() {
        let langs: Vec<_> = ignored.into_iter().collect();
        rep.warn(
            path,
            format!(
                "text in unsupported languages {} ignored (fi, sv and en are kept)",
                langs.join(", ")
            ),
        );
    }
    Ok(Some(record))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string field: missing or null → `None`; another type → broken.
pub(crate) fn str_field<'a>(
    o: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, Broken> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(broken(
            format!("{path}.{key}"),
            format!("expected a string, got {}", kind(v)),
        )),
    }
}

/// An array field: missing or null → empty; another type → broken.
pub(crate) fn array_field<'a>(
    o: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<&'a [Value], Broken> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(v) => Err(broken(
            format!("{path}.{key}"),
            format!("expected an array, got {}", kind(v)),
        )),
    }
}

fn obj_at<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Broken> {
    v.as_object()
        .ok_or_else(|| broken(path, format!("expected an object, got {}", kind(v))))
}

/// `[{language, value, type?}]` → (language, value, type) triples.
fn lang_values<'a>(
    arr: &'a [Value],
    path: &str,
) -> Result<Vec<(&'a str, &'a str, &'a str)>, Broken> {
    let mut out = Vec::new();
    for (i, v) in arr.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let o = obj_at(v, &p)?;
        let lang = str_field(o, "language", &p)?.unwrap_or("");
        let value = str_field(o, "value", &p)?.unwrap_or("");
        let ty = str_field(o, "type", &p)?.unwrap_or("");
        out.push((lang, value, ty));
    }
    Ok(out)
}

/// Picks per language the first text of the most preferred `type` in `prefer` order.
fn typed_text(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    prefer: &[&str],
    max_chars: usize,
    ignored: &mut BTreeSet<String>,
) -> Result<Localized, Broken> {
    let vals = lang_values(array_field(o, key, path)?, &format!("{path}.{key}"))?;
    let mut out = Localized::new();
    for ty in prefer.iter().copied().chain(std::iter::once("")) {
        let pairs = vals
            .iter()
            .filter(|(_, _, t)| {
                if ty.is_empty() {
                    !prefer.contains(t)
                } else {
                    *t == ty
                }
            })
            .filter_map(|(l, v, _)| clean_text(v).map(|t| (*l, truncate_chars(t, max_chars))));
        let (loc, ign) = localized_from_pairs(pairs);
        ignored.extend(ign);
        for (l, t) in loc.0 {
            out.0.entry(l).or_insert(t);
        }
    }
    Ok(out)
}

/// A text from a `[{language, value}]` array, preferring fi, then sv, then en.
fn pick_text(
    arr: &[Value],
    path: &str,
    ignored: &mut BTreeSet<String>,
) -> Result<Option<String>, Broken> {
    let vals = lang_values(arr, path)?;
    let (loc, ign) = localized_from_pairs(
        vals.iter()
            .filter_map(|(l, v, _)| clean_text(v).map(|t| (*l, t))),
    );
    ignored.extend(ign);
    Ok(loc.pick(Lang::Fi).map(|(_, t)| t.to_string()))
}

fn first_email(
    o: &Map<String, Value>,
    path: &str,
    rep: &mut Report,
) -> Result<Option<String>, Broken> {
    let mut found = None;
    for key in ["emails", "supportEmails"] {
        for (i, v) in array_field(o, key, path)?.iter().enumerate() {
            let p = format!("{path}.{key}[{i}]");
            let e = match v {
                Value::String(s) => s.as_str(),
                _ => str_field(obj_at(v, &p)?, "value", &p)?.unwrap_or(""),
            };
            let e = e.trim();
            if e.contains('@') && !e.contains(char::is_whitespace) {
                found.get_or_insert_with(|| e.to_string());
            } else if !e.is_empty() {
                rep.warn(&p, format!("not an email address: {e:?}; dropped"));
            }
        }
    }
    Ok(found)
}

fn first_phone(o: &Map<String, Value>, path: &str) -> Result<Option<String>, Broken> {
    for key in ["phoneNumbers", "supportPhones"] {
        for (i, v) in array_field(o, key, path)?.iter().enumerate() {
            let p = format!("{path}.{key}[{i}]");
            let ph = obj_at(v, &p)?;
            let number = str_field(ph, "number", &p)?.unwrap_or("").trim();
            if number.is_empty() {
                continue;
            }
            let prefix = str_field(ph, "prefixNumber", &p)?.unwrap_or("").trim();
            let full = if prefix.is_empty() {
                number.to_string()
            } else {
                format!("{prefix} {}", number.trim_start_matches('0'))
            };
            return Ok(Some(full));
        }
    }
    Ok(None)
}

fn first_web_page(
    o: &Map<String, Value>,
    path: &str,
    rep: &mut Report,
) -> Result<Option<String>, Broken> {
    let mut best: Option<(usize, String)> = None;
    for key in ["webPages", "webPage"] {
        for (i, v) in array_field(o, key, path)?.iter().enumerate() {
            let p = format!("{path}.{key}[{i}]");
            let w = obj_at(v, &p)?;
            let url = str_field(w, "url", &p)?
                .or(str_field(w, "urlAddress", &p)?)
                .unwrap_or("")
                .trim();
            if url.is_empty() {
                continue;
            }
            if !is_web_url(url) {
                rep.warn(&p, format!("not an http(s) URL: {url:?}; dropped"));
                continue;
            }
            let rank = match str_field(w, "language", &p)?.unwrap_or("") {
                "fi" => 0,
                "sv" => 1,
                "en" => 2,
                _ => 3,
            };
            if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                best = Some((rank, url.to_string()));
            }
        }
    }
    Ok(best.map(|(_, u)| u))
}

/// Municipality codes of `areaType`/`areas`; nationwide → empty.
fn area_municipalities(
    o: &Map<String, Value>,
    path: &str,
    rep: &mut Report,
) -> Result<Vec<String>, Broken> {
    let r = reference();
    let mut out: Vec<String> = Vec::new();
    if let Some("Nationwide" | "NationwideExceptAlandIslands" | "WholeCountry") =
        str_field(o, "areaType", path)?
    {
        return Ok(out);
    }
    for (i, v) in array_field(o, "areas", path)?.iter().enumerate() {
        let p = format!("{path}.areas[{i}]");
        let a = obj_at(v, &p)?;
        let ty = str_field(a, "type", &p)?.unwrap_or("");
        let mut codes: Vec<(String, String)> = Vec::new();
        if ty == "Municipality"
            && let Some(c) = str_field(a, "code", &p)?
        {
            codes.push((format!("{p}.code"), c.trim().to_string()));
        }
        for (j, m) in array_field(a, "municipalities", &p)?.iter().enumerate() {
            let mp = format!("{p}.municipalities[{j}]");
            if let Some(c) = str_field(obj_at(m, &mp)?, "code", &mp)? {
                codes.push((format!("{mp}.code"), c.trim().to_string()));
            }
        }
        if codes.is_empty() {
            rep.warn(
                &p,
                format!("area of type {ty:?} lists no municipalities; ignored"),
            );
        }
        for (cp, c) in codes {
            match r.municipality(&c) {
                Some(m) => {
                    if !out.contains(&m.code) {
                        out.push(m.code.clone());
                    }
                }
                None => rep.warn(&cp, format!("unknown municipality code {c:?}; ignored")),
            }
        }
    }
    Ok(out)
}

struct Address {
    visiting: bool,
    location: Location,
}

fn addresses(
    o: &Map<String, Value>,
    path: &str,
    rep: &mut Report,
    ignored: &mut BTreeSet<String>,
) -> Result<Vec<Address>, Broken> {
    let r = reference();
    let mut out = Vec::new();
    for (i, v) in array_field(o, "addresses", path)?.iter().enumerate() {
        let p = format!("{path}.addresses[{i}]");
        let a = obj_at(v, &p)?;
        let visiting = match str_field(a, "type", &p)? {
            Some("Location" | "Visiting") => true,
            Some("Postal") => false,
            other => {
                rep.warn(
                    &format!("{p}.type"),
                    format!("unknown address type {other:?}; ignored"),
                );
                continue;
            }
        };
        let (sp, s) = match a.get("streetAddress") {
            Some(Value::Object(s)) => (format!("{p}.streetAddress"), s),
            Some(Value::Null) | None => match a.get("postOfficeBoxAddress") {
                Some(Value::Object(s)) => (format!("{p}.postOfficeBoxAddress"), s),
                _ => {
                    // Abroad / Other addresses carry no Finnish municipality: nothing to index.
                    continue;
                }
            },
            Some(other) => {
                return Err(broken(
                    format!("{p}.streetAddress"),
                    format!("expected an object, got {}", kind(other)),
                ));
            }
        };
        let street = match s.get("street") {
            Some(Value::Array(a)) => pick_text(a, &format!("{sp}.street"), ignored)?,
            _ => None,
        }
        .or(match s.get("postOfficeBox") {
            Some(Value::Array(a)) => pick_text(a, &format!("{sp}.postOfficeBox"), ignored)?,
            _ => None,
        });
        let number = str_field(s, "streetNumber", &sp)?.and_then(clean_text);
        let address = match (street, number) {
            (Some(s), Some(n)) => Some(format!("{s} {n}")),
            (s, _) => s,
        };
        let postal_code = match str_field(s, "postalCode", &sp)?.map(str::trim) {
            Some(pc) if pc.len() == 5 && pc.bytes().all(|b| b.is_ascii_digit()) => {
                Some(pc.to_string())
            }
            Some("") | None => None,
            Some(pc) => {
                return Err(broken(
                    format!("{sp}.postalCode"),
                    format!("expected five digits, got {pc:?}"),
                ));
            }
        };
        let post_office = pick_text(
            array_field(s, "postOffice", &sp)?,
            &format!("{sp}.postOffice"),
            ignored,
        )?;
        let code = match s.get("municipality") {
            Some(Value::Object(m)) => str_field(m, "code", &format!("{sp}.municipality"))?,
            Some(Value::String(c)) => Some(c.as_str()),
            None | Some(Value::Null) => None,
            Some(other) => {
                return Err(broken(
                    format!("{sp}.municipality"),
                    format!("expected an object {{code}}, got {}", kind(other)),
                ));
            }
        };
        let municipality = match code.map(str::trim) {
            Some(c) => match r.municipality(c) {
                Some(m) => m.code.clone(),
                None => {
                    return Err(broken(
                        format!("{sp}.municipality.code"),
                        format!("unknown municipality code {c:?}"),
                    ));
                }
            },
            None => match postal_code.as_deref().and_then(|pc| r.postal_area(pc)) {
                Some(area) => area.municipality.clone(),
                None => {
                    return Err(broken(
                        format!("{sp}.municipality"),
                        "missing, and no known postal code to derive it from",
                    ));
                }
            },
        };
        let point = coordinates(s, &sp, rep)?;
        out.push(Address {
            visiting,
            location: Location {
                address,
                postal_code,
                post_office,
                municipality,
                point,
                ..Location::default()
            },
        });
    }
    Ok(out)
}

fn coordinates(
    s: &Map<String, Value>,
    sp: &str,
    rep: &mut Report,
) -> Result<Option<crate::geo::LatLon>, Broken> {
    let state = str_field(s, "coordinateState", sp)?;
    let n = s.get("latitude");
    let e = s.get("longitude");
    let present = |v: Option<&Value>| !matches!(v, None | Some(Value::Null));
    if !present(n) && !present(e) {
        return Ok(None);
    }
    if !matches!(state, Some(st) if st.eq_ignore_ascii_case("ok")) {
        rep.warn(
            &format!("{sp}.coordinateState"),
            format!("coordinateState is {state:?}, not Ok; coordinates dropped"),
        );
        return Ok(None);
    }
    let num = |v: Option<&Value>| -> Option<f64> {
        match v? {
            Value::String(s) => s.trim().replace(',', ".").parse().ok(),
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    };
    match (num(n), num(e)) {
        (Some(n), Some(e)) => match etrs_tm35fin_to_wgs84(n, e) {
            Ok(p) => Ok(Some(p)),
            Err(err) => {
                rep.warn(
                    &format!("{sp}.latitude"),
                    format!("EPSG:3067 coordinates rejected: {err}; coordinates dropped"),
                );
                Ok(None)
            }
        },
        _ => {
            rep.warn(
                &format!("{sp}.latitude"),
                format!(
                    "latitude/longitude must be EPSG:3067 numbers as strings, got {} / {}; \
                     coordinates dropped",
                    n.map_or("nothing".to_string(), Value::to_string),
                    e.map_or("nothing".to_string(), Value::to_string)
                ),
            );
            Ok(None)
        }
    }
}

const DAYS: [(&str, Weekday, &str, &str, &str); 7] = [
    ("Monday", Weekday::Mon, "ma", "mån", "Mon"),
    ("Tuesday", Weekday::Tue, "ti", "tis", "Tue"),
    ("Wednesday", Weekday::Wed, "ke", "ons", "Wed"),
    ("Thursday", Weekday::Thu, "to", "tors", "Thu"),
    ("Friday", Weekday::Fri, "pe", "fre", "Fri"),
    ("Saturday", Weekday::Sat, "la", "lör", "Sat"),
    ("Sunday", Weekday::Sun, "su", "sön", "Sun"),
];

fn day_index(s: &str) -> Option<usize> {
    DAYS.iter().position(|d| d.0.eq_ignore_ascii_case(s.trim()))
}

/// `08:00:00` / `8:00` → `08:00`.
fn hhmm(s: &str) -> Option<String> {
    let mut it = s.trim().split(':');
    let h: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    (h <= 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

fn day_label(i: usize, lang: Lang) -> &'static str {
    let d = &DAYS[i];
    match lang {
        Lang::Fi => d.2,
        Lang::Sv => d.3,
        Lang::En => d.4,
    }
}

fn time_label(t: &str, lang: Lang) -> String {
    let t = t.strip_prefix('0').unwrap_or(t);
    match lang {
        Lang::Fi | Lang::Sv => t.replace(':', "."),
        Lang::En => t.to_string(),
    }
}

fn range_label(start: &str, end: &str, lang: Lang) -> String {
    let (s, e) = (time_label(start, lang), time_label(end, lang));
    match lang {
        Lang::Fi => format!("klo {s}–{e}"),
        Lang::Sv => format!("kl. {s}–{e}"),
        Lang::En => format!("{s}–{e}"),
    }
}

fn date_label(d: &str, lang: Lang) -> String {
    match super::parse_timestamp(d) {
        Some(t) => match lang {
            Lang::Fi | Lang::Sv => format!("{}.{}.{}", t.day(), u8::from(t.month()), t.year()),
            Lang::En => format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        },
        None => d.to_string(),
    }
}

/// `serviceHours` → schedule with readable fi/sv/en text and weekly slots.
fn service_hours(o: &Map<String, Value>, path: &str) -> Result<Option<Schedule>, Broken> {
    let hours = array_field(o, "serviceHours", path)?;
    if hours.is_empty() {
        return Ok(None);
    }
    let mut weekly: Vec<(usize, String, String)> = Vec::new();
    let mut lines: Vec<[String; 3]> = Vec::new();
    let mut extra = Localized::new();
    for (i, v) in hours.iter().enumerate() {
        let p = format!("{path}.serviceHours[{i}]");
        let h = obj_at(v, &p)?;
        let ty = str_field(h, "serviceHourType", &p)?.unwrap_or("DaysOfTheWeek");
        let closed = matches!(h.get("isClosed"), Some(Value::Bool(true)));
        let mut slots = Vec::new();
        for (j, oh) in array_field(h, "openingHour", &p)?.iter().enumerate() {
            let op = format!("{p}.openingHour[{j}]");
            let oh = obj_at(oh, &op)?;
            let from_day = str_field(oh, "dayFrom", &op)?.and_then(day_index);
            let to_day = str_field(oh, "dayTo", &op)?.and_then(day_index);
            let from = str_field(oh, "from", &op)?.and_then(hhmm);
            let to = str_field(oh, "to", &op)?.and_then(hhmm);
            slots.push((from_day, to_day, from, to));
        }
        match ty {
            "Exceptional" => {
                let from = str_field(h, "validFrom", &p)?.unwrap_or("");
                let to = str_field(h, "validTo", &p)?.unwrap_or("");
                let mut line: [String; 3] = Default::default();
                for (k, lang) in Lang::ALL.into_iter().enumerate() {
                    let mut dates = date_label(from, lang);
                    if !to.is_empty() && to != from {
                        dates = format!("{dates}–{}", date_label(to, lang));
                    }
                    let what = if closed || slots.is_empty() {
                        match lang {
                            Lang::Fi => "suljettu".to_string(),
                            Lang::Sv => "stängt".to_string(),
                            Lang::En => "closed".to_string(),
                        }
                    } else {
                        slots
                            .iter()
                            .filter_map(|(_, _, f, t)| {
                                Some(range_label(f.as_ref()?, t.as_ref()?, lang))
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    let head = match lang {
                        Lang::Fi => "Poikkeusaukiolo",
                        Lang::Sv => "Avvikande öppettider",
                        Lang::En => "Exceptional hours",
                    };
                    line[k] = format!("{head} {dates}: {what}");
                }
                lines.push(line);
            }
            "OverMidnight" => {
                for (fd, td, f, t) in &slots {
                    let (Some(fd), Some(f), Some(t)) = (fd, f, t) else {
                        continue;
                    };
                    let td = td.unwrap_or((fd + 1) % 7);
                    let mut line: [String; 3] = Default::default();
                    for (k, lang) in Lang::ALL.into_iter().enumerate() {
                        line[k] = format!(
                            "{} {} – {} {}",
                            day_label(*fd, lang),
                            time_label(f, lang),
                            day_label(td, lang),
                            time_label(t, lang)
                        );
                    }
                    lines.push(line);
                }
            }
            _ => {
                if closed {
                    continue;
                }
                for (fd, _, f, t) in slots {
                    if let (Some(fd), Some(f), Some(t)) = (fd, f, t)
                        && f < t
                    {
                        weekly.push((fd, f, t));
                    }
                }
            }
        }
        if let Some(Value::Array(info)) = h.get("additionalInformation") {
            let mut ign = BTreeSet::new();
            for (l, v, _) in lang_values(info, &format!("{p}.additionalInformation"))? {
                if let (Some(lang), Some(text)) = (Lang::parse(l), clean_text(v)) {
                    let e = extra.0.entry(lang).or_default();
                    if !e.is_empty() {
                        e.push_str(". ");
                    }
                    e.push_str(&text);
                }
                ign.insert(l);
            }
        }
    }
    weekly.sort();
    weekly.dedup();
    let mut text = Localized::new();
    for (k, lang) in Lang::ALL.into_iter().enumerate() {
        let mut parts = Vec::new();
        // Group runs of consecutive days with the same hours: "ma–pe klo 8.00–16.00".
        let mut i = 0;
        while i < weekly.len() {
            let (d, f, t) = &weekly[i];
            let mut j = i;
            while j + 1 < weekly.len()
                && weekly[j + 1].0 == weekly[j].0 + 1
                && weekly[j + 1].1 == *f
                && weekly[j + 1].2 == *t
                && weekly.iter().filter(|w| w.0 == weekly[j + 1].0).count() == 1
                && weekly.iter().filter(|w| w.0 == *d).count() == 1
            {
                j += 1;
            }
            let days = if j > i {
                format!("{}–{}", day_label(*d, lang), day_label(weekly[j].0, lang))
            } else {
                day_label(*d, lang).to_string()
            };
            parts.push(format!("{days} {}", range_label(f, t, lang)));
            i = j + 1;
        }
        parts.extend(lines.iter().map(|l| l[k].clone()));
        if let Some(e) = extra.get(lang) {
            parts.push(e.to_string());
        }
        if !parts.is_empty() {
            text.0.insert(lang, parts.join(", "));
        }
    }
    if text.is_empty() && weekly.is_empty() {
        return Ok(None);
    }
    Ok(Some(Schedule {
        text,
        weekly: weekly
            .into_iter()
            .map(|(d, start, end)| WeeklySlot {
                weekday: DAYS[d].1,
                start,
                end,
            })
            .collect(),
        ..Schedule::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        include_str!("../../../data/formats/ptv/ptv_v11_organization_servicechannels_sample.json");

    fn sample() -> Value {
        serde_json::from_str(SAMPLE).unwrap()
    }

    fn channel(f: impl FnOnce(&mut Map<String, Value>)) -> Import {
        let mut doc = sample();
        f(doc["itemList"][0].as_object_mut().unwrap());
        parse_value(&doc, "ptv.json").unwrap()
    }

    fn has(import: &Import, sev: Severity, needle: &str) -> bool {
        import
            .problems
            .iter()
            .any(|p| p.severity == sev && p.to_string().contains(needle))
    }

    #[test]
    fn sample_channel_becomes_activity() {
        let import = parse(SAMPLE, "ptv.json").unwrap();
        assert_eq!(import.records.len(), 1, "{:?}", import.problems);
        let Record::Activity(a) = &import.records[0] else {
            panic!("not an activity")
        };
        assert_eq!(a.common.id, "ptv:bf64185c-dd2c-4291-af54-998b23347265");
        assert_eq!(
            a.organisation_id,
            "ptv:75c2ec6f-1127-41ce-a71d-4c7077366757"
        );
        assert_eq!(
            a.common.name.get(Lang::En),
            Some("One organization location")
        );
        assert_eq!(
            a.common.description.get(Lang::En),
            Some("One location orgOne location org")
        );
        assert_eq!(a.common.languages, ["fi", "en"]);
        assert_eq!(
            a.common.updated_at.as_deref(),
            Some("2020-07-29T08:30:04.835555")
        );
        assert_eq!(a.common.sources, std::slice::from_ref(&a.common.id));
        let loc = a.location.as_ref().unwrap();
        assert_eq!(loc.address.as_deref(), Some("Asemakatu 44"));
        assert_eq!(loc.postal_code.as_deref(), Some("70110"));
        assert_eq!(loc.post_office.as_deref(), Some("KUOPIO"));
        assert_eq!(loc.municipality, "297");
        let p = loc.point.unwrap();
        // Asemakatu 44, Kuopio, near the railway station.
        assert!(
            (p.lat() - 62.897).abs() < 0.01 && (p.lon() - 27.67).abs() < 0.02,
            "{p:?}"
        );
        // Sámi street names are ignored with one warning.
        assert!(has(&import, Severity::Warning, "se, smn, sms"));
        assert_eq!(import.error_count(), 0);
    }

    #[test]
    fn unpublished_is_skipped_with_reason() {
        let import = channel(|o| {
            o.insert("publishingStatus".into(), "Draft".into());
        });
        assert!(import.records.is_empty());
        assert!(has(
            &import,
            Severity::Skipped,
            "itemList[0].publishingStatus"
        ));
        assert!(has(&import, Severity::Skipped, "Draft"));
    }

    #[test]
    fn broken_variants_are_reported_with_location() {
        let import = channel(|o| {
            o.remove("id");
        });
        assert!(import.records.is_empty());
        assert!(has(
            &import,
            Severity::Error,
            "ptv.json:itemList[0].id: error: missing"
        ));

        let import = channel(|o| {
            o["addresses"][0]["streetAddress"]["municipality"]["code"] = "999".into();
        });
        assert!(import.records.is_empty());
        assert!(has(
            &import,
            Severity::Error,
            "itemList[0].addresses[0].streetAddress.municipality.code: error: unknown municipality code \"999\""
        ));

        let import = channel(|o| {
            o.insert(
                "serviceChannelNames".into(),
                serde_json::json!([{"language": "se", "value": "x"}]),
            );
        });
        assert!(has(&import, Severity::Error, "no name in fi, sv or en"));

        let import = channel(|o| {
            o.insert("addresses".into(), serde_json::json!({"not": "an array"}));
        });
        assert!(has(
            &import,
            Severity::Error,
            "itemList[0].addresses: error: expected an array"
        ));

        let import = channel(|o| {
            o["addresses"][0]["streetAddress"]["postalCode"] = "7011".into();
        });
        assert!(has(
            &import,
            Severity::Error,
            "postalCode: error: expected five digits"
        ));

        let import = channel(|o| {
            o.insert("serviceChannelNames".into(), serde_json::json!("One"));
        });
        assert!(has(
            &import,
            Severity::Error,
            "expected an array, got a string"
        ));
    }

    #[test]
    fn bad_coordinates_drop_the_point_only() {
        for (n, e, state) in [
            ("62.89", "27.67", "Ok"),
            ("abc", "534246.773", "Ok"),
            ("6974202.909", "534246.773", "NotReceived"),
            ("534246.773", "6974202.909", "Ok"),
        ] {
            let import = channel(|o| {
                let s = &mut o["addresses"][0]["streetAddress"];
                s["latitude"] = n.into();
                s["longitude"] = e.into();
                s["coordinateState"] = state.into();
            });
            assert_eq!(import.records.len(), 1);
            let Record::Activity(a) = &import.records[0] else {
                panic!()
            };
            assert!(a.location.as_ref().unwrap().point.is_none());
            assert!(
                has(&import, Severity::Warning, "coordinates dropped"),
                "{:?}",
                import.problems
            );
        }
    }

    #[test]
    fn organisation_with_hours_area_and_contacts() {
        let doc = serde_json::json!({
            "id": "6b3e2c1a-0000-4000-8000-000000000001",
            "businessCode": "0112038-9",
            "organizationNames": [
                {"language": "fi", "value": "Kuopion  Omaishoitajat ry", "type": "Name"},
                {"language": "fi", "value": "KOH", "type": "AlternativeName"},
                {"language": "sv", "value": "Kuopio närståendevårdare rf", "type": "Name"}
            ],
            "organizationDescriptions": [
                {"language": "fi", "value": "Lyhyesti", "type": "Summary"},
                {"language": "fi", "value": "Pitkästi", "type": "Description"}
            ],
            "areaType": "LimitedType",
            "areas": [{"type": "Municipality", "code": "297"}, {"type": "Municipality", "code": "000"}],
            "emails": [{"value": "info@example.org", "language": "fi"}],
            "phoneNumbers": [{"prefixNumber": "+358", "number": "0401234567", "language": "fi"}],
            "webPages": [{"url": "javascript:alert(1)", "language": "fi"}, {"url": "https://example.org", "language": "sv"}],
            "addresses": [{"type": "Postal", "streetAddress": {"postalCode": "70100", "street": [{"language": "fi", "value": "Puijonkatu"}]}}],
            "publishingStatus": "Published",
            "modified": "2026-01-02T10:00:00"
        });
        let import = parse_value(&doc, "org.json").unwrap();
        let Some(Record::Organisation(o)) = import.records.first() else {
            panic!("{:?}", import.problems)
        };
        assert_eq!(
            o.common.name.get(Lang::Fi),
            Some("Kuopion Omaishoitajat ry")
        );
        assert_eq!(o.common.description.get(Lang::Fi), Some("Pitkästi"));
        assert_eq!(o.business_id.as_deref(), Some("0112038-9"));
        assert_eq!(o.municipalities, ["297"]);
        assert!(o.locations.is_empty());
        assert_eq!(o.common.phone.as_deref(), Some("+358 401234567"));
        assert_eq!(o.common.website.as_deref(), Some("https://example.org"));
        assert!(has(
            &import,
            Severity::Warning,
            "areas[1].code: warning: unknown municipality code"
        ));
        assert!(has(&import, Severity::Warning, "not an http(s) URL"));
    }

    #[test]
    fn service_hours_become_text_and_slots() {
        let import = channel(|o| {
            o.insert(
                "serviceHours".into(),
                serde_json::json!([
                    {"serviceHourType": "DaysOfTheWeek", "isClosed": false, "openingHour": [
                        {"dayFrom": "Monday", "from": "08:00:00", "to": "16:00:00"},
                        {"dayFrom": "Tuesday", "from": "08:00:00", "to": "16:00:00"},
                        {"dayFrom": "Wednesday", "from": "08:00:00", "to": "16:00:00"},
                        {"dayFrom": "Saturday", "from": "10:00:00", "to": "14:00:00"}
                    ]},
                    {"serviceHourType": "Exceptional", "validFrom": "2026-12-24T00:00:00", "isClosed": true, "openingHour": []}
                ]),
            );
        });
        let Record::Activity(a) = &import.records[0] else {
            panic!()
        };
        let s = a.schedule.as_ref().unwrap();
        assert_eq!(s.weekly.len(), 4);
        assert_eq!(s.weekly[0].start, "08:00");
        assert_eq!(
            s.text.get(Lang::Fi),
            Some("ma–ke klo 8.00–16.00, la klo 10.00–14.00, Poikkeusaukiolo 24.12.2026: suljettu")
        );
        assert_eq!(
            s.text.get(Lang::Sv),
            Some(
                "mån–ons kl. 8.00–16.00, lör kl. 10.00–14.00, Avvikande öppettider 24.12.2026: stängt"
            )
        );
        assert_eq!(
            s.text.get(Lang::En),
            Some("Mon–Wed 8:00–16:00, Sat 10:00–14:00, Exceptional hours 2026-12-24: closed")
        );
    }

    #[test]
    fn not_json_or_wrong_shape_is_an_error() {
        assert!(matches!(
            parse("{", "x.json"),
            Err(SourceError::Json { .. })
        ));
        assert!(matches!(
            parse("42", "x.json"),
            Err(SourceError::Shape { .. })
        ));
        assert!(matches!(
            parse(r#"{"itemList": 3}"#, "x.json"),
            Err(SourceError::Shape { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(s in ".{0,400}") {
            let _ = parse(&s, "fuzz.json");
        }

        #[test]
        fn never_panics_on_mutated_sample(cut in 0usize..3552, byte in proptest::num::u8::ANY) {
            let mut b = SAMPLE.as_bytes().to_vec();
            if cut < b.len() { b[cut] = byte; }
            let s = String::from_utf8_lossy(&b);
            let _ = parse(&s, "fuzz.json");
        }
    }
}
