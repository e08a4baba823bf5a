//! Benchmark support: see benches/ and BENCHMARKS.md.
