//! Merging organisations across sources, with provenance, and freshness.
//!
//! Two organisations are the same when they share a business id (Y-tunnus), or when their
//! [`normalise_name`]s are equal and they share a municipality (or both list none). Matching is
//! transitive. The merged record:
//! - keeps the id of the most authoritative member (`ptv:` before `local:` before `le:` before
//!   others; ties by smallest id), so ids stay stable as sources come and go;
//! - takes each scalar field (per language for texts) from the member with the newest
//!   `updated_at` that has it (members without a parsable `updated_at` count as oldest);
//! - unions themes, target groups, languages and municipalities; takes `locations` whole from
//!   the newest member that has any;
//! - lists every member's provenance in `common.sources` and the newest `updated_at`.
//!
//! Activities are not merged; their `organisation_id` is rewritten to the surviving id.

use std::cmp::Ordering;
use std::collections::HashMap;

use time::OffsetDateTime;

use super::parse_timestamp;
use crate::model::{Localized, Organisation, Record};

/// Lowercase, NFC, legal-form suffixes (`ry`, `r.y.`, `rf`, `r.f.`) removed, punctuation at the
/// ends trimmed, whitespace collapsed.
pub fn normalise_name(name: &str) -> String {
    let lower = crate::analysis::normalize(name).to_lowercase();
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    while let Some(last) = words.last() {
        let w = last.trim_matches(|c: char| c == ',' || c == ';');
        if matches!(
            w,
            "ry" | "r.y." | "r.y" | "ry." | "rf" | "r.f." | "r.f" | "rf."
        ) {
            words.pop();
        } else {
            break;
        }
    }
    words
        .join(" ")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_string()
}

/// True when `updated_at` is missing, unparsable or more than 12 calendar months before `now`.
pub fn is_stale(updated_at: Option<&str>, now: OffsetDateTime) -> bool {
    let Some(t) = updated_at.and_then(parse_timestamp) else {
        return true;
    };
    let year_ago = now
        .replace_year(now.year() - 1)
        .or_else(|_| (now - time::Duration::days(1)).replace_year(now.year() - 1))
        .unwrap_or(now - time::Duration::days(366));
    t < year_ago
}

fn priority(id: &str) -> u8 {
    match id.split(':').next() {
        Some("ptv") => 0,
        Some("local") => 1,
        Some("le") => 2,
        _ => 3,
    }
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

fn union(parent: &mut [usize], a: usize, b: usize) {
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        parent[ra.max(rb)] = ra.min(rb);
    }
}

/// The outcome of [`merge_organisations`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    pub organisations: Vec<Organisation>,
    /// Old id → surviving id, for every organisation that was merged away.
    pub renamed: HashMap<String, String>,
}

