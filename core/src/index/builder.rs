//! Building a generation from records, and applying upserts and deletes to a published one.

use std::collections::{HashMap, HashSet};
use std::time::{SystemTime, UNIX_EPOCH};

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

use super::document::{StoredDoc, build_document};
use super::store::{Generation, GenerationMeta, IndexStore, StoreError};
use crate::model::{Organisation, Record, RecordType};
use crate::schema::{Fields, SCHEMA_VERSION, build_schema};

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("the new index failed its check: {0}")]
    Check(String),
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

/// A writer with one indexing thread: documents reach the index in the order they are added,
/// so the same input always gives the same index and ties rank the same way. The expensive
/// part, analysing records, runs in parallel before the writer sees them.
fn new_writer(index: &Index) -> Result<IndexWriter, BuildError> {
    Ok(index.writer_with_num_threads(1, WRITER_MEMORY)?)
}

fn write_records(
    writer: &IndexWriter,
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
                (
                    build_document(fields, record, org).map(|(doc, _)| doc),
                    orphan,
                )
            })
            .collect();
        for (doc, orphan) in docs {
            orphans += u64::from(orphan);
            if let Some(doc) = doc {
                writer.add_document(doc)?;
            }
        }
        done += batch.len() as u64;
        progress(done);
    }
    progress(records.len() as u64);
    Ok(orphans)
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
fn discard_on_failure(
    store: &IndexStore,
    path: &std::path::Path,
    result: Result<BuildSummary, BuildError>,
) -> Result<BuildSummary, BuildError> {
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
    let writer = new_writer(&index)?;
    let records: Vec<Record> = records
        .into_iter()
        .filter(|r| !matches!(r, Record::Delete(_)))
        .collect();
    let orgs: HashMap<String, Organisation> = records
        .iter()
        .filter_map(|r| match r {
            Record::Organisation(o) => Some((o.common.id.clone(), o.clone())),
            _ => None,
        })
        .collect();
    let orphans = write_records(&writer, &fields, &records, &orgs, progress)?;
    let mut writer = writer;
    writer.commit()?;
    writer.wait_merging_threads()?;
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
    let orphans = write_records(&writer, &fields, &upserts, &org_map, progress)?;
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
}
