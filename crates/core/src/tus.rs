//! The pure parts of tus 1.0: `Upload-Metadata`, `Upload-Checksum`, and what Sightline reads
//! from the metadata (the client's media id, kind, capture time, place, device, filename).

use crate::geo::GeoPoint;
use crate::media::MediaKind;
use crate::{DeviceId, MediaId};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

pub const VERSION: &str = "1.0.0";
pub const EXTENSIONS: &str = "creation,creation-with-upload,termination,checksum,expiration";
pub const CHECKSUM_ALGORITHMS: &str = "sha256";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TusError {
    #[error("Upload-Metadata: {0}")]
    Metadata(String),
    #[error("Upload-Checksum: {0}")]
    Checksum(String),
}

/// Decodes `key base64,key2 base64,flag`: keys unique, values base64 (optional), text UTF-8.
pub fn parse_metadata(header: &str) -> Result<BTreeMap<String, String>, TusError> {
    let mut pairs = BTreeMap::new();
    if header.trim().is_empty() {
        return Ok(pairs);
    }
    for item in header.split(',') {
        let mut parts = item.trim().splitn(2, ' ');
        let key = parts.next().unwrap_or_default();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(TusError::Metadata(format!("invalid key {key:?}")));
        }
        let value = match parts.next().map(str::trim) {
            None | Some("") => String::new(),
            Some(encoded) => {
                let bytes = STANDARD
                    .decode(encoded)
                    .map_err(|_| TusError::Metadata(format!("value of {key:?} is not base64")))?;
                String::from_utf8(bytes)
                    .map_err(|_| TusError::Metadata(format!("value of {key:?} is not UTF-8")))?
            }
        };
        if pairs.insert(key.to_string(), value).is_some() {
            return Err(TusError::Metadata(format!("duplicate key {key:?}")));
        }
    }
    Ok(pairs)
}

/// Encodes metadata the way clients send it.
pub fn encode_metadata<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k} {}", STANDARD.encode(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A checksum the client asks the server to verify for one PATCH body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub sha256: [u8; 32],
}

pub fn parse_checksum(header: &str) -> Result<Checksum, TusError> {
    let (algorithm, encoded) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| TusError::Checksum("expected \"<algorithm> <base64>\"".into()))?;
    if !algorithm.eq_ignore_ascii_case("sha256") {
        return Err(TusError::Checksum(format!(
            "unsupported algorithm {algorithm:?}; supported: {CHECKSUM_ALGORITHMS}"
        )));
    }
    let bytes = STANDARD
        .decode(encoded.trim())
        .map_err(|_| TusError::Checksum("digest is not base64".into()))?;
    let sha256 = bytes
        .try_into()
        .map_err(|_| TusError::Checksum("sha256 digest must be 32 bytes".into()))?;
    Ok(Checksum { sha256 })
}

/// What an upload says about the media it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaUploadInfo {
    /// The client's own id: the idempotency key. Generated when the client sends none.
    pub media_id: MediaId,
    pub kind: MediaKind,
    pub captured_at: Option<DateTime<Utc>>,
    pub location: Option<GeoPoint>,
    pub device_id: Option<DeviceId>,
    pub filename: Option<String>,
    /// SHA-256 of the whole file, lowercase hex: the server refuses to commit other bytes, so a
    /// file that changed on the device while it was being sent never enters the library.
    pub sha256: Option<String>,
}

impl MediaUploadInfo {
    /// Reads the known keys; unknown keys are ignored, known ones must be well-formed.
    pub fn from_metadata(pairs: &BTreeMap<String, String>) -> Result<Self, TusError> {
        let bad = |key: &str, why: &str| TusError::Metadata(format!("{key}: {why}"));
        let get = |key: &str| pairs.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());

