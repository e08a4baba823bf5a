//! Times full builds of synthetic records into a temporary directory and prints the rate with the
//! CPU the process used during each build, so a slow run can be told from a busy machine.
//!
//! `cargo run --release -p tarjotin-benches --bin build_throughput -- 1000000 [RUNS]`

use anyhow::Context;
use tarjotin_benches::build_synthetic;

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
        let dir = tempfile::tempdir().context("a temporary directory")?;
        let b = build_synthetic(dir.path(), docs);
        let wall = b.wall.as_secs_f64();
        let cpu = b.cpu.as_secs_f64();
        let n = b.summary.documents as f64;
        println!(
            "| {run} | {} | {wall:.1} | {:.0} | {:.0} | {:.0} % of {cores} cores |",
            b.summary.documents,
            n / wall,
            cpu * 1e6 / n,
            100.0 * cpu / wall / cores as f64
        );
    }
    Ok(())
}
