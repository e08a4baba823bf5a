//! `indexer import ptv|linkedevents|csv FILE... --out OUT.ndjson`

use std::collections::HashSet;
use std::io::Write;

use tarjotin_core::model::Record;
use tarjotin_core::sources::{Severity, merge};
use tarjotin_core::validate::parse_record;

use crate::cli::ImportArgs;
use crate::commands::OK;
use crate::error::{Result, io};
use crate::input::{convert, load_places, print_problems, to_import_format};

pub fn run(args: &ImportArgs) -> Result<u8> {
    let places = load_places(args.places.as_deref())?;
    let mut records: Vec<Record> = Vec::new();
    let (mut errors, mut warnings, mut skipped) = (0usize, 0usize, 0usize);
    for path in &args.files {
        let import = convert(path, args.source.format(), &places)?;
        print_problems(&import.problems);
        errors += import.problems_of(Severity::Error).count();
        warnings += import.problems_of(Severity::Warning).count();
        skipped += import.problems_of(Severity::Skipped).count();
        records.extend(import.records);
    }
    if args.merge {
        records = merge::merge_records(records);
    }
    let mut records: Vec<Record> = records.into_iter().map(to_import_format).collect();
    if args.drop_orphans {
        let orgs: HashSet<String> = records
            .iter()
            .filter(|r| matches!(r, Record::Organisation(_)))
            .map(|r| r.id().to_string())
            .collect();
        records.retain(|r| match r {
            Record::Activity(a) if !orgs.contains(&a.organisation_id) => {
                eprintln!(
                    "{}: skipped: organisation {:?} is not in the converted files",
                    a.common.id, a.organisation_id
                );
                skipped += 1;
                false
            }
            _ => true,
        });
    }
    // Whatever an adapter produces must pass the import-format validation.
    let mut out = Vec::new();
    let mut written = 0usize;
    for r in &records {
        let line = serde_json::to_string(r)?;
        match parse_record(&line) {
            Ok(_) => {
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
                written += 1;
            }
            Err(field_errors) => {
                errors += 1;
                for e in field_errors {
                    eprintln!("{}: error: {}: {}", r.id(), e.field, e.message);
                }
            }
        }
    }
    if args.out.as_os_str() == "-" {
        std::io::stdout()
            .lock()
            .write_all(&out)
            .map_err(io("stdout"))?;
    } else {
        std::fs::write(&args.out, &out).map_err(io(&args.out))?;
    }
    eprintln!(
        "{} file{}: {written} records written, {errors} errors, {skipped} skipped, {warnings} warnings",
        args.files.len(),
        if args.files.len() == 1 { "" } else { "s" },
    );
    Ok(OK)
}
