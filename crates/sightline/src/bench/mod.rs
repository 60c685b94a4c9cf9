//! `sightline bench …`: measurements that back the numbers in docs/benchmarks.md.

pub mod agent;
mod cpu;
pub mod doorbell;
mod ingest;
pub mod memory;
mod memory_cache;
pub mod motion;
pub mod notify;
mod voice;

pub use ingest::{IngestBench, Row, ingest, print_table};
