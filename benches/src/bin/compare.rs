//! Tarjotin against PostgreSQL 15 (`finnish` full-text search + PostGIS) and SQLite FTS5, in one
//! run on the same machine and the same documents.
//!
//! `cargo run --release --locked -p tarjotin-benches --bin compare -- --docs 10000,100000`
//!
//! 1. Relevance on the judged evaluation collection (`data/eval/`): nDCG@10, recall@10 and MRR
//!    per engine and per phenomenon.
//! 2. For each size: the same seeded synthetic records are loaded into each engine (build time,
//!    size on disk), then each engine answers the same query classes one request at a time
//!    (p50, p99, ratio to Tarjotin), and its memory is read when the queries are done.
//!
//! Each engine builds and queries in its own child process (this program with `child ...`), so
//! one engine's memory and caches are not counted against another's. PostgreSQL runs as a
//! temporary cluster owned by this process and is stopped when it exits, also on error.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use tarjotin_benches::peers::postgres::{PgPeer, PgServer, connect};
use tarjotin_benches::peers::sqlite::SqlitePeer;
use tarjotin_benches::peers::{Filters, PeerError, peer_docs};
use tarjotin_benches::{
    PeerClass, SEED, dir_size, peer_classes, percentile, proc_mem_kb, run_tarjotin,
};
use tarjotin_core::eval::{EvalReport, JudgedQuery, evaluate, evaluate_with, parse_queries};
use tarjotin_core::index::{IndexStore, build};
use tarjotin_core::model::Record;
use tarjotin_core::search::Engine;
use tarjotin_core::synth::Generator;

#[derive(Parser)]
#[command(about = "Tarjotin vs PostgreSQL FTS + PostGIS vs SQLite FTS5")]
struct Args {
    /// Corpus sizes, comma separated (underscores allowed).
    #[arg(long, default_value = "10000,100000", value_delimiter = ',')]
    docs: Vec<String>,
    /// Measured requests per query class and engine (after 20 warm-up requests).
    #[arg(long, default_value_t = 300)]
    queries: usize,
    /// Engines to run.
    #[arg(
        long,
        default_value = "tarjotin,postgres,sqlite",
        value_delimiter = ','
    )]
    engines: Vec<String>,
    /// Skip the relevance comparison.
    #[arg(long)]
    no_relevance: bool,
    /// Skip the speed comparison (relevance only).
    #[arg(long)]
    no_speed: bool,
    /// The judged evaluation collection (corpus.ndjson, dev-queries.ndjson).
    #[arg(long)]
    eval_dir: Option<PathBuf>,
    /// Where the indexes and databases go (a temporary directory by default).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    #[command(subcommand)]
    child: Option<Child>,
}

#[derive(Subcommand)]
enum Child {
    /// (internal) Builds one engine's index of `docs` synthetic records under `dir`.
    Build {
        engine: String,
        docs: usize,
        dir: PathBuf,
        #[arg(long)]
        pg_port: Option<u16>,
    },
    /// (internal) Runs the query classes written by the Tarjotin build on one engine.
    Query {
        engine: String,
        dir: PathBuf,
        queries: usize,
        #[arg(long)]
        pg_port: Option<u16>,
    },
}

