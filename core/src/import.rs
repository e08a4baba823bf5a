//! Reading import-format-v1 files: [`ImportReader`] turns any [`BufRead`] into validated records
//! or precise errors line by line; [`ImportSet`] gathers the records of one import (one or more
//! files) and runs the cross-record checks ([`check_set`]); [`ImportReport`] is the summary the
//! indexer prints (`--report json` serialises it).
//!
//! # Contracts
//! - Every problem is an [`ImportError`] displayed exactly as `FILE:LINE: FIELD: message`.
//!   `FIELD` is a JSON path (`locations[0].lat`) or `-` ([`LINE_FIELD`]) when the problem
//!   concerns the whole line (invalid UTF-8, too long, not JSON, not an object, read error).
//! - Lines are numbered from 1 and counted by `\n`; a trailing `\r` is stripped (CRLF files);
//!   a UTF-8 BOM at the start of line 1 is skipped; lines that are empty or hold only JSON
//!   whitespace (space, tab, CR) are ignored and not counted as read.
//! - At most `max_line_bytes` bytes of a line are held in memory (default 1 MiB); the rest of a
//!   longer line is read and discarded, and the line is reported and skipped.
//! - Invalid UTF-8 is reported for its line only; reading goes on with the next line. An I/O
//!   error is reported at the line being read and ends that file.
//! - Never panics on any input.
//!
//! # Cross-record rules ([`check_set`]), in reading order across all files of the import
//! - An `(type, id)` pair may appear once: a second organisation or activity with the same id,
//!   or a second `delete` of it, or a record together with a `delete` of the same record, is an
//!   error reported at the *later* line; the first one is kept.
//! - An activity's `organisation_id` must name an organisation in the import or one that the
//!   caller says exists in the current index; an organisation deleted in this same import (and
//!   not re-imported) does not count.
//!
//! # Counting
//! `read` = `indexed` + `skipped`, where `indexed` counts accepted records (deletes included)
//! and `skipped` counts rejected non-blank lines. `error_count` counts every error line (a
//! record with three bad fields gives three); `errors` stores the first `max_stored_errors`.
//! [`ImportReport::exceeds`] compares `error_count` against the `--max-errors` threshold.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, BufRead};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::{Record, RecordType};
use crate::validate::{FieldError, FieldWarning, LINE_FIELD, parse_record};

