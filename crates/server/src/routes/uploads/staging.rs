//! An upload's staging file. Request frames arrive as `Bytes`; they are gathered and handed to
//! a blocking thread in batches, so the bytes are copied once (into the page cache) instead of
//! through an async buffer and the runtime's own write buffer.

use bytes::Bytes;
use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;

/// Bytes gathered before a write: large enough to keep syscalls few, small enough that a
/// slow client's bytes reach the file steadily.
const BATCH: usize = 256 << 10;

pub(super) struct StagingFile {
    /// `None` only while a blocking call has it.
    file: Option<File>,
    pending: Vec<Bytes>,
    pending_len: usize,
}

impl StagingFile {
    /// Opens (creating) the file positioned at `offset`, dropping anything past it.
    pub(super) async fn open_at(path: &Path, offset: u64) -> io::Result<Self> {
        let path = path.to_path_buf();
        let file = tokio::task::spawn_blocking(move || {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)?;
            file.set_len(offset)?;
            file.seek(SeekFrom::Start(offset))?;
            Ok::<_, io::Error>(file)
        })
        .await
        .map_err(io::Error::other)??;
        Ok(Self {
            file: Some(file),
            pending: Vec::new(),
            pending_len: 0,
        })
    }

    pub(super) async fn push(&mut self, bytes: Bytes) -> io::Result<()> {
        self.pending_len += bytes.len();
        self.pending.push(bytes);
        if self.pending_len >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    pub(super) async fn flush(&mut self) -> io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        self.pending_len = 0;
        self.blocking(move |file| pending.iter().try_for_each(|b| file.write_all(b)))
            .await
    }

    /// Forgets unwritten frames and cuts the file back to `len`.
    pub(super) async fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.pending.clear();
        self.pending_len = 0;
        self.blocking(move |file| file.set_len(len)).await
    }

    /// Flushes and makes the data durable.
    pub(super) async fn sync(&mut self) -> io::Result<()> {
        self.flush().await?;
        self.blocking(|file| file.sync_data()).await
    }

    async fn blocking<R: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut File) -> io::Result<R> + Send + 'static,
    ) -> io::Result<R> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("staging file lost by an earlier failure"))?;
        let (file, result) = tokio::task::spawn_blocking(move || {
            let result = work(&mut file);
            (file, result)
        })
        .await
        .map_err(io::Error::other)?;
        self.file = Some(file);
        result
    }
}
