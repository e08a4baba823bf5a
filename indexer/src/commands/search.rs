//! `indexer search --index-dir DIR [...] "query"`

use std::collections::HashMap;

use tarjotin_core::geo::LatLon;
use tarjotin_core::model::Lang;
use tarjotin_core::reference::reference;
use tarjotin_core::search::{Engine, Near, SearchRequest};

use crate::cli::SearchArgs;
use crate::commands::OK;
use crate::error::{Error, Result};

/// The core request for the command-line arguments.
pub fn request(args: &SearchArgs) -> Result<SearchRequest> {
    let lang = Lang::parse(&args.lang)
        .ok_or_else(|| Error::Usage(format!("--lang {:?}: use fi, sv or en", args.lang)))?;
    let mut municipalities = Vec::new();
    for m in &args.municipality {
        let found = reference().resolve_municipality(m).ok_or_else(|| {
            Error::Usage(format!(
                "--municipality {m:?}: no such municipality (use a code like 297 or a name like Kuopio)"
            ))
        })?;
        municipalities.push(found.code.clone());
    }
    let near = match &args.near {
        None => None,
        Some(s) => {
            let (lat, lon) = s
                .split_once(',')
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                .ok_or_else(|| Error::Usage(format!("--near {s:?}: expected LAT,LON")))?;
            let point =
                LatLon::new(lat, lon).map_err(|e| Error::Usage(format!("--near {s:?}: {e}")))?;
            if let Some(r) = args.radius_km
                && !(r.is_finite() && r > 0.0)
            {
                return Err(Error::Usage(format!(
                    "--radius-km {r}: must be a positive number"
                )));
            }
            Some(Near {
                point,
                radius_km: args.radius_km,
            })
        }
    };
    Ok(SearchRequest {
        q: args.query.clone(),
        municipalities,
        near,
        lang,
        limit: args.limit,
        ..SearchRequest::default()
    })
}

/// Score explanations by id. An explanation is a debugging aid, so a failure leaves the hits
/// unexplained instead of ending the command.
fn explain(engine: &Engine, req: &SearchRequest) -> HashMap<String, String> {
    match engine.explain(req) {
        Ok(explained) => explained
            .into_iter()
            .map(|(id, _, why)| (id, why))
            .collect(),
        Err(e) => {
            eprintln!("note: score explanation unavailable for this query: {e}");
            HashMap::new()
        }
    }
}

pub fn run(args: &SearchArgs) -> Result<u8> {
    let engine = Engine::open(&args.index_dir)?;
    let req = request(args)?;
    let response = engine.search(&req)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&response)?);
        return Ok(OK);
    }
    let explained = explain(&engine, &req);
    let u = &response.understood;
    let labels = |v: &[tarjotin_core::search::Labelled]| {
        v.iter()
            .map(|l| format!("{} ({})", l.label, l.code))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("query:    {:?}", req.q);
    println!("terms:    {}", u.terms.join(" "));
    if !u.places.is_empty() {
        println!("places:   {}", labels(&u.places));
    }
    if !u.themes.is_empty() {
        println!("themes:   {}", labels(&u.themes));
    }
    if !u.target_groups.is_empty() {
        println!("groups:   {}", labels(&u.target_groups));
    }
    if !u.ignored.is_empty() {
        println!("ignored:  {}", u.ignored.join(" "));
    }
    println!(
        "{} results (generation {})",
        response.total,
        engine.meta().generation
    );
    for (i, hit) in response.hits.iter().enumerate() {
        let place = hit
            .municipality
            .as_ref()
            .map(|m| m.label.as_str())
            .unwrap_or("-");
        let distance = hit
            .distance_m
            .map(|d| format!(", {:.1} km", d / 1000.0))
            .unwrap_or_default();
        println!(
            "{:>3}. {:>7.3}  {}  {} [{}{}]{}",
            i + 1,
            hit.score,
            hit.id,
            hit.name,
            place,
            distance,
            if hit.stale { " (stale)" } else { "" }
        );
        if let Some(why) = explained.get(&hit.id) {
            println!("       why: {why}");
        }
    }
    Ok(OK)
}
