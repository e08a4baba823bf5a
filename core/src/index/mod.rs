//! Building, updating and publishing indexes.

pub mod builder;
pub mod document;
pub mod store;
mod stored_form;

pub use builder::{BuildError, BuildSummary, apply, build};
pub use document::StoredDoc;
pub use store::{Generation, GenerationMeta, IndexStore, StoreError};
