//! Building a generation from records, and applying upserts and deletes to a published one.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tantivy::collector::TopDocs;
use tantivy::directory::Directory;
use tantivy::indexer::{AddOperation, SegmentWriter};
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Index, IndexWriter, Segment, SegmentMeta, TantivyDocument, Term};

use super::document::{StoredDoc, build_document};
use super::store::{Generation, GenerationMeta, IndexStore, StoreError};
use crate::model::{Organisation, Record, RecordType};
use crate::schema::{Fields, SCHEMA_VERSION, build_schema};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Store(StoreError),
    #[error("index error: {0}")]
    Tantivy(tantivy::TantivyError),
    #[error("the new index failed its check: {0}")]
    Check(String),
    /// The disk (or the quota) holding the index ran out of space. Nothing was published.
    #[error(
        "no space left on the device that holds the index; nothing was published and the \
         served index is unchanged (free some space and run again)"
    )]
    DiskFull(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl From<StoreError> for BuildError {
    fn from(e: StoreError) -> Self {
        if is_disk_full(&e) {
            BuildError::DiskFull(Box::new(e))
        } else {
            BuildError::Store(e)
        }
    }
}

impl From<tantivy::TantivyError> for BuildError {
    fn from(e: tantivy::TantivyError) -> Self {
        if is_disk_full(&e) {
            BuildError::DiskFull(Box::new(e))
        } else {
            BuildError::Tantivy(e)
        }
    }
}

/// Whether `err`, or an error in its chain, is the operating system saying that the disk or the
/// quota is full (`ENOSPC`, `EDQUOT`). tantivy keeps its I/O errors in fields that are not
/// marked as sources, so its variants are looked into by hand.
fn is_disk_full(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io_is_disk_full(io)
        {
            return true;
        }
        if let Some(t) = e.downcast_ref::<tantivy::TantivyError>()
            && tantivy_io_error(t).is_some_and(io_is_disk_full)
        {
            return true;
        }
        next = e.source();
    }
    false
}

fn io_is_disk_full(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
        || e.get_ref().is_some_and(|inner| is_disk_full(inner))
}

fn tantivy_io_error(e: &tantivy::TantivyError) -> Option<&std::io::Error> {
    use tantivy::TantivyError as T;
    use tantivy::directory::error::{OpenDirectoryError, OpenReadError, OpenWriteError};
    match e {
        T::IoError(io)
        | T::OpenWriteError(OpenWriteError::IoError { io_error: io, .. })
        | T::OpenReadError(OpenReadError::IoError { io_error: io, .. })
        | T::OpenDirectoryError(OpenDirectoryError::IoError { io_error: io, .. }) => Some(io),
        _ => None,
    }
}

/// When tantivy's indexing thread fails (a full disk, typically), `add_document` only says that
/// "an index writer was killed". The thread's own error comes back when the thread is joined,
/// which `prepare_commit` does; that error is returned instead when there is one.
fn indexing_thread_error(writer: &mut IndexWriter, reported: tantivy::TantivyError) -> BuildError {
    match writer.prepare_commit() {
        Err(cause) => cause.into(),
        Ok(prepared) => {
            // Nothing failed after all: drop the half-done commit, report what was seen.
            let _ = prepared.abort();
            reported.into()
        }
    }
}

/// Bytes written to check for free space after a failure whose cause tantivy did not keep.
const SPACE_PROBE: usize = 1024 * 1024;

/// Whether writing [`SPACE_PROBE`] bytes into `dir` fails because the disk is full. Used only
/// after tantivy has reported a failed thread without its cause.
fn no_space_in(dir: &std::path::Path) -> Option<std::io::Error> {
    let probe = dir.join(".space-probe");
    let written = std::fs::write(&probe, vec![0u8; SPACE_PROBE]);
    let _ = std::fs::remove_file(&probe);
    written.err().filter(io_is_disk_full)
}

/// Counts of one build or apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildSummary {
    pub generation: String,
    pub documents: u64,
    pub organisations: u64,
    pub activities: u64,
    /// Activities indexed without their organisation (it was in neither the input nor the index).
    pub orphans: u64,
    pub deleted: u64,
}

/// Writer memory budget: tantivy splits it among its indexing threads.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Progress callback: called with the number of records written so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Records analysed per batch: the batch is analysed in parallel, then handed to the writer in
/// input order.
const BATCH: usize = 1024;

