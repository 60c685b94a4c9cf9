//! Blobs as files under one root directory. Writes are durable before they return: the file is
//! renamed into place, then its data and the directory entry are fsynced. `place_file` returns
//! after the rename and leaves the syncs to its handle.

use super::{BlobReader, BlobStore, PlacedBlob, checked, checked_prefix};
use crate::error::{Result, StoreError};
use async_trait::async_trait;
use sightline_core::range::ByteRange;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

#[derive(Debug, Clone)]
pub struct LocalFsBlobStore {
    root: PathBuf,
}

impl LocalFsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        Ok(self.root.join(checked(key)?))
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Moves `source` to `dest` (readable at once, not yet durable); returns its size.
fn move_into_place(source: &Path, dest: &Path) -> std::io::Result<u64> {
    let parent = dest
        .parent()
        .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
    std::fs::create_dir_all(parent)?;
    match std::fs::rename(source, dest) {
        Ok(()) => {}
        // Different filesystem: copy to a temporary name beside the destination, then rename.
        Err(e) if e.kind() == ErrorKind::CrossesDevices => {
            let tmp = dest.with_extension("incoming");
            std::fs::copy(source, &tmp)?;
            std::fs::rename(&tmp, dest)?;
            std::fs::remove_file(source)?;
        }
        Err(e) => return Err(e),
    }
    Ok(std::fs::metadata(dest)?.len())
}

/// Makes a placed file's data and its directory entry durable.
fn sync_placed(dest: &Path) -> std::io::Result<()> {
    let parent = dest
        .parent()
        .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
    let file = std::fs::File::open(dest)?;
    // Syncing the data and the directory at once lets the filesystem cover both with one
    // journal commit instead of two in a row.
    std::thread::scope(|scope| {
        let dir = scope.spawn(|| sync_dir(parent));
        let data = file.sync_data();
        let dir = dir
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("directory sync panicked")));
        data.and(dir)
    })
}

fn place_file(source: &Path, dest: &Path) -> std::io::Result<u64> {
    let size = move_into_place(source, dest)?;
    sync_placed(dest)?;
    Ok(size)
}

#[async_trait]
impl BlobStore for LocalFsBlobStore {
    async fn put_file(&self, key: &str, source: &Path) -> Result<u64> {
        let dest = self.path(key)?;
        let source = source.to_path_buf();
        Ok(
            tokio::task::spawn_blocking(move || place_file(&source, &dest))
                .await
                .map_err(std::io::Error::other)??,
        )
    }

    async fn place_file(&self, key: &str, source: &Path) -> Result<PlacedBlob> {
        let dest = self.path(key)?;
        let source = source.to_path_buf();
        let placed = dest.clone();
        let size = tokio::task::spawn_blocking(move || move_into_place(&source, &placed))
            .await
            .map_err(std::io::Error::other)??;
        let sync = tokio::task::spawn_blocking(move || sync_placed(&dest));
        Ok(PlacedBlob::syncing(size, sync))
    }

    /// Written straight under its key: only a committed row makes a key visible, and a
    /// half-written file left by a crash is overwritten by the retry.
    async fn place_bytes(&self, key: &str, chunks: Vec<bytes::Bytes>) -> Result<PlacedBlob> {
        let dest = self.path(key)?;
        let placed = dest.clone();
        let size = chunks.iter().map(|c| c.len() as u64).sum();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let parent = placed
                .parent()
                .ok_or_else(|| std::io::Error::other("blob path has no parent"))?;
            std::fs::create_dir_all(parent)?;
            let mut file = std::fs::File::create(&placed)?;
            chunks
                .iter()
                .try_for_each(|chunk| std::io::Write::write_all(&mut file, chunk))
        })
        .await
        .map_err(std::io::Error::other)??;
        let sync = tokio::task::spawn_blocking(move || sync_placed(&dest));
        Ok(PlacedBlob::syncing(size, sync))
    }

    async fn put_bytes(&self, key: &str, bytes: bytes::Bytes) -> Result<()> {
        let dest = self.path(key)?;
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let parent = dest
                .parent()
                .ok_or_else(|| std::io::Error::other("no parent"))?;
            std::fs::create_dir_all(parent)?;
            let tmp = dest.with_extension("incoming");
            std::fs::write(&tmp, &bytes)?;
            place_file(&tmp, &dest).map(|_| ())
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(())
    }

    async fn size(&self, key: &str) -> Result<Option<u64>> {
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn open(&self, key: &str, range: Option<ByteRange>) -> Result<BlobReader> {
        let mut file = match tokio::fs::File::open(self.path(key)?).await {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(StoreError::NotFound),
            Err(e) => return Err(e.into()),
        };
        Ok(match range {
            None => Box::pin(file),
            Some(range) => {
                file.seek(SeekFrom::Start(range.start)).await?;
                Box::pin(file.take(range.len()))
            }
        })
    }

    async fn download_to(&self, key: &str, dest: &Path) -> Result<()> {
        match tokio::fs::copy(self.path(key)?, dest).await {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(StoreError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    fn local_path(&self, key: &str) -> Option<PathBuf> {
        self.path(key).ok()
    }

    async fn delete(&self, key: &str) -> Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<()> {
        let dir = self
            .root
            .join(checked_prefix(prefix)?.trim_end_matches('/'));
        match tokio::fs::remove_dir_all(&dir).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let root = self.root.clone();
        let start = root.join(checked_prefix(prefix)?.trim_end_matches('/'));
        tokio::task::spawn_blocking(move || {
            let mut keys = Vec::new();
            let mut stack = vec![start];
            while let Some(dir) = stack.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                for entry in entries {
                    let path = entry?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if let Ok(rel) = path.strip_prefix(&root) {
                        keys.push(rel.to_string_lossy().replace('\\', "/"));
                    }
                }
            }
            keys.sort();
            Ok(keys)
        })
        .await
        .map_err(std::io::Error::other)?
        .map_err(Into::into)
    }
}
