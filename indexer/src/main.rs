//! `indexer`: validate import files and build, update and inspect the search index.
//!
//! The binary is thin: every rule lives in `tarjotin-core`; the modules here parse arguments,
//! read files, print reports and map outcomes to exit codes.

mod cli;
mod commands;
mod error;
mod http;
mod input;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, LogFormat};

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TARJOTIN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

fn run(cli: &Cli) -> error::Result<u8> {
    match &cli.command {
        Command::Validate(a) => commands::validate::run(a),
        Command::Build(a) => commands::build::run(a),
        Command::Apply(a) => commands::apply::run(a),
        Command::Import(a) => commands::import::run(a),
        Command::Sync(c) => commands::sync::run(c),
        Command::Stats(a) => commands::stats::run(a),
        Command::Search(a) => commands::search::run(a),
        Command::Synth(a) => commands::synth::run(a),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match run(&cli).map_err(anyhow::Error::from) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "failed");
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
