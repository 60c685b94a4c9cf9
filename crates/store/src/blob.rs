//! Blob storage for originals and derived files. Keys are validated by
//! [`sightline_core::blob_key::is_valid_key`] before any implementation sees them.

pub mod direct;
mod local_fs;
mod memory;
mod tiered;

pub use local_fs::LocalFsBlobStore;
pub use memory::MemoryBlobStore;
pub use tiered::TieredBlobStore;

use crate::error::{Result, StoreError};
use async_trait::async_trait;
use sightline_core::range::ByteRange;
use std::path::Path;
use std::pin::Pin;
use tokio::io::AsyncRead;

pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Moves a finished local file into the store, durably, before returning its size.
    /// The source file is consumed.
    async fn put_file(&self, key: &str, source: &Path) -> Result<u64>;
    /// Like [`BlobStore::put_file`], but returns as soon as the blob is readable at `key`, its
    /// durability still pending in the returned handle, so that a caller can overlap the sync
    /// with other durable work (the media commit). A crash before the handle resolves may lose
    /// the blob. Stores whose writes are durable when they return need not override this.
    async fn place_file(&self, key: &str, source: &Path) -> Result<PlacedBlob> {
        Ok(PlacedBlob::durable(self.put_file(key, source).await?))
    }
    async fn put_bytes(&self, key: &str, bytes: bytes::Bytes) -> Result<()>;
    /// [`BlobStore::place_file`] for bytes in memory (a small upload taken whole, as the
    /// frames it arrived in).
    async fn place_bytes(&self, key: &str, chunks: Vec<bytes::Bytes>) -> Result<PlacedBlob> {
        let bytes: bytes::Bytes = chunks.concat().into();
        let size = bytes.len() as u64;
        self.put_bytes(key, bytes).await?;
        Ok(PlacedBlob::durable(size))
    }
    /// [`BlobStore::place_bytes`] only when nothing is stored under `key`; `None`, and
    /// nothing written, when something is. Lets a caller write a new item's blob before it
    /// knows the item is new without ever overwriting another item's.
    async fn place_new_bytes(
        &self,
        key: &str,
        chunks: Vec<bytes::Bytes>,
    ) -> Result<Option<PlacedBlob>>;
    /// Makes a blob that is already at `key` durable (placed by an attempt that crashed before
    /// its sync); returns its size, or `None` when absent. Stores whose writes are durable when
    /// they return need not override this.
    async fn make_durable(&self, key: &str) -> Result<Option<u64>> {
        self.size(key).await
    }
    /// Size in bytes, or `None` when absent.
    async fn size(&self, key: &str) -> Result<Option<u64>>;
    /// Reads the whole blob or one byte range of it; `NotFound` when absent.
    async fn open(&self, key: &str, range: Option<ByteRange>) -> Result<BlobReader>;
    /// Copies the blob to a local file (tools like ffmpeg need a path).
    async fn download_to(&self, key: &str, dest: &Path) -> Result<()>;
    /// A path where the blob can be read in place, when the store is a local disk.
    fn local_path(&self, key: &str) -> Option<std::path::PathBuf>;
    /// Absent keys are not an error.
    async fn delete(&self, key: &str) -> Result<()>;
    async fn delete_prefix(&self, prefix: &str) -> Result<()>;
    /// Every key under a prefix (for tests and for the orphan sweep).
    async fn list(&self, prefix: &str) -> Result<Vec<String>>;
}

/// A blob in place at its key whose bytes may still be on their way to disk.
#[must_use = "a placed blob is not durable until `synced` returns"]
pub struct PlacedBlob {
    size: u64,
    sync: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl PlacedBlob {
    pub fn durable(size: u64) -> Self {
        Self { size, sync: None }
    }

    pub(crate) fn syncing(size: u64, sync: tokio::task::JoinHandle<std::io::Result<()>>) -> Self {
        Self {
            size,
            sync: Some(sync),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Waits until the blob is durable; returns its size.
    pub async fn synced(self) -> Result<u64> {
        if let Some(sync) = self.sync {
            sync.await.map_err(std::io::Error::other)??;
        }
        Ok(self.size)
    }
}

pub(crate) fn checked(key: &str) -> Result<&str> {
    if sightline_core::blob_key::is_valid_key(key) {
        Ok(key)
    } else {
        Err(StoreError::InvalidKey(key.chars().take(200).collect()))
    }
}

pub(crate) fn checked_prefix(prefix: &str) -> Result<&str> {
    let trimmed = prefix.trim_end_matches('/');
    checked(trimmed).map(|_| prefix)
}
