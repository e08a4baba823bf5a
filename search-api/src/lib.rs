//! Tarjotin search API: an axum router over the core engine.