/// The writer of an update ([`apply`]): one indexing thread, so documents reach the index in the
/// order they are added. The expensive part, analysing records, runs in parallel before the
/// writer sees them. A full build does not use it (see [`write_segments`]).
fn new_writer(index: &Index) -> Result<IndexWriter, BuildError> {
    Ok(index.writer_with_num_threads(1, WRITER_MEMORY)?)
}

fn write_records(
    writer: &mut IndexWriter,
    fields: &Fields,
    records: &[Record],
    orgs: &HashMap<String, Organisation>,
    progress: Progress<'_>,
) -> Result<u64, BuildError> {
    use rayon::prelude::*;
    let mut orphans = 0;
    let mut done = 0;
    for batch in records.chunks(BATCH) {
        let docs: Vec<(Option<TantivyDocument>, bool)> = batch
            .par_iter()
            .map(|record| {
                let (org, orphan) = match record {
                    Record::Activity(a) => {
                        let o = orgs.get(&a.organisation_id);
                        (o, o.is_none())
                    }
                    _ => (None, false),
                };
                (build_document(fields, record, org), orphan)
            })
            .collect();
        for (doc, orphan) in docs {
            orphans += u64::from(orphan);
            if let Some(doc) = doc
                && let Err(e) = writer.add_document(doc)
            {
                return Err(indexing_thread_error(writer, e));
            }
        }
        done += batch.len() as u64;
        progress(done);
    }
    progress(records.len() as u64);
    Ok(orphans)
}

/// How a build spreads its work over threads.
#[derive(Debug, Clone, Copy)]
struct BuildPlan {
    /// Threads that each analyse and index a contiguous share of the records.
    workers: usize,
    /// Memory one worker's segment may take before it is written out and a new one begun.
    segment_memory: usize,
}

impl BuildPlan {
    /// One worker per core (at most four: more gain little, and each holds a segment in memory).
    fn for_this_machine() -> BuildPlan {
        BuildPlan {
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .clamp(1, 4),
            segment_memory: 384 * 1024 * 1024,
        }
    }
}

/// Builds a fresh index from `records` with one worker per core, each analysing and indexing
/// its own contiguous share of the input into segments of its own; nothing waits on a single
/// indexing thread. The segments are listed in input order, so documents keep their input
/// order (and equal scores rank the same way) whatever the number of cores.
fn write_segments(
    index: &Index,
    fields: &Fields,
    records: &[Record],
    orgs: &HashMap<String, Organisation>,
    progress: Progress<'_>,
    plan: BuildPlan,
) -> Result<u64, BuildError> {
    let share = records.len().div_ceil(plan.workers.max(1)).max(1);
    let done = AtomicU64::new(0);
    let results: Vec<Result<(Vec<SegmentMeta>, u64), BuildError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = records
            .chunks(share)
            .enumerate()
            .map(|(i, part)| {
                let first_opstamp = (i * share) as u64;
                let done = &done;
                scope.spawn(move || {
                    let share = Share {
                        records: part,
                        first_opstamp,
                        done,
                    };
                    write_share(index, fields, share, orgs, progress, plan.segment_memory)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(tantivy::TantivyError::ErrorInThread(
                        "a build worker stopped unexpectedly".into(),
                    )
                    .into())
                })
            })
            .collect()
    });
    let mut segments = Vec::new();
    let mut orphans = 0;
    for result in results {
        let (metas, share_orphans) = result?;
        segments.extend(metas);
        orphans += share_orphans;
    }
    let mut meta = index.load_metas()?;
    meta.segments = segments;
    meta.opstamp = records.len() as u64;
    let mut json = serde_json::to_vec_pretty(&meta)
        .map_err(|e| tantivy::TantivyError::InternalError(e.to_string()))?;
    json.push(b'\n');
    let directory = index.directory();
    directory
        .sync_directory()
        .and_then(|()| directory.atomic_write(std::path::Path::new("meta.json"), &json))
        .and_then(|()| directory.sync_directory())
        .map_err(tantivy::TantivyError::from)?;
    progress(records.len() as u64);
    Ok(orphans)
}

/// One worker's part of a build: its records, the operation stamp of the first, and the
/// records done by all workers (for progress).
struct Share<'a> {
    records: &'a [Record],
    first_opstamp: u64,
    done: &'a AtomicU64,
}

