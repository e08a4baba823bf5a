//! Tarjotin core library: everything the indexer, the search API and the benches share.
//!
//! # Layout
//! - [`model`]: organisations, activities, locations, schedules (import format v1).
//! - [`reference`]: municipalities, counties, postal areas and vocabularies compiled in from `data/`.
//! - [`validate`]: turns raw import lines into [`model::Record`]s or precise field errors.
//! - [`import`]: reads import files line by line, cross-record checks and the import report.
//! - [`analysis`]: Finnish-aware text analysis (normalisation, the morphological analyser, views).
//! - [`geo`]: validated points, distances, bounding boxes, grid cells.
//! - [`sources`]: adapters for PTV, Linked Events and spreadsheets; merging and provenance.
//! - [`schema`], [`index`], [`search`]: the tantivy schema, building/publishing and searching.
//!
//! Every tantivy call lives in this crate, so a tantivy upgrade touches one place.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod analysis;
pub mod defaults;
pub mod eval;
#[doc(hidden)]
pub mod fuzzing;
pub mod geo;
pub mod import;
pub mod index;
pub mod model;
pub mod reference;
pub mod schema;
pub mod search;
pub mod sources;
pub mod synth;
pub mod validate;
