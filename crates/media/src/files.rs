//! Paths handed to ffmpeg, and outputs that appear atomically.

use crate::error::MediaError;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A path as an ffmpeg/ffprobe argument. The `file:` prefix stops ffmpeg from reading a name
/// like `concat:a|b` or `-x.mp4` as a protocol or an option.
pub(crate) fn ff_path(path: &Path) -> OsString {
    let mut arg = OsString::from("file:");
    arg.push(path.as_os_str());
    arg
}

/// A temporary file beside the final output. ffmpeg writes here; [`PartialFile::commit`] renames
/// it over the destination (atomic on one filesystem), and dropping it uncommitted removes it,
/// so a crash or error never leaves a half-written file under the final name.
#[derive(Debug)]
pub(crate) struct PartialFile {
    temp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl PartialFile {
    pub(crate) fn beside(dest: &Path) -> Result<Self, MediaError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = dest.file_name().ok_or_else(|| {
            MediaError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("output path has no file name: {}", dest.display()),
            ))
        })?;
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(
            ".{}-{}.partial",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        Ok(Self {
            temp: dest.with_file_name(temp_name),
            dest: dest.to_owned(),
            committed: false,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.temp
    }

    /// Size of the written temp file; 0 when ffmpeg wrote nothing.
    pub(crate) async fn written_len(&self) -> u64 {
        tokio::fs::metadata(&self.temp)
            .await
            .map(|m| m.len())
            .unwrap_or(0)
    }

    pub(crate) async fn commit(mut self) -> Result<PathBuf, MediaError> {
        tokio::fs::rename(&self.temp, &self.dest).await?;
        self.committed = true;
        Ok(self.dest.clone())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort and quick (one unlink); the file may not exist at all.
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn uncommitted_partial_files_vanish() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dest = dir.path().join("out.mp4");
        let partial = PartialFile::beside(&dest).expect("name");
        assert_eq!(partial.path().parent(), Some(dir.path()));
        std::fs::write(partial.path(), b"half").expect("write");
        let temp = partial.path().to_owned();
        drop(partial);
        assert!(!temp.exists() && !dest.exists());

        let partial = PartialFile::beside(&dest).expect("name");
        std::fs::write(partial.path(), b"whole").expect("write");
        assert_eq!(partial.written_len().await, 5);
        partial.commit().await.expect("rename");
        assert_eq!(std::fs::read(&dest).expect("read"), b"whole");
    }

    #[test]
    fn paths_are_protected_from_protocol_parsing() {
        assert_eq!(
            ff_path(Path::new("concat:a|b")),
            OsString::from("file:concat:a|b")
        );
    }
}
