//! Thumbnails and previews with the real ffmpeg.

mod common;

use common::{TIMEOUT, data, exif_photo, ffprobe, picture_size, portrait_phone_clip};
use sightline_core::media::MediaKind;
use sightline_media::{make_stills, probe};
use std::path::Path;

/// Makes both stills of `input` and returns their sizes, checking they are JPEGs and that no
/// temporary file is left behind.
async fn stills(input: &Path, kind: MediaKind, dir: &Path) -> ((u64, u64), (u64, u64)) {
    let facts = probe(input, kind, TIMEOUT).await.expect("input probes");
    let (thumb, preview) = (dir.join("thumb.jpg"), dir.join("preview.jpg"));
    make_stills(input, kind, &facts, &thumb, &preview, TIMEOUT)
        .await
        .expect("stills are made");
    for out in [&thumb, &preview] {
        let v = ffprobe(out, &["-show_streams"]);
        assert_eq!(v["streams"][0]["codec_name"], "mjpeg", "{}", out.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    (picture_size(&thumb), picture_size(&preview))
}

#[tokio::test]
async fn video_stills_fit_and_are_not_upscaled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (thumb, preview) = stills(&data("vtest.avi"), MediaKind::Video, dir.path()).await;
    assert_eq!(thumb, (320, 240));
    assert_eq!(preview, (768, 576), "a 768×576 source is never upscaled");
}

#[tokio::test]
async fn large_video_preview_is_capped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = common::make_clip(dir.path(), "big.mp4", "2560x1440", 30, 1, false);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let (thumb, preview) = stills(&clip, MediaKind::Video, &out).await;
    assert_eq!(thumb, (320, 180));
    assert_eq!(preview, (1440, 810));
}

#[tokio::test]
async fn photo_stills_follow_exif_orientation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = exif_photo(dir.path()); // 548×342 stored, orientation 6
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let (thumb, preview) = stills(&photo, MediaKind::Photo, &out).await;
    assert!(
        thumb.1 == 320 && thumb.0 < thumb.1,
        "portrait thumb {thumb:?}"
    );
    assert_eq!(preview, (342, 548));
}

#[tokio::test]
async fn png_stills() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (thumb, preview) = stills(&data("basketball1.png"), MediaKind::Photo, dir.path()).await;
    assert_eq!(thumb, (320, 240));
    assert_eq!(preview, (640, 480));
}

#[tokio::test]
async fn rotated_video_stills_are_upright() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = portrait_phone_clip(dir.path());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let (thumb, preview) = stills(&clip, MediaKind::Video, &out).await;
    assert_eq!(thumb, (180, 320));
    assert_eq!(preview, (360, 640));
}
