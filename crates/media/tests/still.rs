//! A photo as a Ken Burns still that splices into a memory like any rendition.

mod common;

use common::{TIMEOUT, make_clip};
use sightline_core::media::MediaKind;
use sightline_media::still::ken_burns_still;
use sightline_media::{
    MemoryClip, MemoryRequest, Tools, assemble_memory, check_memory, normalise, probe,
};
use std::path::Path;

const PHOTO: &str = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

#[tokio::test]
async fn a_photo_still_joins_a_memory_and_videos_are_still_copied() {
    let dir = tempfile::tempdir().unwrap();
    let still = dir.path().join("still.mp4");
    ken_burns_still(
        &Tools::default(),
        Path::new(PHOTO),
        3,
        (640, 360),
        &still,
        TIMEOUT,
    )
    .await
    .expect("still");
    let facts = probe(&still, MediaKind::Video, TIMEOUT).await.unwrap();
    assert_eq!((facts.width, facts.height), (Some(640), Some(360)));
    assert!(
        (facts.duration_secs.unwrap() - 3.0).abs() < 0.05,
        "{facts:?}"
    );

    let raw = make_clip(dir.path(), "raw.mp4", "640x360", 30, 8, true);
    let video = dir.path().join("video.mp4");
    let facts = probe(&raw, MediaKind::Video, TIMEOUT).await.unwrap();
    normalise(&raw, &facts, &video, TIMEOUT).await.unwrap();

    let request = MemoryRequest {
        clips: vec![
            MemoryClip {
                rendition: video.clone(),
                in_secs: 1.0,
                out_secs: 7.0,
            },
            MemoryClip {
                rendition: still.clone(),
                in_secs: 0.0,
                out_secs: 3.0,
            },
        ],
        crossfade_secs: 0.5,
    };
    let out = dir.path().join("memory.mp4");
    let thumb = dir.path().join("memory.jpg");
    let made = assemble_memory(&request, &out, &thumb, TIMEOUT)
        .await
        .expect("assembled");
    assert!(
        made.timeline.iter().all(|c| c.copied),
        "both encode like renditions: {made:?}"
    );
    let check = check_memory(&Tools::default(), &out, TIMEOUT)
        .await
        .unwrap();
    let planned: f64 = made
        .timeline
        .iter()
        .map(|c| c.out_secs - c.in_secs)
        .sum::<f64>()
        - 0.5;
    assert!(
        check.problems(planned).is_empty(),
        "{:?}",
        check.problems(planned)
    );
}

#[tokio::test]
async fn a_still_refuses_an_odd_size_or_no_length() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.mp4");
    for (secs, size) in [(0, (640, 360)), (3, (641, 360)), (3, (8, 8))] {
        let err = ken_burns_still(
            &Tools::default(),
            Path::new(PHOTO),
            secs,
            size,
            &out,
            TIMEOUT,
        )
        .await
        .unwrap_err();
        assert!(err.is_permanent(), "{err}");
    }
    let err = ken_burns_still(
        &Tools::default(),
        Path::new("/nonexistent.jpg"),
        3,
        (640, 360),
        &out,
        TIMEOUT,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("nonexistent"), "{err}");
    assert!(!out.exists(), "no half-written still is left behind");
}
