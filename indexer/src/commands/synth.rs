//! `indexer synth` (hidden): synthetic NDJSON for load and crash tests.

use std::io::{BufWriter, Write};

use tarjotin_core::model::{Delete, Record, RecordType};
use tarjotin_core::synth::Generator;

use crate::cli::SynthArgs;
use crate::commands::OK;
use crate::error::{Result, io};

pub fn run(args: &SynthArgs) -> Result<u8> {
    let file = std::fs::File::create(&args.out).map_err(io(&args.out))?;
    let mut out = BufWriter::new(file);
    let mut deletes = 0;
    for r in Generator::new(args.seed).records(args.records) {
        let r = match r {
            Record::Organisation(o) if args.changes && deletes < 20 => {
                deletes += 1;
                Record::Delete(Delete {
                    id: o.common.id,
                    of: RecordType::Organisation,
                })
            }
            Record::Activity(_) if args.changes => continue,
            r => r,
        };
        serde_json::to_writer(&mut out, &r)?;
        out.write_all(b"\n").map_err(io(&args.out))?;
    }
    out.flush().map_err(io(&args.out))?;
    Ok(OK)
}
