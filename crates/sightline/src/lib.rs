//! The `sightline` command: a thin shell over the server, the upload client and the samples.

pub mod bench;
pub mod demo;
pub mod samples;
pub mod session;
