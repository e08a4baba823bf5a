//! Criterion benches: build throughput and each query class over a synthetic index.
//!
//! `cargo bench -p tarjotin-benches --bench engine` (size: TARJOTIN_BENCH_DOCS, default 100000).
//! The p50/p99 table of BENCHMARKS.md comes from `--bin latency`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tarjotin_benches::{SEED, bench_index, query_classes, run_one};
use tarjotin_core::index::{IndexStore, build};
use tarjotin_core::synth::Generator;

fn docs() -> usize {
    std::env::var("TARJOTIN_BENCH_DOCS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn build_throughput(c: &mut Criterion) {
    let n = 20_000;
    let records = Generator::new(SEED).records(n);
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter_with_setup(
            || (tempfile::tempdir().expect("tempdir"), records.clone()),
            |(dir, recs)| {
                let store = IndexStore::open(dir.path()).expect("store");
                black_box(build(&store, recs, &|_| {}).expect("build"));
            },
        )
    });
    g.finish();
}

fn queries(c: &mut Criterion) {
    let n = docs();
    let (engine, _) = bench_index(n);
    let mut g = c.benchmark_group(format!("query-{n}"));
    for class in query_classes() {
        let mut i = 0usize;
        g.bench_function(class.name, |b| {
            b.iter(|| {
                i += 1;
                black_box(run_one(&engine, &class, i))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, build_throughput, queries);
criterion_main!(benches);