const ENGINES: [&str; 3] = ["tarjotin", "postgres", "sqlite"];

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match &args.child {
        Some(Child::Build {
            engine,
            docs,
            dir,
            pg_port,
        }) => return child_build(engine, *docs, dir, *pg_port),
        Some(Child::Query {
            engine,
            dir,
            queries,
            pg_port,
        }) => return child_query(engine, dir, *queries, *pg_port),
        None => {}
    }
    for e in &args.engines {
        if !ENGINES.contains(&e.as_str()) {
            bail!("unknown engine {e} (one of {ENGINES:?})");
        }
    }
    if !args.engines.iter().any(|e| e == "tarjotin") && !args.no_speed {
        bail!("the speed comparison needs tarjotin (it writes the query classes)");
    }
    let sizes: Vec<usize> = args
        .docs
        .iter()
        .map(|d| d.replace('_', "").parse::<usize>())
        .collect::<Result<_, _>>()
        .context("--docs")?;
    let work = match &args.work_dir {
        Some(p) => {
            std::fs::create_dir_all(p)?;
            tempfile::Builder::new().prefix("compare-").tempdir_in(p)?
        }
        None => tempfile::Builder::new()
            .prefix("tarjotin-compare-")
            .tempdir()?,
    };
    let wants = |e: &str| args.engines.iter().any(|x| x == e);
    let started = Instant::now();
    print_machine();
    let pg = if wants("postgres") {
        eprintln!("starting PostgreSQL 15 in a temporary directory");
        Some(PgServer::start()?)
    } else {
        None
    };
    if let Some(pg) = &pg {
        let mut c = pg.connect()?;
        c.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis")?;
        let v: String = c
            .query_one(
                "SELECT version() || ', PostGIS ' || postgis_lib_version()",
                &[],
            )?
            .get(0);
        println!("- PostgreSQL: {v}");
    }
    let sqlite_version = rusqlite::version();
    println!("- SQLite: {sqlite_version} (bundled by rusqlite)\n");

    if !args.no_relevance {
        let t = Instant::now();
        let dir = args
            .eval_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/eval"));
        relevance(&dir, work.path(), &args, pg.as_ref())?;
        eprintln!("relevance took {:.0} s", t.elapsed().as_secs_f64());
    }
    if !args.no_speed {
        let mut builds = Vec::new();
        let mut latencies: BTreeMap<(usize, usize, String), BTreeMap<String, Value>> =
            BTreeMap::new();
        for &docs in &sizes {
            let t = Instant::now();
            ensure_free_space(work.path(), docs)?;
            let dir = work.path().join(format!("{docs}"));
            std::fs::create_dir_all(&dir)?;
            let port = pg.as_ref().map(|p| p.port.to_string());
            for engine in ENGINES.iter().filter(|e| wants(e)) {
                eprintln!("[{docs}] building {engine}");
                let mut a = vec![
                    "build".to_string(),
                    engine.to_string(),
                    docs.to_string(),
                    dir.display().to_string(),
                ];
                if let Some(p) = &port {
                    a.extend(["--pg-port".to_string(), p.clone()]);
                }
                builds.extend(run_child(&a)?);
            }
            for engine in ENGINES.iter().filter(|e| wants(e)) {
                quiet_down(pg.as_ref())?;
                eprintln!("[{docs}] querying {engine}");
                let mut a = vec![
                    "query".to_string(),
                    engine.to_string(),
                    dir.display().to_string(),
                    args.queries.to_string(),
                ];
                if let Some(p) = &port {
                    a.extend(["--pg-port".to_string(), p.clone()]);
                }
                for v in run_child(&a)? {
                    if v["kind"] == "latency" {
                        let key = (
                            docs,
                            v["order"].as_u64().unwrap_or(0) as usize,
                            v["class"].as_str().unwrap_or("").to_string(),
                        );
                        latencies
                            .entry(key)
                            .or_default()
                            .insert(engine.to_string(), v);
                    } else if v["kind"] == "memory" {
                        let mut v = v;
                        if *engine == "postgres"
                            && let Some(pg) = &pg
                        {
                            // The server's memory, not the client's.
                            v["rss_kb"] = json!(pg.memory_pss_kb());
                            v["what"] = json!("server processes, PSS");
                        }
                        v["docs"] = json!(docs);
                        builds.push(v);
                    }
                }
            }
            // Free the disk of this size before the next.
            if let Some(pg) = &pg {
                pg.connect()?.batch_execute("DROP TABLE IF EXISTS docs")?;
            }
            let _ = std::fs::remove_dir_all(&dir);
            eprintln!("[{docs}] took {:.0} s", t.elapsed().as_secs_f64());
        }
        print_latency(&latencies, &args);
        print_builds(&builds);
    }
    drop(pg);
    eprintln!("total {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = proc_meminfo_gb();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("## Peer comparison\n");
    println!("- Machine: {cpus} CPUs ({cpu}), {mem:.1} GB RAM");
    println!(
        "- Load average at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn proc_meminfo_gb() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0)
        / 1024.0
        / 1024.0
}

/// Runs this program as a child and returns the JSON lines it printed.
fn run_child(args: &[String]) -> anyhow::Result<Vec<Value>> {
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            out.push(serde_json::from_str(&line).with_context(|| format!("child said {line}"))?);
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("child {args:?} failed: {status}");
    }
    Ok(out)
}

fn emit(v: Value) {
    println!("{v}");
}

