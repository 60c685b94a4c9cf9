//! Blobs in memory, for fast unit tests.

use super::{BlobReader, BlobStore, PlacedBlob, checked, checked_prefix};
use crate::error::{Result, StoreError};
use async_trait::async_trait;
use bytes::Bytes;
use sightline_core::range::ByteRange;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct MemoryBlobStore {
    blobs: Mutex<BTreeMap<String, Bytes>>,
}

impl MemoryBlobStore {
    fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let key = checked(key)?;
        Ok(self.blobs.lock().map_err(|_| poisoned())?.get(key).cloned())
    }

    /// Inserts unless the key holds something; whether it did.
    fn insert_new(&self, key: &str, bytes: Bytes) -> Result<bool> {
        let key = checked(key)?;
        let mut blobs = self.blobs.lock().map_err(|_| poisoned())?;
        if blobs.contains_key(key) {
            return Ok(false);
        }
        blobs.insert(key.to_string(), bytes);
        Ok(true)
    }

    fn insert(&self, key: &str, bytes: Bytes) -> Result<()> {
        let key = checked(key)?.to_string();
        self.blobs
            .lock()
            .map_err(|_| poisoned())?
            .insert(key, bytes);
        Ok(())
    }
}

fn poisoned() -> StoreError {
    StoreError::Io(std::io::Error::other("memory blob store lock poisoned"))
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn put_file(&self, key: &str, source: &Path) -> Result<u64> {
        let bytes = tokio::fs::read(source).await?;
        let size = bytes.len() as u64;
        self.insert(key, bytes.into())?;
        tokio::fs::remove_file(source).await?;
        Ok(size)
    }

    async fn put_bytes(&self, key: &str, bytes: Bytes) -> Result<()> {
        self.insert(key, bytes)
    }

    async fn place_new_bytes(&self, key: &str, chunks: Vec<Bytes>) -> Result<Option<PlacedBlob>> {
        let bytes: Bytes = chunks.concat().into();
        let size = bytes.len() as u64;
        Ok(self
            .insert_new(key, bytes)?
            .then(|| PlacedBlob::durable(size)))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>> {
        Ok(self.get(key)?.map(|b| b.len() as u64))
    }

    async fn open(&self, key: &str, range: Option<ByteRange>) -> Result<BlobReader> {
        let bytes = self.get(key)?.ok_or(StoreError::NotFound)?;
        let slice = match range {
            None => bytes,
            Some(r) => {
                let end = (r.end as usize + 1).min(bytes.len());
                bytes.slice((r.start as usize).min(end)..end)
            }
        };
        Ok(Box::pin(std::io::Cursor::new(slice)))
    }

    async fn download_to(&self, key: &str, dest: &Path) -> Result<()> {
        let bytes = self.get(key)?.ok_or(StoreError::NotFound)?;
        tokio::fs::write(dest, &bytes).await?;
        Ok(())
    }

    fn local_path(&self, _key: &str) -> Option<PathBuf> {
        None
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let key = checked(key)?;
        self.blobs.lock().map_err(|_| poisoned())?.remove(key);
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        let prefix = checked_prefix(prefix)?;
        self.blobs
            .lock()
            .map_err(|_| poisoned())?
            .retain(|k, _| !k.starts_with(prefix));
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let prefix = checked_prefix(prefix)?;
        Ok(self
            .blobs
            .lock()
            .map_err(|_| poisoned())?
            .keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}
