//! One module per subcommand. Each returns the process exit code on success (0, or 1 when the
//! error threshold was exceeded); failures are [`crate::error::Error`]s.

pub mod apply;
pub mod build;
pub mod import;
pub mod search;
pub mod stats;
pub mod sync;
pub mod synth;
pub mod validate;

/// Exit code: done.
pub const OK: u8 = 0;
/// Exit code: more errors than `--max-errors`; nothing was changed.
pub const TOO_MANY_ERRORS: u8 = 1;

/// Records per second, for summaries.
pub fn rate(count: u64, elapsed: std::time::Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { count as f64 / secs } else { 0.0 }
}
