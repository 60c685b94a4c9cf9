//! Where blobs live. Keys are relative, `/`-separated, and built only from validated parts, so a
//! hostile filename can never steer a write outside its user's prefix.

use crate::{MediaId, UserId};
use chrono::{DateTime, Datelike, Utc};

/// `raw/{user}/{yyyy}/{mm}/{dd}/{media}.{ext}`: the original bytes as uploaded.
pub fn raw(user: UserId, captured_at: DateTime<Utc>, media: MediaId, ext: &str) -> String {
    format!(
        "raw/{user}/{:04}/{:02}/{:02}/{media}.{}",
        captured_at.year(),
        captured_at.month(),
        captured_at.day(),
        safe_extension(ext)
    )
}

/// `processed/{user}/{media}/{name}`: thumbnails, previews, renditions.
pub fn processed(user: UserId, media: MediaId, name: DerivedFile) -> String {
    format!("processed/{user}/{media}/{}", name.file_name())
}

/// Prefix holding every derived file of one media item.
pub fn processed_prefix(user: UserId, media: MediaId) -> String {
    format!("processed/{user}/{media}/")
}

/// `memories/{user}/{memory}.mp4` and `.jpg`: a memory video and its thumbnail.
pub fn memory_video(user: UserId, memory: crate::MemoryId) -> String {
    format!("memories/{user}/{memory}.mp4")
}

pub fn memory_thumbnail(user: UserId, memory: crate::MemoryId) -> String {
    format!("memories/{user}/{memory}.jpg")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DerivedFile {
    Thumbnail,
    Preview,
    Rendition,
}

impl DerivedFile {
    pub const ALL: [DerivedFile; 3] = [Self::Thumbnail, Self::Preview, Self::Rendition];

    pub fn file_name(self) -> &'static str {
        match self {
            Self::Thumbnail => "thumb.jpg",
            Self::Preview => "preview.jpg",
            Self::Rendition => "rendition.mp4",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Thumbnail | Self::Preview => "image/jpeg",
            Self::Rendition => "video/mp4",
        }
    }
}

/// Lower-case alphanumeric extension of at most 8 characters, or `bin`.
pub fn safe_extension(ext: &str) -> String {
    let ext = ext.trim().trim_start_matches('.').to_ascii_lowercase();
    if !ext.is_empty() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric()) {
        ext
    } else {
        "bin".to_string()
    }
}

/// Extension of a client-supplied filename, sanitised.
pub fn extension_of(filename: &str) -> String {
    match filename.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => safe_extension(ext),
        _ => "bin".to_string(),
    }
}

/// True when `key` is a well-formed relative key: no empty, `.` or `..` segments, no backslashes.
pub fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('/')
        && !key.contains('\\')
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains('\0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    #[test]
    fn raw_layout() {
        let user = UserId::parse("7b0e1b8c-1111-4a4a-9a9a-000000000001").unwrap();
        let media = MediaId::parse("7b0e1b8c-2222-4a4a-9a9a-000000000002").unwrap();
        let at = Utc.with_ymd_and_hms(2025, 3, 9, 23, 59, 0).unwrap();
        assert_eq!(
            raw(user, at, media, "MP4"),
            "raw/7b0e1b8c-1111-4a4a-9a9a-000000000001/2025/03/09/7b0e1b8c-2222-4a4a-9a9a-000000000002.mp4"
        );
    }

    #[test]
    fn hostile_extensions_become_bin() {
        assert_eq!(extension_of("../../etc/passwd"), "bin");
        assert_eq!(extension_of("a.j/pg"), "bin");
        assert_eq!(extension_of(".bashrc"), "bin");
        assert_eq!(extension_of("clip.MOV"), "mov");
    }

    proptest! {
        #[test]
        fn raw_keys_are_always_valid(ext in ".*", y in 1970i32..2100, d in 1u32..28) {
            let at = Utc.with_ymd_and_hms(y, 1, d, 0, 0, 0).unwrap();
            let key = raw(UserId::new_random(), at, MediaId::new_random(), &ext);
            prop_assert!(is_valid_key(&key));
        }
    }

    #[test]
    fn rejects_traversal() {
        assert!(!is_valid_key("raw/../x"));
        assert!(!is_valid_key("/abs"));
        assert!(!is_valid_key("raw//x"));
        assert!(is_valid_key("processed/u/m/thumb.jpg"));
    }
}
