//! The embedded default data set, so the API runs on a fresh machine with no setup.

use std::path::Path;

use crate::index::{BuildError, BuildSummary, IndexStore, build};
use crate::model::Record;

/// The fictional evaluation corpus in import format v1.
pub const DEFAULT_CORPUS: &str = include_str!("../../data/eval/corpus.ndjson");

/// The embedded default records. Lines that fail to parse are skipped (a unit test keeps the
/// shipped file clean).
pub fn default_records() -> Vec<Record> {
    DEFAULT_CORPUS
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str(l).ok())
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
    fn every_default_line_parses() {
        let lines = DEFAULT_CORPUS
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count();
        assert_eq!(default_records().len(), lines);
    }
}
