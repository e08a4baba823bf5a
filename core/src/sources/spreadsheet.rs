//! The spreadsheet template for small associations (`data/templates/activities-template.csv`,
//! documented in `data/templates/README.md`) → activities plus one organisation per `järjestö`.
//!
//! Tolerates what spreadsheet programs produce: `;` or `,` delimiters (sniffed from the header
//! line), a UTF-8 BOM, UTF-16 with BOM, or Windows-1252 (when the bytes are not UTF-8), decimal
//! commas in `lat`/`lon`, postal codes that lost their leading zeros. Headers may be Finnish,
//! Swedish or English, in any order; unknown columns are warned about. Several values in one cell
//! are separated by `|`. Booleans: `kyllä/ei/ja/nej/yes/no/x/1/0/true/false`. Vocabulary cells take
//! codes or fi/sv/en labels. Texts (`nimi`, `kuvaus`, `aikataulu`) are taken to be in the language
//! of the headers unless the header names a language (`nimi_sv`, `namn (fi)`).
//!
//! A row with any error is reported (`FILE:ROW:COLUMN: message`, ROW being the line in the file)
//! and left out whole.

use std::collections::{BTreeMap, HashMap};

use encoding_rs::{Encoding, WINDOWS_1252};

use super::{Import, Problem, Severity, SourceError, is_web_url, valid_business_id, valid_id};
use crate::geo::LatLon;
use crate::model::{Activity, Common, Lang, Localized, Location, Organisation, Record, Schedule};
use crate::reference::{Vocabulary, name_key, reference};

/// The `source` written on spreadsheet records.
pub const SOURCE: &str = "spreadsheet";

/// A column of the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Id,
    Organisation,
    BusinessId,
    Name,
    Description,
    Kind,
    Themes,
    TargetGroups,
    Languages,
    Address,
    PostalCode,
    PostOffice,
    Municipality,
    Lat,
    Lon,
    Schedule,
    Start,
    End,
    Free,
    Registration,
    Accessible,
    Online,
    Website,
    Email,
    Phone,
    Updated,
}

/// Header names per column: Finnish (the template's), Swedish and English aliases.
pub const HEADERS: &[(Column, &str, &[&str], &[&str])] = &[
    (
        Column::Id,
        "tunnus",
        &["id", "identifierare"],
        &["id", "identifier"],
    ),
    (
        Column::Organisation,
        "järjestö",
        &["förening", "organisation"],
        &["organisation", "organization"],
    ),
    (
        Column::BusinessId,
        "y-tunnus",
        &["fo-nummer"],
        &["business id", "business_id"],
    ),
    (Column::Name, "nimi", &["namn"], &["name"]),
    (
        Column::Description,
        "kuvaus",
        &["beskrivning"],
        &["description"],
    ),
    (Column::Kind, "tyyppi", &["typ"], &["kind", "type"]),
    (Column::Themes, "teemat", &["teman"], &["themes"]),
    (
        Column::TargetGroups,
        "kohderyhmät",
        &["målgrupper"],
        &["target groups", "target_groups"],
    ),
    (Column::Languages, "kielet", &["språk"], &["languages"]),
    (Column::Address, "osoite", &["adress"], &["address"]),
    (
        Column::PostalCode,
        "postinumero",
        &["postnummer"],
        &["postal code", "postal_code"],
    ),
    (
        Column::PostOffice,
        "postitoimipaikka",
        &["postanstalt", "postort"],
        &["post office", "post_office", "city"],
    ),
    (
        Column::Municipality,
        "kunta",
        &["kommun"],
        &["municipality"],
    ),
    (Column::Lat, "lat", &["latitud"], &["latitude"]),
    (Column::Lon, "lon", &["longitud"], &["longitude"]),
    (
        Column::Schedule,
        "aikataulu",
        &["tidtabell", "schema"],
        &["schedule"],
    ),
    (Column::Start, "alkaa", &["börjar"], &["start"]),
    (Column::End, "päättyy", &["slutar"], &["end"]),
    (Column::Free, "maksuton", &["avgiftsfri"], &["free"]),
    (
        Column::Registration,
        "ilmoittautuminen",
        &["anmälan"],
        &["registration"],
    ),
    (
        Column::Accessible,
        "esteetön",
        &["tillgänglig"],
        &["accessible"],
    ),
    (
        Column::Online,
        "verkossa",
        &["på nätet", "online"],
        &["online"],
    ),
    (Column::Website, "verkkosivu", &["webbplats"], &["website"]),
    (
        Column::Email,
        "sähköposti",
        &["e-post"],
        &["email", "e-mail"],
    ),
    (Column::Phone, "puhelin", &["telefon"], &["phone"]),
    (Column::Updated, "päivitetty", &["uppdaterad"], &["updated"]),
];

