//! Validation of one line of import format v1 (the project's own NDJSON input format) into a
//! [`Record`].
//!
//! [`parse_record`] parses the line into a JSON value first, then checks every rule field by
//! field and collects **all** errors of the record, each naming the JSON path of the offending
//! field (`name.fi`, `locations[0].lat`, `schedule.weekly[1].end`). A record with any error is
//! rejected as a whole; warnings (unknown fields, texts in languages other than fi/sv/en,
//! duplicate codes) never reject a record.
//!
//! # Decisions where the format specification is silent
//! - `null` means "absent": an optional field set to `null` is accepted and ignored; a required
//!   field set to `null` is reported as missing.
//! - Texts are trimmed of surrounding whitespace; lengths count Unicode scalar values (`char`s).
//!   `name.*` must be 1-300 chars after trimming. In optional texts (`description`, location
//!   `name` and `accessibility`, schedule `text`) an empty value is dropped with a warning.
//!   Caps on fields the spec gives no limit for: location name 300, address 300, post office 100,
//!   accessibility 5,000, schedule text 2,000, source 200, website 2,048, email 254, phone 40.
//! - Codes, ids, municipality codes and languages are matched exactly (no trimming, no case
//!   folding); only municipality *names* are looked up case-insensitively.
//! - `municipalities` of both organisations and activities (and a location's `municipality`)
//!   accept codes or fi/sv names; they are stored as 3-digit codes, deduplicated.
//! - A repeated code in `themes`, `target_groups`, `languages` is dropped with a warning.
//! - `languages`: 2-3 lowercase ASCII letters (the shape of ISO 639-1/639-3); not checked
//!   against a registry.
//! - `website`: absolute `http`/`https` URL with a dotted host name, an IPv4 address or a
//!   bracketed IPv6 address; optional port 1-65535; no credentials (`user@`); no whitespace or
//!   control characters; `%` must start a valid escape. Non-ASCII (IRI) characters are allowed.
//! - `email`: `local@domain` with a dotted domain, at most 254 chars; `phone`: at most 40 chars
//!   of digits, spaces and `+-()/.`, with 3-20 digits (`116 111` is a valid helpline).
//! - Dates: `YYYY-MM-DD`; date-times: RFC 3339 (`2026-09-01T17:00:00+03:00`, `...Z`) or a local
//!   date-time without offset (`2026-09-01T17:00` or `...T17:00:00`), meaning Finnish time.
//! - Schedule `weekly`: `start`/`end` are `HH:MM` (00:00-23:59; `end` may also be `24:00`) and
//!   `start` must be strictly before `end`; a slot crossing midnight must be split in two.
//!   Schedule `end` must not be before `start` (compared as instants when both carry an offset,
//!   else by date and local time).
//! - An object key repeated within one object is an error (JSON leaves it undefined).
//! - A `delete` only carries `type`, `id` and `of`; other fields are warned about and ignored.
//! - The model's `sources` field is filled by adapters, not by the import format, so an input
//!   `sources` field is an unknown field (warning, ignored).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::geo::{FINLAND_LAT, FINLAND_LON, LatLon};
use crate::model::{
    Activity, Common, Delete, Lang, Localized, Location, Organisation, Record, RecordType,
    Schedule, Weekday, WeeklySlot,
};
use crate::reference::{Vocabulary, reference};

/// Maximum length of an `id` / `organisation_id`.
pub const MAX_ID_CHARS: usize = 200;
/// Maximum length of each `name` text.
pub const MAX_NAME_CHARS: usize = 300;
/// Maximum length of each `description` text.
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;

const MAX_LOCATION_NAME_CHARS: usize = 300;
const MAX_ADDRESS_CHARS: usize = 300;
const MAX_POST_OFFICE_CHARS: usize = 100;
const MAX_ACCESSIBILITY_CHARS: usize = 5_000;
const MAX_SCHEDULE_TEXT_CHARS: usize = 2_000;
const MAX_SOURCE_CHARS: usize = 200;
const MAX_WEBSITE_CHARS: usize = 2_048;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_PHONE_CHARS: usize = 40;
/// Field paths and quoted input in messages are cut to this many chars.
const MAX_QUOTE_CHARS: usize = 60;

/// The field used for problems that concern the whole line rather than one field.
pub const LINE_FIELD: &str = "-";

/// A problem that rejects a record. `field` is a JSON path (`locations[0].lat`, `name`) or
/// [`LINE_FIELD`] for the whole line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A problem that does not reject the record (unknown field, ignored language, duplicate code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldWarning {
    pub field: String,
    pub message: String,
}

impl fmt::Display for FieldWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A record that passed validation, with the warnings raised on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub record: Record,
    pub warnings: Vec<FieldWarning>,
}

/// Validates one NDJSON line (without its line terminator; a leading BOM must already be
/// removed). Returns the record, or every error found in it (never an empty vector).
pub fn parse_record(line: &str) -> Result<Validated, Vec<FieldError>> {
    let value = parse_json(line).map_err(|e| vec![e])?;
    validate_value(&value)
}

/// Validates an already parsed JSON value (see [`parse_record`]).
pub fn validate_value(value: &Value) -> Result<Validated, Vec<FieldError>> {
    let Some(obj) = value.as_object() else {
        return Err(vec![FieldError {
            field: LINE_FIELD.to_string(),
            message: format!("expected a JSON object, got {}", type_name(value)),
        }]);
    };
    let mut cx = Cx::default();
    let record = match obj.get("type") {
        None | Some(Value::Null) => {
            cx.error("type", "required (organisation, activity or delete)");
            None
        }
        Some(Value::String(t)) => match t.as_str() {
            "organisation" => organisation(&mut cx, obj).map(Record::Organisation),
            "activity" => activity(&mut cx, obj).map(Record::Activity),
            "delete" => delete(&mut cx, obj).map(Record::Delete),
            other => {
                cx.error(
                    "type",
                    format!(
                        "unknown type {}; expected organisation, activity or delete",
                        quote(other)
                    ),
                );
                None
            }
        },
        Some(other) => {
            cx.error("type", expected("a string", other));
            None
        }
    };
    match record {
        Some(record) if cx.errors.is_empty() => Ok(Validated {
            record,
            warnings: cx.warnings,
        }),
        _ => {
            if cx.errors.is_empty() {
                // Defensive: a builder returned None without saying why.
                cx.error(LINE_FIELD, "invalid record");
            }
            Err(cx.errors)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON parsing

/// Parses `line` as one JSON value, rejecting repeated keys; a syntax error names the path
/// where it happened when there is one.
fn parse_json(line: &str) -> Result<Value, FieldError> {
    let mut de = serde_json::Deserializer::from_str(line);
    let value = match serde_path_to_error::deserialize::<_, StrictValue>(&mut de) {
        Ok(StrictValue(v)) => v,
        Err(e) => {
            let path = json_path(e.path());
            let field = if path.is_empty() {
                LINE_FIELD.to_string()
            } else {
                cut(&path, 200)
            };
            return Err(FieldError {
                field,
                message: json_message(e.inner()),
            });
        }
    };
    de.end().map_err(|e| FieldError {
        field: LINE_FIELD.to_string(),
        message: json_message(&e),
    })?;
    Ok(value)
}

/// `invalid JSON: <what> at column N` (serde_json's "line 1" is meaningless for one NDJSON line).
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match full.strip_suffix(&position) {
        Some(what) if e.column() > 0 => format!("invalid JSON: {what} at column {}", e.column()),
        Some(what) => format!("invalid JSON: {what}"),
        None => format!("invalid JSON: {full}"),
    }
}

/// `a.b[0].c` for a tracked path, up to the first segment whose key is not known yet.
fn json_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } => {
                let key = cut(key, MAX_QUOTE_CHARS);
                out = join(&out, &key);
            }
            Segment::Enum { variant } => out = join(&out, variant),
            Segment::Unknown => break,
        }
    }
    out
}

