//! Shared state: the swappable engine, the search limiter and the configuration.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use ipnet::IpNet;
use tarjotin_core::index::{IndexStore, StoreError};
use tarjotin_core::search::{Engine, EngineError, SearchError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::cache::ResponseCache;
use crate::error::{ApiError, ErrorCode};
use crate::ratelimit::{RateLimit, RateLimiter};

/// Runtime limits and locations.
#[derive(Debug, Clone)]
pub struct Config {
    /// The index root (holds `CURRENT` and the generations).
    pub index_dir: PathBuf,
    /// Engine calls running at once (each on a blocking thread).
    pub max_concurrent: usize,
    /// Engine calls allowed to wait for a slot; beyond that requests get 503 `overloaded`.
    pub max_queue: usize,
    /// Deadline for one request, waiting included; past it the answer is 503 `timeout`.
    pub request_timeout: Duration,
    /// How often to look for a newly published index generation.
    pub reload_interval: Duration,
    /// Requests per client address; `None` (the default) means no limit.
    pub rate_limit: Option<RateLimit>,
    /// Peers whose `X-Forwarded-For` names the client (see [`crate::ratelimit`]).
    pub trusted_proxies: Vec<IpNet>,
    /// Bytes of finished responses kept for repeated requests (see [`crate::cache`]); 0 = off.
    pub response_cache_bytes: u64,
}

impl Config {
    pub fn new(index_dir: impl Into<PathBuf>) -> Config {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config {
            index_dir: index_dir.into(),
            max_concurrent: cpus * 2,
            max_queue: 64,
            request_timeout: Duration::from_secs(5),
            reload_interval: Duration::from_secs(1),
            rate_limit: None,
            trusted_proxies: Vec::new(),
            response_cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why the state could not be created.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot open the index store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot open the index: {0}")]
    Engine(#[from] EngineError),
}

struct Inner {
    engine: ArcSwap<Engine>,
    store: IndexStore,
    config: Config,
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    rate_limiter: Option<Arc<RateLimiter>>,
    response_cache: Option<Arc<ResponseCache>>,
    /// The last generation that failed to open, so the error is logged once.
    failed: parking_lot::Mutex<Option<String>>,
}

/// Cheap to clone; every handler gets one.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.inner.config)
            .finish()
    }
}

/// A held search slot (see [`AppState::try_reserve_search_slot`]).
#[derive(Debug)]
pub struct SearchSlot(#[allow(dead_code)] OwnedSemaphorePermit);

struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AppState {
    /// Opens the index published under `config.index_dir`.
    pub fn open(config: Config) -> Result<AppState, StateError> {
        let store = IndexStore::open(&config.index_dir)?;
        let generation = store.require_current()?;
        let engine = Engine::open_generation(generation)?;
        Ok(Self::with_engine(engine, store, config))
    }

    pub fn with_engine(engine: Engine, store: IndexStore, config: Config) -> AppState {
        let permits = Arc::new(Semaphore::new(config.max_concurrent.max(1)));
        let rate_limiter = config
            .rate_limit
            .map(|limit| Arc::new(RateLimiter::new(limit, config.trusted_proxies.clone())));
        let response_cache = ResponseCache::new(config.response_cache_bytes);
        AppState {
            inner: Arc::new(Inner {
                engine: ArcSwap::from_pointee(engine),
                store,
                response_cache,
                config,
                permits,
                waiting: AtomicUsize::new(0),
                rate_limiter,
                failed: parking_lot::Mutex::new(None),
            }),
        }
    }

    /// The response cache, unless it is turned off.
    pub fn response_cache(&self) -> Option<&Arc<ResponseCache>> {
        self.inner.response_cache.as_ref()
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The per-client rate limiter, when one is configured.
    pub fn rate_limiter(&self) -> Option<Arc<RateLimiter>> {
        self.inner.rate_limiter.clone()
    }

    /// Searches waiting for a slot right now.
    pub fn queued(&self) -> usize {
        self.inner.waiting.load(Ordering::SeqCst)
    }

    /// The engine serving now; a request keeps its `Arc` even when a new index is swapped in.
    pub fn engine(&self) -> Arc<Engine> {
        self.inner.engine.load_full()
    }

    /// Takes a search slot as a request would, without waiting. For tests and probes: holding
    /// every slot makes searches queue, then fail with 503 `overloaded`.
    pub fn try_reserve_search_slot(&self) -> Option<SearchSlot> {
        self.inner
            .permits
            .clone()
            .try_acquire_owned()
            .ok()
            .map(SearchSlot)
    }

    async fn acquire(&self, deadline: Instant) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(p) = self.inner.permits.clone().try_acquire_owned() {
            return Ok(p);
        }
        let queued = self.inner.waiting.fetch_add(1, Ordering::SeqCst);
        let _guard = Waiting(&self.inner.waiting);
        if queued >= self.inner.config.max_queue {
            return Err(ApiError::overloaded());
        }
        match tokio::time::timeout_at(deadline, self.inner.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(_)) => Err(ApiError::internal("search semaphore closed")),
            Err(_) => Err(ApiError::timeout()),
        }
    }

    /// Runs an engine call on a blocking thread, inside the concurrency limit and the deadline.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine) -> Result<T, SearchError> + Send + 'static,
    {
        let deadline = Instant::now() + self.inner.config.request_timeout;
        let permit = self.acquire(deadline).await?;
        let engine = self.engine();
        let task = tokio::task::spawn_blocking(move || {
            // The slot stays taken until the engine call really ends, even after a timeout.
            let _permit = permit;
            f(&engine)
        });
        match tokio::time::timeout_at(deadline, task).await {
            Err(_) => Err(ApiError::timeout()),
            Ok(Err(join)) => Err(ApiError::internal(format!("search task failed: {join}"))),
            Ok(Ok(Err(SearchError::InvalidRequest(m)))) => {
                // The API validates first; the core's own checks only repeat fixed messages.
                Err(ApiError::new(ErrorCode::InvalidParameter, m))
            }
            Ok(Ok(Err(e))) => Err(ApiError::internal(e)),
            Ok(Ok(Ok(v))) => Ok(v),
        }
    }

    /// Opens and swaps in the published generation when it changed. Returns whether it swapped.
    /// A generation that fails to open is logged (once) and the old engine keeps serving.
    pub fn reload_if_changed(&self) -> bool {
        let current = match self.inner.store.current() {
            Ok(Some(g)) => g,
            Ok(None) => return false,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the published generation");
                return false;
            }
        };
        if current.name == self.engine().generation().name {
            return false;
        }
        if self.inner.failed.lock().as_deref() == Some(current.name.as_str()) {
            return false;
        }
        let name = current.name.clone();
        match Engine::open_generation(current) {
            Ok(engine) => {
                let docs = engine.doc_count();
                self.inner.engine.store(Arc::new(engine));
                *self.inner.failed.lock() = None;
                tracing::info!(generation = %name, documents = docs, "serving a new index generation");
                true
            }
            Err(e) => {
                tracing::error!(generation = %name, error = %e, "cannot open the new index generation; still serving the old one");
                *self.inner.failed.lock() = Some(name);
                false
            }
        }
    }

    /// Forgets idle clients of the rate limiter every `every` until dropped (aborted by `serve`).
    pub(crate) async fn sweep_rate_limiter(self, every: Duration) {
        let Some(limiter) = self.rate_limiter() else {
            return;
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let tracked = limiter.sweep();
            tracing::debug!(clients = tracked, "rate limiter swept");
        }
    }

    /// Polls for new generations until dropped (the task is aborted by `serve`).
    pub(crate) async fn watch(self) {
        let mut tick = tokio::time::interval(self.inner.config.reload_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let state = self.clone();
            if let Err(e) = tokio::task::spawn_blocking(move || state.reload_if_changed()).await {
                tracing::error!(error = %e, "index reload task failed");
            }
        }
    }
}