fn child_build(engine: &str, docs: usize, dir: &Path, pg_port: Option<u16>) -> anyhow::Result<()> {
    let records = Generator::new(SEED).records(docs);
    let (took, load, index, size) = match engine {
        "tarjotin" => {
            let classes = peer_classes(&records);
            std::fs::write(
                dir.join("classes.json"),
                serde_json::to_string_pretty(&classes)?,
            )?;
            let root = dir.join("tarjotin");
            let store = IndexStore::open(&root)?;
            let t = Instant::now();
            build(&store, records, &|_| {})?;
            let took = t.elapsed();
            (took, took, Duration::ZERO, dir_size(&root))
        }
        "postgres" => {
            let port = pg_port.context("--pg-port")?;
            let t = Instant::now();
            let pd = peer_docs(&records)?;
            drop(records);
            let (mut peer, times) = PgPeer::load(connect(port)?, &pd)?;
            let took = t.elapsed();
            let size = peer.size_bytes()?;
            (took, times.load, times.index, size.max(0) as u64)
        }
        "sqlite" => {
            let path = dir.join("sqlite.db");
            let t = Instant::now();
            let pd = peer_docs(&records)?;
            drop(records);
            let (_peer, times) = SqlitePeer::load(&path, &pd)?;
            let took = t.elapsed();
            (
                took,
                times.load,
                times.index,
                SqlitePeer::size_bytes(&path)?,
            )
        }
        other => bail!("unknown engine {other}"),
    };
    emit(json!({
        "kind": "build", "engine": engine, "docs": docs,
        "seconds": took.as_secs_f64(), "load_s": load.as_secs_f64(), "index_s": index.as_secs_f64(),
        "docs_per_s": docs as f64 / took.as_secs_f64(), "size_bytes": size,
    }));
    Ok(())
}

enum Runner {
    Tarjotin(Engine),
    Postgres(PgPeer),
    Sqlite(SqlitePeer),
}

impl Runner {
    fn run(&mut self, q: &tarjotin_benches::peers::PeerQuery) -> anyhow::Result<usize> {
        Ok(match self {
            Runner::Tarjotin(e) => run_tarjotin(e, q)?,
            Runner::Postgres(p) => p.run(q)?,
            Runner::Sqlite(s) => s.run(q)?,
        })
    }
}

fn child_query(
    engine: &str,
    dir: &Path,
    queries: usize,
    pg_port: Option<u16>,
) -> anyhow::Result<()> {
    let classes: Vec<PeerClass> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("classes.json"))?)?;
    let mut runner = match engine {
        "tarjotin" => Runner::Tarjotin(Engine::open(&dir.join("tarjotin"))?),
        "postgres" => Runner::Postgres(PgPeer::open(connect(pg_port.context("--pg-port")?)?)),
        "sqlite" => Runner::Sqlite(SqlitePeer::open(&dir.join("sqlite.db"))?),
        other => bail!("unknown engine {other}"),
    };
    for (order, class) in classes.iter().enumerate() {
        if class.requests.is_empty() {
            continue;
        }
        for i in 0..20 {
            runner.run(&class.requests[i % class.requests.len()])?;
        }
        let mut times = Vec::with_capacity(queries);
        let mut hits = 0usize;
        for i in 0..queries {
            let q = &class.requests[i % class.requests.len()];
            let t = Instant::now();
            hits += runner.run(q)?;
            times.push(t.elapsed());
        }
        times.sort();
        emit(json!({
            "kind": "latency", "engine": engine, "class": class.name, "order": order,
            "p50_ms": percentile(&times, 50.0).as_secs_f64() * 1e3,
            "p99_ms": percentile(&times, 99.0).as_secs_f64() * 1e3,
            "hits": hits as f64 / queries.max(1) as f64,
            "examples": class.requests.iter().take(3).map(|q| format!("{q:?}")).collect::<Vec<_>>(),
        }));
    }
    let pid = std::process::id();
    emit(json!({
        "kind": "memory", "engine": engine,
        "rss_kb": proc_mem_kb(pid, "VmRSS:"), "hwm_kb": proc_mem_kb(pid, "VmHWM:"),
        "what": "query process RSS",
    }));
    Ok(())
}

fn ms(v: Option<&Value>, key: &str) -> Option<f64> {
    v.and_then(|v| v[key].as_f64())
}

fn fmt_ms(x: Option<f64>) -> String {
    match x {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) if x >= 1.0 => format!("{x:.2}"),
        Some(x) => format!("{x:.3}"),
        None => "–".into(),
    }
}

