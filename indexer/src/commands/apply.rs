//! `indexer apply --index-dir DIR FILE...`

use std::time::Instant;

use tarjotin_core::index::{IndexStore, apply};
use tarjotin_core::search::Engine;

use crate::cli::ApplyArgs;
use crate::commands::build::print_summary;
use crate::commands::{OK, TOO_MANY_ERRORS};
use crate::error::Result;
use crate::input::{has_organisation, load, print_report};
use crate::progress::records_bar;

pub fn run(args: &ApplyArgs) -> Result<u8> {
    let started = Instant::now();
    let store = IndexStore::open(&args.index_dir)?;
    store.require_current()?;
    let engine = Engine::open(&args.index_dir)?;
    let loaded = load(&args.input, &args.report, |id| {
        has_organisation(Some(&engine), id)
    })?;
    drop(engine);
    if print_report(&loaded.report, &args.report)? {
        return Ok(TOO_MANY_ERRORS);
    }
    let total = loaded.records.len() as u64;
    let bar = records_bar(total, "applying");
    let indexing = Instant::now();
    let summary = apply(&store, loaded.records, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    print_summary("applied, published", &summary, total, indexing, started);
    Ok(OK)
}
