//! The `sightline` command: a thin shell over the server, the device agent, the upload client
//! and the samples.

pub mod agent_cli;
pub mod bench;
pub mod demo;
pub mod samples;
pub mod session;