/// Disk the three engines take per document at most, with room to spare: at 1M documents
/// PostgreSQL's database took 2.5 GB, SQLite's 2.3 GB and Tarjotin's index 0.6 GB.
const DISK_BYTES_PER_DOC: u64 = 8_000;

/// Fails before loading `docs` documents when the work directory's file system (or, for
/// PostgreSQL's cluster, the temporary directory's) has too little free space, instead of
/// failing half-way through a load.
fn ensure_free_space(work: &Path, docs: usize) -> anyhow::Result<()> {
    let need = docs as u64 * DISK_BYTES_PER_DOC;
    for dir in [work.to_path_buf(), std::env::temp_dir()] {
        let fs = rustix::fs::statvfs(&dir).with_context(|| format!("statvfs {}", dir.display()))?;
        let free = fs.f_bavail.saturating_mul(fs.f_frsize);
        if free < need {
            bail!(
                "{} has {:.1} GB free; {docs} documents need about {:.1} GB (--work-dir or TMPDIR \
                 elsewhere, or fewer --docs)",
                dir.display(),
                free as f64 / 1e9,
                need as f64 / 1e9
            );
        }
    }
    Ok(())
}

/// Lets the machine settle before an engine's queries are timed, so no engine pays for another's
/// writes: PostgreSQL writes its dirty buffers out (CHECKPOINT) and the kernel flushes the page
/// cache (`sync`). Without it, the first engine queried after the last build ran while several
/// gigabytes of the peers' files were still being written back.
fn quiet_down(pg: Option<&PgServer>) -> anyhow::Result<()> {
    if let Some(pg) = pg {
        pg.connect()?.batch_execute("CHECKPOINT")?;
    }
    rustix::fs::sync();
    Ok(())
}

fn ratio(peer: Option<f64>, ours: Option<f64>) -> String {
    match (peer, ours) {
        (Some(p), Some(o)) if o > 0.0 => format!("{:.1}×", p / o),
        _ => "–".into(),
    }
}

fn print_latency(lat: &BTreeMap<(usize, usize, String), BTreeMap<String, Value>>, args: &Args) {
    println!(
        "\n### Latency, one request at a time ({} measured requests per class and engine; ms)\n",
        args.queries
    );
    println!(
        "Ratio = peer p50 / Tarjotin p50 (above 1: Tarjotin is faster). Hits = average hits per \
         request.\n"
    );
    println!(
        "| docs | class | Tarjotin p50 | p99 | hits | PostgreSQL p50 | p99 | hits | ratio | SQLite p50 | p99 | hits | ratio |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for ((docs, _, class), m) in lat {
        let t = m.get("tarjotin");
        let p = m.get("postgres");
        let s = m.get("sqlite");
        let hits = |v: Option<&Value>| {
            v.and_then(|v| v["hits"].as_f64())
                .map(|h| format!("{h:.1}"))
                .unwrap_or_else(|| "–".into())
        };
        println!(
            "| {docs} | {class} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            fmt_ms(ms(t, "p50_ms")),
            fmt_ms(ms(t, "p99_ms")),
            hits(t),
            fmt_ms(ms(p, "p50_ms")),
            fmt_ms(ms(p, "p99_ms")),
            hits(p),
            ratio(ms(p, "p50_ms"), ms(t, "p50_ms")),
            fmt_ms(ms(s, "p50_ms")),
            fmt_ms(ms(s, "p99_ms")),
            hits(s),
            ratio(ms(s, "p50_ms"), ms(t, "p50_ms")),
        );
    }
    println!("\nRequests per class (first of each size):\n");
    let mut seen = std::collections::HashSet::new();
    for ((_, _, class), m) in lat {
        if let Some(t) = m.get("tarjotin")
            && seen.insert(class.clone())
        {
            println!("- {class}: {}", t["examples"]);
        }
    }
}

