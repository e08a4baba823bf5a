//! The embedded default data set, so the API runs on a fresh machine with no setup: the
//! fictional evaluation corpus plus real samples converted through the source adapters
//! (`scripts/convert-samples.sh` writes `data/default/samples.ndjson`).

use std::path::Path;

use crate::index::{BuildError, BuildSummary, IndexStore, StoreError, build};
use crate::model::Record;
use crate::validate::parse_record;

/// The fictional evaluation corpus in import format v1.
pub const DEFAULT_CORPUS: &str = include_str!("../../data/eval/corpus.ndjson");

/// PTV and Linked Events samples converted to import format v1 (CC BY 4.0 sources; see
/// `data/README.md`).
pub const DEFAULT_SAMPLES: &str = include_str!("../../data/default/samples.ndjson");

/// Every embedded NDJSON file, in order.
pub const DEFAULT_DATA: [&str; 2] = [DEFAULT_CORPUS, DEFAULT_SAMPLES];

fn lines() -> impl Iterator<Item = &'static str> {
    DEFAULT_DATA
        .into_iter()
        .flat_map(str::lines)
        .filter(|l| !l.trim().is_empty())
}

/// The embedded default records, validated like any import. Lines that fail validation are
/// skipped (a unit test keeps the shipped files clean).
pub fn default_records() -> Vec<Record> {
    lines()
        .filter_map(|l| parse_record(l).ok())
        .map(|v| v.record)
        .collect()
}

/// Marks a generation built from the embedded default data, so an upgrade that changes the
/// schema may rebuild it without asking; an index of anyone's own data is never replaced.
const DEFAULT_DATA_MARKER: &str = "built-from-default-data";

/// Builds an index of the default data under `root` unless one is already published there.
/// A published default-data index of an older schema version is rebuilt; any other published
/// index is left alone (opening it reports a schema mismatch with what to do).
/// Returns the build summary when it built one.
pub fn ensure_default_index(root: &Path) -> Result<Option<BuildSummary>, BuildError> {
    let store = IndexStore::open(root)?;
    if let Some(current) = store.current()? {
        let outdated_default =
            matches!(current.read_meta(), Err(StoreError::SchemaMismatch { .. }))
                && current.path.join(DEFAULT_DATA_MARKER).exists();
        if !outdated_default {
            return Ok(None);
        }
    }
    let summary = build(&store, default_records(), &|_| {})?;
    if let Some(current) = store.current()? {
        let marker = current.path.join(DEFAULT_DATA_MARKER);
        std::fs::write(&marker, b"").map_err(|source| StoreError::Io {
            path: marker,
            source,
        })?;
    }
    Ok(Some(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outdated_default_index_is_rebuilt_but_other_data_is_kept() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let first = ensure_default_index(tmp.path()).expect("build");
        assert!(first.is_some());
        assert!(ensure_default_index(tmp.path()).expect("reuse").is_none());

        let store = IndexStore::open(tmp.path()).expect("store");
        let set_old_version = |store: &IndexStore| {
            let current = store.current().expect("current").expect("published");
            let path = current.path.join("tarjotin.json");
            let text = std::fs::read_to_string(&path).expect("meta");
            let mut meta: serde_json::Value = serde_json::from_str(&text).expect("json");
            meta["schema_version"] = serde_json::json!(0);
            std::fs::write(&path, meta.to_string()).expect("write");
            current
        };
        set_old_version(&store);
        let rebuilt = ensure_default_index(tmp.path()).expect("rebuild");
        assert!(rebuilt.is_some(), "an outdated default index is rebuilt");

        // Without the marker (someone's own data), nothing is replaced.
        let current = set_old_version(&store);
        std::fs::remove_file(current.path.join(DEFAULT_DATA_MARKER)).expect("unmark");
        assert!(ensure_default_index(tmp.path()).expect("keep").is_none());
        assert_eq!(store.current().expect("current"), Some(current));
    }

    #[test]
    fn every_default_line_is_accepted() {
        for line in lines() {
            if let Err(e) = parse_record(line) {
                panic!("{e:?} in {line}");
            }
        }
        assert_eq!(default_records().len(), lines().count());
        assert!(DEFAULT_SAMPLES.lines().count() > 0);
        // Samples and corpus do not share ids.
        let mut ids: Vec<&str> = Vec::new();
        let records = default_records();
        for r in &records {
            ids.push(r.id());
        }
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }
}