/// A `serde_json::Value` that refuses duplicate object keys.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = StrictValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<StrictValue, E> {
        serde_json::Number::from_f64(v)
            .map(|n| StrictValue(Value::Number(n)))
            .ok_or_else(|| E::custom("number is not finite"))
    }
    fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v.to_string())))
    }
    fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
    fn visit_none<E>(self) -> Result<StrictValue, E> {
        Ok(StrictValue(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<StrictValue, D::Error> {
        StrictValue::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
        let mut out = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(StrictValue(Value::Array(out)))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StrictValue, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key {} in object",
                    quote(&key)
                )));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(StrictValue(Value::Object(out)))
    }
}

// ---------------------------------------------------------------------------------------------
// Collection of errors and warnings

#[derive(Default)]
struct Cx {
    errors: Vec<FieldError>,
    warnings: Vec<FieldWarning>,
}

impl Cx {
    fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    fn warn(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(FieldWarning {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Warns about every key of `obj` that is not in `known`.
    fn unknown_fields(&mut self, prefix: &str, obj: &Map<String, Value>, known: &[&str]) {
        for key in obj.keys() {
            if !known.contains(&key.as_str()) {
                self.warn(
                    join(prefix, &cut(key, MAX_QUOTE_CHARS)),
                    "unknown field, ignored",
                );
            }
        }
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn index(prefix: &str, i: usize) -> String {
    format!("{prefix}[{i}]")
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn expected(what: &str, got: &Value) -> String {
    format!("expected {what}, got {}", type_name(got))
}

/// `s` cut to `max` chars, with an ellipsis when cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Input quoted for a message: debug-escaped and cut.
fn quote(s: &str) -> String {
    format!("{:?}", cut(s, MAX_QUOTE_CHARS))
}

/// The value of an optional field; `null` counts as absent.
fn present<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

// ---------------------------------------------------------------------------------------------
// Field checkers. Each returns `None` when it reported an error (or the field is absent).

fn opt_str<'a>(
    cx: &mut Cx,
    obj: &'a Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Option<&'a str> {
    match present(obj, key)? {
        Value::String(s) => Some(s),
        other => {
            cx.error(join(prefix, key), expected("a string", other));
            None
        }
    }
}

fn req_str<'a>(
    cx: &mut Cx,
    obj: &'a Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Option<&'a str> {
    if present(obj, key).is_none() {
        cx.error(join(prefix, key), "required");
        return None;
    }
    opt_str(cx, obj, prefix, key)
}

fn opt_bool(cx: &mut Cx, obj: &Map<String, Value>, key: &str) -> bool {
    match present(obj, key) {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            cx.error(key, expected("a boolean (true or false)", other));
            false
        }
    }
}

/// An optional free-text string, trimmed, at most `max` chars; empty means absent.
fn opt_text(
    cx: &mut Cx,
    obj: &Map<String, Value>,
    prefix: &str,
    key: &str,
    max: usize,
) -> Option<String> {
    let s = opt_str(cx, obj, prefix, key)?.trim();
    let n = s.chars().count();
    if n > max {
        cx.error(
            join(prefix, key),
            format!("too long: {n} characters, at most {max} allowed"),
        );
        return None;
    }
    (!s.is_empty()).then(|| s.to_string())
}

/// Whether `id` is 1-200 chars of `[A-Za-z0-9._:/-]`; the error message otherwise.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".to_string());
    }
    if id.len() > MAX_ID_CHARS {
        return Err(format!(
            "too long: {} characters, at most {MAX_ID_CHARS} allowed",
            id.chars().count()
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-')))
    {
        return Err(format!(
            "invalid character {c:?}; only A-Z a-z 0-9 . _ : / - are allowed"
        ));
    }
    Ok(())
}

fn id_field(cx: &mut Cx, obj: &Map<String, Value>, key: &str) -> Option<String> {
    let s = req_str(cx, obj, "", key)?;
    match check_id(s) {
        Ok(()) => Some(s.to_string()),
        Err(msg) => {
            cx.error(key, msg);
            None
        }
    }
}

/// A `lang -> text` object. Keys other than fi/sv/en are warned about and ignored.
/// With `required`, every text must be 1-`max` chars and at least one of fi/sv/en must be
/// present; otherwise empty texts (and `null`s) are dropped with a warning.
fn localized(cx: &mut Cx, v: &Value, path: &str, max: usize, required: bool) -> Option<Localized> {
    let Value::Object(map) = v else {
        cx.error(
            path,
            expected(
                "an object of language code to text, e.g. {\"fi\": \"…\"}",
                v,
            ),
        );
        return None;
    };
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (key, val) in map {
        let p = join(path, &cut(key, MAX_QUOTE_CHARS));
        let Some(lang) = Lang::parse(key) else {
            cx.warn(p, "language not supported (only fi, sv, en), ignored");
            continue;
        };
        let text = match val {
            Value::String(s) => s.trim(),
            Value::Null if !required => {
                cx.warn(p, "null text, ignored");
                continue;
            }
            other => {
                cx.error(p, expected("a string", other));
                ok = false;
                continue;
            }
        };
        let n = text.chars().count();
        if n > max {
            cx.error(
                p,
                format!("too long: {n} characters, at most {max} allowed"),
            );
            ok = false;
        } else if text.is_empty() {
            if required {
                cx.error(p, format!("must be 1-{max} characters"));
                ok = false;
            } else {
                cx.warn(p, "empty text, ignored");
            }
        } else {
            out.insert(lang, text.to_string());
        }
    }
    if required && ok && out.is_empty() {
        cx.error(path, "needs a text in at least one of fi, sv, en");
        return None;
    }
    ok.then_some(Localized(out))
}

fn opt_localized(
    cx: &mut Cx,
    obj: &Map<String, Value>,
    prefix: &str,
    key: &str,
    max: usize,
) -> Localized {
    match present(obj, key) {
        None => Localized::new(),
        Some(v) => localized(cx, v, &join(prefix, key), max, false).unwrap_or_default(),
    }
}

/// An array of strings; each element handed to `check`, which returns the value to keep or an
/// error message. Duplicates (after `check`) are dropped with a warning when `warn_dup`.
fn string_array(
    cx: &mut Cx,
    obj: &Map<String, Value>,
    prefix: &str,
    key: &str,
    warn_dup: bool,
    mut check: impl FnMut(&str) -> Result<String, String>,
) -> Vec<String> {
    let path = join(prefix, key);
    let items = match present(obj, key) {
        None => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            cx.error(path, expected("an array of strings", other));
            return Vec::new();
        }
    };
    let mut out: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = index(&path, i);
        let Value::String(s) = item else {
            cx.error(p, expected("a string", item));
            continue;
        };
        match check(s) {
            Ok(v) if out.contains(&v) => {
                if warn_dup {
                    cx.warn(p, format!("duplicate {}, ignored", quote(s)));
                }
            }
            Ok(v) => out.push(v),
            Err(msg) => cx.error(p, msg),
        }
    }
    out
}

fn vocabulary_codes(
    cx: &mut Cx,
    obj: &Map<String, Value>,
    key: &str,
    vocab: Vocabulary,
) -> Vec<String> {
    string_array(cx, obj, "", key, true, |s| {
        if reference().is_code(vocab, s) {
            Ok(s.to_string())
        } else {
            Err(format!("unknown {} code {}", vocab.name(), quote(s)))
        }
    })
}

/// Resolves a municipality code or fi/sv name to its 3-digit code.
fn municipality_code(s: &str) -> Result<String, String> {
    reference()
        .resolve_municipality(s)
        .map(|m| m.code.clone())
        .ok_or_else(|| {
            format!(
                "unknown municipality {} (expected a 3-digit code or a fi/sv name)",
                quote(s)
            )
        })
}

fn municipalities(cx: &mut Cx, obj: &Map<String, Value>) -> Vec<String> {
    // Duplicates after resolving ("405" and "Lappeenranta") are merged silently.
    string_array(cx, obj, "", "municipalities", false, municipality_code)
}

/// Whether `s` has the shape of an ISO 639-1 or 639-3 code.
pub fn is_language_code(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
}

/// Validates a Finnish business ID (Y-tunnus) `NNNNNNN-N` including its check digit.
pub fn check_business_id(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 9
        && b[7] == b'-'
        && b[..7].iter().all(u8::is_ascii_digit)
        && b[8].is_ascii_digit();
    if !shape_ok {
        return Err("must have the form NNNNNNN-N (7 digits, hyphen, check digit)".to_string());
    }
    const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..7]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let expected = match sum % 11 {
        0 => 0,
        1 => {
            return Err("invalid business ID: no valid check digit exists for these digits".into());
        }
        r => 11 - r,
    };
    if u32::from(b[8] - b'0') != expected {
        return Err(format!("check digit should be {expected}"));
    }
    Ok(())
}

fn is_host(host: &str) -> bool {
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    if host.len() > 253 || !host.contains('.') {
        return false;
    }
    host.split('.').all(|label| {
        !label.is_empty()
            && label.chars().count() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-')
    })
}

/// Checks that `s` is an absolute `http`/`https` URL (see the module docs for the rules).
pub fn check_web_url(s: &str) -> Result<(), String> {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    let Some((scheme, rest)) = s.split_once(':') else {
        return Err("must be an absolute http:// or https:// URL".into());
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err("must be an absolute http:// or https:// URL".into());
    }
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "scheme {} not allowed; only http and https",
            quote(scheme)
        ));
    }
    let Some(rest) = rest.strip_prefix("//") else {
        return Err("must be an absolute http:// or https:// URL".into());
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err("must not contain a user name or password".into());
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return Err("invalid IPv6 host".into());
        };
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("invalid IPv6 host".into());
        }
        match after {
            "" => ("v6", None),
            p => match p.strip_prefix(':') {
                Some(port) => ("v6", Some(port)),
                None => return Err("invalid host".into()),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("missing host name".into());
    }
    if host != "v6" && !is_host(host) {
        return Err(format!("invalid host name {}", quote(host)));
    }
    if let Some(p) = port {
        let ok = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !ok {
            return Err(format!("invalid port {}", quote(p)));
        }
    }
    let tb = tail.as_bytes();
    for (i, &b) in tb.iter().enumerate() {
        if b == b'%'
            && !(tb.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && tb.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err("invalid percent escape".into());
        }
        if matches!(
            b,
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
        ) {
            return Err(format!("character {:?} must be percent-encoded", b as char));
        }
    }
    Ok(())
}

