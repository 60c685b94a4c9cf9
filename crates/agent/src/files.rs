//! Files that appear whole or not at all: written under a temporary name, synced, renamed over
//! the final name and the directory synced, so a crash or power cut never leaves a half-written
//! capture under a name the store points at.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary name a capture is written under before [`commit`]; start-up removes leftovers.
pub fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    dest.with_file_name(name)
}

pub fn is_partial(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "partial")
}

/// Writes `bytes` to `dest` crash-safely: temp → fsync → rename → fsync directory.
pub fn write_durably(dest: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = partial_path(dest);
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    commit(&temp, dest)
}

/// Syncs an already written temporary file and renames it to `dest`, then syncs the directory
/// so that the rename itself survives a power cut.
pub fn commit(temp: &Path, dest: &Path) -> std::io::Result<()> {
    std::fs::File::open(temp)?.sync_all()?;
    std::fs::rename(temp, dest)?;
    sync_dir(dest)
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_durable_write_leaves_only_the_final_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("photo.jpg");
        write_durably(&dest, b"jpeg bytes").unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"jpeg bytes");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("photo.jpg")]);
        assert!(is_partial(&partial_path(&dest)));
        assert!(!is_partial(&dest));
    }
}
