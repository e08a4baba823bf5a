//! `indexer validate FILE...`

use crate::cli::ValidateArgs;
use crate::commands::{OK, TOO_MANY_ERRORS};
use crate::error::Result;
use crate::input::{existing_organisations, has_organisation, load, print_report};

pub fn run(args: &ValidateArgs) -> Result<u8> {
    let engine = existing_organisations(args.existing_index.as_deref())?;
    if let (Some(dir), None) = (&args.existing_index, &engine) {
        tracing::warn!(dir = %dir.display(), "no published index there; organisation ids are checked against the input only");
    }
    let loaded = load(&args.input, &args.report, |id| {
        has_organisation(engine.as_ref(), id)
    })?;
    let exceeded = print_report(&loaded.report, &args.report)?;
    Ok(if exceeded { TOO_MANY_ERRORS } else { OK })
}
