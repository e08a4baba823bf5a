//! Searching a published index.

pub mod types;

pub use types::*;