/// Plausibility check of a public e-mail address.
pub fn check_email(s: &str) -> Result<(), String> {
    if s.chars().count() > MAX_EMAIL_CHARS {
        return Err(format!("too long, at most {MAX_EMAIL_CHARS} characters"));
    }
    let Some((local, domain)) = s.split_once('@') else {
        return Err("must look like name@example.org".into());
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local.chars().all(|c| {
            (c.is_alphanumeric() && !c.is_control()) || "!#$%&'*+/=?^_`{|}~.-".contains(c)
        });
    if !local_ok || !is_host(domain) || domain.parse::<std::net::Ipv4Addr>().is_ok() {
        return Err("must look like name@example.org".into());
    }
    Ok(())
}

/// Plausibility check of a public phone number.
pub fn check_phone(s: &str) -> Result<(), String> {
    if s.chars().count() > MAX_PHONE_CHARS {
        return Err(format!("too long, at most {MAX_PHONE_CHARS} characters"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '/' | '.')))
    {
        return Err(format!(
            "invalid character {c:?}; only digits, spaces and + - ( ) / . are allowed"
        ));
    }
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    if !(3..=20).contains(&digits) {
        return Err(format!("must have 3-20 digits, has {digits}"));
    }
    Ok(())
}

/// A parsed ISO 8601 date or date-time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timestamp {
    Date(Date),
    /// Without an offset: Finnish local time.
    Local(PrimitiveDateTime),
    Offset(OffsetDateTime),
}

impl Timestamp {
    fn date(self) -> Date {
        match self {
            Timestamp::Date(d) => d,
            Timestamp::Local(p) => p.date(),
            Timestamp::Offset(o) => o.date(),
        }
    }
}

/// Parses an ISO 8601 date (`YYYY-MM-DD`) or date-time (RFC 3339, or local without offset).
pub fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    const MSG: &str =
        "expected an ISO 8601 date (2026-09-01) or date-time (2026-09-01T17:00:00+03:00)";
    // `time` accepts signs and wider years in some formats; insist on YYYY-MM-DD first.
    let b = s.as_bytes();
    let date_shape = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit);
    if !date_shape {
        return Err(MSG.into());
    }
    if b.len() == 10 {
        return Date::parse(s, format_description!("[year]-[month]-[day]"))
            .map(Timestamp::Date)
            .map_err(|e| format!("invalid date: {e}"));
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(Timestamp::Offset(t));
    }
    // PTV writes local date-times with microseconds (`2020-07-29T08:30:04.835555`).
    let local_formats = [
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        format_description!("[year]-[month]-[day]T[hour]:[minute]"),
    ];
    for f in local_formats {
        if let Ok(t) = PrimitiveDateTime::parse(s, f) {
            return Ok(Timestamp::Local(t));
        }
    }
    Err(MSG.into())
}

/// `end` before `start`?
fn is_before(end: Timestamp, start: Timestamp) -> bool {
    match (end, start) {
        (Timestamp::Offset(e), Timestamp::Offset(s)) => e < s,
        (Timestamp::Local(e), Timestamp::Local(s)) => e < s,
        (e, s) => e.date() < s.date(),
    }
}

fn timestamp_field(
    cx: &mut Cx,
    obj: &Map<String, Value>,
    prefix: &str,
    key: &str,
) -> Option<(String, Timestamp)> {
    let s = opt_str(cx, obj, prefix, key)?;
    match parse_timestamp(s) {
        Ok(t) => Some((s.to_string(), t)),
        Err(msg) => {
            cx.error(join(prefix, key), msg);
            None
        }
    }
}

