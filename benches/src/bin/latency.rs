//! Prints a latency table (p50/p99 per query class) and the build throughput at the sizes given.
//!
//! `cargo run --release -p tarjotin-benches --bin latency -- 100000 1000000`

use std::time::Instant;

use tarjotin_benches::{bench_index, percentile, query_classes, run_one};

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100_000]
    } else {
        sizes
    };
    let iterations: usize = std::env::var("TARJOTIN_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    // TARJOTIN_BENCH_CLASS=text runs only the class of that name (for profiling).
    let only = std::env::var("TARJOTIN_BENCH_CLASS").unwrap_or_default();
    println!("| docs | class | p50 | p99 | hits/query |");
    println!("|---:|---|---:|---:|---:|");
    for docs in sizes {
        let (engine, built) = bench_index(docs);
        if let Some(b) = built {
            eprintln!(
                "built {} docs in {:.1} s: {:.0} docs/s",
                b.summary.documents,
                b.wall.as_secs_f64(),
                b.summary.documents as f64 / b.wall.as_secs_f64()
            );
        }
        for class in query_classes()
            .into_iter()
            .filter(|c| only.is_empty() || c.name == only)
        {
            // Warm up, then measure each request separately.
            for i in 0..50 {
                run_one(&engine, &class, i);
            }
            let mut times = Vec::with_capacity(iterations);
            let mut hits = 0usize;
            for i in 0..iterations {
                let t = Instant::now();
                hits += run_one(&engine, &class, i);
                times.push(t.elapsed());
            }
            times.sort();
            println!(
                "| {docs} | {} | {:.3} ms | {:.3} ms | {:.1} |",
                class.name,
                percentile(&times, 50.0).as_secs_f64() * 1e3,
                percentile(&times, 99.0).as_secs_f64() * 1e3,
                hits as f64 / iterations as f64
            );
        }
    }
}