        let filename = get("filename")
            .or_else(|| get("name"))
            .map(sanitize_filename);
        let media_id = match get("media_id") {
            Some(text) => MediaId::parse(text).map_err(|e| bad("media_id", &e.to_string()))?,
            None => MediaId::new_random(),
        };
        let kind = match get("kind") {
            Some(text) => text
                .parse()
                .map_err(|e: crate::media::InvalidEnum| bad("kind", &e.to_string()))?,
            None => filename
                .as_deref()
                .and_then(|f| f.rsplit_once('.'))
                .and_then(|(_, ext)| MediaKind::from_extension(ext))
                .or_else(|| get("filetype").and_then(kind_from_mime))
                .ok_or_else(|| {
                    bad(
                        "kind",
                        "missing (photo or video), and the filename does not tell",
                    )
                })?,
        };
        let captured_at = get("captured_at")
            .map(|text| {
                DateTime::parse_from_rfc3339(text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| bad("captured_at", "must be an RFC 3339 timestamp"))
            })
            .transpose()?;
        let location = match (get("lat"), get("lon")) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                let lat = lat.parse().map_err(|_| bad("lat", "must be a number"))?;
                let lon = lon.parse().map_err(|_| bad("lon", "must be a number"))?;
                Some(GeoPoint::new(lat, lon).map_err(|e| bad("lat/lon", &e.to_string()))?)
            }
            _ => return Err(bad("lat/lon", "give both or neither")),
        };
        let device_id = get("device_id")
            .map(|text| DeviceId::parse(text).map_err(|e| bad("device_id", &e.to_string())))
            .transpose()?;
        let sha256 = get("sha256")
            .map(|text| {
                let valid = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
                valid
                    .then(|| text.to_ascii_lowercase())
                    .ok_or_else(|| bad("sha256", "must be 64 hex digits"))
            })
            .transpose()?;
        Ok(Self {
            media_id,
            kind,
            captured_at,
            location,
            device_id,
            filename,
            sha256,
        })
    }
}

fn kind_from_mime(mime: &str) -> Option<MediaKind> {
    if mime.starts_with("image/") {
        Some(MediaKind::Photo)
    } else if mime.starts_with("video/") {
        Some(MediaKind::Video)
    } else {
        None
    }
}

/// Keeps the last path component, drops control characters, caps the length. For display only:
/// blob keys never use it.
pub fn sanitize_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    last.chars().filter(|c| !c.is_control()).take(255).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_metadata() {
        let header =
            encode_metadata([("filename", "a b.mp4"), ("kind", "video")]) + ",is_confidential";
        let pairs = parse_metadata(&header).unwrap();
        assert_eq!(pairs["filename"], "a b.mp4");
        assert_eq!(pairs["is_confidential"], "");
    }

    #[test]
    fn rejects_bad_metadata() {
        assert!(parse_metadata("filename !!!").is_err());
        assert!(parse_metadata("a YQ==,a YQ==").is_err());
        assert!(parse_metadata("a /w==").is_err()); // not UTF-8
    }

    #[test]
    fn reads_media_info() {
        let id = MediaId::new_random();
        let header = encode_metadata([
            ("media_id", id.to_string().as_str()),
            ("filename", "../../IMG_1.JPG"),
            ("captured_at", "2024-07-14T10:00:00+02:00"),
            ("lat", "48.85"),
            ("lon", "2.35"),
        ]);
        let info = MediaUploadInfo::from_metadata(&parse_metadata(&header).unwrap()).unwrap();
        assert_eq!(info.media_id, id);
        assert_eq!(info.kind, MediaKind::Photo);
        assert_eq!(info.filename.as_deref(), Some("IMG_1.JPG"));
        assert_eq!(
            info.captured_at.unwrap().to_rfc3339(),
            "2024-07-14T08:00:00+00:00"
        );
        assert!(info.location.is_some());
    }

    #[test]
    fn explains_bad_media_info() {
        for (pairs, needle) in [
            (vec![("media_id", "x"), ("kind", "photo")], "media_id"),
            (vec![("kind", "audio")], "kind"),
            (vec![("filename", "notes.txt")], "kind"),
            (vec![("kind", "photo"), ("lat", "1")], "lat/lon"),
            (
                vec![("kind", "photo"), ("lat", "91"), ("lon", "0")],
                "lat/lon",
            ),
            (
                vec![("kind", "photo"), ("captured_at", "yesterday")],
                "captured_at",
            ),
        ] {
            let header = encode_metadata(pairs);
            let err =
                MediaUploadInfo::from_metadata(&parse_metadata(&header).unwrap()).unwrap_err();
            assert!(
                err.to_string().contains(needle),
                "{err} should mention {needle}"
            );
        }
    }

    #[test]
    fn checksum_header() {
        let digest = STANDARD.encode([7u8; 32]);
        assert_eq!(
            parse_checksum(&format!("sha256 {digest}")).unwrap().sha256,
            [7u8; 32]
        );
        assert!(parse_checksum(&format!("md5 {digest}")).is_err());
        assert!(parse_checksum("sha256 AAAA").is_err());
    }

    proptest! {
        #[test]
        fn metadata_parser_never_panics(s in ".*") {
            let _ = parse_metadata(&s);
        }
    }
}