/// Merges organisations that are the same (see the module docs). Output order follows the
/// first appearance of each group.
pub fn merge_organisations(orgs: Vec<Organisation>) -> Merged {
    let n = orgs.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, o) in orgs.iter().enumerate() {
        let mut keys = Vec::new();
        if let Some(b) = &o.business_id {
            keys.push(format!("y:{}", b.trim()));
        }
        let names: Vec<String> = o
            .common
            .name
            .iter()
            .map(|(_, t)| normalise_name(t))
            .filter(|t| !t.is_empty())
            .collect();
        let munis = o.all_municipalities();
        for name in &names {
            if munis.is_empty() {
                keys.push(format!("n:{name}@"));
            }
            for m in &munis {
                keys.push(format!("n:{name}@{m}"));
            }
        }
        for k in keys {
            match by_key.get(&k) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    by_key.insert(k, i);
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        let g = *group_of.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    let mut slots: Vec<Option<Organisation>> = orgs.into_iter().map(Some).collect();
    let mut out = Merged::default();
    for g in groups {
        let members: Vec<Organisation> = g.iter().filter_map(|&i| slots[i].take()).collect();
        let merged = merge_group(members, &mut out.renamed);
        out.organisations.push(merged);
    }
    out
}

fn newest_first(a: &Organisation, b: &Organisation) -> Ordering {
    let ta = a.common.updated_at.as_deref().and_then(parse_timestamp);
    let tb = b.common.updated_at.as_deref().and_then(parse_timestamp);
    tb.cmp(&ta)
}

fn merge_group(
    mut members: Vec<Organisation>,
    renamed: &mut HashMap<String, String>,
) -> Organisation {
    if members.len() == 1 {
        let mut o = members.remove(0);
        if o.common.sources.is_empty() {
            o.common.sources.push(o.common.id.clone());
        }
        return o;
    }
    let id = members
        .iter()
        .map(|m| m.common.id.clone())
        .min_by(|a, b| priority(a).cmp(&priority(b)).then(a.cmp(b)))
        .unwrap_or_default();
    // Stable sort: among equal timestamps the input order decides.
    members.sort_by(newest_first);
    let mut out = Organisation::default();
    out.common.id = id.clone();
    let texts = |f: fn(&Organisation) -> &Localized| {
        let mut l = Localized::new();
        for m in &members {
            for (lang, t) in f(m).iter() {
                l.0.entry(lang).or_insert_with(|| t.to_string());
            }
        }
        l
    };
    out.common.name = texts(|o| &o.common.name);
    out.common.description = texts(|o| &o.common.description);
    let first =
        |f: fn(&Organisation) -> Option<&String>| members.iter().find_map(|m| f(m).cloned());
    out.common.website = first(|o| o.common.website.as_ref());
    out.common.email = first(|o| o.common.email.as_ref());
    out.common.phone = first(|o| o.common.phone.as_ref());
    out.common.updated_at = first(|o| o.common.updated_at.as_ref());
    out.common.source = first(|o| o.common.source.as_ref());
    out.business_id = first(|o| o.business_id.as_ref());
    out.common.plain_language = members.first().is_some_and(|m| m.common.plain_language);
    out.locations = members
        .iter()
        .find(|m| !m.locations.is_empty())
        .map(|m| m.locations.clone())
        .unwrap_or_default();
    for m in &members {
        union_into(&mut out.common.themes, &m.common.themes);
        union_into(&mut out.common.target_groups, &m.common.target_groups);
        union_into(&mut out.common.languages, &m.common.languages);
        union_into(&mut out.municipalities, &m.municipalities);
        if m.common.sources.is_empty() {
            union_into(&mut out.common.sources, std::slice::from_ref(&m.common.id));
        } else {
            union_into(&mut out.common.sources, &m.common.sources);
        }
        if m.common.id != id {
            renamed.insert(m.common.id.clone(), id.clone());
        }
    }
    out
}

fn union_into(out: &mut Vec<String>, items: &[String]) {
    for i in items {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
}

/// Merges the organisations among `records` and points activities (and organisation deletes)
/// at the surviving ids. Other records pass through in order, organisations first.
pub fn merge_records(records: Vec<Record>) -> Vec<Record> {
    let mut orgs = Vec::new();
    let mut rest = Vec::new();
    for r in records {
        match r {
            Record::Organisation(o) => orgs.push(o),
            other => rest.push(other),
        }
    }
    let merged = merge_organisations(orgs);
    let mut out: Vec<Record> = merged
        .organisations
        .into_iter()
        .map(Record::Organisation)
        .collect();
    for mut r in rest {
        if let Record::Activity(a) = &mut r
            && let Some(new) = merged.renamed.get(&a.organisation_id)
        {
            a.organisation_id = new.clone();
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activity, Common, Lang};

    fn org(id: &str, name: &str, muni: &[&str], updated: Option<&str>) -> Organisation {
        Organisation {
            common: Common {
                id: id.into(),
                name: Localized::new().with(Lang::Fi, name),
                updated_at: updated.map(String::from),
                sources: vec![id.into()],
                ..Common::default()
            },
            municipalities: muni.iter().map(|s| s.to_string()).collect(),
            ..Organisation::default()
        }
    }

    #[test]
    fn names_normalise() {
        assert_eq!(
            normalise_name("  Kuopion   Omaishoitajat  r.y. "),
            "kuopion omaishoitajat"
        );
        assert_eq!(
            normalise_name("KUOPION OMAISHOITAJAT RY"),
            "kuopion omaishoitajat"
        );
        assert_eq!(
            normalise_name("Åbo Svenska Marthaförening rf"),
            "åbo svenska marthaförening"
        );
        // NFD input equals NFC.
        assert_eq!(
            normalise_name("Ha\u{308}meenlinnan kerho ry"),
            normalise_name("Hämeenlinnan kerho")
        );
        assert_eq!(normalise_name("Ryhmä Ry"), "ryhmä");
    }

    #[test]
    fn merges_by_name_within_municipality_and_newest_field_wins() {
        let mut a = org("le:turku:1", "Turun Kuoro ry", &["853"], Some("2026-03-01"));
        a.common.website = Some("https://new.example".into());
        a.common.themes = vec!["culture".into()];
        let mut b = org(
            "ptv:abc",
            "TURUN KUORO",
            &["853"],
            Some("2025-01-01T10:00:00"),
        );
        b.common.website = Some("https://old.example".into());
        b.common.email = Some("kuoro@example.org".into());
        b.common.themes = vec!["hobbies".into()];
        b.common.name = b.common.name.with(Lang::Sv, "Åbo kör");
        let c = org(
            "local:turun-kuoro",
            "Turun Kuoro ry",
            &["091"],
            Some("2026-05-01"),
        );
        let m = merge_organisations(vec![a, b, c]);
        assert_eq!(
            m.organisations.len(),
            2,
            "different municipality stays apart"
        );
        let o = &m.organisations[0];
        assert_eq!(o.common.id, "ptv:abc");
        assert_eq!(o.common.website.as_deref(), Some("https://new.example"));
        assert_eq!(o.common.email.as_deref(), Some("kuoro@example.org"));
        assert_eq!(o.common.name.get(Lang::Fi), Some("Turun Kuoro ry"));
        assert_eq!(o.common.name.get(Lang::Sv), Some("Åbo kör"));
        assert_eq!(o.common.updated_at.as_deref(), Some("2026-03-01"));
        assert_eq!(o.common.themes, ["culture", "hobbies"]);
        assert_eq!(o.common.sources, ["le:turku:1", "ptv:abc"]);
        assert_eq!(
            m.renamed.get("le:turku:1").map(String::as_str),
            Some("ptv:abc")
        );
    }

    #[test]
    fn merges_by_business_id_and_rewrites_activities() {
        let mut a = org("ptv:1", "Yhdistys A", &["297"], None);
        a.business_id = Some("0112038-9".into());
        let mut b = org("local:b", "Aivan eri nimi", &["091"], Some("2026-01-01"));
        b.business_id = Some("0112038-9".into());
        let act = Activity {
            common: Common {
                id: "local:b/ryhma".into(),
                ..Common::default()
            },
            organisation_id: "local:b".into(),
            ..Activity::default()
        };
        let out = merge_records(vec![
            Record::Organisation(a),
            Record::Activity(act),
            Record::Organisation(b),
        ]);
        assert_eq!(out.len(), 2);
        let Record::Organisation(o) = &out[0] else {
            panic!()
        };
        assert_eq!(o.common.id, "ptv:1");
        assert_eq!(
            o.common.name.get(Lang::Fi),
            Some("Aivan eri nimi"),
            "dated beats undated"
        );
        assert_eq!(o.municipalities, ["091", "297"]);
        let Record::Activity(a) = &out[1] else {
            panic!()
        };
        assert_eq!(a.organisation_id, "ptv:1");
    }

    #[test]
    fn staleness() {
        let now = parse_timestamp("2026-11-23T12:00:00Z").unwrap();
        assert!(!is_stale(Some("2026-01-01"), now));
        assert!(!is_stale(Some("2025-11-24"), now));
        assert!(is_stale(Some("2025-11-22"), now));
        assert!(is_stale(None, now));
        assert!(is_stale(Some("huomenna"), now));
        let leap = parse_timestamp("2028-02-29T00:00:00Z").unwrap();
        assert!(is_stale(Some("2027-02-27"), leap));
        assert!(!is_stale(Some("2027-03-01"), leap));
    }
}