/// One build worker: analyses and indexes `part` into as many segments as its memory allows,
/// returning them in order with the number of activities whose organisation is unknown.
fn write_share(
    index: &Index,
    fields: &Fields,
    share: Share<'_>,
    orgs: &HashMap<String, Organisation>,
    progress: Progress<'_>,
    segment_memory: usize,
) -> Result<(Vec<SegmentMeta>, u64), BuildError> {
    let Share {
        records: part,
        first_opstamp,
        done,
    } = share;
    let mut segments = Vec::new();
    let mut open: Option<(Segment, SegmentWriter)> = None;
    let mut orphans = 0;
    for (i, record) in part.iter().enumerate() {
        let org = match record {
            Record::Activity(a) => {
                let org = orgs.get(&a.organisation_id);
                orphans += u64::from(org.is_none());
                org
            }
            _ => None,
        };
        if let Some(document) = build_document(fields, record, org) {
            let (_, writer) = match &mut open {
                Some(open) => open,
                None => {
                    let segment = index.new_segment();
                    let writer = SegmentWriter::for_segment(segment_memory, segment.clone())?;
                    open.insert((segment, writer))
                }
            };
            let opstamp = first_opstamp + i as u64;
            writer.add_document(AddOperation { opstamp, document })?;
            if writer.mem_usage() >= segment_memory
                && let Some(full) = open.take()
            {
                segments.push(finish_segment(full)?);
            }
        }
        if (i + 1) % PROGRESS_EVERY == 0 {
            progress(
                done.fetch_add(PROGRESS_EVERY as u64, Ordering::Relaxed) + PROGRESS_EVERY as u64,
            );
        }
    }
    if let Some(last) = open.take() {
        segments.push(finish_segment(last)?);
    }
    Ok((segments, orphans))
}

/// Records a build worker indexes between progress reports.
const PROGRESS_EVERY: usize = 1024;

/// Writes a segment's files and returns its metadata.
fn finish_segment((segment, writer): (Segment, SegmentWriter)) -> Result<SegmentMeta, BuildError> {
    let max_doc = writer.max_doc();
    writer.finalize()?;
    Ok(segment.with_max_doc(max_doc).meta().clone())
}

/// The organisations among `records`, by id: an activity's document carries its name.
fn organisations_by_id(records: &[Record]) -> HashMap<String, Organisation> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Organisation(o) => Some((o.common.id.clone(), o.clone())),
            _ => None,
        })
        .collect()
}

fn counts(records: &[Record]) -> (u64, u64) {
    let orgs = records
        .iter()
        .filter(|r| matches!(r, Record::Organisation(_)))
        .count() as u64;
    let acts = records
        .iter()
        .filter(|r| matches!(r, Record::Activity(_)))
        .count() as u64;
    (orgs, acts)
}

/// Checks a freshly committed generation before it may be published: it opens, holds the
/// expected number of documents, and answers a query.
fn check_generation(generation: &Generation, expected_docs: u64) -> Result<(), BuildError> {
    let index = Index::open_in_dir(&generation.path)?;
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let n = searcher.num_docs();
    if n != expected_docs {
        return Err(BuildError::Check(format!(
            "expected {expected_docs} documents, found {n}"
        )));
    }
    Ok(())
}

/// Builds a complete new generation from `records` (organisations, activities; deletes are
/// ignored) and publishes it. Nothing is published when any step fails.
pub fn build(
    store: &IndexStore,
    records: Vec<Record>,
    progress: Progress<'_>,
) -> Result<BuildSummary, BuildError> {
    let lock = store.lock_writer()?;
    let generation = store.new_generation(&lock)?;
    let path = generation.path.clone();
    discard_on_failure(
        store,
        &path,
        build_generation(store, &lock, generation, records, progress),
    )
}

