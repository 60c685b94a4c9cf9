//! Storage tiers as separate blob stores: new blobs go to the hot tier; the lifecycle job moves
//! a key down ([`TieredBlobStore::move_to`]) as it ages; reads find a key in whichever tier holds
//! it, hottest first, so nothing that links to a blob (signed URLs, workers) needs to know.

use super::{BlobReader, BlobStore, PlacedBlob};
use crate::error::{Result, StoreError};
use crate::retention::StorageTier;
use async_trait::async_trait;
use sightline_core::range::ByteRange;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct TieredBlobStore {
    hot: Arc<dyn BlobStore>,
    warm: Arc<dyn BlobStore>,
    cold: Arc<dyn BlobStore>,
}

impl TieredBlobStore {
    pub fn new(
        hot: Arc<dyn BlobStore>,
        warm: Arc<dyn BlobStore>,
        cold: Arc<dyn BlobStore>,
    ) -> Self {
        Self { hot, warm, cold }
    }

    fn tier(&self, tier: StorageTier) -> &Arc<dyn BlobStore> {
        match tier {
            StorageTier::Hot => &self.hot,
            StorageTier::Warm => &self.warm,
            StorageTier::Cold => &self.cold,
        }
    }

    /// The tier holding `key`, hottest first.
    pub async fn tier_of(&self, key: &str) -> Result<Option<StorageTier>> {
        for tier in StorageTier::ALL {
            if self.tier(tier).size(key).await?.is_some() {
                return Ok(Some(tier));
            }
        }
        Ok(None)
    }

    /// Moves `key` into `to`: written there in full before it leaves where it was, so a crash
    /// in between leaves two copies, never none. Absent keys are not an error.
    pub async fn move_to(&self, key: &str, to: StorageTier, scratch: &Path) -> Result<()> {
        let Some(from) = self.tier_of(key).await? else {
            return Ok(());
        };
        if from == to {
            return Ok(());
        }
        tokio::fs::create_dir_all(scratch).await?;
        let temp: PathBuf = scratch.join(format!("tier-{}", uuid::Uuid::new_v4()));
        self.tier(from).download_to(key, &temp).await?;
        let put = self.tier(to).put_file(key, &temp).await;
        let _ = tokio::fs::remove_file(&temp).await;
        put?;
        self.tier(from).delete(key).await
    }

    async fn find(&self, key: &str) -> Result<&Arc<dyn BlobStore>> {
        match self.tier_of(key).await? {
            Some(tier) => Ok(self.tier(tier)),
            None => Err(StoreError::NotFound),
        }
    }
}

#[async_trait]
impl BlobStore for TieredBlobStore {
    async fn put_file(&self, key: &str, source: &Path) -> Result<u64> {
        self.hot.put_file(key, source).await
    }

    async fn place_file(&self, key: &str, source: &Path) -> Result<PlacedBlob> {
        self.hot.place_file(key, source).await
    }

    async fn put_bytes(&self, key: &str, bytes: bytes::Bytes) -> Result<()> {
        self.hot.put_bytes(key, bytes).await
    }

    async fn place_bytes(&self, key: &str, chunks: Vec<bytes::Bytes>) -> Result<PlacedBlob> {
        self.hot.place_bytes(key, chunks).await
    }

    /// New in every tier: the hot one creates it exclusively.
    async fn place_new_bytes(
        &self,
        key: &str,
        chunks: Vec<bytes::Bytes>,
    ) -> Result<Option<PlacedBlob>> {
        for tier in [StorageTier::Warm, StorageTier::Cold] {
            if self.tier(tier).size(key).await?.is_some() {
                return Ok(None);
            }
        }
        self.hot.place_new_bytes(key, chunks).await
    }

    /// Blobs are placed in the hot tier; the others only take them durably.
    async fn make_durable(&self, key: &str) -> Result<Option<u64>> {
        match self.hot.make_durable(key).await? {
            Some(size) => Ok(Some(size)),
            None => self.size(key).await,
        }
    }

    async fn size(&self, key: &str) -> Result<Option<u64>> {
        for tier in StorageTier::ALL {
            if let Some(size) = self.tier(tier).size(key).await? {
                return Ok(Some(size));
            }
        }
        Ok(None)
    }

    async fn open(&self, key: &str, range: Option<ByteRange>) -> Result<BlobReader> {
        self.find(key).await?.open(key, range).await
    }

    async fn download_to(&self, key: &str, dest: &Path) -> Result<()> {
        self.find(key).await?.download_to(key, dest).await
    }

    fn local_path(&self, key: &str) -> Option<PathBuf> {
        // Only where the file really is: a hot path for a moved blob would point at nothing.
        StorageTier::ALL
            .into_iter()
            .filter_map(|t| self.tier(t).local_path(key))
            .find(|p| p.exists())
    }

    async fn delete(&self, key: &str) -> Result<()> {
        for tier in StorageTier::ALL {
            self.tier(tier).delete(key).await?;
        }
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        for tier in StorageTier::ALL {
            self.tier(tier).delete_prefix(prefix).await?;
        }
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        for tier in StorageTier::ALL {
            keys.extend(self.tier(tier).list(prefix).await?);
        }
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::MemoryBlobStore;

    fn tiers() -> (TieredBlobStore, [Arc<dyn BlobStore>; 3]) {
        let stores: [Arc<dyn BlobStore>; 3] = [
            Arc::new(MemoryBlobStore::default()),
            Arc::new(MemoryBlobStore::default()),
            Arc::new(MemoryBlobStore::default()),
        ];
        let [hot, warm, cold] = stores.clone();
        (TieredBlobStore::new(hot, warm, cold), stores)
    }

    #[tokio::test]
    async fn a_moved_blob_reads_the_same_from_its_new_tier() {
        let (tiered, [hot, warm, cold]) = tiers();
        let scratch = tempfile::tempdir().unwrap();
        let key = format!(
            "raw/{}/2026/01/02/clip.mp4",
            sightline_core::UserId::new_random()
        );
        tiered
            .put_bytes(&key, bytes::Bytes::from_static(b"clip bytes"))
            .await
            .unwrap();
        assert_eq!(tiered.tier_of(&key).await.unwrap(), Some(StorageTier::Hot));
        tiered
            .move_to(&key, StorageTier::Warm, scratch.path())
            .await
            .unwrap();
        assert_eq!(hot.size(&key).await.unwrap(), None);
        assert_eq!(warm.size(&key).await.unwrap(), Some(10));
        assert_eq!(tiered.size(&key).await.unwrap(), Some(10));
        let copy = scratch.path().join("copy");
        tiered.download_to(&key, &copy).await.unwrap();
        assert_eq!(std::fs::read(&copy).unwrap(), b"clip bytes");
        tiered
            .move_to(&key, StorageTier::Cold, scratch.path())
            .await
            .unwrap();
        assert_eq!(cold.size(&key).await.unwrap(), Some(10));
        let again = vec![bytes::Bytes::from_static(b"other")];
        assert!(
            tiered.place_new_bytes(&key, again).await.unwrap().is_none(),
            "a key held by a colder tier is not new"
        );
        assert_eq!(hot.size(&key).await.unwrap(), None);
        assert_eq!(tiered.list("raw/").await.unwrap(), vec![key.clone()]);
        tiered.delete(&key).await.unwrap();
        assert_eq!(tiered.size(&key).await.unwrap(), None);
        assert!(matches!(
            tiered.download_to(&key, &copy).await,
            Err(StoreError::NotFound)
        ));
        // Moving what is not there is nothing to do.
        tiered
            .move_to(&key, StorageTier::Warm, scratch.path())
            .await
            .unwrap();
    }
}
