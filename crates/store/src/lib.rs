//! Backend traits and their implementations, side by side: metadata (the write model), blobs and
//! the event bus. [`resolve`] turns config URIs into implementations; nothing else knows which
//! backend runs.

pub mod blob;
pub mod bus;
pub mod doorbell_events;
mod error;
pub mod library;
pub mod memory;
pub mod metadata;
pub mod model;
pub mod notifications;
mod resolver;
pub mod retention;
pub mod sqlite;
pub mod sync;
pub mod testsuite;

pub use blob::BlobStore;
pub use bus::EventBus;
pub use doorbell_events::DoorbellEventStore;
pub use error::StoreError;
pub use library::LibraryStore;
pub use metadata::MetadataStore;
pub use notifications::NotificationStore;
pub use resolver::{Backends, resolve, resolve_blobs};
pub use retention::RetentionStore;
pub use sync::SyncStore;