/// Removes an unpublished generation after a failed build or apply, so a failure (a full disk,
/// say) does not leave its partial files taking the room the next attempt needs.
///
/// Some tantivy failures (a merging thread that failed, say) arrive without their cause; if the
/// disk is full at that moment, that is reported instead.
fn discard_on_failure(
    store: &IndexStore,
    path: &std::path::Path,
    result: Result<BuildSummary, BuildError>,
) -> Result<BuildSummary, BuildError> {
    let result = match result {
        Err(BuildError::Tantivy(tantivy::TantivyError::ErrorInThread(message))) => {
            Err(match no_space_in(path) {
                Some(full) => BuildError::DiskFull(Box::new(full)),
                None => BuildError::Tantivy(tantivy::TantivyError::ErrorInThread(message)),
            })
        }
        other => other,
    };
    if result.is_err() {
        let published = store
            .current()
            .ok()
            .flatten()
            .is_some_and(|g| g.path == path);
        if !published {
            let _ = std::fs::remove_dir_all(path);
        }
    }
    result
}

fn build_generation(
    store: &IndexStore,
    lock: &super::store::WriterLock,
    generation: Generation,
    records: Vec<Record>,
    progress: Progress<'_>,
) -> Result<BuildSummary, BuildError> {
    let (schema, fields) = build_schema();
    let index = Index::create_in_dir(&generation.path, schema)?;
    let records: Vec<Record> = records
        .into_iter()
        .filter(|r| !matches!(r, Record::Delete(_)))
        .collect();
    let orgs = organisations_by_id(&records);
    let orphans = write_segments(
        &index,
        &fields,
        &records,
        &orgs,
        progress,
        BuildPlan::for_this_machine(),
    )?;
    let (organisations, activities) = counts(&records);
    let documents = organisations + activities;
    let counts = (documents, organisations, activities);
    finish_generation(store, lock, generation, counts, None, orphans, 0)
}

/// Writes a committed generation's metadata, checks it and publishes it.
fn finish_generation(
    store: &IndexStore,
    lock: &super::store::WriterLock,
    generation: Generation,
    (documents, organisations, activities): (u64, u64, u64),
    parent: Option<String>,
    orphans: u64,
    deleted: u64,
) -> Result<BuildSummary, BuildError> {
    let meta = GenerationMeta {
        schema_version: SCHEMA_VERSION,
        generation: generation.name.clone(),
        built_at: now_secs(),
        documents,
        organisations,
        activities,
        parent,
    };
    generation.write_meta(&meta)?;
    check_generation(&generation, documents)?;
    store.publish(&generation, lock)?;
    Ok(BuildSummary {
        generation: generation.name,
        documents,
        organisations,
        activities,
        orphans,
        deleted,
    })
}

fn stored_records_by_term(
    index: &Index,
    fields: &Fields,
    term: Term,
) -> Result<Vec<StoredDoc>, BuildError> {
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let query = TermQuery::new(term, IndexRecordOption::Basic);
    let limit = (searcher.num_docs() as usize).max(1);
    let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
    let mut out = Vec::with_capacity(top.len());
    for (_, addr) in top {
        let doc: TantivyDocument = searcher.doc(addr)?;
        if let Some(json) = doc.get_first(fields.stored).and_then(|v| v.as_str())
            && let Ok(s) = serde_json::from_str::<StoredDoc>(json)
        {
            out.push(s);
        }
    }
    Ok(out)
}

/// Applies upserts and deletes to the published index without a full rebuild: the current
/// generation is forked (hard links), changed, committed, checked and published.
///
/// An organisation's upsert re-indexes its activities (they carry its name); its delete removes
/// them too. The published index is untouched until the new generation is complete.
pub fn apply(
    store: &IndexStore,
    records: Vec<Record>,
    progress: Progress<'_>,
) -> Result<BuildSummary, BuildError> {
    let lock = store.lock_writer()?;
    let current = store.require_current()?;
    let parent_meta = current.read_meta()?;
    let generation = store.fork(&current, &lock)?;
    let path = generation.path.clone();
    let result = apply_to_generation(store, &lock, generation, &parent_meta, records, progress);
    discard_on_failure(store, &path, result)
}

