//! The indexer's error type. Every variant says what to do next where it can.

use std::path::PathBuf;

use tarjotin_core::index::{BuildError, StoreError};
use tarjotin_core::search::{EngineError, SearchError};
use tarjotin_core::sources::SourceError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{0}")]
    Usage(String),
    #[error("writing output: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Adds the path to an I/O error.
pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
