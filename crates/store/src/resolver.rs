//! Config URIs → implementations. The only place that knows which backends exist.

use crate::error::{Result, StoreError};
use crate::memory::MemoryStore;
use crate::sqlite::SqliteStore;
use crate::{BlobStore, EventBus, LibraryStore, MetadataStore, blob};
use std::sync::Arc;

#[derive(Clone)]
pub struct Backends {
    pub metadata: Arc<dyn MetadataStore>,
    pub library: Arc<dyn LibraryStore>,
    pub bus: Arc<dyn EventBus>,
    pub blobs: Arc<dyn BlobStore>,
}

/// `metadata`: `sqlite://PATH` or `memory://`; `blobs`: `file://PATH` or `memory://`.
/// The event bus is the metadata database's outbox.
pub async fn resolve(metadata: &str, blobs: &str) -> Result<Backends> {
    let (metadata, library, bus): (
        Arc<dyn MetadataStore>,
        Arc<dyn LibraryStore>,
        Arc<dyn EventBus>,
    ) = if metadata.starts_with("sqlite:") {
        let store = Arc::new(SqliteStore::open(metadata).await?);
        (store.clone(), store.clone(), store)
    } else if metadata == "memory://" {
        let store = Arc::new(MemoryStore::default());
        (store.clone(), store.clone(), store)
    } else {
        return Err(StoreError::UnsupportedUri(metadata.to_string()));
    };
    let blobs: Arc<dyn BlobStore> = if let Some(path) = blobs.strip_prefix("file://") {
        Arc::new(blob::LocalFsBlobStore::new(path)?)
    } else if blobs == "memory://" {
        Arc::new(blob::MemoryBlobStore::default())
    } else {
        return Err(StoreError::UnsupportedUri(blobs.to_string()));
    };
    Ok(Backends {
        metadata,
        library,
        bus,
        blobs,
    })
}
