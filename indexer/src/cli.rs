//! Command-line interface (clap derive). Exit codes: 0 success, 1 more errors than
//! `--max-errors` (nothing published), 2 usage errors and failures.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "indexer",
    version,
    about = "Validate import files and build, update and inspect the Tarjotin search index",
    after_help = "\
Examples:
  indexer validate orgs.ndjson activities.ndjson --max-errors 0
  indexer validate --report json --report-file report.json data/*.ndjson
  indexer build --index-dir /var/lib/tarjotin data/eval/corpus.ndjson
  indexer build --index-dir idx --format ptv ptv-export.json
  indexer apply --index-dir idx changes.ndjson
  indexer import ptv ptv-export.json --out ptv.ndjson
  indexer sync linkedevents --url https://api.hel.fi/linkedevents/v1/event/ --since 2026-01-01 --index-dir idx
  indexer stats --index-dir idx
  indexer search --index-dir idx --municipality Kuopio \"vertaistuki\"

Exit codes: 0 success; 1 more errors than --max-errors (nothing was published);
2 usage error or failure."
)]
pub struct Cli {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check import files (import format v1 NDJSON) and print a report; changes nothing.
    #[command(after_help = "\
Examples:
  indexer validate activities.ndjson
  indexer validate --max-errors 10 --report json a.ndjson b.ndjson
  indexer validate --existing-index idx updates.ndjson

Every problem is printed to stderr as FILE:LINE: FIELD: message.")]
    Validate(ValidateArgs),
    /// Validate inputs and build a complete new index, published atomically.
    #[command(after_help = "\
Examples:
  indexer build --index-dir idx data/eval/corpus.ndjson
  indexer build --index-dir idx --format ptv ptv.json
  indexer build --index-dir idx --max-errors 0 --report json orgs.ndjson acts.csv")]
    Build(BuildArgs),
    /// Apply upserts and deletes to the published index without a full rebuild.
    #[command(after_help = "\
Examples:
  indexer apply --index-dir idx changes.ndjson
  echo '{\"type\":\"delete\",\"id\":\"local:x\",\"of\":\"organisation\"}' > d.ndjson && indexer apply --index-dir idx d.ndjson

Deleting an organisation removes its activities too.")]
    Apply(ApplyArgs),
    /// Convert a source (PTV, Linked Events, spreadsheet) into import-format v1 NDJSON.
    #[command(after_help = "\
Examples:
  indexer import ptv ptv-export.json --out ptv.ndjson
  indexer import linkedevents events.json --places places.json --out events.ndjson
  indexer import csv activities.csv --out activities.ndjson")]
    Import(ImportArgs),
    /// Fetch changed records from a live source and apply them to the index.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Show what the published index holds: counts, top municipalities and themes, stale records.
    #[command(after_help = "\
Examples:
  indexer stats --index-dir idx
  indexer stats --index-dir idx --json")]
    Stats(StatsArgs),
    /// Search the published index, with score explanations for relevance debugging.
    #[command(after_help = "\
Examples:
  indexer search --index-dir idx \"vertaistuki Kuopiossa\"
  indexer search --index-dir idx --municipality Tampere --limit 5 kuoro
  indexer search --index-dir idx --near 60.17,24.94 --radius-km 5 liikunta")]
    Search(SearchArgs),
    /// Write synthetic records (for load and crash tests).
    #[command(hide = true)]
    Synth(SynthArgs),
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    #[arg(long, default_value_t = 10_000)]
    pub records: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// A change set for `apply`: the organisations only, the first 20 of them as deletes.
    #[arg(long)]
    pub changes: bool,
    #[arg(long)]
    pub out: PathBuf,
}

/// Input format of the files of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Import format v1, one JSON record per line (.ndjson, .jsonl).
    Ndjson,
    /// Suomi.fi PTV Open API v11 JSON.
    Ptv,
    /// Linked Events API JSON (list envelope, array or one event).
    Linkedevents,
    /// Spreadsheet template as CSV (.csv).
    Csv,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Fail (exit 1, nothing published) when more than N errors are found. Default: never fail
    /// on record errors; they are reported and the bad records skipped.
    #[arg(long, value_name = "N")]
    pub max_errors: Option<usize>,
    /// Also print the whole report in this format.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub report: Option<ReportFormat>,
    /// Write the report there instead of stdout (implies --report json).
    #[arg(long, value_name = "PATH")]
    pub report_file: Option<PathBuf>,
    /// Largest line accepted, in bytes; longer lines are reported and skipped.
    #[arg(long, value_name = "BYTES", default_value_t = tarjotin_core::import::DEFAULT_MAX_LINE_BYTES)]
    pub max_line_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Json,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// Input files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Format of every input file. Default: by extension (.ndjson/.jsonl → ndjson, .csv → csv);
    /// JSON sources need --format ptv or --format linkedevents.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Linked Events places (JSON) to resolve event locations.
    #[arg(long, value_name = "FILE")]
    pub places: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Check organisation_id references against this published index too.
    #[arg(long, value_name = "DIR")]
    pub existing_index: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Index root directory (created when missing).
    #[arg(long, value_name = "DIR")]
    pub index_dir: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Index root directory with a published index.
    #[arg(long, value_name = "DIR")]
    pub index_dir: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Source format.
    #[arg(value_enum)]
    pub source: Source,
    /// Source files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output NDJSON file ("-" for stdout).
    #[arg(long, value_name = "OUT.ndjson")]
    pub out: PathBuf,
    /// Linked Events places (JSON) to resolve event locations.
    #[arg(long, value_name = "FILE")]
    pub places: Option<PathBuf>,
    /// Merge organisations that are the same across the files (business id, name + municipality).
    #[arg(long)]
    pub merge: bool,
    /// Leave out activities whose organisation is not among the converted records.
    #[arg(long)]
    pub drop_orphans: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    Ptv,
    Linkedevents,
    Csv,
}

impl Source {
    pub fn format(self) -> Format {
        match self {
            Source::Ptv => Format::Ptv,
            Source::Linkedevents => Format::Linkedevents,
            Source::Csv => Format::Csv,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Page through a Linked Events event list (following meta.next) and apply the changes.
    #[command(after_help = "\
Examples:
  indexer sync linkedevents --url https://linkedevents-api.turku.fi/v1/event/ --since 2026-11-01 --index-dir idx
  indexer sync linkedevents --url http://127.0.0.1:8080/v1/event/ --places places.json --index-dir idx

Only events modified since --since are fetched (last_modified_since=); nothing is applied unless
every page was fetched.")]
    Linkedevents(SyncArgs),
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// First page of the event list.
    #[arg(long)]
    pub url: String,
    /// Fetch only events modified since this timestamp (ISO 8601).
    #[arg(long, value_name = "TS")]
    pub since: Option<String>,
    /// Index root directory with a published index.
    #[arg(long, value_name = "DIR")]
    pub index_dir: PathBuf,
    /// Places (JSON) to resolve event locations.
    #[arg(long, value_name = "FILE")]
    pub places: Option<PathBuf>,
    /// Stop with an error after this many pages.
    #[arg(long, default_value_t = 1000)]
    pub max_pages: usize,
    /// HTTP timeout per request, in seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout_secs: u64,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Index root directory.
    #[arg(long, value_name = "DIR")]
    pub index_dir: PathBuf,
    /// How many top municipalities and themes to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print only the sorted ids of every record (for comparing indexes).
    #[arg(long)]
    pub ids: bool,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Index root directory.
    #[arg(long, value_name = "DIR")]
    pub index_dir: PathBuf,
    /// Label language: fi, sv or en.
    #[arg(long, default_value = "fi")]
    pub lang: String,
    /// Only in this municipality (code or name); repeatable.
    #[arg(long, value_name = "X")]
    pub municipality: Vec<String>,
    /// Rank by distance from LAT,LON.
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub near: Option<String>,
    /// With --near: only within this radius.
    #[arg(long, value_name = "KM", requires = "near")]
    pub radius_km: Option<f64>,
    /// Number of results.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Print the response as JSON.
    #[arg(long)]
    pub json: bool,
    /// The query text.
    pub query: String,
}
