//! EXIF of photos (kamadak-exif): capture time, GPS, camera and orientation.
//!
//! ffprobe does not surface these for still images, so photos get this second pass and EXIF
//! wins over whatever the container said.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use exif::{Exif, In, Tag, Value};
use sightline_core::geo::GeoPoint;
use sightline_core::media::MediaFacts;
use std::path::Path;

/// What EXIF says about a photo. Every field is optional: cameras omit things.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExifFacts {
    pub created_at: Option<DateTime<Utc>>,
    pub location: Option<GeoPoint>,
    pub camera: Option<String>,
    /// The raw EXIF Orientation tag, 1..=8.
    pub orientation: Option<u16>,
}

impl ExifFacts {
    /// Overwrites `facts` with what EXIF knows (EXIF wins for photos).
    pub fn merge_into(&self, facts: &mut MediaFacts) {
        if self.created_at.is_some() {
            facts.created_at = self.created_at;
        }
        if self.location.is_some() {
            facts.location = self.location;
        }
        if self.camera.is_some() {
            facts.camera.clone_from(&self.camera);
        }
        if let Some(o) = self.orientation {
            facts.rotation = Some(orientation_rotation(o));
        }
    }
}

/// Reads EXIF from a JPEG, TIFF, HEIF, PNG or WebP file. Blocking (file I/O): call it from
/// `spawn_blocking`. A file without EXIF, or with broken EXIF, yields `None`: EXIF is a bonus,
/// never a reason to fail a photo.
pub fn read_exif(path: &Path) -> Option<ExifFacts> {
    let file = std::fs::File::open(path).ok()?;
    let mut reader = std::io::BufReader::new(file);
    match exif::Reader::new().read_from_container(&mut reader) {
        Ok(exif) => Some(exif_facts(&exif)),
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "no usable exif");
            None
        }
    }
}

/// Pure extraction from parsed EXIF.
pub fn exif_facts(exif: &Exif) -> ExifFacts {
    let orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|o| u16::try_from(o).ok())
        .filter(|o| (1..=8).contains(o));
    ExifFacts {
        created_at: capture_time(exif),
        location: gps(exif),
        camera: camera(exif),
        orientation,
    }
}

/// Clockwise rotation (0, 90, 180, 270) that an EXIF orientation implies; mirrored orientations
/// (2, 4, 5, 7) map to the rotation they include, the mirror is applied only by thumbnails.
pub fn orientation_rotation(orientation: u16) -> i32 {
    match orientation {
        3 | 4 => 180,
        5 | 6 => 90,
        7 | 8 => 270,
        _ => 0,
    }
}

/// ffmpeg filters turning stored pixels into the displayed picture for an EXIF orientation.
pub fn orientation_filter(orientation: u16) -> Option<&'static str> {
    match orientation {
        2 => Some("hflip"),
        3 => Some("hflip,vflip"),
        4 => Some("vflip"),
        5 => Some("transpose=cclock_flip"), // transpose across the main diagonal
        6 => Some("transpose=clock"),
        7 => Some("transpose=clock_flip"), // transverse: across the anti-diagonal
        8 => Some("transpose=cclock"),
        _ => None,
    }
}

fn ascii(exif: &Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => {
            let bytes = parts.first()?;
            let text = String::from_utf8_lossy(bytes);
            let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            (!text.is_empty()).then(|| text.to_owned())
        }
        _ => None,
    }
}

/// DateTimeOriginal (else DateTimeDigitized, else DateTime) with its OffsetTime* tag; without
/// an offset the clock time is taken as UTC.
fn capture_time(exif: &Exif) -> Option<DateTime<Utc>> {
    let pairs = [
        (Tag::DateTimeOriginal, Tag::OffsetTimeOriginal),
        (Tag::DateTimeDigitized, Tag::OffsetTimeDigitized),
        (Tag::DateTime, Tag::OffsetTime),
    ];
    pairs.iter().find_map(|&(time_tag, offset_tag)| {
        let text = ascii(exif, time_tag)?;
        let mut dt = exif::DateTime::from_ascii(text.as_bytes()).ok()?;
        if let Some(offset) = ascii(exif, offset_tag) {
            // A malformed offset is ignored: UTC is the documented fallback.
            let _ = dt.parse_offset(offset.as_bytes());
        }
        let naive = NaiveDate::from_ymd_opt(dt.year.into(), dt.month.into(), dt.day.into())?
            .and_hms_opt(dt.hour.into(), dt.minute.into(), dt.second.into())?;
        let offset = FixedOffset::east_opt(i32::from(dt.offset.unwrap_or(0)) * 60)?;
        let local = offset.from_local_datetime(&naive).single()?;
        Some(local.with_timezone(&Utc))
    })
}

fn gps(exif: &Exif) -> Option<GeoPoint> {
    let lat = dms(exif, Tag::GPSLatitude)?;
    let lon = dms(exif, Tag::GPSLongitude)?;
    let lat = if ascii(exif, Tag::GPSLatitudeRef).as_deref() == Some("S") {
        -lat
    } else {
        lat
    };
    let lon = if ascii(exif, Tag::GPSLongitudeRef).as_deref() == Some("W") {
        -lon
    } else {
        lon
    };
    // Many cameras write 0/0 when they have no fix.
    if lat == 0.0 && lon == 0.0 {
        return None;
    }
    GeoPoint::new(lat, lon).ok()
}

/// Degrees, minutes, seconds as three rationals.
fn dms(exif: &Exif, tag: Tag) -> Option<f64> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Rational(parts) if !parts.is_empty() => {
            let part = |i: usize| parts.get(i).map_or(0.0, |r| r.to_f64());
            let degrees = part(0) + part(1) / 60.0 + part(2) / 3600.0;
            degrees.is_finite().then_some(degrees)
        }
        _ => None,
    }
}

fn camera(exif: &Exif) -> Option<String> {
    crate::probe::camera_name(
        ascii(exif, Tag::Make).as_deref(),
        ascii(exif, Tag::Model).as_deref(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orientation_maps_to_clockwise_rotation_and_filters() {
        assert_eq!(orientation_rotation(1), 0);
        assert_eq!(orientation_rotation(6), 90);
        assert_eq!(orientation_rotation(3), 180);
        assert_eq!(orientation_rotation(8), 270);
        assert_eq!(orientation_filter(1), None);
        assert_eq!(orientation_filter(6), Some("transpose=clock"));
        assert_eq!(orientation_filter(8), Some("transpose=cclock"));
    }

    #[test]
    fn merge_lets_exif_win() {
        let mut facts = MediaFacts {
            rotation: Some(0),
            camera: Some("ffprobe camera".into()),
            ..Default::default()
        };
        ExifFacts {
            camera: Some("Canon EOS".into()),
            orientation: Some(6),
            ..Default::default()
        }
        .merge_into(&mut facts);
        assert_eq!(facts.rotation, Some(90));
        assert_eq!(facts.camera.as_deref(), Some("Canon EOS"));
        assert_eq!(facts.display_size(), None);
    }
}
