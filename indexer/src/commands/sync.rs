//! `indexer sync linkedevents --url URL [--since TS] --index-dir DIR [--places FILE]`

use std::io::Cursor;
use std::time::{Duration, Instant};

use tarjotin_core::import::{ImportError, ImportSet};
use tarjotin_core::index::{IndexStore, apply};
use tarjotin_core::search::Engine;
use tarjotin_core::sources::{Severity, linkedevents};

use crate::cli::{SyncArgs, SyncCommand};
use crate::commands::build::print_summary;
use crate::commands::{OK, TOO_MANY_ERRORS};
use crate::error::Result;
use crate::http::Fetcher;
use crate::input::{has_organisation, load_places, print_problems, print_report, to_ndjson};
use crate::progress::records_bar;

pub fn run(cmd: &SyncCommand) -> Result<u8> {
    match cmd {
        SyncCommand::Linkedevents(args) => linked_events(args),
    }
}

fn linked_events(args: &SyncArgs) -> Result<u8> {
    let started = Instant::now();
    let store = IndexStore::open(&args.index_dir)?;
    store.require_current()?;
    let places = load_places(args.places.as_deref())?;
    let fetcher = Fetcher::new(Duration::from_secs(args.timeout_secs.max(1)));
    let import = linkedevents::sync(
        &args.url,
        args.since.as_deref(),
        &places,
        args.max_pages,
        |url| fetcher.get(url),
    )?;
    print_problems(&import.problems);
    eprintln!(
        "fetched {} records from {} ({} problems)",
        import.records.len(),
        args.url,
        import.problems.len()
    );
    let engine = Engine::open(&args.index_dir)?;
    let mut set = ImportSet::new().with_max_line_bytes(args.report.max_line_bytes);
    let name = args.url.clone();
    for p in import.problems_of(Severity::Error) {
        set.add_error(ImportError::new(&name, 0, &p.location, p.message.clone()));
    }
    set.read(&name, Cursor::new(to_ndjson(&import.records)?));
    let (accepted, report) = set.finish(|id| has_organisation(Some(&engine), id));
    drop(engine);
    if print_report(&report, &args.report)? {
        return Ok(TOO_MANY_ERRORS);
    }
    let records: Vec<_> = accepted.into_iter().map(|r| r.record).collect();
    let total = records.len() as u64;
    let bar = records_bar(total, "applying");
    let indexing = Instant::now();
    let summary = apply(&store, records, &|n| bar.set_position(n))?;
    bar.finish_and_clear();
    print_summary("synced, published", &summary, total, indexing, started);
    Ok(OK)
}
