//! `indexer build --index-dir DIR FILE...`

use std::time::Instant;

use tarjotin_core::index::{BuildSummary, IndexStore, build};

use crate::cli::BuildArgs;
use crate::commands::{OK, TOO_MANY_ERRORS, rate};
use crate::error::Result;
use crate::input::{load, print_report};
use crate::progress::records_bar;

pub fn run(args: &BuildArgs) -> Result<u8> {
    let started = Instant::now();
    let loaded = load(&args.input, &args.report, |_| false)?;
    if print_report(&loaded.report, &args.report)? {
        return Ok(TOO_MANY_ERRORS);
    }
    let store = IndexStore::open(&args.index_dir)?;
    let total = loaded.records.len() as u64;
    let bar = records_bar(total, "indexing");
    let indexing = Instant::now();
    let summary = build(&store, loaded.records, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    print_summary("built", &summary, total, indexing, started);
    Ok(OK)
}

/// `built generation g…: 645 documents (…), 1234 docs/s, 0.5 s`.
pub fn print_summary(
    verb: &str,
    s: &BuildSummary,
    written: u64,
    indexing: Instant,
    started: Instant,
) {
    println!(
        "{verb} generation {}: {} documents ({} organisations, {} activities), {} written, \
         {} deleted, {} orphan activities; {:.0} docs/s, {:.1} s in all",
        s.generation,
        s.documents,
        s.organisations,
        s.activities,
        written,
        s.deleted,
        s.orphans,
        rate(written, indexing.elapsed()),
        started.elapsed().as_secs_f64()
    );
    tracing::info!(generation = %s.generation, documents = s.documents, "published");
}
