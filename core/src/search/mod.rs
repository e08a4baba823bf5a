//! Searching a published index.

mod any_term;
mod collectors;
mod conjunction;
pub mod engine;
mod explain_safe;
pub mod highlight;
pub mod prune;
pub mod query;
pub mod types;

pub use engine::{ActivityDetail, Engine, EngineError, OrganisationDetail, SearchError};
pub use types::*;
