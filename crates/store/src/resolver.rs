//! Config URIs → implementations. The only place that knows which backends exist.

use crate::error::{Result, StoreError};
use crate::memory::MemoryStore;
use crate::sqlite::SqliteStore;
use crate::{
    BlobStore, DoorbellEventStore, EventBus, LibraryStore, MetadataStore, NotificationStore,
    RetentionStore, SyncStore, blob,
};
use std::sync::Arc;

#[derive(Clone)]
pub struct Backends {
    pub metadata: Arc<dyn MetadataStore>,
    pub library: Arc<dyn LibraryStore>,
    pub sync: Arc<dyn SyncStore>,
    pub doorbell_events: Arc<dyn DoorbellEventStore>,
    pub notifications: Arc<dyn NotificationStore>,
    pub retention: Arc<dyn RetentionStore>,
    pub bus: Arc<dyn EventBus>,
    pub blobs: Arc<dyn BlobStore>,
}

/// `metadata`: `sqlite://PATH` or `memory://`; `blobs`: `file://PATH` or `memory://`.
/// The event bus is the metadata database's outbox.
pub async fn resolve(metadata: &str, blobs: &str) -> Result<Backends> {
    let stores = if metadata.starts_with("sqlite:") {
        Stores::of(SqliteStore::open(metadata).await?)
    } else if metadata == "memory://" {
        Stores::of(MemoryStore::default())
    } else {
        return Err(StoreError::UnsupportedUri(metadata.to_string()));
    };
    let blobs = resolve_blobs(blobs)?;
    Ok(Backends {
        metadata: stores.metadata,
        library: stores.library,
        sync: stores.sync,
        doorbell_events: stores.doorbell_events,
        notifications: stores.notifications,
        retention: stores.retention,
        bus: stores.bus,
        blobs,
    })
}

/// A blob store from its URI: `file://PATH` or `memory://` (also for storage tiers and the
/// off-site copy).
pub fn resolve_blobs(uri: &str) -> Result<Arc<dyn BlobStore>> {
    if let Some(path) = uri.strip_prefix("file://") {
        Ok(Arc::new(blob::LocalFsBlobStore::new(path)?))
    } else if uri == "memory://" {
        Ok(Arc::new(blob::MemoryBlobStore::default()))
    } else {
        Err(StoreError::UnsupportedUri(uri.to_string()))
    }
}

/// The traits one metadata backend serves.
struct Stores {
    metadata: Arc<dyn MetadataStore>,
    library: Arc<dyn LibraryStore>,
    sync: Arc<dyn SyncStore>,
    doorbell_events: Arc<dyn DoorbellEventStore>,
    notifications: Arc<dyn NotificationStore>,
    retention: Arc<dyn RetentionStore>,
    bus: Arc<dyn EventBus>,
}

impl Stores {
    fn of<
        S: MetadataStore
            + LibraryStore
            + SyncStore
            + DoorbellEventStore
            + NotificationStore
            + RetentionStore
            + EventBus,
    >(
        store: S,
    ) -> Self {
        let store = Arc::new(store);
        Self {
            metadata: store.clone(),
            library: store.clone(),
            sync: store.clone(),
            doorbell_events: store.clone(),
            notifications: store.clone(),
            retention: store.clone(),
            bus: store,
        }
    }
}
