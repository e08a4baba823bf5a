//! Where indexes live on disk and how a new one is published atomically.
//!
//! ```text
//! <root>/CURRENT              name of the published generation (replaced by rename)
//! <root>/generations/<name>/  one complete tantivy index + tarjotin.json
//! <root>/writer.lock          held by the one process building or applying
//! ```
//! A generation is written completely, checked, and only then named in `CURRENT`. A crash at any
//! moment leaves `CURRENT` naming the last complete generation; half-built generations are
//! garbage that the next writer removes.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::schema::SCHEMA_VERSION;

const CURRENT: &str = "CURRENT";
const GENERATIONS: &str = "generations";
const META: &str = "tarjotin.json";
const LOCK: &str = "writer.lock";
/// Published generations kept besides the current one, so readers of the previous one finish.
const KEEP_PREVIOUS: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("index directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no published index in {0}; build one with `indexer build`")]
    NothingPublished(PathBuf),
    #[error(
        "the index in {path} has schema version {found}, this program needs {expected}; \
         rebuild it with `indexer build`"
    )]
    SchemaMismatch {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("index metadata {path} is unreadable: {message}")]
    BadMeta { path: PathBuf, message: String },
    #[error("another indexer is writing to {0}; wait for it to finish")]
    Locked(PathBuf),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Facts about one generation, stored beside its tantivy files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationMeta {
    pub schema_version: u32,
    pub generation: String,
    /// Unix seconds.
    pub built_at: u64,
    pub documents: u64,
    pub organisations: u64,
    pub activities: u64,
    /// The generation this one was derived from by `apply`, if any.
    #[serde(default)]
    pub parent: Option<String>,
}

/// A generation directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub name: String,
    pub path: PathBuf,
}