/// Decodes spreadsheet bytes: BOM (UTF-8/UTF-16) first, then UTF-8, else Windows-1252.
/// Returns the text and whether Windows-1252 was assumed.
pub fn decode(bytes: &[u8]) -> (String, bool) {
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        let (text, _, _) = enc.decode(bytes);
        return (text.into_owned(), false);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (
            WINDOWS_1252
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
            true,
        ),
    }
}

/// `;`, `,` or tab, whichever occurs most in the first line outside quotes (`,` on a tie).
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ';' if !quoted => counts[0] += 1,
            ',' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    if counts[0] > counts[1] && counts[0] >= counts[2] {
        b';'
    } else if counts[2] > counts[1] {
        b'\t'
    } else {
        b','
    }
}

/// A parsed header: which column, and the language its text is in (if it names one).
fn header(h: &str) -> Option<(Column, Option<Lang>, Option<Lang>)> {
    let key = name_key(h).replace('_', " ");
    let (base, lang) = split_lang_suffix(&key);
    for (col, fi, sv, en) in HEADERS {
        let hit = |names: &[&str]| names.iter().any(|n| n.replace('_', " ") == base);
        let header_lang = if *fi == base {
            Some(Lang::Fi)
        } else if hit(sv) {
            Some(Lang::Sv)
        } else if hit(en) {
            Some(Lang::En)
        } else {
            continue;
        };
        return Some((*col, header_lang, lang));
    }
    None
}

fn split_lang_suffix(key: &str) -> (String, Option<Lang>) {
    for l in Lang::ALL {
        for suffix in [format!(" {}", l.code()), format!(" ({})", l.code())] {
            if let Some(b) = key.strip_suffix(&suffix) {
                return (b.trim().to_string(), Some(l));
            }
        }
    }
    (key.trim().to_string(), None)
}

/// Parses a boolean cell; `Ok(None)` for an empty cell.
pub fn parse_bool(s: &str) -> Result<Option<bool>, String> {
    match name_key(s).as_str() {
        "" => Ok(None),
        "kyllä" | "k" | "ja" | "yes" | "y" | "x" | "1" | "true" | "tosi" => Ok(Some(true)),
        "ei" | "e" | "nej" | "no" | "n" | "0" | "false" | "epätosi" => Ok(Some(false)),
        other => Err(format!(
            "expected kyllä/ei (ja/nej, yes/no, x, 1/0), got {other:?}"
        )),
    }
}

fn resolve_term(vocab: Vocabulary, value: &str) -> Option<String> {
    let r = reference();
    let key = name_key(value);
    r.vocabulary(vocab)
        .iter()
        .find(|t| t.code == value.trim() || t.label.iter().any(|(_, l)| name_key(l) == key))
        .map(|t| t.code.clone())
}

fn language_code(value: &str) -> Option<String> {
    let key = name_key(value);
    let named = match key.as_str() {
        "suomi" | "finska" | "finnish" => "fi",
        "ruotsi" | "svenska" | "swedish" => "sv",
        "englanti" | "engelska" | "english" => "en",
        "saame" | "pohjoissaame" | "samiska" | "sami" | "northern sami" => "se",
        "venäjä" | "ryska" | "russian" => "ru",
        "viro" | "estniska" | "estonian" => "et",
        "arabia" | "arabiska" | "arabic" => "ar",
        "somali" | "somaliska" => "so",
        "ukraina" | "ukrainska" | "ukrainian" => "uk",
        "viittomakieli" | "suomalainen viittomakieli" | "teckenspråk" | "sign language" => "fse",
        k if (2..=3).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_lowercase()) => k,
        _ => return None,
    };
    Some(named.to_string())
}

