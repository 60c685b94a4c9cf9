//! Writing files around the page cache (`O_DIRECT`) from reusable aligned buffers.
//!
//! On the machines measured, the kernel's copy of written bytes into freshly allocated page-cache
//! pages was the largest single cost of ingest (about a third of all CPU time with small photos
//! arriving at thousands per second). A direct write lets the disk read the bytes from a buffer
//! that this process reuses, so the only copy is the one into that buffer, into pages that are
//! already mapped. Whatever cannot be written that way (the unaligned tail of a file, a
//! filesystem that refuses direct I/O, such as tmpfs) goes through the page cache. Nothing here
//! makes data durable: callers still `fdatasync`.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// Offsets, lengths and buffer addresses of direct writes are multiples of this (4 KiB covers
/// the logical block sizes of common disks and filesystems).
pub const ALIGN: usize = 4096;

/// Aligned buffers of one capacity, kept for reuse: a fresh buffer's pages fault in on first
/// touch, which costs about as much as the page-cache copy this module avoids.
pub struct BufferPool {
    capacity: usize,
    keep: usize,
    free: Mutex<Vec<Vec<u8>>>,
}

impl BufferPool {
    /// `capacity` must be a multiple of [`ALIGN`]; at most `keep` idle buffers are kept.
    pub const fn new(capacity: usize, keep: usize) -> Self {
        assert!(capacity.is_multiple_of(ALIGN) && capacity > 0);
        Self {
            capacity,
            keep,
            free: Mutex::new(Vec::new()),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// An empty buffer, reused when one is idle.
    pub fn take(&'static self) -> AlignedBuffer {
        let reused = self
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let bytes = reused.unwrap_or_else(|| vec![0u8; self.capacity + ALIGN]);
        let start = bytes.as_ptr().align_offset(ALIGN);
        AlignedBuffer {
            bytes,
            start,
            filled: 0,
            pool: self,
        }
    }

    fn give_back(&self, bytes: Vec<u8>) {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        if free.len() < self.keep {
            free.push(bytes);
        }
    }
}

/// Bytes gathered at an aligned address, up to its pool's capacity; back to the pool on drop.
pub struct AlignedBuffer {
    bytes: Vec<u8>,
    /// Where the aligned region starts in `bytes`.
    start: usize,
    filled: usize,
    pool: &'static BufferPool,
}

impl AlignedBuffer {
    /// Copies as much of `data` as fits; returns how many bytes it took.
    pub fn extend(&mut self, data: &[u8]) -> usize {
        let take = data.len().min(self.pool.capacity - self.filled);
        let at = self.start + self.filled;
        self.bytes[at..at + take].copy_from_slice(&data[..take]);
        self.filled += take;
        take
    }

    pub fn is_full(&self) -> bool {
        self.filled == self.pool.capacity
    }

    pub fn clear(&mut self) {
        self.filled = 0;
    }

    pub fn filled(&self) -> &[u8] {
        &self.bytes[self.start..self.start + self.filled]
    }
}

impl Drop for AlignedBuffer {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.bytes));
    }
}

/// `path` opened for direct writes, or `None` where the filesystem refuses `O_DIRECT`.
pub fn open_for_direct_writes(path: &Path) -> Option<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()
}

/// How [`write_split`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Every byte directly: the next aligned write can go direct too.
    Direct,
    /// The aligned part directly and an unaligned tail through the page cache.
    DirectWithTail,
    /// Through the page cache: the filesystem refused the direct write.
    Buffered,
}

/// Writes `gathered` (from an [`AlignedBuffer`]) at `position`, an aligned offset: the aligned
/// part through `direct`, the unaligned tail through `buffered` (the same file opened without
/// `O_DIRECT`). A direct write the filesystem refuses is done through `buffered` instead.
pub fn write_split(
    direct: &File,
    buffered: &File,
    gathered: &[u8],
    position: u64,
) -> io::Result<Written> {
    let (whole, tail) = gathered.split_at(gathered.len() / ALIGN * ALIGN);
    if let Err(e) = direct.write_all_at(whole, position) {
        tracing::debug!(error = %e, "direct write refused; writing through the page cache");
        buffered.write_all_at(gathered, position)?;
        return Ok(Written::Buffered);
    }
    if tail.is_empty() {
        return Ok(Written::Direct);
    }
    buffered.write_all_at(tail, position + whole.len() as u64)?;
    Ok(Written::DirectWithTail)
}