fn apply_to_generation(
    store: &IndexStore,
    lock: &super::store::WriterLock,
    generation: Generation,
    parent_meta: &super::store::GenerationMeta,
    records: Vec<Record>,
    progress: Progress<'_>,
) -> Result<BuildSummary, BuildError> {
    let index = Index::open_in_dir(&generation.path)?;
    let fields = Fields::from_schema(&index.schema())?;
    let mut writer = new_writer(&index)?;

    let mut upserts: Vec<Record> = Vec::new();
    let mut deleted_ids: HashSet<String> = HashSet::new();
    let mut deleted = 0u64;
    // Later lines win over earlier ones for the same id.
    let mut last_by_id: HashMap<(String, bool), usize> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        let key = match r {
            Record::Organisation(o) => (o.common.id.clone(), true),
            Record::Activity(a) => (a.common.id.clone(), false),
            Record::Delete(d) => (d.id.clone(), d.of == RecordType::Organisation),
        };
        last_by_id.insert(key, i);
    }
    let mut org_map: HashMap<String, Organisation> = HashMap::new();
    let mut touched_orgs: Vec<String> = Vec::new();
    for (i, r) in records.into_iter().enumerate() {
        let key = match &r {
            Record::Organisation(o) => (o.common.id.clone(), true),
            Record::Activity(a) => (a.common.id.clone(), false),
            Record::Delete(d) => (d.id.clone(), d.of == RecordType::Organisation),
        };
        if last_by_id.get(&key) != Some(&i) {
            continue;
        }
        match r {
            Record::Delete(d) => {
                writer.delete_term(Term::from_field_text(fields.id, &d.id));
                deleted_ids.insert(d.id.clone());
                deleted += 1;
                if d.of == RecordType::Organisation {
                    writer.delete_term(Term::from_field_text(fields.org_id, &d.id));
                }
            }
            Record::Organisation(o) => {
                writer.delete_term(Term::from_field_text(fields.id, &o.common.id));
                touched_orgs.push(o.common.id.clone());
                org_map.insert(o.common.id.clone(), o.clone());
                upserts.push(Record::Organisation(o));
            }
            Record::Activity(a) => {
                writer.delete_term(Term::from_field_text(fields.id, &a.common.id));
                upserts.push(Record::Activity(a));
            }
        }
    }
    // Activities of changed organisations are re-indexed with the new name, unless this batch
    // replaces or deletes them itself.
    let upserted_ids: HashSet<String> = upserts.iter().map(|r| r.id().to_string()).collect();
    for org_id in &touched_orgs {
        for s in stored_records_by_term(
            &index,
            &fields,
            Term::from_field_text(fields.org_id, org_id),
        )? {
            let id = s.record.id().to_string();
            if !upserted_ids.contains(&id) && !deleted_ids.contains(&id) {
                writer.delete_term(Term::from_field_text(fields.id, &id));
                upserts.push(s.record);
            }
        }
    }
    // Organisations of upserted activities that this batch does not carry come from the index.
    for r in &upserts {
        if let Record::Activity(a) = r
            && !org_map.contains_key(&a.organisation_id)
        {
            let found = stored_records_by_term(
                &index,
                &fields,
                Term::from_field_text(fields.id, &a.organisation_id),
            )?;
            for s in found {
                if let Record::Organisation(o) = s.record {
                    org_map.insert(o.common.id.clone(), o);
                }
            }
        }
    }
    let orphans = write_records(&mut writer, &fields, &upserts, &org_map, progress)?;
    writer.commit()?;
    writer.wait_merging_threads()?;

    let reader = index.reader()?;
    let searcher = reader.searcher();
    let count_type = |t: &str| -> Result<u64, BuildError> {
        let q = TermQuery::new(
            Term::from_field_text(fields.record_type, t),
            IndexRecordOption::Basic,
        );
        Ok(searcher.search(&q, &tantivy::collector::Count)? as u64)
    };
    let organisations = count_type("organisation")?;
    let activities = count_type("activity")?;
    let documents = searcher.num_docs();
    let counts = (documents, organisations, activities);
    let parent = Some(parent_meta.generation.clone());
    finish_generation(store, lock, generation, counts, parent, orphans, deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ids of an index's documents in segment order, then document order.
    fn ids_in_index_order(index: &Index, fields: &Fields) -> Vec<String> {
        let searcher = index.reader().expect("reader").searcher();
        let mut ids = Vec::new();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc in 0..segment.max_doc() {
                let stored: TantivyDocument = searcher
                    .doc(tantivy::DocAddress::new(ord as u32, doc))
                    .expect("doc");
                let id = stored.get_first(fields.id).and_then(|v| v.as_str());
                ids.push(id.unwrap_or_default().to_string());
            }
        }
        ids
    }

    #[test]
    fn parallel_builds_keep_the_input_order_whatever_the_plan() {
        let records = crate::synth::Generator::new(7).records(800);
        let orgs = organisations_by_id(&records);
        let plans = [
            (800, 1, 256 * 1024 * 1024),
            (800, 3, 256 * 1024 * 1024),
            // A budget that the first document fills: every document gets a segment of its own.
            (40, 2, 8 * 1024 * 1024),
        ];
        let mut segment_counts = Vec::new();
        for (n, workers, segment_memory) in plans {
            let records = &records[..n];
            let input: Vec<String> = records.iter().map(|r| r.id().to_string()).collect();
            let (schema, fields) = build_schema();
            let index = Index::create_in_ram(schema);
            let plan = BuildPlan {
                workers,
                segment_memory,
            };
            let orphans =
                write_segments(&index, &fields, records, &orgs, &|_| {}, plan).expect("build");
            assert_eq!(orphans, 0);
            assert_eq!(ids_in_index_order(&index, &fields), input, "{plan:?}");
            segment_counts.push(index.searchable_segment_ids().expect("segments").len());
        }
        assert_eq!(segment_counts, [1, 3, 40]);
    }

    #[test]
    fn a_failed_generation_is_removed_and_a_published_one_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = IndexStore::open(tmp.path()).expect("store");
        let published = build(&store, Vec::new(), &|_| {}).expect("empty build");
        let current = store.current().expect("current").expect("published");
        assert_eq!(current.name, published.generation);

        let lock = store.lock_writer().expect("lock");
        let failed = store.new_generation(&lock).expect("generation");
        std::fs::write(failed.path.join("partial"), b"x").expect("write");
        let result = discard_on_failure(
            &store,
            &failed.path,
            Err(BuildError::Check("disk full".into())),
        );
        assert!(result.is_err());
        assert!(!failed.path.exists(), "the failed generation is gone");

        // A failure reported after publishing never removes what is served.
        let kept = discard_on_failure(&store, &current.path, Err(BuildError::Check("late".into())));
        assert!(kept.is_err());
        assert!(current.path.exists());
    }

    #[test]
    fn a_full_disk_is_recognised_through_tantivy_and_store_errors() {
        use std::io::{Error as IoError, ErrorKind};
        use tantivy::TantivyError;
        use tantivy::directory::error::OpenWriteError;

        let enospc = || IoError::from_raw_os_error(28);
        let full: Vec<BuildError> = vec![
            TantivyError::from(enospc()).into(),
            TantivyError::from(IoError::from(ErrorKind::QuotaExceeded)).into(),
            TantivyError::from(OpenWriteError::wrap_io_error(enospc(), "seg.idx".into())).into(),
            // An I/O error wrapping another one, as some writers do.
            TantivyError::from(IoError::other(enospc())).into(),
            StoreError::Io {
                path: "meta.json".into(),
                source: enospc(),
            }
            .into(),
        ];
        for e in &full {
            assert!(matches!(e, BuildError::DiskFull(_)), "{e:?}");
            assert!(
                e.to_string().starts_with("no space left on the device"),
                "{e}"
            );
            let cause = std::error::Error::source(e).map(ToString::to_string);
            assert!(
                cause.is_some_and(|c| !c.is_empty()),
                "the cause is kept: {e:?}"
            );
        }

        let not_full: Vec<BuildError> = vec![
            TantivyError::from(IoError::from(ErrorKind::PermissionDenied)).into(),
            TantivyError::ErrorInThread("An index writer was killed.".into()).into(),
            StoreError::Io {
                path: "meta.json".into(),
                source: IoError::from(ErrorKind::NotFound),
            }
            .into(),
        ];
        for e in &not_full {
            assert!(!matches!(e, BuildError::DiskFull(_)), "{e:?}");
        }
    }

    #[test]
    fn a_thread_failure_without_its_cause_is_reported_as_such_when_space_is_left() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let store = IndexStore::open(tmp.path()).expect("store");
        let lock = store.lock_writer().expect("lock");
        let failed = store.new_generation(&lock).expect("generation");
        let killed = tantivy::TantivyError::ErrorInThread("killed".into());
        let result = discard_on_failure(&store, &failed.path, Err(killed.into()));
        assert!(matches!(
            result,
            Err(BuildError::Tantivy(tantivy::TantivyError::ErrorInThread(_)))
        ));
        assert!(!failed.path.exists());
    }
}