/// `2026-09-01`, `1.9.2026` or an ISO date-time → ISO 8601 text.
fn parse_date(s: &str) -> Option<String> {
    let s = s.trim();
    if super::parse_timestamp(s).is_some() {
        return Some(s.to_string());
    }
    let mut it = s.split('.');
    let d: u8 = it.next()?.trim().parse().ok()?;
    let m: u8 = it.next()?.trim().parse().ok()?;
    let y: i32 = it.next()?.trim().parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    let month = time::Month::try_from(m).ok()?;
    let date = time::Date::from_calendar_date(y, month, d).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in name_key(s).chars() {
        let c = match c {
            'ä' | 'å' | 'á' | 'à' => 'a',
            'ö' | 'ø' | 'ó' => 'o',
            'é' | 'è' => 'e',
            'ü' => 'u',
            c => c,
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(80).collect()
}

struct RowCtx<'a> {
    origin: &'a str,
    line: u64,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl RowCtx<'_> {
    fn problem(&self, col: usize, header: &str, severity: Severity, msg: String) -> Problem {
        Problem {
            location: format!("{}:{}:{}", self.origin, self.line, col + 1),
            severity,
            message: format!("{header}: {msg}"),
        }
    }
    fn error(&mut self, col: usize, header: &str, msg: impl Into<String>) {
        let p = self.problem(col, header, Severity::Error, msg.into());
        self.errors.push(p);
    }
    fn warn(&mut self, col: usize, header: &str, msg: impl Into<String>) {
        let p = self.problem(col, header, Severity::Warning, msg.into());
        self.warnings.push(p);
    }
}

/// Parses a spreadsheet (CSV bytes) from `origin`. Errors only when there is no header row or
/// the `järjestö` or `nimi` column is missing; everything else is per row.
pub fn parse(bytes: &[u8], origin: &str) -> Result<Import, SourceError> {
    let (text, cp1252) = decode(bytes);
    let mut import = Import::default();
    if cp1252 {
        import.problems.push(Problem {
            location: format!("{origin}:1"),
            severity: Severity::Warning,
            message: "not UTF-8; read as Windows-1252".into(),
        });
    }
    let delimiter = sniff_delimiter(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| SourceError::Csv {
            origin: origin.to_string(),
            message: format!("cannot read the header row: {e}"),
        })?
        .clone();
    // Column index → (column, text language).
    let mut columns: Vec<Option<(Column, Lang)>> = Vec::new();
    let mut lang_votes: BTreeMap<Lang, usize> = BTreeMap::new();
    let parsed: Vec<_> = headers.iter().map(header).collect();
    for (_, hl, _) in parsed.iter().flatten() {
        if let Some(l) = hl {
            *lang_votes.entry(*l).or_default() += 1;
        }
    }
    let text_lang = lang_votes
        .iter()
        .max_by_key(|(l, n)| (**n, std::cmp::Reverse(**l)))
        .map_or(Lang::Fi, |(l, _)| *l);
    let mut seen_cols: HashMap<(Column, Lang), usize> = HashMap::new();
    for (i, (h, p)) in headers.iter().zip(&parsed).enumerate() {
        match p {
            Some((col, _, lang)) => {
                let lang = lang.unwrap_or(text_lang);
                if let Some(prev) = seen_cols.insert((*col, lang), i) {
                    return Err(SourceError::Csv {
                        origin: origin.to_string(),
                        message: format!("columns {} and {} both mean {h:?}", prev + 1, i + 1),
                    });
                }
                columns.push(Some((*col, lang)));
            }
            None => {
                if !h.trim().is_empty() {
                    import.problems.push(Problem {
                        location: format!("{origin}:1:{}", i + 1),
                        severity: Severity::Warning,
                        message: format!("unknown column {h:?} ignored"),
                    });
                }
                columns.push(None);
            }
        }
    }
    for required in [Column::Organisation, Column::Name] {
        if !columns.iter().flatten().any(|(c, _)| *c == required) {
            let fi = HEADERS.iter().find(|h| h.0 == required).map_or("", |h| h.1);
            return Err(SourceError::Csv {
                origin: origin.to_string(),
                message: format!(
                    "no {fi:?} column in the header row (see data/templates/README.md)"
                ),
            });
        }
    }

    let mut orgs: BTreeMap<String, Organisation> = BTreeMap::new();
    let mut org_order: Vec<String> = Vec::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    for result in rdr.records() {
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                import.problems.push(Problem {
                    location: format!("{origin}:{line}"),
                    severity: Severity::Error,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let mut ctx = RowCtx {
            origin,
            line,
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        if let Some((org, act)) = row(&record, &columns, &headers, &mut ctx) {
            if let Some(prev) = ids.insert(act.common.id.clone(), line) {
                let col = columns
                    .iter()
                    .position(|c| matches!(c, Some((Column::Id, _))))
                    .unwrap_or(0);
                ctx.error(
                    col,
                    headers.get(col).unwrap_or(""),
                    format!("id {} is already used on row {prev}", act.common.id),
                );
            } else {
                let entry = orgs.entry(org.common.id.clone()).or_insert_with(|| {
                    org_order.push(org.common.id.clone());
                    org.clone()
                });
                for m in &act.all_municipalities() {
                    if !entry.municipalities.contains(m) {
                        entry.municipalities.push(m.clone());
                    }
                }
                if entry.business_id.is_none() {
                    entry.business_id = org.business_id.clone();
                }
                if org.common.updated_at > entry.common.updated_at {
                    entry.common.updated_at = org.common.updated_at.clone();
                }
                if ctx.errors.is_empty() {
                    import.records.push(Record::Activity(act));
                }
            }
        }
        import.problems.append(&mut ctx.warnings);
        import.problems.append(&mut ctx.errors);
    }
    let activities = std::mem::take(&mut import.records);
    import.records = org_order
        .iter()
        .filter_map(|id| orgs.remove(id))
        .map(Record::Organisation)
        .chain(activities)
        .collect();
    Ok(import)
}

fn row(
    record: &csv::StringRecord,
    columns: &[Option<(Column, Lang)>],
    headers: &csv::StringRecord,
    ctx: &mut RowCtx,
) -> Option<(Organisation, Activity)> {
    let r = reference();
    let mut cells: HashMap<Column, Vec<(usize, Lang, &str)>> = HashMap::new();
    for (i, cell) in record.iter().enumerate() {
        if let Some(Some((col, lang))) = columns.get(i)
            && !cell.trim().is_empty()
        {
            cells.entry(*col).or_default().push((i, *lang, cell.trim()));
        }
    }
    let h = |i: usize| headers.get(i).unwrap_or("").to_string();
    let one = |c: Column| {
        cells
            .get(&c)
            .and_then(|v| v.first())
            .map(|(i, _, s)| (*i, *s))
    };
    let texts = |c: Column, max: usize| -> Localized {
        let mut l = Localized::new();
        for (_, lang, s) in cells.get(&c).into_iter().flatten() {
            if let Some(t) = super::clean_text(s) {
                l.0.insert(*lang, super::truncate_chars(t, max));
            }
        }
        l
    };
    let many = |c: Column| -> Vec<(usize, String)> {
        cells
            .get(&c)
            .into_iter()
            .flatten()
            .flat_map(|(i, _, s)| s.split('|').map(|v| (*i, v.trim().to_string())))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    };
    let boolean = |c: Column, ctx: &mut RowCtx| -> bool {
        match one(c) {
            Some((i, s)) => match parse_bool(s) {
                Ok(b) => b.unwrap_or(false),
                Err(e) => {
                    ctx.error(i, &h(i), e);
                    false
                }
            },
            None => false,
        }
    };
    let free = boolean(Column::Free, ctx);
    let registration_required = boolean(Column::Registration, ctx);
    let accessible = boolean(Column::Accessible, ctx);
    let online = boolean(Column::Online, ctx);

    let org_name = one(Column::Organisation);
    let name = texts(Column::Name, 300);
    let org_col = columns
        .iter()
        .position(|c| matches!(c, Some((Column::Organisation, _))))
        .unwrap_or(0);
    let name_col = columns
        .iter()
        .position(|c| matches!(c, Some((Column::Name, _))))
        .unwrap_or(0);
    if org_name.is_none() {
        ctx.error(org_col, &h(org_col), "required: the organisation's name");
    }
    if name.is_empty() {
        ctx.error(name_col, &h(name_col), "required: the activity's name");
    }
    let org_slug = org_name.map(|(_, n)| slug(n)).unwrap_or_default();
    let org_id = format!("local:{org_slug}");
    let id = match one(Column::Id) {
        Some((i, t)) => {
            let id = if t.contains(':') {
                t.to_string()
            } else {
                format!("local:{t}")
            };
            if !valid_id(&id) {
                ctx.error(
                    i,
                    &h(i),
                    format!("not a valid id {t:?}: use letters, digits and . _ : / -"),
                );
            }
            id
        }
        None => {
            let n = name
                .pick(Lang::Fi)
                .map(|(_, n)| slug(n))
                .unwrap_or_default();
            format!("{org_id}/{n}")
        }
    };
    let business_id = match one(Column::BusinessId) {
        Some((i, b)) if !valid_business_id(b) => {
            ctx.error(
                i,
                &h(i),
                format!("not a valid Y-tunnus (NNNNNNN-N with check digit): {b:?}"),
            );
            None
        }
        Some((_, b)) => Some(b.to_string()),
        None => None,
    };
    let kind = one(Column::Kind).and_then(|(i, k)| {
        let code = resolve_term(Vocabulary::ActivityKind, k);
        if code.is_none() {
            ctx.error(
                i,
                &h(i),
                format!("unknown activity type {k:?} (see data/vocabulary/activity_kinds.csv)"),
            );
        }
        code
    });
    let vocab_list = |c: Column, vocab: Vocabulary, ctx: &mut RowCtx| -> Vec<String> {
        let mut out = Vec::new();
        for (i, v) in many(c) {
            match resolve_term(vocab, &v) {
                Some(code) if !out.contains(&code) => out.push(code),
                Some(_) => {}
                None => ctx.error(i, &h(i), format!("unknown {} {v:?}", vocab.name())),
            }
        }
        out
    };
    let themes = vocab_list(Column::Themes, Vocabulary::Theme, ctx);
    let target_groups = vocab_list(Column::TargetGroups, Vocabulary::TargetGroup, ctx);
    let mut languages = Vec::new();
    let mut plain_language = false;
    for (i, v) in many(Column::Languages) {
        if matches!(
            name_key(&v).as_str(),
            "selkokieli"
                | "selkosuomi"
                | "lättläst"
                | "lättläst svenska"
                | "plain language"
                | "easy language"
        ) {
            plain_language = true;
            continue;
        }
        match language_code(&v) {
            Some(c) if !languages.contains(&c) => languages.push(c),
            Some(_) => {}
            None => ctx.error(
                i,
                &h(i),
                format!("unknown language {v:?}: use a code (fi, sv, en, …) or a name"),
            ),
        }
    }

    // Location.
    let postal_code = one(Column::PostalCode).and_then(|(i, pc)| {
        if pc.bytes().all(|b| b.is_ascii_digit()) && (3..=5).contains(&pc.len()) {
            if pc.len() < 5 {
                ctx.warn(
                    i,
                    &h(i),
                    format!("{pc:?} padded to five digits (leading zeros lost by a spreadsheet?)"),
                );
            }
            Some(format!("{pc:0>5}"))
        } else {
            ctx.error(i, &h(i), format!("expected five digits, got {pc:?}"));
            None
        }
    });
    let municipality = match one(Column::Municipality) {
        Some((i, m)) => match r.resolve_municipality(m) {
            Some(m) => Some(m.code.clone()),
            None => {
                ctx.error(
                    i,
                    &h(i),
                    format!("unknown municipality {m:?} (code or name)"),
                );
                None
            }
        },
        None => postal_code
            .as_deref()
            .and_then(|pc| r.postal_area(pc))
            .map(|a| a.municipality.clone()),
    };
    let coord = |c: Column, ctx: &mut RowCtx| -> Option<(usize, f64)> {
        let (i, s) = one(c)?;
        match s.replace(',', ".").parse::<f64>() {
            Ok(v) if v.is_finite() => Some((i, v)),
            _ => {
                ctx.error(i, &h(i), format!("not a number: {s:?}"));
                None
            }
        }
    };
    let lat = coord(Column::Lat, ctx);
    let lon = coord(Column::Lon, ctx);
    let point = match (lat, lon) {
        (Some((i, la)), Some((_, lo))) => match LatLon::in_finland(la, lo) {
            Ok(p) => Some(p),
            Err(e) => {
                ctx.error(i, &h(i), e.to_string());
                None
            }
        },
        (Some((i, _)), None) | (None, Some((i, _))) => {
            ctx.error(i, &h(i), "give both lat and lon, or neither");
            None
        }
        (None, None) => None,
    };
    let address = one(Column::Address).map(|(_, a)| a.to_string());
    let post_office = one(Column::PostOffice).map(|(_, a)| a.to_string());
    let has_place = address.is_some() || postal_code.is_some() || point.is_some();
    let location = match &municipality {
        Some(m) => Some(Location {
            address,
            postal_code,
            post_office,
            municipality: m.clone(),
            point,
            ..Location::default()
        }),
        None if !online || has_place => {
            let col = columns
                .iter()
                .position(|c| matches!(c, Some((Column::Municipality, _))))
                .unwrap_or(0);
            if ctx
                .errors
                .iter()
                .all(|e| !e.message.contains("municipality"))
            {
                ctx.error(col, &h(col), "required (code or name) unless postinumero names a known postal area or verkossa is kyllä");
            }
            None
        }
        None => None,
    };

    let date = |c: Column, ctx: &mut RowCtx| -> Option<String> {
        let (i, s) = one(c)?;
        let d = parse_date(s);
        if d.is_none() {
            ctx.error(
                i,
                &h(i),
                format!("expected a date like 2026-09-01 or 1.9.2026, got {s:?}"),
            );
        }
        d
    };
    let start = date(Column::Start, ctx);
    let end = date(Column::End, ctx);
    let updated_at = date(Column::Updated, ctx);
    let sched_text = texts(Column::Schedule, 2000);
    let schedule = (!sched_text.is_empty() || start.is_some() || end.is_some()).then(|| Schedule {
        text: sched_text,
        start,
        end,
        ..Schedule::default()
    });
    let website = one(Column::Website).and_then(|(i, w)| {
        if is_web_url(w) {
            Some(w.to_string())
        } else if w.to_ascii_lowercase().starts_with("www.") && is_web_url(&format!("https://{w}"))
        {
            ctx.warn(i, &h(i), format!("{w:?} read as https://{w}"));
            Some(format!("https://{w}"))
        } else {
            ctx.error(i, &h(i), format!("expected an http(s) address, got {w:?}"));
            None
        }
    });
    let email = one(Column::Email).and_then(|(i, e)| {
        if e.contains('@') && !e.contains(char::is_whitespace) {
            Some(e.to_string())
        } else {
            ctx.error(i, &h(i), format!("not an email address: {e:?}"));
            None
        }
    });
    let phone = one(Column::Phone).map(|(_, p)| p.to_string());
    if !ctx.errors.is_empty() {
        return None;
    }
    let org = Organisation {
        common: Common {
            id: org_id.clone(),
            name: Localized::new().with(
                text_lang_of(columns, Column::Organisation),
                org_name.map(|(_, n)| n).unwrap_or(""),
            ),
            updated_at: updated_at.clone(),
            source: Some(SOURCE.to_string()),
            sources: vec![org_id.clone()],
            ..Common::default()
        },
        business_id,
        ..Organisation::default()
    };
    let act = Activity {
        common: Common {
            id: id.clone(),
            name,
            description: texts(Column::Description, 20_000),
            themes,
            target_groups,
            languages,
            plain_language,
            website,
            email,
            phone,
            updated_at,
            source: Some(SOURCE.to_string()),
            sources: vec![id],
        },
        organisation_id: org_id,
        kind,
        location,
        online,
        schedule,
        free,
        registration_required,
        accessible,
        ..Activity::default()
    };
    Some((org, act))
}

fn text_lang_of(columns: &[Option<(Column, Lang)>], c: Column) -> Lang {
    columns
        .iter()
        .flatten()
        .find(|(col, _)| *col == c)
        .map_or(Lang::Fi, |(_, l)| *l)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = include_str!("../../../data/templates/activities-template.csv");

    fn has(import: &Import, sev: Severity, needle: &str) -> bool {
        import
            .problems
            .iter()
            .any(|p| p.severity == sev && p.to_string().contains(needle))
    }

    fn activities(i: &Import) -> Vec<&Activity> {
        i.records
            .iter()
            .filter_map(|r| match r {
                Record::Activity(a) => Some(a),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn template_parses_cleanly() {
        let import = parse(TEMPLATE.as_bytes(), "activities-template.csv").unwrap();
        assert!(import.problems.is_empty(), "{:#?}", import.problems);
        let acts = activities(&import);
        assert!(acts.len() >= 2);
        let a = acts[0];
        assert!(a.common.id.starts_with("local:"));
        assert!(a.location.as_ref().unwrap().point.is_some());
        let orgs = import
            .records
            .iter()
            .filter(|r| matches!(r, Record::Organisation(_)))
            .count();
        assert!(orgs >= 1);
    }

    #[test]
    fn semicolons_cp1252_bom_decimal_commas_and_swedish_headers() {
        let text = "förening;namn;kommun;postnummer;lat;lon;teman;målgrupper;språk;avgiftsfri;tillgänglig\n\
                    Åbo Marthaförening rf;Stickcafé;Åbo;20100;60,4518;22,2666;Hobbyer|culture;Äldre;svenska|fi;ja;nej\n";
        let (bytes, _, _) = WINDOWS_1252.encode(text);
        let import = parse(&bytes, "sv.csv").unwrap();
        assert!(has(&import, Severity::Warning, "Windows-1252"));
        let acts = activities(&import);
        assert_eq!(acts.len(), 1, "{:#?}", import.problems);
        let a = acts[0];
        assert_eq!(a.common.name.get(Lang::Sv), Some("Stickcafé"));
        assert_eq!(a.common.themes, ["hobbies", "culture"]);
        assert_eq!(a.common.target_groups, ["older_people"]);
        assert_eq!(a.common.languages, ["sv", "fi"]);
        assert!(a.free && !a.accessible);
        let loc = a.location.as_ref().unwrap();
        assert_eq!(loc.municipality, "853");
        assert!((loc.point.unwrap().lat() - 60.4518).abs() < 1e-9);
        assert_eq!(a.organisation_id, "local:abo-marthaforening-rf");

        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice("järjestö,nimi,kunta\nA ry,Kerho,Turku\n".as_bytes());
        let import = parse(&bom, "bom.csv").unwrap();
        assert_eq!(activities(&import).len(), 1, "{:#?}", import.problems);
    }

    #[test]
    fn errors_point_to_row_and_column() {
        let text = "järjestö,nimi,kunta,postinumero,lat,lon,maksuton,teemat,verkkosivu\n\
                    A ry,Hyvä rivi,Turku,20100,,,kyllä,,\n\
                    A ry,Huono kunta,Atlantis,,,,,,\n\
                    A ry,Huono bool,Turku,,,,ehkä,,\n\
                    A ry,Huono teema,Turku,,,,,kokkaus,\n\
                    A ry,Huono piste,Turku,,70.5,10.0,,,\n\
                    A ry,Huono osoite,Turku,,,,,,javascript:alert(1)\n\
                    ,Ei järjestöä,Turku,,,,,,\n";
        let import = parse(text.as_bytes(), "a.csv").unwrap();
        assert_eq!(activities(&import).len(), 1);
        assert!(has(
            &import,
            Severity::Error,
            "a.csv:3:3: error: kunta: unknown municipality \"Atlantis\""
        ));
        assert!(has(
            &import,
            Severity::Error,
            "a.csv:4:7: error: maksuton: expected kyllä/ei"
        ));
        assert!(has(
            &import,
            Severity::Error,
            "a.csv:5:8: error: teemat: unknown theme \"kokkaus\""
        ));
        assert!(has(
            &import,
            Severity::Error,
            "a.csv:6:5: error: lat: point 70.5,10 lies outside Finland"
        ));
        assert!(has(
            &import,
            Severity::Error,
            "a.csv:7:9: error: verkkosivu: expected an http(s) address"
        ));
        assert!(has(
            &import,
            Severity::Error,
            "a.csv:8:1: error: järjestö: required"
        ));
    }

    #[test]
    fn leading_zeros_and_dates() {
        let text = "järjestö;nimi;postinumero;päivitetty\nHelsingin kerho ry;Kerho;100;1.9.2026\n";
        let import = parse(text.as_bytes(), "z.csv").unwrap();
        let a = activities(&import)[0];
        assert_eq!(
            a.location.as_ref().unwrap().postal_code.as_deref(),
            Some("00100")
        );
        assert_eq!(a.location.as_ref().unwrap().municipality, "091");
        assert_eq!(a.common.updated_at.as_deref(), Some("2026-09-01"));
        assert!(has(
            &import,
            Severity::Warning,
            "z.csv:2:3: warning: postinumero: \"100\" padded"
        ));
    }

    #[test]
    fn missing_required_column_is_a_document_error() {
        assert!(matches!(
            parse(b"foo,bar\n1,2\n", "x.csv"),
            Err(SourceError::Csv { .. })
        ));
        assert!(matches!(parse(b"", "x.csv"), Err(SourceError::Csv { .. })));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(b in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            let _ = parse(&b, "fuzz.csv");
        }

        #[test]
        fn never_panics_on_mutated_template(cut in 0usize..2000, byte in proptest::num::u8::ANY) {
            let mut b = TEMPLATE.as_bytes().to_vec();
            if cut < b.len() { b[cut] = byte; }
            let _ = parse(&b, "fuzz.csv");
        }
    }
}
