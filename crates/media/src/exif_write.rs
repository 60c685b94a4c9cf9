//! Writes capture time and GPS into a JPEG's EXIF, so sample and test photos carry known truth
//! for places and dates (the demo library, end-to-end tests).

use chrono::{DateTime, Utc};
use exif::{Field, In, Rational, Tag, Value};

fn ascii(tag: Tag, text: &str) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![text.as_bytes().to_vec()]),
    }
}

/// Degrees as the EXIF degrees/minutes/seconds triple (seconds to 1/10,000).
fn dms(tag: Tag, degrees: f64) -> Field {
    let degrees = degrees.abs();
    let whole = degrees.floor();
    let minutes = ((degrees - whole) * 60.0).floor();
    let seconds = ((degrees - whole) * 60.0 - minutes) * 60.0;
    let r = |num: f64, denom: u32| Rational {
        num: num as u32,
        denom,
    };
    let value = Value::Rational(vec![
        r(whole, 1),
        r(minutes, 1),
        r((seconds * 10_000.0).round(), 10_000),
    ]);
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    }
}

/// Returns `jpeg` with an EXIF segment holding the capture time (UTC) and, when given, GPS
/// `(lat, lon)`. `None` when `jpeg` is not a JPEG or the fields do not serialise.
pub fn with_capture_exif(
    jpeg: &[u8],
    taken: DateTime<Utc>,
    place: Option<(f64, f64)>,
) -> Option<Vec<u8>> {
    with_camera_exif(jpeg, taken, place, None)
}

/// [`with_capture_exif`] plus the EXIF orientation (1–8) of the camera that took it, as a
/// device's camera writes it: a sensor mounted sideways is turned by viewers, not re-encoded.
pub fn with_camera_exif(
    jpeg: &[u8],
    taken: DateTime<Utc>,
    place: Option<(f64, f64)>,
    orientation: Option<u16>,
) -> Option<Vec<u8>> {
    if jpeg.get(..2) != Some(&[0xFF, 0xD8]) {
        return None;
    }
    let stamp = taken.format("%Y:%m:%d %H:%M:%S").to_string();
    let mut fields = vec![
        ascii(Tag::DateTimeOriginal, &stamp),
        ascii(Tag::OffsetTimeOriginal, "+00:00"),
    ];
    if let Some((lat, lon)) = place {
        fields.push(ascii(
            Tag::GPSLatitudeRef,
            if lat >= 0.0 { "N" } else { "S" },
        ));
        fields.push(dms(Tag::GPSLatitude, lat));
        fields.push(ascii(
            Tag::GPSLongitudeRef,
            if lon >= 0.0 { "E" } else { "W" },
        ));
        fields.push(dms(Tag::GPSLongitude, lon));
    }
    if let Some(orientation) = orientation.filter(|o| (1..=8).contains(o)) {
        fields.push(Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![orientation]),
        });
    }
    with_exif_fields(jpeg, &fields)
}

/// Inserts an EXIF APP1 segment made of `fields` right after the JPEG's start marker.
pub fn with_exif_fields(jpeg: &[u8], fields: &[Field]) -> Option<Vec<u8>> {
    if jpeg.get(..2) != Some(&[0xFF, 0xD8]) {
        return None;
    }
    let mut writer = exif::experimental::Writer::new();
    for field in fields {
        writer.push_field(field);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).ok()?;
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff.into_inner());
    let len = u16::try_from(app1.len() + 2).ok()?;
    let mut out = Vec::with_capacity(jpeg.len() + app1.len() + 4);
    out.extend([0xFF, 0xD8, 0xFF, 0xE1]);
    out.extend(len.to_be_bytes());
    out.extend(app1);
    out.extend(&jpeg[2..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_exif_reader_reads_back_what_was_written() {
        let taken = Utc.with_ymd_and_hms(2024, 7, 14, 10, 30, 5).unwrap();
        let out =
            with_capture_exif(&[0xFF, 0xD8, 0xFF, 0xD9], taken, Some((48.8584, -2.2945))).unwrap();
        let facts = crate::photo_exif::exif_facts(
            &exif::Reader::new()
                .read_from_container(&mut std::io::Cursor::new(&out))
                .unwrap(),
        );
        assert_eq!(facts.created_at, Some(taken));
        let place = facts.location.unwrap();
        assert!(
            (place.lat - 48.8584).abs() < 1e-4 && (place.lon + 2.2945).abs() < 1e-4,
            "{place:?}"
        );
        assert!(with_capture_exif(b"not a jpeg", taken, None).is_none());
    }
}
