//! An upload's staging file. Request frames arrive as `Bytes`; they are gathered and handed to
//! a blocking thread in batches.
//!
//! Where the filesystem allows it, the bytes bypass the page cache: they are gathered in one
//! aligned buffer and written with `O_DIRECT` in large aligned blocks, so the CPU copies each
//! byte once (into that buffer) instead of into the page cache, whose copy and bookkeeping were
//! the largest cost of a large upload. Whatever cannot be written that way (the unaligned tail
//! of a request, a request that starts at an unaligned offset, a filesystem that refuses direct
//! I/O) goes through the page cache as before. Either way nothing is durable until `sync`.

use bytes::Bytes;
use sightline_store::blob::direct::{self, AlignedBuffer, BufferPool};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Bytes gathered before a write: large enough to keep syscalls few, small enough that a
/// slow client's bytes reach the file steadily.
const BATCH: usize = 256 << 10;
/// Size of one direct write.
const DIRECT_BLOCK: usize = 4 << 20;
/// Direct-write buffers, reused across uploads (a fresh one faults its pages in).
static DIRECT_BUFFERS: BufferPool = BufferPool::new(DIRECT_BLOCK, 8);

pub(super) struct StagingFile {
    /// `None` only while a blocking call has it.
    writer: Option<Writer>,
    pending: Vec<Bytes>,
    pending_len: usize,
}

struct Writer {
    file: File,
    /// The same file opened for direct I/O, while the next byte's offset is aligned.
    direct: Option<Direct>,
    /// Where the next byte goes (the first byte of `direct`'s buffer when there is one).
    position: u64,
}

struct Direct {
    file: File,
    buffer: AlignedBuffer,
}

impl Direct {
    fn open(path: &Path) -> Option<Self> {
        Some(Self {
            file: direct::open_for_direct_writes(path)?,
            buffer: DIRECT_BUFFERS.take(),
        })
    }
}

impl Writer {
    fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            let Some(direct) = self.direct.as_mut() else {
                self.file.write_all_at(bytes, self.position)?;
                self.position += bytes.len() as u64;
                return Ok(());
            };
            bytes = &bytes[direct.buffer.extend(bytes)..];
            if direct.buffer.is_full() {
                self.write_gathered()?;
            }
        }
        Ok(())
    }

    /// Writes what the direct buffer gathered: its aligned part directly, an unaligned tail
    /// (only at the end of a request) through the page cache, after which the next offset is
    /// unaligned and direct I/O ends for this file. A filesystem that refuses the direct write
    /// gets these bytes, and all later ones, through the page cache.
    fn write_gathered(&mut self) -> io::Result<()> {
        let Some(mut direct) = self.direct.take() else {
            return Ok(());
        };
        let gathered = direct.buffer.filled();
        let written = direct::write_split(&direct.file, &self.file, gathered, self.position)?;
        self.position += gathered.len() as u64;
        if written == direct::Written::Direct {
            direct.buffer.clear();
            self.direct = Some(direct);
        }
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        if let Some(direct) = self.direct.as_mut() {
            direct.buffer.clear();
        }
        self.file.set_len(len)?;
        self.position = len;
        if !len.is_multiple_of(direct::ALIGN as u64) {
            self.direct = None;
        }
        Ok(())
    }
}

impl StagingFile {
    /// Opens (creating) the file positioned at `offset`, dropping anything past it.
    pub(super) async fn open_at(path: &Path, offset: u64) -> io::Result<Self> {
        let path = path.to_path_buf();
        let writer = tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            file.set_len(offset)?;
            let direct = offset
                .is_multiple_of(direct::ALIGN as u64)
                .then(|| Direct::open(&path))
                .flatten();
            Ok::<_, io::Error>(Writer {
                file,
                direct,
                position: offset,
            })
        })
        .await
        .map_err(io::Error::other)??;
        Ok(Self {
            writer: Some(writer),
            pending: Vec::new(),
            pending_len: 0,
        })
    }

    pub(super) async fn push(&mut self, bytes: Bytes) -> io::Result<()> {
        self.pending_len += bytes.len();
        self.pending.push(bytes);
        if self.pending_len >= BATCH {
            let pending = self.take_pending();
            self.blocking(move |w| pending.iter().try_for_each(|b| w.write(b)))
                .await?;
        }
        Ok(())
    }

    /// Writes every byte pushed so far to the file (not yet durable).
    pub(super) async fn flush(&mut self) -> io::Result<()> {
        let pending = self.take_pending();
        self.blocking(move |w| {
            pending.iter().try_for_each(|b| w.write(b))?;
            w.write_gathered()
        })
        .await
    }

    /// Forgets unwritten frames and cuts the file back to `len`.
    pub(super) async fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.take_pending();
        self.blocking(move |w| w.truncate(len)).await
    }

    /// Flushes and makes the data durable.
    pub(super) async fn sync(&mut self) -> io::Result<()> {
        self.flush().await?;
        self.blocking(|w| w.file.sync_data()).await
    }

    fn take_pending(&mut self) -> Vec<Bytes> {
        self.pending_len = 0;
        std::mem::take(&mut self.pending)
    }

    async fn blocking<R: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Writer) -> io::Result<R> + Send + 'static,
    ) -> io::Result<R> {
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| io::Error::other("staging file lost by an earlier failure"))?;
        let (writer, result) = tokio::task::spawn_blocking(move || {
            let result = work(&mut writer);
            (writer, result)
        })
        .await
        .map_err(io::Error::other)?;
        self.writer = Some(writer);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_store::testsuite::distinct_bytes as pattern;

    /// Requests of awkward sizes at aligned and unaligned offsets, one of them cut back (a
    /// checksum mismatch): the file holds exactly the bytes kept, where they were written.
    #[tokio::test]
    async fn bytes_land_where_written_whether_direct_or_buffered() {
        // Beside the sources, on a disk: a tmpfs /tmp refuses O_DIRECT and would only test
        // the fallback.
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let path = dir.path().join("staged");
        let mut expected: Vec<u8> = Vec::new();
        // (length, frame size, whether the offset it starts at is aligned)
        let requests: [(usize, usize, bool); 5] = [
            (direct::ALIGN * 3, 4096, true),
            (DIRECT_BLOCK + 1, 1 << 20, true),
            (DIRECT_BLOCK * 2 + 12_345, 70_000, true),
            (777, 100, false),
            (DIRECT_BLOCK / 2, 65_536, false),
        ];
        for (n, (len, frame, aligned)) in requests.into_iter().enumerate() {
            let mut file = StagingFile::open_at(&path, expected.len() as u64)
                .await
                .unwrap();
            let direct = file.writer.as_ref().is_some_and(|w| w.direct.is_some());
            assert_eq!(direct, aligned, "request {n} at offset {}", expected.len());
            let bytes = pattern(len, n as u8);
            for piece in bytes.chunks(frame) {
                file.push(Bytes::copy_from_slice(piece)).await.unwrap();
            }
            if n == 1 {
                file.truncate(expected.len() as u64).await.unwrap();
            } else {
                file.sync().await.unwrap();
                expected.extend_from_slice(&bytes);
            }
            drop(file);
            assert_eq!(std::fs::read(&path).unwrap(), expected, "after request {n}");
        }
    }
}
