//! Reading the input files of one run: NDJSON through the validating reader, other sources
//! through their adapters (whose records are then validated like NDJSON lines), and the report.

use std::fs::File;
use std::io::{BufReader, Cursor, Write};
use std::path::{Path, PathBuf};

use tarjotin_core::import::{ImportError, ImportReport, ImportSet};
use tarjotin_core::model::Record;
use tarjotin_core::search::Engine;
use tarjotin_core::sources::linkedevents::{self, Places};
use tarjotin_core::sources::{Import, Problem, Severity, merge, ptv, spreadsheet};

use crate::cli::{Format, InputArgs, ReportArgs};
use crate::error::{Error, Result, io};

/// The format of `path` given `--format` or its extension.
pub fn format_of(path: &Path, explicit: Option<Format>) -> Result<Format> {
    if let Some(f) = explicit {
        return Ok(f);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("ndjson" | "jsonl") => Ok(Format::Ndjson),
        Some("csv") => Ok(Format::Csv),
        Some("json") => Err(Error::Usage(format!(
            "{}: a .json file may be PTV or Linked Events; say which with --format ptv or \
             --format linkedevents",
            path.display()
        ))),
        _ => Err(Error::Usage(format!(
            "{}: cannot tell the format from the extension; use --format ndjson|ptv|linkedevents|csv",
            path.display()
        ))),
    }
}

/// Loads `--places` for Linked Events.
pub fn load_places(path: Option<&Path>) -> Result<Places> {
    let Some(path) = path else {
        return Ok(Places::new());
    };
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    Ok(linkedevents::places_from_json(
        &text,
        &path.display().to_string(),
    )?)
}

/// Runs an adapter over one file. `Err` only when the whole file is unreadable.
pub fn convert(path: &Path, format: Format, places: &Places) -> Result<Import> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path).map_err(io(path))?;
    let text = || {
        String::from_utf8(bytes.clone()).map_err(|e| {
            Error::Usage(format!(
                "{origin}: not UTF-8 (byte {}); JSON sources must be UTF-8",
                e.utf8_error().valid_up_to() + 1
            ))
        })
    };
    Ok(match format {
        Format::Ptv => ptv::parse(&text()?, &origin)?,
        Format::Linkedevents => linkedevents::parse(&text()?, &origin, places)?,
        Format::Csv => spreadsheet::parse(&bytes, &origin)?,
        Format::Ndjson => {
            return Err(Error::Usage(format!(
                "{origin}: NDJSON needs no conversion"
            )));
        }
    })
}

/// Prints an adapter's problems to stderr, `LOCATION: severity: message`.
pub fn print_problems(problems: &[Problem]) {
    let mut err = std::io::stderr().lock();
    for p in problems {
        let _ = writeln!(err, "{p}");
    }
}

/// Drops what import format v1 does not carry (the adapters' `sources` provenance list), so
/// converted records validate without warnings.
pub fn to_import_format(mut record: Record) -> Record {
    match &mut record {
        Record::Organisation(o) => o.common.sources.clear(),
        Record::Activity(a) => a.common.sources.clear(),
        Record::Delete(_) => {}
    }
    record
}

/// Records as import-format v1 NDJSON.
pub fn to_ndjson(records: &[Record]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for r in records {
        serde_json::to_writer(&mut out, &to_import_format(r.clone()))?;
        out.push(b'\n');
    }
    Ok(out)
}

/// The accepted records of a run and its report.
pub struct Loaded {
    pub records: Vec<Record>,
    pub report: ImportReport,
}

/// Reads every input: NDJSON files line by line, other formats through their adapter and then
/// through the same validation (an adapter's records are lines `1..` of `FILE`). Adapter errors
/// count as errors of the run at line 0. Cross-record checks use `organisation_exists` for
/// organisations already in the index. Records of several files are merged.
pub fn load(
    input: &InputArgs,
    report: &ReportArgs,
    organisation_exists: impl Fn(&str) -> bool,
) -> Result<Loaded> {
    let places = load_places(input.places.as_deref())?;
    let mut set = ImportSet::new().with_max_line_bytes(report.max_line_bytes);
    let mut formats = Vec::new();
    for path in &input.files {
        formats.push(format_of(path, input.format)?);
    }
    for (path, format) in input.files.iter().zip(formats) {
        let name = path.display().to_string();
        match format {
            Format::Ndjson => match File::open(path) {
                Ok(f) => set.read(&name, BufReader::with_capacity(1 << 16, f)),
                Err(e) => {
                    set.add_file(&name);
                    set.add_error(ImportError::new(&name, 0, "-", format!("cannot open: {e}")));
                }
            },
            _ => match convert(path, format, &places) {
                Ok(import) => {
                    print_problems(&import.problems);
                    for p in import.problems_of(Severity::Error) {
                        set.add_error(ImportError::new(&name, 0, &p.location, p.message.clone()));
                    }
                    let ndjson = to_ndjson(&import.records)?;
                    set.read(&name, Cursor::new(ndjson));
                }
                Err(e) => {
                    set.add_file(&name);
                    set.add_error(ImportError::new(&name, 0, "-", e.to_string()));
                }
            },
        }
    }
    let (accepted, report) = set.finish(organisation_exists);
    let mut records: Vec<Record> = accepted.into_iter().map(|r| r.record).collect();
    if input.files.len() > 1 {
        records = merge::merge_records(records);
    }
    Ok(Loaded { records, report })
}

/// An `organisation_exists` check against a published index (none when the path is `None` or
/// nothing is published there yet).
pub fn existing_organisations(dir: Option<&Path>) -> Result<Option<Engine>> {
    let Some(dir) = dir else { return Ok(None) };
    let store = tarjotin_core::index::IndexStore::open(dir)?;
    if store.current()?.is_none() {
        return Ok(None);
    }
    Ok(Some(Engine::open(dir)?))
}

/// Whether `id` names an organisation in `engine`.
pub fn has_organisation(engine: Option<&Engine>, id: &str) -> bool {
    engine.is_some_and(|e| matches!(e.get(id), Ok(Some(Record::Organisation(_)))))
}

/// Prints the errors, warnings and summary of a run (errors and warnings to stderr, summary
/// to stdout), and the JSON report when asked. Returns whether the threshold was exceeded.
pub fn print_report(report: &ImportReport, args: &ReportArgs) -> Result<bool> {
    {
        let mut err = std::io::stderr().lock();
        for e in &report.errors {
            let _ = writeln!(err, "{e}");
        }
        if report.errors_truncated() {
            let _ = writeln!(
                err,
                "... and {} more errors (only the first {} are listed)",
                report.error_count - report.errors.len() as u64,
                report.errors.len()
            );
        }
        for w in &report.warning_samples {
            let _ = writeln!(err, "{w} (warning)");
        }
    }
    let json_to_stdout = args.report.is_some() && args.report_file.is_none();
    if let Some(path) = &args.report_file {
        write_json_file(path, report)?;
    }
    let exceeded = report.exceeds(args.max_errors);
    if json_to_stdout {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        serde_json::to_writer_pretty(&mut out, report)?;
        let _ = writeln!(out);
        // The human summary goes to stderr so stdout stays one JSON document.
        eprintln!("{}", report.summary());
    } else {
        println!("{}", report.summary());
    }
    if exceeded {
        eprintln!(
            "error: {} errors, more than --max-errors {}; nothing was changed",
            report.error_count,
            args.max_errors.unwrap_or(0)
        );
    }
    Ok(exceeded)
}

fn write_json_file(path: &PathBuf, report: &ImportReport) -> Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text + "\n").map_err(io(path))
}
