//! Pure parser of `ffprobe -v error -print_format json -show_format -show_streams` output.
//!
//! Read through `serde_json::Value` rather than typed structs: ffprobe versions differ in which
//! fields exist and whether numbers are printed as numbers or strings, and one odd field must not
//! make a whole file unreadable. Tested on committed real ffprobe 5.1 fixtures.

use crate::error::MediaError;
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use serde_json::Value;
use sightline_core::geo::GeoPoint;
use sightline_core::media::{MediaFacts, MediaKind};

/// Facts plus what the pipeline needs beyond [`MediaFacts`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Probed {
    pub facts: MediaFacts,
    /// Duration of the first video stream alone (the format's may include longer audio).
    pub video_duration: Option<f64>,
    pub has_audio: bool,
}

/// Parses ffprobe JSON into [`MediaFacts`]. No streams, or no video stream (ffprobe reports
/// pictures as video streams too) → [`MediaError::InvalidMedia`].
///
/// `rotation` is the clockwise rotation a player must apply to show the picture upright, so a
/// phone's portrait recording (display matrix rotation `-90`, legacy tag `rotate=90`) gives `90`.
/// ffprobe's display-matrix `rotation` is counter-clockwise, hence the sign flip.
pub fn parse_ffprobe(json: &str) -> Result<MediaFacts, MediaError> {
    parse_probed(json, None).map(|p| p.facts)
}

pub(crate) fn parse_probed(json: &str, kind: Option<MediaKind>) -> Result<Probed, MediaError> {
    let root: Value = serde_json::from_str(json).map_err(|e| MediaError::UnexpectedOutput {
        program: "ffprobe".into(),
        reason: format!("not JSON: {e}"),
    })?;
    let what = match kind {
        Some(MediaKind::Video) => "not a playable video",
        Some(MediaKind::Photo) => "not a readable image",
        None => "not a playable video or image",
    };
    let streams = root
        .get("streams")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if streams.is_empty() {
        return Err(MediaError::invalid(format!(
            "{what}: ffprobe found no streams"
        )));
    }
    let is_type = |s: &&Value, t: &str| text(s, "codec_type") == Some(t);
    // Cover art in audio files is a video stream flagged `attached_pic`: not a picture of ours.
    let video = streams
        .iter()
        .find(|s| is_type(s, "video") && number(&s["disposition"], "attached_pic") != Some(1.0))
        .ok_or_else(|| MediaError::invalid(format!("{what}: ffprobe found no video stream")))?;
    let audio = streams.iter().find(|s| is_type(s, "audio"));
    let format = &root["format"];

    let video_duration = positive(number(video, "duration"))
        .or_else(|| tag(video, "DURATION").and_then(clock_duration));
    let facts = MediaFacts {
        width: number(video, "width").and_then(to_u32),
        height: number(video, "height").and_then(to_u32),
        duration_secs: positive(number(format, "duration")).or(video_duration),
        fps: text(video, "avg_frame_rate")
            .and_then(frame_rate)
            .or_else(|| text(video, "r_frame_rate").and_then(frame_rate)),
        video_codec: text(video, "codec_name").map(str::to_owned),
        audio_codec: audio.and_then(|a| text(a, "codec_name")).map(str::to_owned),
        container: text(format, "format_name").map(str::to_owned),
        rotation: rotation(video),
        created_at: [
            tag(format, "com.apple.quicktime.creationdate"),
            tag(format, "creation_time"),
            tag(video, "creation_time"),
        ]
        .into_iter()
        .flatten()
        .find_map(timestamp),
        location: [
            tag(format, "com.apple.quicktime.location.ISO6709"),
            tag(format, "location"),
            tag(format, "location-eng"),
            tag(video, "location"),
        ]
        .into_iter()
        .flatten()
        .find_map(GeoPoint::parse_iso6709),
        camera: camera_name(
            tag(format, "com.apple.quicktime.make")
                .or_else(|| tag(format, "make"))
                .or_else(|| tag(format, "com.android.manufacturer")),
            tag(format, "com.apple.quicktime.model")
                .or_else(|| tag(format, "model"))
                .or_else(|| tag(format, "com.android.model")),
        ),
    };
    Ok(Probed {
        facts,
        video_duration,
        has_audio: audio.is_some(),
    })
}

/// "Make Model", without repeating a make the model already starts with ("Apple iPhone 12",
/// not "Canon Canon EOS R5").
pub(crate) fn camera_name(make: Option<&str>, model: Option<&str>) -> Option<String> {
    let make = make.map(str::trim).filter(|s| !s.is_empty());
    let model = model.map(str::trim).filter(|s| !s.is_empty());
    match (make, model) {
        (Some(make), Some(model))
            if model
                .to_ascii_lowercase()
                .starts_with(&make.to_ascii_lowercase()) =>
        {
            Some(model.to_owned())
        }
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (one, other) => one.or(other).map(str::to_owned),
    }
}

fn text<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get(key)?.as_str()
}