fn print_builds(builds: &[Value]) {
    println!("\n### Build and footprint\n");
    println!(
        "| docs | engine | build s | docs/s | of which indexes s | size on disk MB | memory after queries MB | measured |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---|");
    for b in builds.iter().filter(|b| b["kind"] == "build") {
        let mem = builds.iter().find(|m| {
            m["kind"] == "memory" && m["engine"] == b["engine"] && m["docs"] == b["docs"]
        });
        println!(
            "| {} | {} | {:.1} | {:.0} | {:.1} | {:.1} | {} | {} |",
            b["docs"],
            b["engine"].as_str().unwrap_or(""),
            b["seconds"].as_f64().unwrap_or(0.0),
            b["docs_per_s"].as_f64().unwrap_or(0.0),
            b["index_s"].as_f64().unwrap_or(0.0),
            b["size_bytes"].as_f64().unwrap_or(0.0) / 1e6,
            mem.and_then(|m| m["rss_kb"].as_f64())
                .map(|k| format!("{:.0}", k / 1024.0))
                .unwrap_or_else(|| "–".into()),
            mem.and_then(|m| m["what"].as_str()).unwrap_or(""),
        );
    }
}

fn load_corpus(dir: &Path) -> anyhow::Result<(Vec<Record>, Vec<JudgedQuery>)> {
    let text = std::fs::read_to_string(dir.join("corpus.ndjson"))
        .with_context(|| format!("{}/corpus.ndjson", dir.display()))?;
    let mut records = Vec::new();
    for (i, l) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        records.push(
            serde_json::from_str::<Record>(l).with_context(|| format!("corpus line {}", i + 1))?,
        );
    }
    let queries = parse_queries(&std::fs::read_to_string(dir.join("dev-queries.ndjson"))?)
        .map_err(anyhow::Error::msg)?;
    Ok((records, queries))
}

fn relevance(dir: &Path, work: &Path, args: &Args, pg: Option<&PgServer>) -> anyhow::Result<()> {
    let (records, queries) = load_corpus(dir)?;
    let wants = |e: &str| args.engines.iter().any(|x| x == e);
    let mut reports: Vec<(&str, EvalReport)> = Vec::new();
    if wants("tarjotin") {
        let root = work.join("eval-tarjotin");
        let store = IndexStore::open(&root)?;
        build(&store, records.clone(), &|_| {})?;
        let engine = Engine::open(&root)?;
        reports.push(("Tarjotin", evaluate(&engine, &queries)?));
    }
    let docs = peer_docs(&records)?;
    if let Some(pg) = pg {
        let (mut peer, _) = PgPeer::load(pg.connect()?, &docs)?;
        for (label, any) in [("PostgreSQL", false), ("PostgreSQL, OR", true)] {
            let r = evaluate_with(&queries, |q| -> Result<Vec<String>, PeerError> {
                peer.rank(&q.q, &Filters::of(q)?, any)
            })?;
            reports.push((label, r));
        }
    }
    if wants("sqlite") {
        let path = work.join("eval-sqlite.db");
        let (mut peer, _) = SqlitePeer::load(&path, &docs)?;
        for (label, any) in [("SQLite FTS5", false), ("SQLite FTS5, OR", true)] {
            let r = evaluate_with(&queries, |q| -> Result<Vec<String>, PeerError> {
                peer.rank(&q.q, &Filters::of(q)?, any)
            })?;
            reports.push((label, r));
        }
    }
    println!(
        "### Relevance on `data/eval` ({} records, {} judged dev queries)\n",
        records.len(),
        queries.len()
    );
    println!("Each cell: nDCG@10 / recall@10 / MRR.\n");
    let mut head = String::from("| phenomenon | n |");
    let mut sep = String::from("|---|---:|");
    for (label, _) in &reports {
        head.push_str(&format!(" {label} |"));
        sep.push_str("---|");
    }
    println!("{head}\n{sep}");
    // Metrics are never negative; abs() prints an nDCG of no gain (-0.0) as 0.000.
    let cell =
        |x: (f64, f64, f64)| format!(" {:.3} / {:.3} / {:.3} |", x.0.abs(), x.1.abs(), x.2.abs());
    if let Some((_, first)) = reports.first() {
        let mut row = format!("| **all** | {} |", first.queries.len());
        for (_, r) in &reports {
            row.push_str(&cell((r.ndcg10, r.recall10, r.mrr)));
        }
        println!("{row}");
        for (tag, (n, ..)) in &first.by_phenomenon {
            let mut row = format!("| {tag} | {n} |");
            for (_, r) in &reports {
                let x = r
                    .by_phenomenon
                    .get(tag)
                    .map(|(_, a, b, c)| (*a, *b, *c))
                    .unwrap_or_default();
                row.push_str(&cell(x));
            }
            println!("{row}");
        }
    }
    println!();
    Ok(())
}
