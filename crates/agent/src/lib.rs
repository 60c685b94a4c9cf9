//! The device agent that runs on glasses and doorbells: it captures photos and videos, takes
//! spoken and typed commands, keeps every capture in a local store until the server has it,
//! and spends the battery carefully. It must lose nothing when killed or when power drops.

pub mod camera;
pub mod capture;
pub mod control;
pub mod doorbell;
pub mod files;
pub mod live;
pub mod location;
pub mod microphone;
pub mod photo;
pub mod power;
mod process;
pub mod queue;
pub mod recorder;
pub mod runtime;
pub mod speaker;
pub mod storage;
pub mod store;
pub mod sync;
pub mod telemetry;

pub use runtime::{Agent, AgentConfig, AgentError, CommandOutcome, Profile, Status};