/// `HH:MM` as minutes since midnight; `24:00` only when `allow_24`.
fn parse_hhmm(s: &str, allow_24: bool) -> Option<u32> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit()) {
        return None;
    }
    let h = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
    let m = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
    if (h < 24 && m < 60) || (allow_24 && h == 24 && m == 0) {
        Some(h * 60 + m)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Records

const COMMON_FIELDS: [&str; 13] = [
    "type",
    "id",
    "name",
    "description",
    "themes",
    "target_groups",
    "languages",
    "plain_language",
    "website",
    "email",
    "phone",
    "updated_at",
    "source",
];

fn common(cx: &mut Cx, obj: &Map<String, Value>) -> Option<Common> {
    let id = id_field(cx, obj, "id");
    let name = match present(obj, "name") {
        None => {
            cx.error("name", "required");
            None
        }
        Some(v) => localized(cx, v, "name", MAX_NAME_CHARS, true),
    };
    let description = opt_localized(cx, obj, "", "description", MAX_DESCRIPTION_CHARS);
    let themes = vocabulary_codes(cx, obj, "themes", Vocabulary::Theme);
    let target_groups = vocabulary_codes(cx, obj, "target_groups", Vocabulary::TargetGroup);
    let languages = string_array(cx, obj, "", "languages", true, |s| {
        if is_language_code(s) {
            Ok(s.to_string())
        } else {
            Err(format!(
                "{} is not an ISO 639-1/639-3 code (2-3 lowercase letters, e.g. fi, sv, se)",
                quote(s)
            ))
        }
    });
    let plain_language = opt_bool(cx, obj, "plain_language");
    let website = opt_str(cx, obj, "", "website").and_then(|s| {
        let r = if s.chars().count() > MAX_WEBSITE_CHARS {
            Err(format!("too long, at most {MAX_WEBSITE_CHARS} characters"))
        } else {
            check_web_url(s)
        };
        r.map_err(|m| cx.error("website", m))
            .ok()
            .map(|()| s.to_string())
    });
    let email = opt_str(cx, obj, "", "email").and_then(|s| {
        check_email(s)
            .map_err(|m| cx.error("email", m))
            .ok()
            .map(|()| s.to_string())
    });
    let phone = opt_str(cx, obj, "", "phone").and_then(|s| {
        check_phone(s)
            .map_err(|m| cx.error("phone", m))
            .ok()
            .map(|()| s.to_string())
    });
    let updated_at = timestamp_field(cx, obj, "", "updated_at").map(|(s, _)| s);
    let source = opt_text(cx, obj, "", "source", MAX_SOURCE_CHARS);
    Some(Common {
        id: id?,
        name: name?,
        description,
        themes,
        target_groups,
        languages,
        plain_language,
        website,
        email,
        phone,
        updated_at,
        source,
        sources: Vec::new(),
    })
}

fn organisation(cx: &mut Cx, obj: &Map<String, Value>) -> Option<Organisation> {
    let mut known: Vec<&str> = COMMON_FIELDS.to_vec();
    known.extend(["business_id", "municipalities", "locations"]);
    cx.unknown_fields("", obj, &known);
    let common = common(cx, obj);
    let business_id = opt_str(cx, obj, "", "business_id").and_then(|s| {
        check_business_id(s)
            .map_err(|m| cx.error("business_id", m))
            .ok()
            .map(|()| s.to_string())
    });
    let municipalities = municipalities(cx, obj);
    let mut locations = Vec::new();
    match present(obj, "locations") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(l) = location(cx, item, &index("locations", i)) {
                    locations.push(l);
                }
            }
        }
        Some(other) => cx.error("locations", expected("an array of locations", other)),
    }
    Some(Organisation {
        common: common?,
        business_id,
        municipalities,
        locations,
    })
}

fn activity(cx: &mut Cx, obj: &Map<String, Value>) -> Option<Activity> {
    let mut known: Vec<&str> = COMMON_FIELDS.to_vec();
    known.extend([
        "organisation_id",
        "kind",
        "location",
        "online",
        "municipalities",
        "schedule",
        "free",
        "registration_required",
        "accessible",
    ]);
    cx.unknown_fields("", obj, &known);
    let common = common(cx, obj);
    let organisation_id = id_field(cx, obj, "organisation_id");
    let kind = opt_str(cx, obj, "", "kind").and_then(|s| {
        if reference().is_code(Vocabulary::ActivityKind, s) {
            Some(s.to_string())
        } else {
            cx.error("kind", format!("unknown kind code {}", quote(s)));
            None
        }
    });
    let location = present(obj, "location").and_then(|v| location(cx, v, "location"));
    let online = opt_bool(cx, obj, "online");
    let municipalities = municipalities(cx, obj);
    let schedule = present(obj, "schedule").and_then(|v| schedule(cx, v, "schedule"));
    let free = opt_bool(cx, obj, "free");
    let registration_required = opt_bool(cx, obj, "registration_required");
    let accessible = opt_bool(cx, obj, "accessible");
    Some(Activity {
        common: common?,
        organisation_id: organisation_id?,
        kind,
        location,
        online,
        municipalities,
        schedule,
        free,
        registration_required,
        accessible,
    })
}

fn delete(cx: &mut Cx, obj: &Map<String, Value>) -> Option<Delete> {
    cx.unknown_fields("", obj, &["type", "id", "of"]);
    let id = id_field(cx, obj, "id");
    let of = req_str(cx, obj, "", "of").and_then(|s| {
        let t = RecordType::parse(s);
        if t.is_none() {
            cx.error(
                "of",
                format!(
                    "unknown record type {}; expected organisation or activity",
                    quote(s)
                ),
            );
        }
        t
    });
    Some(Delete { id: id?, of: of? })
}

fn location(cx: &mut Cx, v: &Value, path: &str) -> Option<Location> {
    let Value::Object(obj) = v else {
        cx.error(path, expected("an object", v));
        return None;
    };
    cx.unknown_fields(
        path,
        obj,
        &[
            "name",
            "address",
            "postal_code",
            "post_office",
            "municipality",
            "lat",
            "lon",
            "accessibility",
        ],
    );
    let errors_before = cx.errors.len();
    let name = opt_localized(cx, obj, path, "name", MAX_LOCATION_NAME_CHARS);
    let address = opt_text(cx, obj, path, "address", MAX_ADDRESS_CHARS);
    let postal_code = opt_str(cx, obj, path, "postal_code").and_then(|s| {
        if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
            Some(s.to_string())
        } else {
            cx.error(
                join(path, "postal_code"),
                format!("{} is not a postal code of five digits", quote(s)),
            );
            None
        }
    });
    let post_office = opt_text(cx, obj, path, "post_office", MAX_POST_OFFICE_CHARS);
    let municipality = req_str(cx, obj, path, "municipality").and_then(|s| {
        municipality_code(s)
            .map_err(|m| cx.error(join(path, "municipality"), m))
            .ok()
    });
    let coord = |cx: &mut Cx, key: &str, range: (f64, f64)| -> Option<f64> {
        let v = present(obj, key)?;
        let p = join(path, key);
        let Some(x) = v.as_f64().filter(|_| v.is_number()) else {
            cx.error(p, expected("a number", v));
            return None;
        };
        if !x.is_finite() || !(range.0..=range.1).contains(&x) {
            cx.error(
                p,
                format!("{x} lies outside Finland ({key} {}..{})", range.0, range.1),
            );
            return None;
        }
        Some(x)
    };
    let lat = coord(cx, "lat", FINLAND_LAT);
    let lon = coord(cx, "lon", FINLAND_LON);
    let lat_given = present(obj, "lat").is_some();
    let lon_given = present(obj, "lon").is_some();
    if lat_given && !lon_given {
        cx.error(join(path, "lon"), "required when lat is given");
    } else if lon_given && !lat_given {
        cx.error(join(path, "lat"), "required when lon is given");
    }
    let point = match (lat, lon) {
        (Some(lat), Some(lon)) => match LatLon::in_finland(lat, lon) {
            Ok(p) => Some(p),
            Err(e) => {
                cx.error(join(path, "lat"), e.to_string());
                None
            }
        },
        _ => None,
    };
    let accessibility = opt_localized(cx, obj, path, "accessibility", MAX_ACCESSIBILITY_CHARS);
    if cx.errors.len() > errors_before {
        return None;
    }
    Some(Location {
        name,
        address,
        postal_code,
        post_office,
        municipality: municipality?,
        point,
        accessibility,
    })
}

