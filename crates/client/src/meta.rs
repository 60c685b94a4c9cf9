//! What an upload tells the server about its media, encoded as tus `Upload-Metadata`.

use chrono::{DateTime, SecondsFormat, Utc};
use sightline_core::MediaId;
use sightline_core::media::MediaKind;
use sightline_core::tus::encode_metadata;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct UploadMeta {
    /// The idempotency key: creating again with the same id resumes the same upload.
    pub media_id: MediaId,
    /// Left out, the server guesses from the filename.
    pub kind: Option<MediaKind>,
    pub captured_at: Option<DateTime<Utc>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub device_id: Option<String>,
    pub filename: Option<String>,
    /// Whole-file SHA-256 (hex); the server then commits only exactly these bytes.
    pub sha256: Option<String>,
}

impl UploadMeta {
    pub fn new(media_id: MediaId) -> Self {
        Self {
            media_id,
            kind: None,
            captured_at: None,
            lat: None,
            lon: None,
            device_id: None,
            filename: None,
            sha256: None,
        }
    }

    /// Fills `filename` and `kind` from the path where the caller left them out.
    pub fn with_file_defaults(mut self, path: &Path) -> Self {
        if self.filename.is_none() {
            self.filename = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned());
        }
        if self.kind.is_none() {
            self.kind = kind_of_path(path);
        }
        self
    }

    /// The `Upload-Metadata` header value.
    pub fn to_header(&self) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("media_id", self.media_id.to_string())];
        if let Some(kind) = self.kind {
            pairs.push(("kind", kind.as_str().to_string()));
        }
        if let Some(filename) = &self.filename {
            pairs.push(("filename", filename.clone()));
        }
        if let Some(at) = self.captured_at {
            pairs.push((
                "captured_at",
                at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ));
        }
        // The server wants both coordinates or neither; a half or non-finite point is dropped
        // rather than failing the whole upload.
        if let (Some(lat), Some(lon)) = (self.lat, self.lon)
            && lat.is_finite()
            && lon.is_finite()
        {
            pairs.push(("lat", lat.to_string()));
            pairs.push(("lon", lon.to_string()));
        }
        if let Some(device) = &self.device_id {
            pairs.push(("device_id", device.clone()));
        }
        if let Some(sha256) = &self.sha256 {
            pairs.push(("sha256", sha256.clone()));
        }
        encode_metadata(pairs.iter().map(|(k, v)| (*k, v.as_str())))
    }
}

/// The media kind a path's extension names, if any.
pub fn kind_of_path(path: &Path) -> Option<MediaKind> {
    path.extension()
        .and_then(|ext| ext.to_str())
        .and_then(MediaKind::from_extension)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_core::tus::{MediaUploadInfo, parse_metadata};

    #[test]
    fn header_is_what_the_server_reads() {
        let id = MediaId::new_random();
        let device = MediaId::new_random().to_string();
        let meta = UploadMeta {
            captured_at: Some("2024-07-14T08:00:00Z".parse().unwrap()),
            lat: Some(48.85),
            lon: Some(2.35),
            device_id: Some(device.clone()),
            ..UploadMeta::new(id)
        }
        .with_file_defaults(Path::new("/photos/IMG_1.HEIC"));
        let info =
            MediaUploadInfo::from_metadata(&parse_metadata(&meta.to_header()).unwrap()).unwrap();
        assert_eq!(info.media_id, id);
        assert_eq!(info.kind, MediaKind::Photo);
        assert_eq!(info.filename.as_deref(), Some("IMG_1.HEIC"));
        assert_eq!(info.captured_at, meta.captured_at);
        assert!(info.location.is_some());
        assert_eq!(info.device_id.map(|d| d.to_string()), Some(device));
    }

    #[test]
    fn half_a_location_is_dropped() {
        let meta = UploadMeta {
            lat: Some(1.0),
            ..UploadMeta::new(MediaId::new_random())
        };
        let pairs = parse_metadata(&meta.to_header()).unwrap();
        assert!(!pairs.contains_key("lat") && !pairs.contains_key("lon"));
    }
}