/// Default cap on the bytes of one line held in memory.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;
/// Default number of errors (and of warnings) stored in a report; all are counted.
pub const DEFAULT_MAX_STORED_ERRORS: usize = 1000;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One problem in an import, `FILE:LINE: FIELD: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{file}:{line}: {field}: {message}")]
pub struct ImportError {
    pub file: String,
    /// 1-based line number; 0 for problems with the file as a whole (e.g. it cannot be opened).
    pub line: u64,
    /// JSON path of the field, or `-` for the whole line.
    pub field: String,
    pub message: String,
}

impl ImportError {
    pub fn new(
        file: impl Into<String>,
        line: u64,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            file: file.into(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }

    fn from_field(file: &str, line: u64, e: FieldError) -> Self {
        Self::new(file, line, e.field, e.message)
    }
}

/// A warning in an import (unknown field and the like), displayed like [`ImportError`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportWarning {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

/// A record that passed line validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRecord {
    pub file: Arc<str>,
    pub line: u64,
    pub record: Record,
    pub warnings: Vec<FieldWarning>,
}

/// A non-blank line that was rejected, with all its errors (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedLine {
    pub line: u64,
    pub errors: Vec<ImportError>,
}

/// What [`ImportReader`] yields for each non-blank line.
pub type LineResult = Result<ImportedRecord, RejectedLine>;

/// Reads one import file line by line; see the module docs for the contract.
pub struct ImportReader<R> {
    file: Arc<str>,
    inner: R,
    line: u64,
    max_line_bytes: usize,
    buf: Vec<u8>,
    done: bool,
}

/// How one physical line was read.
struct RawLine {
    /// Total bytes of the line without the `\n`, including any discarded beyond the cap.
    len: usize,
}

impl<R: BufRead> ImportReader<R> {
    /// A reader over `inner`; `file` is the name used in error messages.
    pub fn new(file: impl Into<String>, inner: R) -> Self {
        let file: String = file.into();
        Self {
            file: Arc::from(file),
            inner,
            line: 0,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            buf: Vec::new(),
            done: false,
        }
    }

    /// Sets the most bytes of one line held in memory (at least 1).
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max.max(1);
        self
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    /// Number of the last line read (physical lines, blank ones included).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Reads the next physical line into `self.buf` (at most `max_line_bytes` of it).
    /// `Ok(None)` at end of input.
    fn read_line(&mut self) -> io::Result<Option<RawLine>> {
        self.buf.clear();
        let mut len = 0usize;
        let mut any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(any.then_some(RawLine { len }));
            }
            any = true;
            let (chunk_len, used, eol) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (i, i + 1, true),
                None => (available.len(), available.len(), false),
            };
            let room = self.max_line_bytes.saturating_sub(self.buf.len());
            let keep = chunk_len.min(room);
            self.buf.extend_from_slice(&available[..keep]);
            len = len.saturating_add(chunk_len);
            self.inner.consume(used);
            if eol {
                return Ok(Some(RawLine { len }));
            }
        }
    }

    fn reject(&self, message: String) -> LineResult {
        Err(RejectedLine {
            line: self.line,
            errors: vec![ImportError::new(
                &*self.file,
                self.line,
                LINE_FIELD,
                message,
            )],
        })
    }
}

impl<R: BufRead> Iterator for ImportReader<R> {
    type Item = LineResult;

    fn next(&mut self) -> Option<LineResult> {
        while !self.done {
            let raw = match self.read_line() {
                Ok(Some(raw)) => raw,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    self.line += 1;
                    return Some(self.reject(format!("read error, rest of file skipped: {e}")));
                }
            };
            self.line += 1;
            if raw.len > self.max_line_bytes {
                return Some(self.reject(format!(
                    "line is {} bytes long, more than the limit of {} bytes; skipped",
                    raw.len, self.max_line_bytes
                )));
            }
            let mut bytes: &[u8] = &self.buf;
            if self.line == 1 {
                bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
            }
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            if bytes.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                continue;
            }
            let text = match std::str::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    return Some(self.reject(format!(
                        "invalid UTF-8 at byte {} of the line; skipped",
                        e.valid_up_to() + 1
                    )));
                }
            };
            let line = self.line;
            return Some(match parse_record(text) {
                Ok(v) => Ok(ImportedRecord {
                    file: Arc::clone(&self.file),
                    line,
                    record: v.record,
                    warnings: v.warnings,
                }),
                Err(errors) => Err(RejectedLine {
                    line,
                    errors: errors
                        .into_iter()
                        .map(|e| ImportError::from_field(&self.file, line, e))
                        .collect(),
                }),
            });
        }
        None
    }
}

/// The summary of an import. `read` = `indexed` + `skipped`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Files read, in order.
    pub files: Vec<String>,
    /// Non-blank lines read.
    pub read: u64,
    /// Records accepted (organisations, activities and deletes).
    pub indexed: u64,
    /// Lines rejected, at line validation or by the cross-record checks.
    pub skipped: u64,
    /// Warnings counted (all of them).
    pub warnings: u64,
    /// Errors counted (all of them); a rejected line may have several.
    pub error_count: u64,
    /// The first errors, at most the set's `max_stored_errors`.
    pub errors: Vec<ImportError>,
    /// The first warnings, at most the set's `max_stored_errors`.
    pub warning_samples: Vec<ImportWarning>,
}

impl ImportReport {
    /// Whether the import must fail under a `--max-errors` policy: `None` never fails,
    /// `Some(n)` fails when more than `n` errors were counted (`Some(0)`: any error fails).
    pub fn exceeds(&self, max_errors: Option<usize>) -> bool {
        max_errors.is_some_and(|max| self.error_count > max as u64)
    }

    /// One human line, e.g. `2 files: 650 read, 640 indexed, 10 skipped, 12 errors, 3 warnings`.
    pub fn summary(&self) -> String {
        let n = self.files.len();
        format!(
            "{n} file{}: {} read, {} indexed, {} skipped, {} error{}, {} warning{}",
            if n == 1 { "" } else { "s" },
            self.read,
            self.indexed,
            self.skipped,
            self.error_count,
            if self.error_count == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" },
        )
    }

    /// Whether some errors were counted but not stored.
    pub fn errors_truncated(&self) -> bool {
        self.error_count > self.errors.len() as u64
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

/// The records of one import (one or more files) and its report so far.
#[derive(Debug)]
pub struct ImportSet {
    max_line_bytes: usize,
    max_stored: usize,
    records: Vec<ImportedRecord>,
    report: ImportReport,
}

impl Default for ImportSet {
    fn default() -> Self {
        Self::new()
    }
}

impl ImportSet {
    pub fn new() -> Self {
        Self {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            max_stored: DEFAULT_MAX_STORED_ERRORS,
            records: Vec::new(),
            report: ImportReport::default(),
        }
    }

    /// Sets the line cap handed to each [`ImportReader`].
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max.max(1);
        self
    }

    /// Sets how many errors (and warnings) the report stores; all are still counted.
    pub fn with_max_stored_errors(mut self, max: usize) -> Self {
        self.max_stored = max;
        self
    }

    /// Reads a whole file into the set.
    pub fn read<R: BufRead>(&mut self, file: &str, reader: R) {
        self.report.files.push(file.to_string());
        let reader = ImportReader::new(file, reader).with_max_line_bytes(self.max_line_bytes);
        for item in reader {
            self.add(item);
        }
    }

    /// Adds one line's result (for callers that drive an [`ImportReader`] themselves, e.g. to
    /// show progress; they should also call [`ImportSet::add_file`]).
    pub fn add(&mut self, item: LineResult) {
        self.report.read += 1;
        match item {
            Ok(rec) => {
                for w in &rec.warnings {
                    self.push_warning(ImportWarning {
                        file: rec.file.to_string(),
                        line: rec.line,
                        field: w.field.clone(),
                        message: w.message.clone(),
                    });
                }
                self.records.push(rec);
            }
            Err(rejected) => {
                self.report.skipped += 1;
                for e in rejected.errors {
                    self.push_error(e);
                }
            }
        }
    }

    /// Records a file name in the report (done by [`ImportSet::read`]).
    pub fn add_file(&mut self, file: &str) {
        self.report.files.push(file.to_string());
    }

    /// Reports a problem outside any record, e.g. a file that cannot be opened (line 0).
    /// It counts as an error but not as a read line.
    pub fn add_error(&mut self, error: ImportError) {
        self.push_error(error);
    }

    fn push_error(&mut self, e: ImportError) {
        self.report.error_count += 1;
        if self.report.errors.len() < self.max_stored {
            self.report.errors.push(e);
        }
    }

    fn push_warning(&mut self, w: ImportWarning) {
        self.report.warnings += 1;
        if self.report.warning_samples.len() < self.max_stored {
            self.report.warning_samples.push(w);
        }
    }

    /// The report so far (before the cross-record checks).
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// Runs the cross-record checks and returns the accepted records in reading order with the
    /// final report. `organisation_exists` says whether an id names an organisation already in
    /// the current index (pass `|_| false` for a fresh build).
    pub fn finish(
        mut self,
        organisation_exists: impl Fn(&str) -> bool,
    ) -> (Vec<ImportedRecord>, ImportReport) {
        let records = std::mem::take(&mut self.records);
        let (kept, errors) = check_set(records, organisation_exists);
        for e in errors {
            self.report.skipped += 1;
            self.push_error(e);
        }
        self.report.indexed = kept.len() as u64;
        // Stored errors in file, then line order (the cross-record ones came last).
        let files = &self.report.files;
        let file_pos = |f: &str| files.iter().position(|x| x == f).unwrap_or(usize::MAX);
        let mut errors = std::mem::take(&mut self.report.errors);
        errors.sort_by_cached_key(|e| (file_pos(&e.file), e.line));
        self.report.errors = errors;
        (kept, self.report)
    }
}

/// A record's slot in the uniqueness check: deletes occupy the slot of what they delete.
fn slot(record: &Record) -> (RecordType, &str) {
    match record {
        Record::Organisation(o) => (RecordType::Organisation, o.common.id.as_str()),
        Record::Activity(a) => (RecordType::Activity, a.common.id.as_str()),
        Record::Delete(d) => (d.of, d.id.as_str()),
    }
}

fn describe(record: &Record) -> &'static str {
    match record {
        Record::Delete(_) => "deleted",
        _ => "defined",
    }
}

/// The cross-record checks (see the module docs). Returns the records kept, in the given order,
/// and one error per record dropped, at that record's line.
pub fn check_set(
    records: Vec<ImportedRecord>,
    organisation_exists: impl Fn(&str) -> bool,
) -> (Vec<ImportedRecord>, Vec<ImportError>) {
    let mut errors = Vec::new();
    let mut first: HashMap<(RecordType, String), usize> = HashMap::new();
    let mut unique: Vec<ImportedRecord> = Vec::with_capacity(records.len());
    for rec in records {
        let (ty, id) = slot(&rec.record);
        if let Some(&i) = first.get(&(ty, id.to_string())) {
            let prev = &unique[i];
            let what = match (&rec.record, &prev.record) {
                (Record::Delete(_), Record::Delete(_)) => "duplicate delete of",
                (Record::Delete(_), _) | (_, Record::Delete(_)) => "conflicting record for",
                _ => "duplicate",
            };
            errors.push(ImportError::new(
                &*rec.file,
                rec.line,
                "id",
                format!(
                    "{what} {} id {:?}: already {} at {}:{}",
                    ty.as_str(),
                    id,
                    describe(&prev.record),
                    prev.file,
                    prev.line
                ),
            ));
            continue;
        }
        first.insert((ty, id.to_string()), unique.len());
        unique.push(rec);
    }

    let mut imported_orgs: HashSet<&str> = HashSet::new();
    let mut deleted_orgs: HashSet<&str> = HashSet::new();
    for rec in &unique {
        match &rec.record {
            Record::Organisation(o) => {
                imported_orgs.insert(&o.common.id);
            }
            Record::Delete(d) if d.of == RecordType::Organisation => {
                deleted_orgs.insert(&d.id);
            }
            _ => {}
        }
    }
    let mut orphan = vec![false; unique.len()];
    for (i, rec) in unique.iter().enumerate() {
        let Record::Activity(a) = &rec.record else {
            continue;
        };
        let org = a.organisation_id.as_str();
        let message = if imported_orgs.contains(org) {
            continue;
        } else if deleted_orgs.contains(org) {
            format!("organisation {org:?} is deleted in this import")
        } else if organisation_exists(org) {
            continue;
        } else {
            format!("unknown organisation {org:?}: not in this import nor in the index")
        };
        orphan[i] = true;
        errors.push(ImportError::new(
            &*rec.file,
            rec.line,
            "organisation_id",
            message,
        ));
    }
    let kept = unique
        .into_iter()
        .zip(orphan)
        .filter_map(|(rec, o)| (!o).then_some(rec))
        .collect();
    (kept, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor, Read};

    use proptest::prelude::*;

    const MIXED: &[u8] = include_bytes!("../../data/fixtures/import/mixed.ndjson");
    const MIXED_ERRORS: &str = include_str!("../../data/fixtures/import/mixed.errors.txt");
    const BOM_CRLF: &[u8] = include_bytes!("../../data/fixtures/import/bom_crlf.ndjson");
    const INVALID_UTF8: &[u8] = include_bytes!("../../data/fixtures/import/invalid_utf8.ndjson");
    const CORPUS: &[u8] = include_bytes!("../../data/eval/corpus.ndjson");

    fn read_all(file: &str, bytes: &[u8]) -> Vec<LineResult> {
        ImportReader::new(file, BufReader::new(Cursor::new(bytes.to_vec()))).collect()
    }

    fn import(files: &[(&str, &[u8])], existing: &[&str]) -> (Vec<ImportedRecord>, ImportReport) {
        let mut set = ImportSet::new();
        for (name, bytes) in files {
            set.read(name, Cursor::new(*bytes));
        }
        set.finish(|id| existing.contains(&id))
    }

    fn error_lines(report: &ImportReport) -> String {
        report.errors.iter().map(|e| format!("{e}\n")).collect()
    }

    #[test]
    fn display_is_file_line_field_message() {
        let e = ImportError::new("a.ndjson", 7, "locations[0].lat", "out of range");
        assert_eq!(e.to_string(), "a.ndjson:7: locations[0].lat: out of range");
    }

    #[test]
    fn corpus_imports_cleanly() {
        let (records, report) = import(&[("corpus.ndjson", CORPUS)], &[]);
        assert_eq!(error_lines(&report), "");
        assert_eq!(report.read, 645);
        assert_eq!(report.indexed, 645);
        assert_eq!(report.skipped, 0);
        assert_eq!(report.error_count, 0);
        assert_eq!(report.warnings, 0);
        assert_eq!(records.len(), 645);
        assert_eq!(records[0].line, 1);
        assert_eq!(
            report.summary(),
            "1 file: 645 read, 645 indexed, 0 skipped, 0 errors, 0 warnings"
        );
    }

    #[test]
    fn mixed_fixture_reports_every_bad_line() {
        let (records, report) = import(&[("mixed.ndjson", MIXED)], &["local:in-index"]);
        assert_eq!(error_lines(&report), MIXED_ERRORS);
        let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 8, 10, 12]);
        assert_eq!((report.read, report.indexed, report.skipped), (11, 5, 6));
        assert_eq!(report.error_count, 7);
        assert_eq!(report.warnings, 1);
        assert_eq!(
            report.warning_samples[0].to_string(),
            "mixed.ndjson:8: extra_field: unknown field, ignored"
        );
        assert!(report.exceeds(Some(6)));
        assert!(!report.exceeds(Some(7)));
        assert!(!report.exceeds(None));
        // Without the index knowing local:in-index, line 12 is an orphan too.
        let (_, report) = import(&[("mixed.ndjson", MIXED)], &[]);
        assert_eq!(report.error_count, 8);
        assert!(
            error_lines(&report).contains(
                "mixed.ndjson:12: organisation_id: unknown organisation \"local:in-index\""
            )
        );
    }

    #[test]
    fn report_serialises_to_json() {
        let (_, report) = import(&[("mixed.ndjson", MIXED)], &["local:in-index"]);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["files"], serde_json::json!(["mixed.ndjson"]));
        assert_eq!(json["read"], 11);
        assert_eq!(json["indexed"], 5);
        assert_eq!(json["skipped"], 6);
        assert_eq!(json["error_count"], 7);
        assert_eq!(json["errors"][0]["line"], 4);
        assert_eq!(json["errors"][0]["field"], "themes[1]");
        let back: ImportReport = serde_json::from_value(json).unwrap();
        assert_eq!(back, report);
    }

    #[test]
    fn bom_and_crlf_are_tolerated() {
        let items = read_all("bom_crlf.ndjson", BOM_CRLF);
        assert_eq!(items.len(), 2);
        let lines: Vec<u64> = items.iter().map(|i| i.as_ref().unwrap().line).collect();
        assert_eq!(lines, [1, 3]);
        // A BOM anywhere but the start of line 1 is not whitespace.
        let items = read_all("x", b"\n\xEF\xBB\xBF{}\n");
        assert_eq!(items.len(), 1);
        let err = items[0].as_ref().unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.errors[0].field, "-");
        // A lone BOM line is blank.
        assert!(read_all("x", b"\xEF\xBB\xBF\r\n \t\r\n").is_empty());
    }

    #[test]
    fn invalid_utf8_is_reported_and_reading_continues() {
        let items = read_all("invalid_utf8.ndjson", INVALID_UTF8);
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok());
        let err = items[1].as_ref().unwrap_err();
        assert_eq!(
            err.errors[0].to_string(),
            "invalid_utf8.ndjson:2: -: invalid UTF-8 at byte 65 of the line; skipped"
        );
        // The last line has no trailing newline and is still read.
        assert_eq!(items[2].as_ref().unwrap().line, 3);
    }

    #[test]
    fn truncated_json_is_a_line_error() {
        let items = read_all("t", b"{\"type\":\"delete\",\"id\":\"x\",\"of\":\"act");
        let err = items[0].as_ref().unwrap_err();
        assert_eq!(err.errors.len(), 1);
        let e = &err.errors[0];
        assert_eq!((e.line, e.field.as_str()), (1, "of"));
        assert!(e.message.starts_with("invalid JSON: EOF"), "{e}");
    }

    /// A reader that produces a 50 MB line without holding it, then a good line.
    struct HugeLine {
        remaining: u64,
        tail: Cursor<Vec<u8>>,
    }

    impl Read for HugeLine {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.remaining > 0 {
                let n = (buf.len() as u64).min(self.remaining) as usize;
                buf[..n].fill(b'a');
                self.remaining -= n as u64;
                return Ok(n);
            }
            self.tail.read(buf)
        }
    }

    #[test]
    fn a_50_mb_line_is_skipped_without_holding_it() {
        let good = br#"{"type":"delete","id":"local:x","of":"activity"}"#;
        let mut tail = b"\"}}\n".to_vec();
        tail.extend_from_slice(good);
        tail.push(b'\n');
        let head = br#"{"type":"organisation","id":"x","name":{"fi":""#;
        let source = Cursor::new(head.to_vec()).chain(HugeLine {
            remaining: 50_000_000,
            tail: Cursor::new(tail),
        });
        let mut reader = ImportReader::new("huge.ndjson", BufReader::new(source));
        let first = reader.next().unwrap();
        let err = first.unwrap_err();
        assert_eq!(
            err.errors[0].to_string(),
            format!(
                "huge.ndjson:1: -: line is {} bytes long, more than the limit of 1048576 bytes; skipped",
                head.len() + 50_000_000 + 3
            )
        );
        assert!(reader.buf.capacity() <= 2 * DEFAULT_MAX_LINE_BYTES);
        let second = reader.next().unwrap().unwrap();
        assert_eq!(second.line, 2);
        assert!(reader.next().is_none());
    }

    #[test]
    fn a_50_mb_line_in_memory_is_skipped_too() {
        let mut input = Vec::with_capacity(50_000_100);
        input.extend_from_slice(br#"{"type":"organisation","id":"x","name":{"fi":""#);
        input.resize(50_000_000, b'a');
        input.extend_from_slice(b"\"}}\r\n{}\n");
        let mut reader = ImportReader::new("big", Cursor::new(input)).with_max_line_bytes(4096);
        let e = reader.next().unwrap().unwrap_err();
        assert!(e.errors[0].message.contains("50000004 bytes long"), "{e:?}");
        assert!(reader.buf.capacity() <= 8192);
        let e = reader.next().unwrap().unwrap_err();
        assert_eq!((e.line, e.errors[0].field.as_str()), (2, "type"));
        assert!(reader.next().is_none());
    }

    #[test]
    fn the_line_cap_is_exact() {
        let line = br#"{"type":"delete","id":"local:x","of":"activity"}"#;
        let at = |cap: usize| {
            ImportReader::new("c", Cursor::new(line.to_vec()))
                .with_max_line_bytes(cap)
                .next()
                .unwrap()
        };
        assert!(at(line.len()).is_ok());
        assert!(at(line.len() - 1).is_err());
    }

    #[test]
    fn duplicates_and_conflicts_keep_the_first() {
        let a = br#"{"type":"organisation","id":"local:a","name":{"fi":"A"}}
{"type":"activity","id":"local:a","organisation_id":"local:a","name":{"fi":"Same id, other type: fine"}}
{"type":"delete","id":"local:z","of":"activity"}
"#;
        let b = br#"{"type":"organisation","id":"local:a","name":{"fi":"A again"}}
{"type":"delete","id":"local:z","of":"activity"}
{"type":"delete","id":"local:a","of":"organisation"}
"#;
        let (records, report) = import(&[("a.ndjson", a), ("b.ndjson", b)], &[]);
        assert_eq!(records.len(), 3);
        assert_eq!(
            error_lines(&report),
            "b.ndjson:1: id: duplicate organisation id \"local:a\": already defined at a.ndjson:1\n\
             b.ndjson:2: id: duplicate delete of activity id \"local:z\": already deleted at a.ndjson:3\n\
             b.ndjson:3: id: conflicting record for organisation id \"local:a\": already defined at a.ndjson:1\n"
        );
        assert_eq!((report.read, report.indexed, report.skipped), (6, 3, 3));
        assert_eq!(
            report.summary(),
            "2 files: 6 read, 3 indexed, 3 skipped, 3 errors, 0 warnings"
        );
    }

    #[test]
    fn activities_of_deleted_organisations_are_orphans() {
        let input = br#"{"type":"delete","id":"local:gone","of":"organisation"}
{"type":"activity","id":"local:gone/x","organisation_id":"local:gone","name":{"fi":"X"}}
"#;
        let (records, report) = import(&[("d", input)], &["local:gone"]);
        assert_eq!(records.len(), 1);
        assert_eq!(
            error_lines(&report),
            "d:2: organisation_id: organisation \"local:gone\" is deleted in this import\n"
        );
    }

    #[test]
    fn stored_errors_are_capped_but_all_counted() {
        let input = "[]\n".repeat(50);
        let mut set = ImportSet::new().with_max_stored_errors(10);
        set.read("many", Cursor::new(input.as_bytes()));
        set.add_error(ImportError::new(
            "missing.ndjson",
            0,
            "-",
            "cannot open: not found",
        ));
        let (_, report) = set.finish(|_| false);
        assert_eq!(report.error_count, 51);
        assert_eq!(report.errors.len(), 10);
        assert!(report.errors_truncated());
        assert_eq!((report.read, report.skipped), (50, 50));
        assert!(report.exceeds(Some(0)));
    }

    /// A reader that fails after some bytes.
    struct Failing(Cursor<Vec<u8>>);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("disk on fire")),
                n => Ok(n),
            }
        }
    }

    #[test]
    fn read_errors_end_the_file_with_an_error() {
        let input = b"{\"type\":\"delete\",\"id\":\"a\",\"of\":\"activity\"}\n{\"type\"".to_vec();
        let items: Vec<_> = ImportReader::new(
            "f",
            BufReader::with_capacity(16, Failing(Cursor::new(input))),
        )
        .collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        let e = items[1].as_ref().unwrap_err();
        assert_eq!(
            e.errors[0].to_string(),
            "f:2: -: read error, rest of file skipped: disk on fire"
        );
    }

    fn fragments() -> impl Strategy<Value = Vec<u8>> {
        let frag = prop_oneof![
            Just(b"{".to_vec()),
            Just(b"}".to_vec()),
            Just(b"\"type\":".to_vec()),
            Just(b"\"organisation\"".to_vec()),
            Just(b"\"activity\"".to_vec()),
            Just(b"\"delete\",\"of\":\"activity\"".to_vec()),
            Just(b"\"id\":\"local:x\",".to_vec()),
            Just(b"\"name\":{\"fi\":\"x\"},".to_vec()),
            Just(b"\"organisation_id\":\"local:x\",".to_vec()),
            Just(b"\"locations\":[{\"municipality\":\"405\",\"lat\":1e999}],".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\xEF\xBB\xBF".to_vec()),
            Just(b"\xFF".to_vec()),
            Just(b"[".to_vec()),
            Just(b",".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ];
        proptest::collection::vec(frag, 0..40).prop_map(|v| v.concat())
    }

    fn run_never_panics(bytes: &[u8], cap: usize) {
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let mut set = ImportSet::new().with_max_line_bytes(cap);
        set.read("p", BufReader::with_capacity(7, Cursor::new(bytes)));
        let (records, report) = set.finish(|id| id.len() % 2 == 0);
        assert_eq!(report.read, report.indexed + report.skipped);
        assert_eq!(records.len() as u64, report.indexed);
        assert!(report.read <= newlines + 1);
        assert!(report.error_count >= report.skipped);
        for e in &report.errors {
            assert!(e.line >= 1 && e.line <= newlines + 1);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048),
                                       cap in 1usize..200) {
            run_never_panics(&bytes, cap);
            run_never_panics(&bytes, DEFAULT_MAX_LINE_BYTES);
        }

        #[test]
        fn json_like_bytes_never_panic(bytes in fragments(), cap in 1usize..400) {
            run_never_panics(&bytes, cap);
            run_never_panics(&bytes, DEFAULT_MAX_LINE_BYTES);
        }
    }
}
