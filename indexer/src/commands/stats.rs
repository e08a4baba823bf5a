//! `indexer stats --index-dir DIR`

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::Serialize;
use tarjotin_core::model::{Lang, Record};
use tarjotin_core::reference::{Vocabulary, reference};
use tarjotin_core::search::Engine;
use tarjotin_core::sources::merge::is_stale;
use time::OffsetDateTime;

use crate::cli::StatsArgs;
use crate::commands::OK;
use crate::error::Result;

#[derive(Debug, Serialize)]
pub struct Stats {
    pub generation: String,
    pub parent: Option<String>,
    pub built_at: u64,
    pub schema_version: u32,
    pub documents: u64,
    pub organisations: u64,
    pub activities: u64,
    pub top_municipalities: Vec<Count>,
    pub top_themes: Vec<Count>,
    /// Records not updated for 12 months (or with no update time), by organisation id.
    pub stale: BTreeMap<String, Vec<String>>,
    pub stale_count: u64,
}

#[derive(Debug, Serialize)]
pub struct Count {
    pub code: String,
    pub label: String,
    pub count: u64,
}

fn top(counts: HashMap<String, u64>, n: usize, label: impl Fn(&str) -> String) -> Vec<Count> {
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.into_iter()
        .take(n)
        .map(|(code, count)| Count {
            label: label(&code),
            code,
            count,
        })
        .collect()
}

pub fn collect(engine: &Engine, n: usize) -> Result<Stats> {
    let meta = engine.meta();
    let now = OffsetDateTime::now_utc();
    let mut municipalities: HashMap<String, u64> = HashMap::new();
    let mut themes: HashMap<String, u64> = HashMap::new();
    let mut stale: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stale_count = 0;
    for record in engine.all_records()? {
        let (common, munis, org) = match &record {
            Record::Organisation(o) => (&o.common, o.all_municipalities(), o.common.id.clone()),
            Record::Activity(a) => (&a.common, a.all_municipalities(), a.organisation_id.clone()),
            Record::Delete(_) => continue,
        };
        for m in munis {
            *municipalities.entry(m).or_default() += 1;
        }
        for t in &common.themes {
            *themes.entry(t.clone()).or_default() += 1;
        }
        if is_stale(common.updated_at.as_deref(), now) {
            stale_count += 1;
            stale.entry(org).or_default().push(common.id.clone());
        }
    }
    for ids in stale.values_mut() {
        ids.sort();
    }
    let r = reference();
    Ok(Stats {
        generation: meta.generation.clone(),
        parent: meta.parent.clone(),
        built_at: meta.built_at,
        schema_version: meta.schema_version,
        documents: engine.doc_count(),
        organisations: meta.organisations,
        activities: meta.activities,
        top_municipalities: top(municipalities, n, |c| {
            r.municipality(c)
                .and_then(|m| m.name.get(Lang::Fi).map(str::to_string))
                .unwrap_or_default()
        }),
        top_themes: top(themes, n, |c| {
            r.term(Vocabulary::Theme, c)
                .and_then(|t| t.label.get(Lang::Fi).map(str::to_string))
                .unwrap_or_default()
        }),
        stale,
        stale_count,
    })
}

pub fn run(args: &StatsArgs) -> Result<u8> {
    let engine = Engine::open(&args.index_dir)?;
    if args.ids {
        let mut ids: Vec<String> = engine
            .all_records()?
            .iter()
            .map(|r| r.id().to_string())
            .collect();
        ids.sort();
        let mut out = std::io::stdout().lock();
        for id in ids {
            writeln!(out, "{id}").map_err(crate::error::io("stdout"))?;
        }
        return Ok(OK);
    }
    let s = collect(&engine, args.top)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(OK);
    }
    println!("generation:     {}", s.generation);
    if let Some(p) = &s.parent {
        println!("parent:         {p}");
    }
    println!("built at:       {} (unix seconds)", s.built_at);
    println!("schema version: {}", s.schema_version);
    println!(
        "documents:      {} ({} organisations, {} activities)",
        s.documents, s.organisations, s.activities
    );
    println!("top municipalities:");
    for c in &s.top_municipalities {
        println!("  {:>6}  {} {}", c.count, c.code, c.label);
    }
    println!("top themes:");
    for c in &s.top_themes {
        println!("  {:>6}  {} ({})", c.count, c.code, c.label);
    }
    println!(
        "stale records (not updated for 12 months): {} in {} organisations",
        s.stale_count,
        s.stale.len()
    );
    for (org, ids) in &s.stale {
        println!("  {org}: {}", ids.join(", "));
    }
    Ok(OK)
}