fn schedule(cx: &mut Cx, v: &Value, path: &str) -> Option<Schedule> {
    let Value::Object(obj) = v else {
        cx.error(path, expected("an object", v));
        return None;
    };
    cx.unknown_fields(path, obj, &["text", "weekly", "start", "end"]);
    let errors_before = cx.errors.len();
    let text = opt_localized(cx, obj, path, "text", MAX_SCHEDULE_TEXT_CHARS);
    let mut weekly = Vec::new();
    let weekly_path = join(path, "weekly");
    match present(obj, "weekly") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if let Some(s) = weekly_slot(cx, item, &index(&weekly_path, i)) {
                    weekly.push(s);
                }
            }
        }
        Some(other) => cx.error(
            weekly_path,
            expected("an array of {weekday, start, end}", other),
        ),
    }
    let start = timestamp_field(cx, obj, path, "start");
    let end = timestamp_field(cx, obj, path, "end");
    if let (Some((s_str, s)), Some((_, e))) = (&start, &end)
        && is_before(*e, *s)
    {
        cx.error(
            join(path, "end"),
            format!("must not be before start ({})", cut(s_str, MAX_QUOTE_CHARS)),
        );
    }
    if cx.errors.len() > errors_before {
        return None;
    }
    Some(Schedule {
        text,
        weekly,
        start: start.map(|(s, _)| s),
        end: end.map(|(s, _)| s),
    })
}

