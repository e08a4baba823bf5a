//! The embedded default data set, so the API runs on a fresh machine with no setup: the
//! fictional evaluation corpus plus real samples converted through the source adapters
//! (`scripts/convert-samples.sh` writes `data/default/samples.ndjson`).

use std::path::Path;

use crate::index::{BuildError, BuildSummary, IndexStore, build};
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

/// Builds an index of the default data under `root` unless one is already published there.
/// Returns the build summary when it built one.
pub fn ensure_default_index(root: &Path) -> Result<Option<BuildSummary>, BuildError> {
    let store = IndexStore::open(root)?;
    if store.current()?.is_some() {
        return Ok(None);
    }
    build(&store, default_records(), &|_| {}).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

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