/// A number printed either as a JSON number or as a string ("79.500000"; "N/A" → None).
fn number(obj: &Value, key: &str) -> Option<f64> {
    match obj.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n: &f64| n.is_finite())
}

/// Tag lookup, case-insensitive (AVI and Matroska write upper-case keys).
fn tag<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get("tags")?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn positive(n: Option<f64>) -> Option<f64> {
    n.filter(|n| *n > 0.0)
}

fn to_u32(n: f64) -> Option<u32> {
    (n >= 1.0 && n <= f64::from(u32::MAX)).then_some(n as u32)
}

/// "30000/1001" → 29.97; "0/0" and absurd rates → None.
pub(crate) fn frame_rate(rate: &str) -> Option<f64> {
    let (num, den) = rate.split_once('/').unwrap_or((rate, "1"));
    let (num, den): (f64, f64) = (num.trim().parse().ok()?, den.trim().parse().ok()?);
    let fps = num / den;
    (den > 0.0 && fps.is_finite() && fps > 0.0 && fps <= 1000.0).then_some(fps)
}

/// Matroska's "00:01:02.500000000" → 62.5.
fn clock_duration(text: &str) -> Option<f64> {
    let mut parts = text.rsplit(':');
    let seconds: f64 = parts.next()?.parse().ok()?;
    let minutes: f64 = parts.next().map_or(Ok(0.0), str::parse).ok()?;
    let hours: f64 = parts.next().map_or(Ok(0.0), str::parse).ok()?;
    positive(Some(hours * 3600.0 + minutes * 60.0 + seconds))
}

/// Clockwise rotation from the display matrix (counter-clockwise in ffprobe, so negated) or,
/// for older files and ffprobe versions, the `rotate` tag (already clockwise).
fn rotation(video: &Value) -> Option<i32> {
    let from_matrix = video
        .get("side_data_list")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|sd| {
            text(sd, "side_data_type").is_some_and(|t| {
                t.to_ascii_lowercase()
                    .replace(' ', "")
                    .contains("displaymatrix")
            })
        })
        .and_then(|sd| number(sd, "rotation"))
        .map(|ccw| -ccw);
    let degrees = from_matrix.or_else(|| tag(video, "rotate").and_then(|r| r.parse().ok()))?;
    let quarter_turns = (degrees / 90.0).round() as i64;
    Some((quarter_turns * 90).rem_euclid(360) as i32)
}

/// Container timestamps: "2024-07-14T10:00:00.000000Z", Apple's "2024-07-14T12:00:00+0200",
/// or a bare "2024-07-14 10:00:00" (taken as UTC). Placeholder epochs (1904, 1970) are ignored.
pub(crate) fn timestamp(text: &str) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .map(|n| n.and_utc())
        })?;
    (parsed.year() > 1970).then_some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rates() {
        assert_eq!(frame_rate("30/1"), Some(30.0));
        let ntsc = frame_rate("30000/1001").expect("ntsc");
        assert!((ntsc - 29.97).abs() < 0.01);
        assert_eq!(frame_rate("0/0"), None);
        assert_eq!(frame_rate("1/0"), None);
        assert_eq!(frame_rate("90000/1"), None);
        assert_eq!(frame_rate("garbage"), None);
    }

    #[test]
    fn timestamps() {
        let want = "2024-07-14T10:00:00Z".parse::<DateTime<Utc>>().ok();
        assert_eq!(timestamp("2024-07-14T10:00:00.000000Z"), want);
        assert_eq!(timestamp("2024-07-14T12:00:00+0200"), want);
        assert_eq!(timestamp("2024-07-14T12:00:00+02:00"), want);
        assert_eq!(timestamp("2024-07-14 10:00:00"), want);
        assert_eq!(timestamp("1970-01-01T00:00:00.000000Z"), None);
        assert_eq!(timestamp("yesterday"), None);
    }

    #[test]
    fn matroska_durations() {
        assert_eq!(clock_duration("00:01:02.500000000"), Some(62.5));
        assert_eq!(clock_duration("nonsense"), None);
    }

    #[test]
    fn camera_names() {
        assert_eq!(
            camera_name(Some("Apple"), Some("iPhone 12")).as_deref(),
            Some("Apple iPhone 12")
        );
        assert_eq!(
            camera_name(Some("Canon"), Some("Canon EOS R5")).as_deref(),
            Some("Canon EOS R5")
        );
        assert_eq!(
            camera_name(None, Some("Pixel 8")).as_deref(),
            Some("Pixel 8")
        );
        assert_eq!(camera_name(Some(" "), None), None);
    }

    #[test]
    fn no_streams_is_invalid_media() {
        let err = parse_ffprobe(r#"{"streams": [], "format": {}}"#).expect_err("no streams");
        assert!(err.is_permanent());
        let err = parse_ffprobe("{\n\n}").expect_err("empty object");
        assert!(err.is_permanent());
        let err = parse_ffprobe("not json").expect_err("not json");
        assert!(!err.is_permanent(), "{err}");
    }
}
