//! Times full builds of synthetic records into a temporary directory and prints the rate with the
//! CPU the process used during each build, so a slow run can be told from a busy machine.
//!
//! `cargo run --release -p tarjotin-benches --bin build_throughput -- 1000000 [RUNS]`

use std::time::Instant;

use anyhow::Context;
use tarjotin_benches::SEED;
use tarjotin_core::index::{IndexStore, build};
use tarjotin_core::synth::Generator;

/// CPU time this process has used so far (all threads).
fn process_cpu() -> std::time::Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    std::time::Duration::new(
        t.tv_sec.max(0) as u64,
        t.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let docs: usize = args
        .next()
        .map(|a| a.replace('_', "").parse())
        .transpose()
        .context("the first argument is a number of records")?
        .unwrap_or(1_000_000);
    let runs: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()
        .context("the second argument is a number of runs")?
        .unwrap_or(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("| run | records | seconds | records/s | CPU µs per record | CPU busy |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for run in 1..=runs {
        let records = Generator::new(SEED).records(docs);
        let dir = tempfile::tempdir().context("a temporary directory")?;
        let store = IndexStore::open(dir.path()).context("opening the store")?;
        let cpu_before = process_cpu();
        let started = Instant::now();
        let summary = build(&store, records, &|_| {}).context("building")?;
        let wall = started.elapsed().as_secs_f64();
        let cpu = (process_cpu() - cpu_before).as_secs_f64();
        let n = summary.documents as f64;
        println!(
            "| {run} | {} | {wall:.1} | {:.0} | {:.0} | {:.0} % of {cores} cores |",
            summary.documents,
            n / wall,
            cpu * 1e6 / n,
            100.0 * cpu / wall / cores as f64
        );
    }
    Ok(())
}