impl Generation {
    pub fn read_meta(&self) -> Result<GenerationMeta, StoreError> {
        let path = self.path.join(META);
        let text = fs::read_to_string(&path).map_err(io_err(&path))?;
        let meta: GenerationMeta =
            serde_json::from_str(&text).map_err(|e| StoreError::BadMeta {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if meta.schema_version != SCHEMA_VERSION {
            return Err(StoreError::SchemaMismatch {
                path: self.path.clone(),
                found: meta.schema_version,
                expected: SCHEMA_VERSION,
            });
        }
        Ok(meta)
    }

    pub fn write_meta(&self, meta: &GenerationMeta) -> Result<(), StoreError> {
        let path = self.path.join(META);
        let text = serde_json::to_string_pretty(meta).map_err(|e| StoreError::BadMeta {
            path: path.clone(),
            message: e.to_string(),
        })?;
        write_synced(&path, text.as_bytes())
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let mut f = File::create(path).map_err(io_err(path))?;
    f.write_all(bytes).map_err(io_err(path))?;
    f.sync_all().map_err(io_err(path))
}

fn sync_dir(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io_err(path))
}

/// The index root directory.
#[derive(Debug, Clone)]
pub struct IndexStore {
    root: PathBuf,
}

/// Held while a process writes generations; released on drop.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

impl IndexStore {
    /// Opens (creating when missing) an index root.
    pub fn open(root: impl Into<PathBuf>) -> Result<IndexStore, StoreError> {
        let root = root.into();
        let gens = root.join(GENERATIONS);
        fs::create_dir_all(&gens).map_err(io_err(&gens))?;
        Ok(IndexStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Takes the single-writer lock, failing at once when another process holds it.
    pub fn lock_writer(&self) -> Result<WriterLock, StoreError> {
        let path = self.root.join(LOCK);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(WriterLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(StoreError::Locked(self.root.clone())),
            Err(fs::TryLockError::Error(e)) => Err(StoreError::Io { path, source: e }),
        }
    }

    /// The name of the published generation, read fresh from disk.
    pub fn current_name(&self) -> Result<Option<String>, StoreError> {
        let path = self.root.join(CURRENT);
        match fs::read_to_string(&path) {
            Ok(s) => {
                let name = s.trim().to_string();
                Ok((!name.is_empty()).then_some(name))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    /// The published generation, if there is one.
    pub fn current(&self) -> Result<Option<Generation>, StoreError> {
        Ok(self.current_name()?.map(|name| Generation {
            path: self.root.join(GENERATIONS).join(&name),
            name,
        }))
    }

    /// The published generation, or an actionable error when nothing was published.
    pub fn require_current(&self) -> Result<Generation, StoreError> {
        self.current()?
            .ok_or_else(|| StoreError::NothingPublished(self.root.clone()))
    }

    /// Creates an empty directory for a new generation with a unique, sortable name.
    pub fn new_generation(&self, _lock: &WriterLock) -> Result<Generation, StoreError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!(
            "g{nanos:020}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = self.root.join(GENERATIONS).join(&name);
        fs::create_dir_all(&path).map_err(io_err(&path))?;
        Ok(Generation { name, path })
    }

    /// Makes `generation` the published one: its files are synced, then `CURRENT` is replaced
    /// by an atomic rename. Older generations beyond the last few are removed afterwards.
    pub fn publish(&self, generation: &Generation, lock: &WriterLock) -> Result<(), StoreError> {
        generation.read_meta()?;
        sync_dir(&generation.path)?;
        let tmp = self.root.join(format!("{CURRENT}.tmp"));
        write_synced(&tmp, generation.name.as_bytes())?;
        let current = self.root.join(CURRENT);
        fs::rename(&tmp, &current).map_err(io_err(&current))?;
        sync_dir(&self.root)?;
        self.collect_garbage(lock)
    }

    /// Removes generations that are neither current nor among the few most recent ones.
    pub fn collect_garbage(&self, _lock: &WriterLock) -> Result<(), StoreError> {
        let current = self.current_name()?;
        let gens_dir = self.root.join(GENERATIONS);
        let mut names: Vec<String> = fs::read_dir(&gens_dir)
            .map_err(io_err(&gens_dir))?
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        let Some(current) = current else {
            return Ok(());
        };
        let Some(cur_pos) = names.iter().position(|n| *n == current) else {
            return Ok(());
        };
        for (i, name) in names.iter().enumerate() {
            let keep = i == cur_pos || (i < cur_pos && cur_pos - i <= KEEP_PREVIOUS);
            if !keep {
                let path = gens_dir.join(name);
                if let Err(e) = fs::remove_dir_all(&path) {
                    tracing::warn!(path = %path.display(), error = %e, "could not remove old generation");
                }
            }
        }
        Ok(())
    }

    /// Copies a generation's files into a fresh one by hard links (tantivy never rewrites a
    /// segment file in place; its metadata files are replaced by rename), falling back to a copy.
    pub fn fork(&self, from: &Generation, lock: &WriterLock) -> Result<Generation, StoreError> {
        let to = self.new_generation(lock)?;
        for entry in fs::read_dir(&from.path).map_err(io_err(&from.path))? {
            let entry = entry.map_err(io_err(&from.path))?;
            let name = entry.file_name();
            if name == ".tantivy-writer.lock" || name == ".tantivy-meta.lock" {
                continue;
            }
            let src = entry.path();
            let dst = to.path.join(&name);
            if fs::hard_link(&src, &dst).is_err() {
                fs::copy(&src, &dst).map_err(io_err(&dst))?;
            }
        }
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str) -> GenerationMeta {
        GenerationMeta {
            schema_version: SCHEMA_VERSION,
            generation: name.into(),
            built_at: 0,
            documents: 0,
            organisations: 0,
            activities: 0,
            parent: None,
        }
    }

    #[test]
    fn publish_switches_current_and_keeps_a_few() {
        let dir = tempfile::tempdir().unwrap();
        let store = IndexStore::open(dir.path()).unwrap();
        assert!(store.current().unwrap().is_none());
        let lock = store.lock_writer().unwrap();
        let mut names = Vec::new();
        for _ in 0..5 {
            let g = store.new_generation(&lock).unwrap();
            g.write_meta(&meta(&g.name)).unwrap();
            store.publish(&g, &lock).unwrap();
            assert_eq!(
                store.current_name().unwrap().as_deref(),
                Some(g.name.as_str())
            );
            names.push(g.name);
        }
        let left = fs::read_dir(dir.path().join(GENERATIONS)).unwrap().count();
        assert_eq!(left, 1 + KEEP_PREVIOUS);
    }

    #[test]
    fn schema_mismatch_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let store = IndexStore::open(dir.path()).unwrap();
        let lock = store.lock_writer().unwrap();
        let g = store.new_generation(&lock).unwrap();
        let mut m = meta(&g.name);
        m.schema_version = SCHEMA_VERSION + 1;
        g.write_meta(&m).unwrap();
        let err = g.read_meta().unwrap_err().to_string();
        assert!(err.contains("rebuild it with `indexer build`"), "{err}");
    }

    #[test]
    fn second_writer_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = IndexStore::open(dir.path()).unwrap();
        let _held = store.lock_writer().unwrap();
        assert!(matches!(store.lock_writer(), Err(StoreError::Locked(_))));
    }
}
