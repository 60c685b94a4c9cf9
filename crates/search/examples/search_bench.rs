//! Runs the search bench with its defaults (1,000,000 docs, cached under
//! /var/tmp/sightline-bench-search): `cargo run --release -p sightline-search --example
//! search_bench [--rebuild]
//! [--no-merge]`. The CLI's `sightline bench search` calls the same function.

use sightline_search::bench::{BenchOptions, run_search_bench};
use std::process::ExitCode;

fn main() -> ExitCode {
    let options = BenchOptions {
        rebuild: std::env::args().any(|arg| arg == "--rebuild"),
        merge_after_build: !std::env::args().any(|arg| arg == "--no-merge"),
        ..BenchOptions::default()
    };
    match run_search_bench(options) {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("search bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}
