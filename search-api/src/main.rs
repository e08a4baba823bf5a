//! `search-api`: serve the Tarjotin search API. With no arguments it builds an index of the
//! embedded default data under `./var/index` on first start and listens on 127.0.0.1:8080.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use search_api::ratelimit::RateLimit;
use search_api::{AppState, Config};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Parser)]
#[command(version, about = "Tarjotin search API")]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "TARJOTIN_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Index directory; an index of the embedded default data is built there when none exists.
    #[arg(long, env = "TARJOTIN_INDEX_DIR", default_value = "var/index")]
    index_dir: PathBuf,
    /// Searches running at once (default: 2 x CPUs).
    #[arg(long, env = "TARJOTIN_MAX_CONCURRENT")]
    max_concurrent: Option<usize>,
    /// Searches allowed to wait for a slot before 503 overloaded.
    #[arg(long, env = "TARJOTIN_MAX_QUEUE", default_value_t = 64)]
    max_queue: usize,
    /// Per-request deadline in milliseconds.
    #[arg(long, env = "TARJOTIN_REQUEST_TIMEOUT_MS", default_value_t = 5000)]
    request_timeout_ms: u64,
    /// How often to check for a newly published index, in milliseconds.
    #[arg(long, env = "TARJOTIN_RELOAD_INTERVAL_MS", default_value_t = 1000)]
    reload_interval_ms: u64,
    /// Requests per minute allowed per client address (IPv6: per /64); 0 turns the limit off.
    #[arg(long, env = "TARJOTIN_RATE_LIMIT_PER_MINUTE", default_value_t = 0)]
    rate_limit_per_minute: u32,
    /// Requests a client may make at once on top of the steady rate (default: the per-minute
    /// figure, i.e. one minute's worth).
    #[arg(long, env = "TARJOTIN_RATE_LIMIT_BURST")]
    rate_limit_burst: Option<u32>,
    /// Comma-separated addresses or CIDR networks of reverse proxies whose X-Forwarded-For
    /// header names the client (e.g. 127.0.0.1,10.0.0.0/8). Empty: the header is ignored.
    #[arg(long, env = "TARJOTIN_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: String,
    /// Megabytes of finished responses kept for repeated requests (per index generation;
    /// least recently used first out). 0 turns the response cache off.
    #[arg(long, env = "TARJOTIN_RESPONSE_CACHE_MB", default_value_t = 64)]
    response_cache_mb: u64,
    /// Log format.
    #[arg(long, env = "TARJOTIN_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TARJOTIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tantivy=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

/// The rate limit from the flags: off when the rate is 0; a burst of 0 is an error.
fn rate_limit(per_minute: u32, burst: Option<u32>) -> anyhow::Result<Option<RateLimit>> {
    let Some(per_minute) = NonZeroU32::new(per_minute) else {
        return Ok(None);
    };
    let burst = match burst {
        None => per_minute,
        Some(b) => NonZeroU32::new(b).context("--rate-limit-burst must be at least 1")?,
    };
    Ok(Some(RateLimit { per_minute, burst }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging(args.log_format);

    let dir = args.index_dir.clone();
    let built =
        tokio::task::spawn_blocking(move || tarjotin_core::defaults::ensure_default_index(&dir))
            .await
            .context("index build task failed")?
            .with_context(|| {
                format!("building the default index in {}", args.index_dir.display())
            })?;
    if let Some(summary) = built {
        tracing::info!(
            documents = summary.documents,
            generation = %summary.generation,
            "built an index of the embedded default data"
        );
    }

    let mut config = Config::new(&args.index_dir);
    if let Some(n) = args.max_concurrent {
        config.max_concurrent = n.max(1);
    }
    config.max_queue = args.max_queue;
    config.request_timeout = Duration::from_millis(args.request_timeout_ms.max(1));
    config.reload_interval = Duration::from_millis(args.reload_interval_ms.max(50));
    config.response_cache_bytes = args.response_cache_mb.saturating_mul(1024 * 1024);
    config.trusted_proxies = search_api::ratelimit::parse_trusted_proxies(&args.trusted_proxies)
        .context("--trusted-proxies")?;
    config.rate_limit = rate_limit(args.rate_limit_per_minute, args.rate_limit_burst)?;
    if let Some(limit) = config.rate_limit {
        tracing::info!(
            per_minute = limit.per_minute.get(),
            burst = limit.burst.get(),
            trusted_proxies = config.trusted_proxies.len(),
            "rate limit per client address"
        );
    }
    let state = AppState::open(config)
        .with_context(|| format!("opening the index in {}", args.index_dir.display()))?;
    let engine = state.engine();
    tracing::info!(
        documents = engine.doc_count(),
        generation = %engine.generation().name,
        "index loaded"
    );
    drop(engine);

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!("Tarjotin search API: http://{addr}/");
    search_api::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}
