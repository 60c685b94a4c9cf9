//! Where upload bytes come from: a file read chunk by chunk, or bytes already in memory.
//! Both uploads paths share one driver through this.

use bytes::Bytes;
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

#[derive(Debug, Clone)]
pub enum Source {
    /// `len` is fixed when the source is made: tus needs the length up front.
    File {
        path: PathBuf,
        len: u64,
    },
    Bytes(Bytes),
}

impl Source {
    pub async fn file(path: &Path) -> io::Result<Self> {
        let meta = tokio::fs::metadata(path).await?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(Self::File {
            path: path.to_path_buf(),
            len: meta.len(),
        })
    }

    pub fn len(&self) -> u64 {
        match self {
            Self::File { len, .. } => *len,
            Self::Bytes(bytes) => bytes.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes from `offset`. A file that shrank since the source was made fails with
    /// `UnexpectedEof` instead of sending short data.
    pub async fn read(&self, offset: u64, len: usize) -> io::Result<Bytes> {
        let end = offset
            .checked_add(len as u64)
            .filter(|end| *end <= self.len())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "read past the end"))?;
        match self {
            Self::Bytes(bytes) => Ok(bytes.slice(offset as usize..end as usize)),
            Self::File { path, .. } => {
                // Opened per chunk: chunks are megabytes, and no handle lives across retries.
                let mut file = tokio::fs::File::open(path).await?;
                file.seek(SeekFrom::Start(offset)).await?;
                let mut buf = vec![0; len];
                file.read_exact(&mut buf).await?;
                Ok(Bytes::from(buf))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_ranges_from_files_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mp4");
        tokio::fs::write(&path, b"0123456789").await.unwrap();
        let file = Source::file(&path).await.unwrap();
        let bytes = Source::Bytes(Bytes::from_static(b"0123456789"));
        for source in [file, bytes] {
            assert_eq!(source.len(), 10);
            assert_eq!(&source.read(3, 4).await.unwrap()[..], b"3456");
            assert!(source.read(8, 4).await.is_err());
        }
    }
}