/// Small files (up to the pool's capacity) written whole, the way [`write_split`] writes.
static SMALL_FILES: BufferPool = BufferPool::new(1 << 20, 32);

/// What [`create_with`] does when a file is already at its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Truncate it and write the new bytes.
    Replace,
    /// Fail with [`io::ErrorKind::AlreadyExists`], leaving it untouched.
    Refuse,
}

/// Creates `dest` holding `chunks`, written directly where it can be (see the module's
/// notes); not synced. Files larger than 1 MiB or smaller than one block go through the page
/// cache.
pub fn create_with(
    dest: &Path,
    chunks: &[bytes::Bytes],
    existing: Existing,
) -> io::Result<(File, Written)> {
    let file = match existing {
        Existing::Replace => File::create(dest)?,
        Existing::Refuse => File::options().write(true).create_new(true).open(dest)?,
    };
    let size: usize = chunks.iter().map(|c| c.len()).sum();
    let direct = (ALIGN..=SMALL_FILES.capacity())
        .contains(&size)
        .then(|| open_for_direct_writes(dest))
        .flatten();
    let Some(direct) = direct else {
        let mut file = file;
        for chunk in chunks {
            io::Write::write_all(&mut file, chunk)?;
        }
        return Ok((file, Written::Buffered));
    };
    let mut buffer = SMALL_FILES.take();
    for chunk in chunks {
        buffer.extend(chunk);
    }
    let written = write_split(&direct, &file, buffer.filled(), 0)?;
    Ok((file, written))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testsuite::distinct_bytes as pattern;

    /// Sizes around the block and pool boundaries, in awkward frames: the file holds exactly
    /// the bytes, whichever way they were written, and the sizes that can go direct did.
    #[test]
    fn created_files_hold_their_bytes_however_written() {
        // Beside the sources, on a disk: a tmpfs /tmp refuses O_DIRECT and would only test
        // the fallback.
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let cases = [
            (1, Written::Buffered),
            (ALIGN - 1, Written::Buffered),
            (ALIGN, Written::Direct),
            (204_800, Written::Direct),
            (200_001, Written::DirectWithTail),
            (1 << 20, Written::Direct),
            ((1 << 20) + 1, Written::Buffered),
        ];
        for (n, (size, expected)) in cases.into_iter().enumerate() {
            let bytes = pattern(size, n as u8);
            let chunks: Vec<bytes::Bytes> = bytes
                .chunks(65_521)
                .map(bytes::Bytes::copy_from_slice)
                .collect();
            let dest = dir.path().join(format!("{n}.bin"));
            // A longer file already there is cut to the new bytes.
            std::fs::write(&dest, vec![7u8; size + 9000]).unwrap();
            let (file, written) = create_with(&dest, &chunks, Existing::Replace).unwrap();
            drop(file);
            assert_eq!(written, expected, "size {size}");
            assert!(std::fs::read(&dest).unwrap() == bytes, "size {size}");
        }
    }

    #[test]
    fn buffers_are_aligned_and_reused() {
        static POOL: BufferPool = BufferPool::new(ALIGN * 2, 1);
        let mut first = POOL.take();
        assert_eq!(first.filled().as_ptr().align_offset(ALIGN), 0);
        assert_eq!(first.extend(&[1u8; ALIGN * 3]), ALIGN * 2);
        assert!(first.is_full());
        let address = first.filled().as_ptr();
        drop(first);
        let second = POOL.take();
        assert_eq!(second.filled().as_ptr(), address);
        assert!(second.filled().is_empty());
    }
}