fn weekly_slot(cx: &mut Cx, v: &Value, path: &str) -> Option<WeeklySlot> {
    let Value::Object(obj) = v else {
        cx.error(path, expected("an object {weekday, start, end}", v));
        return None;
    };
    cx.unknown_fields(path, obj, &["weekday", "start", "end"]);
    let weekday = req_str(cx, obj, path, "weekday").and_then(|s| {
        let d = Weekday::parse(s);
        if d.is_none() {
            cx.error(
                join(path, "weekday"),
                format!(
                    "{} is not one of mon, tue, wed, thu, fri, sat, sun",
                    quote(s)
                ),
            );
        }
        d
    });
    let time = |cx: &mut Cx, key: &str, allow_24: bool| -> Option<(String, u32)> {
        let s = req_str(cx, obj, path, key)?;
        match parse_hhmm(s, allow_24) {
            Some(m) => Some((s.to_string(), m)),
            None => {
                cx.error(
                    join(path, key),
                    format!("{} is not a time HH:MM (00:00-23:59)", quote(s)),
                );
                None
            }
        }
    };
    let start = time(cx, "start", false);
    let end = time(cx, "end", true);
    let (start, end) = (start?, end?);
    if end.1 <= start.1 {
        cx.error(
            join(path, "end"),
            format!(
                "must be after start ({}); split a slot that crosses midnight in two",
                start.0
            ),
        );
        return None;
    }
    Some(WeeklySlot {
        weekday: weekday?,
        start: start.0,
        end: end.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_date_times_may_have_fractional_seconds() {
        assert!(matches!(
            parse_timestamp("2020-07-29T08:30:04.835555"),
            Ok(Timestamp::Local(_))
        ));
        assert!(parse_timestamp("2020-07-29T08:30:04.").is_err());
    }
    use serde_json::json;

    fn org() -> Value {
        json!({
            "type": "organisation",
            "id": "local:ek-omaishoitajat",
            "name": {"fi": "Etelä-Karjalan Omaishoitajat ry"},
            "themes": ["carers", "peer_support"],
            "target_groups": ["carers"],
            "languages": ["fi"],
            "municipalities": ["405", "153"],
            "business_id": "1639233-6",
            "locations": [{
                "address": "Kauppakatu 40", "postal_code": "53100", "post_office": "Lappeenranta",
                "municipality": "405", "lat": 61.0587, "lon": 28.1887
            }],
            "website": "https://example.org",
            "email": "info@example.org",
            "phone": "+358 40 123 4567",
            "updated_at": "2026-09-01"
        })
    }

    fn act() -> Value {
        json!({
            "type": "activity",
            "id": "local:ek-omaishoitajat/tiistairyhma",
            "organisation_id": "local:ek-omaishoitajat",
            "name": {"fi": "Omaishoitajien vertaistukiryhmä"},
            "description": {"fi": "Keskustelua ja tukea toisilta omaishoitajilta."},
            "kind": "peer_support_group",
            "themes": ["peer_support", "carers"],
            "target_groups": ["carers"],
            "languages": ["fi"],
            "location": {"address": "Kauppakatu 40", "postal_code": "53100", "municipality": "405",
                         "lat": 61.0587, "lon": 28.1887},
            "schedule": {"text": {"fi": "Joka kuun toinen tiistai klo 17-19"},
                         "weekly": [{"weekday": "tue", "start": "17:00", "end": "19:00"}]},
            "free": true,
            "accessible": true,
            "updated_at": "2026-09-01"
        })
    }

    /// `base` with the field at JSON pointer `ptr` set to `val` (parent must exist).
    fn set(mut base: Value, ptr: &str, val: Value) -> Value {
        let (parent, key) = ptr.rsplit_once('/').unwrap();
        let target = base.pointer_mut(parent).unwrap();
        match target {
            Value::Object(m) => {
                m.insert(key.to_string(), val);
            }
            Value::Array(a) => a[key.parse::<usize>().unwrap()] = val,
            _ => panic!("bad pointer {ptr}"),
        }
        base
    }

    fn remove(mut base: Value, ptr: &str) -> Value {
        let (parent, key) = ptr.rsplit_once('/').unwrap();
        base.pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(key);
        base
    }

    fn ok(v: &Value) -> Validated {
        parse_record(&v.to_string()).unwrap_or_else(|e| panic!("{v}: unexpected errors {e:?}"))
    }

    fn errs_of(line: &str) -> Vec<FieldError> {
        match parse_record(line) {
            Ok(v) => panic!("{line}: accepted as {:?}", v.record),
            Err(e) => {
                assert!(!e.is_empty());
                e
            }
        }
    }

    /// Asserts that `v` is rejected with exactly the error fields `fields`.
    #[track_caller]
    fn rejects(v: Value, fields: &[&str]) -> Vec<FieldError> {
        let errs = errs_of(&v.to_string());
        let got: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(got, fields, "{v}\n{errs:?}");
        errs
    }

    #[track_caller]
    fn rejects_one(v: Value, field: &str) -> String {
        rejects(v, &[field]).remove(0).message
    }

    fn warning_fields(v: &Validated) -> Vec<&str> {
        v.warnings.iter().map(|w| w.field.as_str()).collect()
    }

    #[test]
    fn spec_examples_validate() {
        let o = ok(&org());
        assert!(o.warnings.is_empty());
        let Record::Organisation(o) = o.record else {
            panic!()
        };
        assert_eq!(o.municipalities, ["405", "153"]);
        assert_eq!(o.locations[0].point.map(|p| p.lat()), Some(61.0587));
        let a = ok(&act());
        assert!(a.warnings.is_empty());
        let Record::Activity(a) = a.record else {
            panic!()
        };
        assert_eq!(a.organisation_id, "local:ek-omaishoitajat");
        assert_eq!(a.schedule.unwrap().weekly[0].weekday, Weekday::Tue);
        let d = ok(&json!({"type": "delete", "id": "local:x", "of": "activity"}));
        assert_eq!(
            d.record,
            Record::Delete(Delete {
                id: "local:x".into(),
                of: RecordType::Activity
            })
        );
    }

    #[test]
    fn whole_corpus_validates_without_errors_or_warnings() {
        let corpus = include_str!("../../data/eval/corpus.ndjson");
        let (mut n, mut warnings) = (0, 0);
        for (i, line) in corpus.lines().enumerate() {
            match parse_record(line) {
                Ok(v) => warnings += v.warnings.len(),
                Err(e) => panic!("corpus line {}: {e:?}", i + 1),
            }
            n += 1;
        }
        assert_eq!(n, 645);
        assert_eq!(warnings, 0);
    }

    #[test]
    fn type_rules() {
        rejects_one(remove(org(), "/type"), "type");
        rejects_one(set(org(), "/type", json!(1)), "type");
        let m = rejects_one(set(org(), "/type", json!("organization")), "type");
        assert!(m.contains("unknown type"), "{m}");
    }

    #[test]
    fn id_rules() {
        rejects_one(remove(org(), "/id"), "id");
        rejects_one(set(org(), "/id", json!(null)), "id");
        rejects_one(set(org(), "/id", json!("")), "id");
        rejects_one(set(org(), "/id", json!(12)), "id");
        rejects_one(set(org(), "/id", json!("local:a b")), "id");
        rejects_one(set(org(), "/id", json!("local:ä")), "id");
        rejects_one(set(org(), "/id", json!("x".repeat(201))), "id");
        ok(&set(org(), "/id", json!("x".repeat(200))));
        ok(&set(org(), "/id", json!("ptv:AZaz09._:/-")));
    }

    #[test]
    fn name_rules() {
        rejects_one(remove(org(), "/name"), "name");
        rejects_one(set(org(), "/name", json!(null)), "name");
        rejects_one(set(org(), "/name", json!("Yhdistys")), "name");
        rejects_one(set(org(), "/name", json!({})), "name");
        rejects_one(set(org(), "/name", json!({"de": "Verein"})), "name");
        rejects_one(set(org(), "/name", json!({"fi": ""})), "name.fi");
        rejects_one(set(org(), "/name", json!({"fi": "   "})), "name.fi");
        rejects_one(set(org(), "/name", json!({"fi": 5})), "name.fi");
        rejects_one(
            set(org(), "/name", json!({"sv": "ä".repeat(301)})),
            "name.sv",
        );
        let v = ok(&set(
            org(),
            "/name",
            json!({"en": "ä".repeat(300), "de": "Verein"}),
        ));
        assert_eq!(warning_fields(&v), ["name.de"]);
        let v = ok(&set(org(), "/name", json!({"fi": "  Yhdistys ry "})));
        assert_eq!(v.record_name_fi(), "Yhdistys ry");
    }

    impl Validated {
        fn record_name_fi(&self) -> &str {
            match &self.record {
                Record::Organisation(o) => o.common.name.get(Lang::Fi).unwrap(),
                Record::Activity(a) => a.common.name.get(Lang::Fi).unwrap(),
                Record::Delete(_) => panic!(),
            }
        }
    }

    #[test]
    fn description_rules() {
        rejects_one(
            set(org(), "/description", json!({"fi": "a".repeat(20_001)})),
            "description.fi",
        );
        rejects_one(set(org(), "/description", json!(["x"])), "description");
        ok(&set(
            org(),
            "/description",
            json!({"fi": "a".repeat(20_000)}),
        ));
        let v = ok(&set(org(), "/description", json!({"fi": "", "ru": "x"})));
        assert_eq!(warning_fields(&v), ["description.fi", "description.ru"]);
    }

    #[test]
    fn vocabulary_rules() {
        let m = rejects_one(
            set(org(), "/themes", json!(["carers", "nope"])),
            "themes[1]",
        );
        assert!(m.contains("unknown theme code"), "{m}");
        rejects_one(set(org(), "/themes", json!("carers")), "themes");
        rejects_one(set(org(), "/themes", json!([1])), "themes[0]");
        rejects_one(
            set(org(), "/target_groups", json!(["Carers"])),
            "target_groups[0]",
        );
        rejects_one(set(act(), "/kind", json!("food_bank")), "kind");
        rejects_one(set(act(), "/kind", json!(["club"])), "kind");
        let v = ok(&set(org(), "/themes", json!(["carers", "carers"])));
        assert_eq!(warning_fields(&v), ["themes[1]"]);
    }

    #[test]
    fn language_rules() {
        for bad in ["FI", "fin1", "f", "", "fi-FI"] {
            rejects_one(set(org(), "/languages", json!(["fi", bad])), "languages[1]");
        }
        rejects_one(set(org(), "/languages", json!("fi")), "languages");
        ok(&set(org(), "/languages", json!(["fi", "se", "smn", "ar"])));
    }

    #[test]
    fn boolean_rules() {
        rejects_one(
            set(org(), "/plain_language", json!("yes")),
            "plain_language",
        );
        for key in [
            "free",
            "online",
            "accessible",
            "registration_required",
            "plain_language",
        ] {
            rejects_one(set(act(), &format!("/{key}"), json!(1)), key);
        }
        ok(&set(act(), "/online", json!(null)));
    }

    #[test]
    fn website_rules() {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "/relative/path",
            "example.org",
            "ftp://example.org/",
            "https://",
            "https:example.org",
            "http://exa mple.org",
            "https://user:pw@example.org/",
            "https://example.org:99999/",
            "https://example.org:/",
            "https://localhost/",
            "https://-bad-.fi/",
            "https://example.org/%zz",
            " https://example.org",
        ] {
            rejects_one(set(org(), "/website", json!(bad)), "website");
        }
        rejects_one(
            set(
                org(),
                "/website",
                json!(format!("https://e.fi/{}", "a".repeat(2100))),
            ),
            "website",
        );
        rejects_one(set(org(), "/website", json!(42)), "website");
        for good in [
            "https://example.org/a/b?c=d&e=%20f#g",
            "HTTP://EXAMPLE.ORG",
            "https://[::1]:8080/",
            "http://192.168.1.1/",
            "https://ääkkönen.fi/polku/ä",
            "https://example.org:8443",
        ] {
            ok(&set(org(), "/website", json!(good)));
        }
    }

    #[test]
    fn email_and_phone_rules() {
        for bad in [
            "info",
            "info@example",
            "in fo@example.org",
            "@example.org",
            "mailto:a@b.fi",
        ] {
            rejects_one(set(org(), "/email", json!(bad)), "email");
        }
        rejects_one(
            set(org(), "/email", json!(format!("{}@e.fi", "a".repeat(300)))),
            "email",
        );
        for bad in ["call us", "12", "040 123 4567 ext. 5", &"1".repeat(41)] {
            rejects_one(set(org(), "/phone", json!(bad)), "phone");
        }
        rejects_one(set(org(), "/phone", json!(401234567)), "phone");
        ok(&set(org(), "/phone", json!("116 111")));
        ok(&set(org(), "/phone", json!("(09) 123-456")));
    }

    #[test]
    fn updated_at_rules() {
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "yesterday",
            "2026-9-1",
            "01.09.2026",
            "2026-09-01 10:00",
            "2026-09-01T25:00:00Z",
            "+2026-09-01",
        ] {
            rejects_one(set(org(), "/updated_at", json!(bad)), "updated_at");
        }
        rejects_one(set(org(), "/updated_at", json!(20260901)), "updated_at");
        for good in [
            "2026-09-01",
            "2026-09-01T10:00:00Z",
            "2026-09-01T10:00:00.123+03:00",
            "2026-09-01T10:00",
            "2026-09-01T10:00:30",
        ] {
            ok(&set(org(), "/updated_at", json!(good)));
        }
    }

    #[test]
    fn business_id_rules() {
        assert!(check_business_id("1639233-6").is_ok());
        assert!(check_business_id("0000000-0").is_ok()); // remainder 0 -> check digit 0
        let m = rejects_one(
            set(org(), "/business_id", json!("1639233-5")),
            "business_id",
        );
        assert!(m.contains("should be 6"), "{m}");
        // 1000008: weighted sum mod 11 is 1, for which no check digit exists.
        rejects_one(
            set(org(), "/business_id", json!("1000008-0")),
            "business_id",
        );
        rejects_one(
            set(org(), "/business_id", json!("1000008-1")),
            "business_id",
        );
        for bad in [
            "1639233",
            "163923-6",
            "16392336",
            "1639233-66",
            "FI16392336",
            "１639233-6",
        ] {
            rejects_one(set(org(), "/business_id", json!(bad)), "business_id");
        }
        rejects_one(set(org(), "/business_id", json!(16392336)), "business_id");
    }

    #[test]
    fn municipality_rules() {
        rejects_one(
            set(org(), "/municipalities", json!(["405", "Atlantis"])),
            "municipalities[1]",
        );
        rejects_one(
            set(org(), "/municipalities", json!([405])),
            "municipalities[0]",
        );
        rejects_one(
            set(org(), "/municipalities", json!(["91"])),
            "municipalities[0]",
        );
        rejects_one(
            set(org(), "/municipalities", json!("405")),
            "municipalities",
        );
        rejects_one(
            set(act(), "/municipalities", json!(["Narnia"])),
            "municipalities[0]",
        );
        let v = ok(&set(
            org(),
            "/municipalities",
            json!(["Lappeenranta", "villmanstrand", "405", "Helsingfors"]),
        ));
        let Record::Organisation(o) = v.record else {
            panic!()
        };
        assert_eq!(o.municipalities, ["405", "091"]);
    }

    #[test]
    fn location_rules() {
        let l = "/locations/0";
        rejects_one(
            set(org(), &format!("{l}/postal_code"), json!("5310")),
            "locations[0].postal_code",
        );
        rejects_one(
            set(org(), &format!("{l}/postal_code"), json!(53100)),
            "locations[0].postal_code",
        );
        rejects_one(
            set(org(), &format!("{l}/postal_code"), json!("53 100")),
            "locations[0].postal_code",
        );
        rejects_one(
            remove(org(), &format!("{l}/municipality")),
            "locations[0].municipality",
        );
        rejects_one(
            set(org(), &format!("{l}/municipality"), json!("Atlantis")),
            "locations[0].municipality",
        );
        rejects_one(remove(org(), &format!("{l}/lon")), "locations[0].lon");
        rejects_one(remove(org(), &format!("{l}/lat")), "locations[0].lat");
        rejects_one(
            set(org(), &format!("{l}/lat"), json!("61.05")),
            "locations[0].lat",
        );
        rejects_one(
            set(org(), &format!("{l}/lat"), json!(50.0)),
            "locations[0].lat",
        );
        rejects_one(
            set(org(), &format!("{l}/lon"), json!(40)),
            "locations[0].lon",
        );
        rejects_one(
            set(org(), &format!("{l}/lat"), json!(1e20)),
            "locations[0].lat",
        );
        rejects_one(
            set(org(), &format!("{l}/lat"), json!(null)),
            "locations[0].lat",
        );
        rejects(
            set(
                set(org(), &format!("{l}/lat"), json!(0)),
                &format!("{l}/lon"),
                json!(0),
            ),
            &["locations[0].lat", "locations[0].lon"],
        );
        rejects_one(
            set(org(), &format!("{l}/address"), json!(["x"])),
            "locations[0].address",
        );
        rejects_one(
            set(org(), &format!("{l}/name"), json!({"fi": "a".repeat(301)})),
            "locations[0].name.fi",
        );
        rejects_one(
            set(org(), &format!("{l}/accessibility"), json!("ramp")),
            "locations[0].accessibility",
        );
        rejects_one(
            set(org(), "/locations", json!({"address": "x"})),
            "locations",
        );
        rejects_one(
            set(org(), "/locations/0", json!("Kauppakatu 40")),
            "locations[0]",
        );
        rejects_one(
            set(act(), "/location/postal_code", json!("x")),
            "location.postal_code",
        );
        rejects_one(set(act(), "/location", json!([])), "location");
        // Municipality names resolve; coordinates are optional as a pair.
        let v = ok(&remove(
            remove(
                set(org(), &format!("{l}/municipality"), json!("Villmanstrand")),
                &format!("{l}/lat"),
            ),
            &format!("{l}/lon"),
        ));
        let Record::Organisation(o) = v.record else {
            panic!()
        };
        assert_eq!(o.locations[0].municipality, "405");
        assert!(o.locations[0].point.is_none());
        // Integer coordinates are numbers too.
        ok(&set(
            set(org(), &format!("{l}/lat"), json!(61)),
            &format!("{l}/lon"),
            json!(28),
        ));
    }

    #[test]
    fn huge_and_non_finite_numbers_are_errors_naming_the_field() {
        let line = org().to_string().replace("61.0587", "1e999");
        let e = errs_of(&line);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "locations[0].lat");
        assert!(e[0].message.contains("invalid JSON"), "{e:?}");
        let line = org().to_string().replace("61.0587", "-1e400");
        assert_eq!(errs_of(&line)[0].field, "locations[0].lat");
        let line = org()
            .to_string()
            .replace("61.0587", "123456789012345678901234567890");
        assert_eq!(errs_of(&line)[0].field, "locations[0].lat");
        for nan in ["NaN", "Infinity", "-Infinity", "\"NaN\""] {
            let line = org().to_string().replace("61.0587", nan);
            assert_eq!(errs_of(&line)[0].field, "locations[0].lat", "{nan}");
        }
    }

    #[test]
    fn activity_rules() {
        rejects_one(remove(act(), "/organisation_id"), "organisation_id");
        rejects_one(
            set(act(), "/organisation_id", json!("local:a b")),
            "organisation_id",
        );
        rejects_one(set(act(), "/organisation_id", json!(7)), "organisation_id");
        let v = ok(&remove(
            remove(remove(act(), "/kind"), "/location"),
            "/schedule",
        ));
        assert!(v.warnings.is_empty());
        // Organisation-only fields are unknown on an activity (and vice versa): warnings.
        let v = ok(&set(act(), "/business_id", json!("1639233-6")));
        assert_eq!(warning_fields(&v), ["business_id"]);
        let v = ok(&set(org(), "/kind", json!("club")));
        assert_eq!(warning_fields(&v), ["kind"]);
    }

    #[test]
    fn schedule_rules() {
        let w = "/schedule/weekly/0";
        rejects_one(
            set(act(), &format!("{w}/weekday"), json!("tuesday")),
            "schedule.weekly[0].weekday",
        );
        rejects_one(
            set(act(), &format!("{w}/weekday"), json!("Tue")),
            "schedule.weekly[0].weekday",
        );
        rejects_one(
            remove(act(), &format!("{w}/weekday")),
            "schedule.weekly[0].weekday",
        );
        rejects_one(
            set(act(), &format!("{w}/start"), json!("7:00")),
            "schedule.weekly[0].start",
        );
        rejects_one(
            set(act(), &format!("{w}/start"), json!("24:00")),
            "schedule.weekly[0].start",
        );
        rejects_one(
            set(act(), &format!("{w}/start"), json!("17:60")),
            "schedule.weekly[0].start",
        );
        rejects_one(
            set(act(), &format!("{w}/end"), json!(1900)),
            "schedule.weekly[0].end",
        );
        rejects_one(
            set(act(), &format!("{w}/end"), json!("24:01")),
            "schedule.weekly[0].end",
        );
        rejects_one(
            set(act(), &format!("{w}/end"), json!("17:00")),
            "schedule.weekly[0].end",
        );
        let m = rejects_one(
            set(act(), &format!("{w}/end"), json!("02:00")),
            "schedule.weekly[0].end",
        );
        assert!(m.contains("midnight"), "{m}");
        rejects_one(set(act(), w, json!("tue 17-19")), "schedule.weekly[0]");
        rejects_one(set(act(), "/schedule/weekly", json!({})), "schedule.weekly");
        rejects_one(
            set(act(), "/schedule/start", json!("next week")),
            "schedule.start",
        );
        rejects_one(
            set(act(), "/schedule/end", json!("2026-02-30")),
            "schedule.end",
        );
        rejects_one(
            set(act(), "/schedule/text", json!("Tiistaisin")),
            "schedule.text",
        );
        rejects_one(set(act(), "/schedule", json!("Tiistaisin")), "schedule");
        let season = |s: &str, e: &str| {
            set(
                set(act(), "/schedule/start", json!(s)),
                "/schedule/end",
                json!(e),
            )
        };
        rejects_one(season("2026-09-02", "2026-09-01"), "schedule.end");
        rejects_one(
            season("2026-09-01T18:00:00+03:00", "2026-09-01T16:00:00+02:00"),
            "schedule.end",
        );
        rejects_one(
            season("2026-09-01T18:00", "2026-09-01T17:59"),
            "schedule.end",
        );
        ok(&season("2026-09-01", "2026-09-01"));
        ok(&season(
            "2026-09-01T18:00:00+03:00",
            "2026-09-01T17:00:00+02:00",
        ));
        ok(&season("2026-09-01", "2026-09-01T20:00:00+03:00"));
        ok(&set(act(), &format!("{w}/end"), json!("24:00")));
        let v = ok(&set(act(), &format!("{w}/room"), json!("B")));
        assert_eq!(warning_fields(&v), ["schedule.weekly[0].room"]);
    }

    #[test]
    fn delete_rules() {
        rejects_one(json!({"type": "delete", "id": "local:x"}), "of");
        rejects_one(
            json!({"type": "delete", "id": "local:x", "of": "event"}),
            "of",
        );
        rejects_one(json!({"type": "delete", "of": "organisation"}), "id");
        rejects_one(
            json!({"type": "delete", "id": "local x", "of": "organisation"}),
            "id",
        );
        let v = ok(
            &json!({"type": "delete", "id": "local:x", "of": "organisation", "name": {"fi": "x"}}),
        );
        assert_eq!(warning_fields(&v), ["name"]);
    }

    #[test]
    fn unknown_fields_are_warnings() {
        let v = ok(&set(
            set(org(), "/extra", json!(1)),
            "/locations/0/floor",
            json!(2),
        ));
        assert_eq!(warning_fields(&v), ["extra", "locations[0].floor"]);
        assert!(v.warnings[0].message.contains("unknown field"));
        let v = ok(&set(org(), "/sources", json!(["ptv"])));
        assert_eq!(warning_fields(&v), ["sources"]);
    }

    #[test]
    fn all_errors_of_a_record_are_collected() {
        let v = set(
            set(set(org(), "/id", json!("bad id")), "/themes", json!(["x"])),
            "/locations/0/lat",
            json!(99),
        );
        let v = set(v, "/website", json!("javascript:alert(1)"));
        rejects(v, &["id", "themes[0]", "website", "locations[0].lat"]);
    }

    #[test]
    fn malformed_lines_are_line_errors() {
        for line in [
            "[1, 2]",
            "42",
            "\"organisation\"",
            "null",
            "",
            "{\"type\": \"organisation\"",
            "{\"type\": \"organisation\"} trailing",
            "{'type': 'organisation'}",
            "{\"type\": \"organisation\",}",
        ] {
            let e = errs_of(line);
            assert_eq!(e.len(), 1, "{line}: {e:?}");
            assert_eq!(e[0].field, LINE_FIELD, "{line}: {e:?}");
        }
        // A syntax error inside a field names where it happened.
        let e = errs_of("{\"type\": \"organisation\", \"name\": {\"fi\": tru}}");
        assert_eq!(e[0].field, "name.fi");
    }

    #[test]
    fn repeated_keys_are_errors() {
        let e = errs_of(r#"{"type":"organisation","id":"a","id":"b","name":{"fi":"x"}}"#);
        assert_eq!(e.len(), 1);
        assert!(e[0].message.contains("duplicate key \"id\""), "{e:?}");
        let e = errs_of(r#"{"type":"organisation","id":"a","name":{"fi":"x","fi":"y"}}"#);
        assert_eq!(e[0].field, "name");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!(
            "{{\"type\":\"organisation\",\"x\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let e = errs_of(&deep);
        assert!(e[0].message.contains("recursion limit"), "{e:?}");
    }

    #[test]
    fn messages_quote_input_briefly() {
        let m = rejects_one(
            set(org(), "/themes", json!(["x".repeat(10_000)])),
            "themes[0]",
        );
        assert!(m.len() < 200, "{m}");
        let v = ok(&set(org(), &format!("/{}", "k".repeat(5000)), json!(1)));
        assert!(v.warnings[0].field.chars().count() <= MAX_QUOTE_CHARS + 1);
    }
}
