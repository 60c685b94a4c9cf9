//! Domain types and pure rules of Sightline. Nothing in this crate performs I/O.

pub mod backoff;
pub mod blob_key;
pub mod coco;
pub mod command;
pub mod doorbell_event;
pub mod event;
pub mod geo;
pub mod ids;
pub mod media;
pub mod memory;
pub mod motion;
pub mod night;
pub mod power;
pub mod query;
pub mod range;
pub mod recording;
pub mod settings;
pub mod sync;
pub mod tus;

pub use ids::{DeviceId, MediaId, MemoryId, PersonId, PlaceId, UploadId, UserId};
