//! `indexer`: validate import files and build, update and inspect the search index.
fn main() -> anyhow::Result<()> {
    Ok(())
}
