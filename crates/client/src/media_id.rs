//! Media ids derived from content, so the same photo imported twice (or from two folders)
//! maps to one media item on the server, which dedupes by id.

use sha2::{Digest, Sha256};
use sightline_core::MediaId;
use std::fs::File;
use std::io;
use std::path::Path;
use uuid::Uuid;

/// Namespace of the UUIDv5 ids of uploaded files. Never change it: every id already on a
/// server was derived from it.
pub const MEDIA_ID_NAMESPACE: Uuid = Uuid::from_u128(0x7376_617f_c515_400f_b13a_4f49_8a01_bbb8);

/// UUIDv5 over the SHA-256 of the file, read in a streaming fashion. Blocking: call it from
/// `spawn_blocking` in async code (a large video takes seconds).
pub fn media_id_for_file(path: &Path) -> io::Result<MediaId> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(media_id_for_digest(&hasher.finalize().into()))
}

pub fn media_id_for_digest(sha256: &[u8; 32]) -> MediaId {
    MediaId(Uuid::new_v5(&MEDIA_ID_NAMESPACE, sha256))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        let mut file = File::create(&path).unwrap();
        file.write_all(bytes).unwrap();
        path
    }

    #[test]
    fn same_content_same_id_different_content_different_id() {
        let dir = tempfile::tempdir().unwrap();
        // Larger than io::copy's buffer, so the streaming path is exercised.
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let a = file_with(dir.path(), "a.jpg", &big);
        let b = file_with(dir.path(), "copy of a.jpg", &big);
        let mut changed = big.clone();
        changed[150_000] ^= 1;
        let c = file_with(dir.path(), "c.jpg", &changed);

        let id_a = media_id_for_file(&a).unwrap();
        assert_eq!(id_a, media_id_for_file(&b).unwrap());
        assert_ne!(id_a, media_id_for_file(&c).unwrap());
        assert_eq!(id_a.0.get_version_num(), 5);
        assert_eq!(id_a, media_id_for_digest(&Sha256::digest(&big).into()));
    }

    #[test]
    fn id_is_stable_across_releases() {
        // Pinned: a change here would duplicate every library on re-import.
        let dir = tempfile::tempdir().unwrap();
        let empty = file_with(dir.path(), "empty.jpg", b"");
        let id = media_id_for_file(&empty).unwrap();
        assert_eq!(id.to_string(), "86f723e9-c389-5d51-aa6e-2317b4e3629f");
        assert_eq!(
            MEDIA_ID_NAMESPACE.to_string(),
            "7376617f-c515-400f-b13a-4f498a01bbb8"
        );
    }

    #[test]
    fn missing_file_is_an_error() {
        assert!(media_id_for_file(Path::new("/nonexistent/sightline.jpg")).is_err());
    }
}
