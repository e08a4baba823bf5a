//! End-to-end test helpers live in tests/tests/e2e.rs.
