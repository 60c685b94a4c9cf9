//! Blobs as files under one root directory. Writes are durable before they return: the file is
//! renamed into place, then its data and the directory entry are fsynced (new directories'
//! entries too). `place_file` returns after the rename and leaves the syncs to its handle.

use super::direct::Existing;
use super::{BlobReader, BlobStore, PlacedBlob, checked, checked_prefix};
use crate::error::{Result, StoreError};
use async_trait::async_trait;
use sightline_core::range::ByteRange;
use std::collections::HashMap;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

#[derive(Debug, Clone)]
pub struct LocalFsBlobStore {
    root: PathBuf,
    dir_syncs: Arc<DirSyncs>,
}

impl LocalFsBlobStore {
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(Self {
            root,
            dir_syncs: Arc::default(),
        })
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        Ok(self.root.join(checked(key)?))
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

fn parent_of(path: &Path) -> std::io::Result<&Path> {
    path.parent()
        .ok_or_else(|| std::io::Error::other("blob path has no parent"))
}

/// `create_dir_all` whose new directories are durable too: each one's entry in its parent is
/// synced, or a crash could lose a whole new day's directory with the files in it.
fn create_dirs(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    create_dirs(parent_of(dir)?)?;
    match std::fs::create_dir(dir) {
        Ok(()) => sync_dir(parent_of(dir)?),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Directory fsyncs shared by writers into the same directory: one that starts after a
/// writer's entry was made covers it, so under load one fsync serves many new files (each
/// fsync is a flush of the disk's cache, the scarce thing when many small files arrive).
#[derive(Debug, Default)]
struct DirSyncs {
    dirs: Mutex<HashMap<PathBuf, Arc<DirSync>>>,
}

#[derive(Debug, Default)]
struct DirSync {
    state: Mutex<DirSyncState>,
    finished: Condvar,
}

#[derive(Debug, Default)]
struct DirSyncState {
    /// Tickets handed out, in order; a ticket is taken after the writer's entry exists.
    issued: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    running: bool,
}

impl DirSyncs {
    /// Returns once `dir` was synced after this call began.
    fn sync(&self, dir: &Path) -> std::io::Result<()> {
        let gate = {
            let mut dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(dirs.entry(dir.to_owned()).or_default())
        };
        let result = gate.sync(dir, &sync_dir);
        let mut dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
        // Only the map and this caller hold it: nobody else is waiting on this directory.
        if Arc::strong_count(&gate) == 2 {
            dirs.remove(dir);
        }
        result
    }
}

impl DirSync {
    /// `fsync` is the sync itself (a parameter so that tests can watch it).
    fn sync(
        &self,
        dir: &Path,
        fsync: &dyn Fn(&Path) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.issued += 1;
        let ticket = state.issued;
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.running {
                state = self
                    .finished
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // Covers every ticket issued so far: their entries exist before the fsync starts.
            state.running = true;
            let covers = state.issued;
            drop(state);
            let result = fsync(dir);
            state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.running = false;
            if result.is_ok() {
                state.durable = state.durable.max(covers);
            }
            self.finished.notify_all();
            // A failed sync is this caller's error; the others waiting run their own.
            result?;
        }
    }
}

/// Moves `source` to `dest` (readable at once, not yet durable); returns its size.
fn move_into_place(source: &Path, dest: &Path) -> std::io::Result<u64> {
    create_dirs(parent_of(dest)?)?;
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

/// Makes a placed file's data and then its directory entry durable.
fn sync_placed(dir_syncs: &DirSyncs, file: &std::fs::File, dest: &Path) -> std::io::Result<()> {
    file.sync_data()?;
    dir_syncs.sync(parent_of(dest)?)
}

/// Creates `dest` with `chunks`, its directories included; not synced.
fn write_new(
    dest: &Path,
    chunks: &[bytes::Bytes],
    existing: Existing,
) -> std::io::Result<std::fs::File> {
    create_dirs(parent_of(dest)?)?;
    Ok(super::direct::create_with(dest, chunks, existing)?.0)
}

fn place_file(dir_syncs: &DirSyncs, source: &Path, dest: &Path) -> std::io::Result<u64> {
    let size = move_into_place(source, dest)?;
    sync_placed(dir_syncs, &std::fs::File::open(dest)?, dest)?;
    Ok(size)
}

/// Runs `place` (which makes the blob readable at `dest`) and then the blob's syncs on one
/// blocking thread, and returns as soon as it is placed: the caller commits its row while the
/// same thread waits on the disk (a second task would cost another hand-off per upload).
async fn place_then_sync(
    dir_syncs: Arc<DirSyncs>,
    dest: PathBuf,
    place: impl FnOnce(&Path) -> std::io::Result<(std::fs::File, u64)> + Send + 'static,
) -> Result<PlacedBlob> {
    let (placed_tx, placed) = tokio::sync::oneshot::channel();
    let sync = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let file = match place(&dest) {
            Ok((file, size)) => {
                let _ = placed_tx.send(Ok(size));
                file
            }
            Err(e) => {
                let _ = placed_tx.send(Err(e));
                return Ok(()); // the caller has the error
            }
        };
        sync_placed(&dir_syncs, &file, &dest)
    });
    let size = placed
        .await
        .map_err(|_| std::io::Error::other("the blob writer stopped"))??;
    Ok(PlacedBlob::syncing(size, sync))
}

impl LocalFsBlobStore {
    async fn place_chunks(
        &self,
        key: &str,
        chunks: Vec<bytes::Bytes>,
        existing: Existing,
    ) -> Result<PlacedBlob> {
        let size = chunks.iter().map(|c| c.len() as u64).sum();
        let placing = move |dest: &Path| Ok((write_new(dest, &chunks, existing)?, size));
        place_then_sync(Arc::clone(&self.dir_syncs), self.path(key)?, placing).await
    }
}

#[async_trait]
impl BlobStore for LocalFsBlobStore {
    async fn put_file(&self, key: &str, source: &Path) -> Result<u64> {
        let dest = self.path(key)?;
        let source = source.to_path_buf();
        let dir_syncs = Arc::clone(&self.dir_syncs);
        Ok(
            tokio::task::spawn_blocking(move || place_file(&dir_syncs, &source, &dest))
                .await
                .map_err(std::io::Error::other)??,
        )
    }

    async fn place_file(&self, key: &str, source: &Path) -> Result<PlacedBlob> {
        let source = source.to_path_buf();
        let placing = move |dest: &Path| {
            let size = move_into_place(&source, dest)?;
            Ok((std::fs::File::open(dest)?, size))
        };
        place_then_sync(Arc::clone(&self.dir_syncs), self.path(key)?, placing).await
    }

    /// Written straight under its key: only a committed row makes a key visible, and a
    /// half-written file left by a crash is overwritten by the retry.
    async fn place_bytes(&self, key: &str, chunks: Vec<bytes::Bytes>) -> Result<PlacedBlob> {
        self.place_chunks(key, chunks, Existing::Replace).await
    }

    /// Created exclusively (`O_EXCL`): an existing file is never touched.
    async fn place_new_bytes(
        &self,
        key: &str,
        chunks: Vec<bytes::Bytes>,
    ) -> Result<Option<PlacedBlob>> {
        match self.place_chunks(key, chunks, Existing::Refuse).await {
            Ok(placed) => Ok(Some(placed)),
            Err(StoreError::Io(e)) if e.kind() == ErrorKind::AlreadyExists => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn put_bytes(&self, key: &str, bytes: bytes::Bytes) -> Result<()> {
        let dest = self.path(key)?;
        let dir_syncs = Arc::clone(&self.dir_syncs);
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            create_dirs(parent_of(&dest)?)?;
            let tmp = dest.with_extension("incoming");
            std::fs::write(&tmp, &bytes)?;
            place_file(&dir_syncs, &tmp, &dest).map(|_| ())
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(())
    }

    async fn make_durable(&self, key: &str) -> Result<Option<u64>> {
        let dest = self.path(key)?;
        let dir_syncs = Arc::clone(&self.dir_syncs);
        tokio::task::spawn_blocking(move || match std::fs::File::open(&dest) {
            Ok(file) => {
                sync_placed(&dir_syncs, &file, &dest)?;
                Ok(Some(file.metadata()?.len()))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        })
        .await
        .map_err(std::io::Error::other)?
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn writers_waiting_on_one_directory_share_its_next_sync() {
        let gate = DirSync::default();
        let runs = AtomicUsize::new(0);
        let slow = |_: &Path| {
            runs.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            Ok(())
        };
        std::thread::scope(|scope| {
            let first = scope.spawn(|| gate.sync(Path::new("d"), &slow));
            std::thread::sleep(Duration::from_millis(10));
            let rest: Vec<_> = (0..15)
                .map(|_| scope.spawn(|| gate.sync(Path::new("d"), &slow)))
                .collect();
            assert!(first.join().unwrap().is_ok());
            for writer in rest {
                assert!(writer.join().unwrap().is_ok());
            }
        });
        let runs = runs.load(Ordering::SeqCst);
        // The first, then one for everyone who arrived while it ran (a straggler may need a third).
        assert!((2..=3).contains(&runs), "{runs} syncs for 16 writers");
    }

    #[test]
    fn a_failed_sync_fails_its_caller_and_the_next_one_runs_again() {
        let gate = DirSync::default();
        let runs = AtomicUsize::new(0);
        let flaky = |_: &Path| {
            if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(std::io::Error::other("disk said no"))
            } else {
                Ok(())
            }
        };
        assert!(gate.sync(Path::new("d"), &flaky).is_err());
        assert!(gate.sync(Path::new("d"), &flaky).is_ok());
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        // Each new ticket needs a sync that starts after it.
        assert!(gate.sync(Path::new("d"), &flaky).is_ok());
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn new_directories_are_created_whole() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("raw/u/2026/12/06");
        create_dirs(&deep).unwrap();
        assert!(deep.is_dir());
        create_dirs(&deep).unwrap();
        let file = root.path().join("raw/u/2026/12/06/x.jpg");
        std::fs::write(&file, b"x").unwrap();
        assert!(create_dirs(&file).is_err(), "a file is not a directory");
    }
}
