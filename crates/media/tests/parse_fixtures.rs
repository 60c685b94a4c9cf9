//! Pure, fast: parse committed real ffprobe 5.1 output (see tests/fixtures/README.md).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sightline_core::geo::GeoPoint;
use sightline_core::media::{MediaFacts, MediaKind};
use sightline_media::{MediaError, check_kind, parse_ffprobe};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/ffprobe_5_1_{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn parse(name: &str) -> MediaFacts {
    parse_ffprobe(&fixture(name)).unwrap_or_else(|e| panic!("parsing {name}: {e}"))
}

/// Parses a fixture after editing its JSON (for shapes ffmpeg 5.1 cannot produce).
fn parse_edited(name: &str, edit: impl FnOnce(&mut Value)) -> Result<MediaFacts, MediaError> {
    let mut value: Value = serde_json::from_str(&fixture(name)).expect("fixture is JSON");
    edit(&mut value);
    parse_ffprobe(&value.to_string())
}

fn utc(text: &str) -> Option<DateTime<Utc>> {
    Some(text.parse().expect("test timestamp"))
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-3)
}

#[test]
fn vtest_avi() {
    let f = parse("vtest_avi");
    assert_eq!((f.width, f.height), (Some(768), Some(576)));
    assert!(close(f.duration_secs, 79.5));
    assert!(close(f.fps, 10.0));
    assert_eq!(f.video_codec.as_deref(), Some("msmpeg4v3"));
    assert_eq!(f.audio_codec, None);
    assert_eq!(f.container.as_deref(), Some("avi"));
    assert_eq!((f.rotation, f.created_at, f.location), (None, None, None));
    assert_eq!(f.camera, None);
    assert!(check_kind(MediaKind::Video, f.clone()).is_ok());
    let err = check_kind(MediaKind::Photo, f).expect_err("a video is not a photo");
    assert!(err.is_permanent());
}

#[test]
fn megamind_avi_has_audio_and_a_fractional_rate() {
    let f = parse("megamind_avi");
    assert_eq!((f.width, f.height), (Some(720), Some(528)));
    assert!(close(f.duration_secs, 11.261261));
    assert!(close(f.fps, 2997.0 / 125.0));
    assert_eq!(f.video_codec.as_deref(), Some("mpeg4"));
    assert_eq!(f.audio_codec.as_deref(), Some("ac3"));
}

#[test]
fn jpeg_is_a_photo_not_a_video() {
    let f = parse("messi5_jpg");
    assert_eq!((f.width, f.height), (Some(548), Some(342)));
    assert_eq!(f.video_codec.as_deref(), Some("mjpeg"));
    assert_eq!(f.container.as_deref(), Some("image2"));
    // ffprobe gives a still 0.04 s at 25 fps; a photo's facts drop both.
    let photo = check_kind(MediaKind::Photo, f.clone()).expect("a jpeg is a photo");
    assert_eq!((photo.duration_secs, photo.fps), (None, None));
    let err = check_kind(MediaKind::Video, f).expect_err("a jpeg is not a video");
    assert!(err.is_permanent());
    assert_eq!(
        err.to_string(),
        "not a video: the file is a still image (mjpeg in image2)"
    );
}

#[test]
fn png_is_a_photo() {
    let f = parse("basketball1_png");
    assert_eq!((f.width, f.height), (Some(640), Some(480)));
    assert_eq!(f.container.as_deref(), Some("png_pipe"));
    assert!(check_kind(MediaKind::Photo, f.clone()).is_ok());
    assert!(check_kind(MediaKind::Video, f).is_err());
}

#[test]
fn mp4_with_location_and_creation_time() {
    let f = parse("testsrc2_geo_mp4");
    assert_eq!((f.width, f.height), (Some(640), Some(360)));
    assert!(close(f.duration_secs, 3.0));
    assert!(close(f.fps, 30.0));
    assert_eq!(f.video_codec.as_deref(), Some("h264"));
    assert_eq!(f.audio_codec.as_deref(), Some("aac"));
    assert_eq!(f.container.as_deref(), Some("mov,mp4,m4a,3gp,3g2,mj2"));
    assert_eq!(
        f.location,
        Some(GeoPoint {
            lat: 48.8584,
            lon: 2.2945
        })
    );
    assert_eq!(f.created_at, utc("2024-07-14T10:00:00Z"));
    assert_eq!(f.rotation, None);
}

#[test]
fn phone_portrait_recording_rotates_clockwise() {
    let f = parse("phone_rotated_mov");
    // Display matrix rotation -90 (counter-clockwise) = turn 90° clockwise to show upright.
    assert_eq!(f.rotation, Some(90));
    assert_eq!(f.display_size(), Some((360, 640)));
    assert_eq!(
        f.location,
        Some(GeoPoint {
            lat: -33.8568,
            lon: 151.2153
        })
    );
    assert_eq!(f.camera.as_deref(), Some("Apple iPhone 12"));
    // com.apple.quicktime.creationdate "2024-07-14T12:00:00+0200".
    assert_eq!(f.created_at, utc("2024-07-14T10:00:00Z"));
}

fn set_rotation(value: &mut Value, ccw: i64) {
    value["streams"][0]["side_data_list"][0]["rotation"] = json!(ccw);
}

#[test]
fn display_matrix_rotations_are_normalised() {
    for (ccw, cw) in [
        (-90, 90),
        (90, 270),
        (180, 180),
        (-180, 180),
        (0, 0),
        (270, 90),
    ] {
        let f = parse_edited("phone_rotated_mov", |v| set_rotation(v, ccw)).expect("parses");
        assert_eq!(f.rotation, Some(cw), "display matrix {ccw}");
    }
}

#[test]
fn legacy_rotate_tag_is_clockwise() {
    // Older ffprobe builds print the tkhd rotation as a `rotate` tag instead of side data.
    let f = parse_edited("testsrc2_geo_mp4", |v| {
        v["streams"][0]["tags"]["rotate"] = json!("90");
    })
    .expect("parses");
    assert_eq!(f.rotation, Some(90));
    assert_eq!(f.display_size(), Some((360, 640)));
}

#[test]
fn audio_only_is_invalid_media() {
    let err = parse_edited("megamind_avi", |v| {
        if let Some(streams) = v["streams"].as_array_mut() {
            streams.retain(|s| s["codec_type"] != "video");
        }
    })
    .expect_err("no video stream");
    assert!(err.is_permanent());
    assert!(
        err.to_string().contains("ffprobe found no video stream"),
        "{err}"
    );
}

#[test]
fn cover_art_is_not_a_video_stream() {
    let err = parse_edited("megamind_avi", |v| {
        v["streams"][0]["disposition"]["attached_pic"] = json!(1);
    })
    .expect_err("attached picture only");
    assert!(err.is_permanent());
}

#[test]
fn zero_over_zero_rates_and_missing_durations_are_none() {
    let f = parse_edited("vtest_avi", |v| {
        v["streams"][0]["avg_frame_rate"] = json!("0/0");
        v["streams"][0]["r_frame_rate"] = json!("0/0");
        v["format"]["duration"] = json!("N/A");
        v["streams"][0]["duration"] = json!("N/A");
    })
    .expect("parses");
    assert_eq!((f.fps, f.duration_secs), (None, None));
    let err = check_kind(MediaKind::Video, f).expect_err("a video needs a duration");
    assert!(err.is_permanent());
}
