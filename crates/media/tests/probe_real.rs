//! `probe` with the real ffprobe on real files.

mod common;

use common::{TIMEOUT, data, exif_photo, portrait_phone_clip};
use sightline_core::geo::GeoPoint;
use sightline_core::media::MediaKind;
use sightline_media::{MediaError, probe};

#[tokio::test]
async fn probes_vtest_avi() {
    let f = probe(&data("vtest.avi"), MediaKind::Video, TIMEOUT)
        .await
        .expect("vtest.avi probes");
    assert_eq!((f.width, f.height), (Some(768), Some(576)));
    assert_eq!(f.fps, Some(10.0));
    assert!(f.duration_secs.is_some_and(|d| (d - 79.5).abs() < 0.01));
    assert_eq!(f.audio_codec, None);
}

#[tokio::test]
async fn probes_megamind_avi_with_audio() {
    let f = probe(&data("Megamind.avi"), MediaKind::Video, TIMEOUT)
        .await
        .expect("Megamind.avi probes");
    assert_eq!((f.width, f.height), (Some(720), Some(528)));
    assert_eq!(f.video_codec.as_deref(), Some("mpeg4"));
    assert_eq!(f.audio_codec.as_deref(), Some("ac3"));
}

#[tokio::test]
async fn random_bytes_are_invalid_media_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("upload.mp4");
    // Deterministic noise (xorshift), so the test cannot flake on lucky bytes.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..65_536)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    std::fs::write(&path, bytes).expect("write");
    let err = probe(&path, MediaKind::Video, TIMEOUT)
        .await
        .expect_err("noise is not a video");
    assert!(err.is_permanent(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "ffprobe could not read the file: Invalid data found when processing input"
    );
}

#[tokio::test]
async fn empty_and_missing_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.mp4");
    std::fs::write(&empty, b"").expect("write");
    let err = probe(&empty, MediaKind::Video, TIMEOUT)
        .await
        .expect_err("empty");
    assert!(err.is_permanent());

    // A missing blob is a storage problem, not bad media: retryable.
    let err = probe(&dir.path().join("gone.mp4"), MediaKind::Video, TIMEOUT)
        .await
        .expect_err("missing");
    assert!(matches!(err, MediaError::Io(_)), "{err:?}");
    assert!(!err.is_permanent());
}

#[tokio::test]
async fn jpeg_uploaded_as_video_is_invalid_media() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A client lying about the kind, extension included.
    let lying = dir.path().join("clip.mp4");
    std::fs::copy(data("messi5.jpg"), &lying).expect("copy");
    for path in [data("messi5.jpg"), lying] {
        let err = probe(&path, MediaKind::Video, TIMEOUT)
            .await
            .expect_err("a jpeg is not a video");
        assert!(err.is_permanent(), "{err:?}");
        assert!(err.to_string().starts_with("not a video"), "{err}");
    }
    let err = probe(&data("vtest.avi"), MediaKind::Photo, TIMEOUT)
        .await
        .expect_err("a video is not a photo");
    assert!(err.is_permanent());
}

#[tokio::test]
async fn photo_exif_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = probe(&exif_photo(dir.path()), MediaKind::Photo, TIMEOUT)
        .await
        .expect("photo probes");
    assert_eq!((f.width, f.height), (Some(548), Some(342)));
    assert_eq!(f.rotation, Some(90));
    assert_eq!(f.display_size(), Some((342, 548)));
    assert_eq!(f.camera.as_deref(), Some("Canon EOS R5"));
    assert_eq!(f.created_at, "2024-07-14T10:00:00Z".parse().ok());
    let loc = f.location.expect("gps");
    let paris = GeoPoint {
        lat: 48.8584,
        lon: 2.2945,
    };
    assert!((loc.lat - paris.lat).abs() < 1e-4 && (loc.lon - paris.lon).abs() < 1e-4);
    assert_eq!((f.duration_secs, f.fps), (None, None));

    // Without EXIF: plain facts, no rotation.
    let f = probe(&data("basketball1.png"), MediaKind::Photo, TIMEOUT)
        .await
        .expect("png probes");
    assert_eq!(
        (f.width, f.height, f.rotation),
        (Some(640), Some(480), None)
    );
}

#[tokio::test]
async fn rotated_video_reports_clockwise_rotation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = probe(&portrait_phone_clip(dir.path()), MediaKind::Video, TIMEOUT)
        .await
        .expect("probes");
    assert_eq!(f.rotation, Some(90));
    assert_eq!(f.display_size(), Some((360, 640)));
}
