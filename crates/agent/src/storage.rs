//! Local storage: a quota for captures, room made by deleting captures the server already has
//! (oldest first), and a refusal — never a deletion — when what fills the quota is unsynced.

use crate::store::{AgentStore, CaptureState, StoreError, Usage};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub const DEFAULT_QUOTA_BYTES: u64 = 32 * 1024 * 1024 * 1024;
/// Left free on the filesystem whatever the quota says: the OS and the database need it.
pub const DISK_RESERVE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error(
        "storage full: {unsynced_count} captures ({}) are waiting to upload and fill the {} quota; \
         nothing was deleted — connect to the network so they can upload, then try again",
        human_bytes(*unsynced_bytes), human_bytes(*quota)
    )]
    FullOfUnsynced {
        unsynced_bytes: u64,
        unsynced_count: u64,
        quota: u64,
    },
    #[error(
        "disk full: {} free, {} needed; nothing was deleted",
        human_bytes(*free), human_bytes(*needed)
    )]
    DiskFull { free: u64, needed: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("local storage: {0}")]
    Io(#[from] std::io::Error),
}

pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[derive(Clone)]
pub struct Storage {
    store: AgentStore,
    media_dir: PathBuf,
    /// Shared by every clone: the owner may change it while the agent runs.
    quota: Arc<AtomicU64>,
}

/// What making room did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Evicted {
    pub count: u64,
    pub bytes: u64,
}

impl Storage {
    pub fn new(store: AgentStore, media_dir: PathBuf, quota: u64) -> Self {
        Self {
            store,
            media_dir,
            quota: Arc::new(AtomicU64::new(quota)),
        }
    }

    pub fn media_dir(&self) -> &Path {
        &self.media_dir
    }

    pub fn quota(&self) -> u64 {
        self.quota.load(Ordering::Relaxed)
    }

    pub fn set_quota(&self, quota: u64) {
        self.quota.store(quota, Ordering::Relaxed);
    }

    pub async fn usage(&self) -> Result<Usage, StorageError> {
        Ok(self.store.usage().await?)
    }

    /// Makes room for `needed` more bytes: evicts synced captures, oldest first, until the
    /// quota allows it; refuses when unsynced captures alone leave no room, or the disk is full.
    pub async fn make_room(&self, needed: u64) -> Result<Evicted, StorageError> {
        let mut evicted = Evicted::default();
        loop {
            let usage = self.store.usage().await?;
            let used = usage.unsynced_bytes + usage.synced_bytes;
            if used + needed <= self.quota() {
                break;
            }
            if usage.unsynced_bytes + needed > self.quota() || usage.synced_count == 0 {
                return Err(StorageError::FullOfUnsynced {
                    unsynced_bytes: usage.unsynced_bytes,
                    unsynced_count: usage.unsynced_count,
                    quota: self.quota(),
                });
            }
            for capture in self.store.evictable(16).await? {
                debug_assert_eq!(capture.state, CaptureState::Uploaded);
                match tokio::fs::remove_file(self.media_dir.join(&capture.file_name)).await {
                    Ok(()) => {}
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => return Err(err.into()),
                }
                self.store.mark_evicted(capture.media_id).await?;
                evicted.count += 1;
                evicted.bytes += capture.bytes;
                if used - evicted.bytes + needed <= self.quota() {
                    break;
                }
            }
        }
        let free = free_bytes(&self.media_dir)?;
        if free < needed + DISK_RESERVE_BYTES {
            return Err(StorageError::DiskFull { free, needed });
        }
        if evicted.count > 0 {
            tracing::info!(
                count = evicted.count,
                bytes = evicted.bytes,
                "deleted uploaded captures to make room"
            );
        }
        Ok(evicted)
    }
}

/// Bytes an unprivileged process may still write on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to writable memory
    // of the right type; statvfs fills it completely when it returns 0.
    let stat = unsafe {
        if libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        stat.assume_init()
    };
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewCapture, Priority};
    use chrono::{TimeZone, Utc};
    use sightline_core::MediaId;
    use sightline_core::media::MediaKind;

    async fn add(store: &AgentStore, dir: &Path, at: i64, bytes: u64, uploaded: bool) -> MediaId {
        let media_id = MediaId::new_random();
        let file_name = format!("{media_id}.jpg");
        std::fs::write(dir.join(&file_name), vec![0u8; bytes as usize]).unwrap();
        store
            .begin_capture(&NewCapture {
                media_id,
                kind: MediaKind::Photo,
                file_name,
                captured_at: Utc.timestamp_millis_opt(at).unwrap(),
                location: None,
                priority: Priority::UserRequested,
            })
            .await
            .unwrap();
        store.finish_capture(media_id, bytes, "x").await.unwrap();
        if uploaded {
            store.mark_uploaded(media_id, Utc::now()).await.unwrap();
        }
        media_id
    }

    #[tokio::test]
    async fn evicts_synced_oldest_first_and_never_unsynced() {
        let dir = tempfile::tempdir().unwrap();
        let store = AgentStore::open(&dir.path().join("agent.db"))
            .await
            .unwrap();
        let media = dir.path().join("media");
        std::fs::create_dir(&media).unwrap();
        let storage = Storage::new(store.clone(), media.clone(), 1000);
        let old_synced = add(&store, &media, 1, 300, true).await;
        let new_synced = add(&store, &media, 2, 300, true).await;
        let unsynced = add(&store, &media, 3, 300, false).await;

        // 900 used: room for 100 without deleting anything.
        assert_eq!(storage.make_room(100).await.unwrap(), Evicted::default());
        // 200 more needs the oldest synced capture gone, and only that one.
        let evicted = storage.make_room(200).await.unwrap();
        assert_eq!((evicted.count, evicted.bytes), (1, 300));
        let state = |id| {
            let store = store.clone();
            async move { store.get(id).await.unwrap().unwrap().state }
        };
        assert_eq!(state(old_synced).await, CaptureState::Evicted);
        assert_eq!(state(new_synced).await, CaptureState::Uploaded);
        assert!(!media.join(format!("{old_synced}.jpg")).exists());

        // More than the unsynced capture leaves room for: refused, with nothing unsynced lost.
        let err = storage.make_room(800).await.unwrap_err();
        assert!(err.to_string().contains("waiting to upload"), "{err}");
        assert_eq!(state(unsynced).await, CaptureState::Pending);
        assert!(media.join(format!("{unsynced}.jpg")).exists());
    }

    #[test]
    fn prints_sizes_for_people() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(32_000_000_000), "32.0 GB");
    }
}
