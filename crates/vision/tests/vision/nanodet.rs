//! NanoDet on real footage: people where there are people, none in a test pattern.

use std::time::Instant;

use sightline_vision::{Detected, DoorbellClass, NANODET_INPUT, decode_image, decode_keyframes};

use crate::{ffmpeg, nanodet, opencv_data};

fn people(found: &[Detected], min_confidence: f32) -> Vec<&Detected> {
    found
        .iter()
        .filter(|d| d.class == DoorbellClass::Person && d.confidence >= min_confidence)
        .collect()
}

#[test]
fn people_walking_in_vtest_are_found_with_plausible_boxes() {
    let detector = nanodet();
    // vtest.avi: 768×576, 10 fps, a pedestrian area seen from above, several people at a time.
    let frames = decode_keyframes(&opencv_data("vtest.avi"), 2.0, 5).expect("decodes");
    assert_eq!(frames.len(), 5);
    let mut total = std::time::Duration::ZERO;
    for (t, frame) in &frames {
        let started = Instant::now();
        let found = detector.detect_image(frame).expect("detects");
        total += started.elapsed();
        let walkers = people(&found, 0.5);
        assert!(
            walkers.len() >= 2,
            "frame at {t} s: expected at least two people, got {found:#?}"
        );
        for p in walkers {
            // Pedestrians here are 25–170 px tall on a 576 px frame (the far end of the square
            // at the top), upright, inside the frame.
            assert!((0.04..0.35).contains(&p.h), "height {p:?}");
            assert!(p.w < p.h, "a walking person is taller than wide: {p:?}");
            assert!(
                p.x >= 0.0 && p.y >= 0.0 && p.x + p.w <= 1.0 && p.y + p.h <= 1.0,
                "{p:?}"
            );
            assert_eq!(p.label, "person");
        }
    }
    println!(
        "NanoDet {NANODET_INPUT}×{NANODET_INPUT}: {:.1} ms per 768×576 frame (resize + inference + decode, this build profile)",
        total.as_secs_f64() * 1000.0 / frames.len() as f64
    );
}

#[test]
fn people_in_the_opencv_photos() {
    let detector = nanodet();
    // messi5.jpg: a footballer filling most of the frame (and a ball).
    let messi = decode_image(&opencv_data("messi5.jpg")).expect("decodes");
    let found = detector.detect_image(&messi).expect("detects");
    let best = people(&found, 0.5);
    assert!(
        best.iter().any(|p| p.h > 0.5 && p.w > 0.3),
        "the player is a large person box: {found:#?}"
    );

    // basketball1.png: two players.
    let players = decode_image(&opencv_data("basketball1.png")).expect("decodes");
    let found = detector.detect_image(&players).expect("detects");
    let big: Vec<_> = people(&found, 0.5)
        .into_iter()
        .filter(|p| p.h > 0.5)
        .collect();
    assert_eq!(big.len(), 2, "two players: {found:#?}");
    // One on the left, one on the right.
    let mut centres: Vec<f32> = big.iter().map(|p| p.x + p.w / 2.0).collect();
    centres.sort_by(f32::total_cmp);
    assert!(centres[0] < 0.4 && centres[1] > 0.6, "{centres:?}");
}

#[test]
fn a_test_pattern_has_no_person() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = dir.path().join("pattern.mp4");
    let clip_arg = clip.to_str().expect("utf-8 path");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x480:rate=10:duration=3",
        "-pix_fmt",
        "yuv420p",
        clip_arg,
    ]);
    let frames = decode_keyframes(&clip, 1.0, 3).expect("decodes");
    assert_eq!(frames.len(), 3);
    for (t, frame) in &frames {
        let found = nanodet().detect_image(frame).expect("detects");
        assert!(
            people(&found, 0.5).is_empty(),
            "person in the pattern at {t} s: {found:#?}"
        );
    }
}

#[test]
fn a_flat_grey_frame_has_nothing() {
    let grey = vec![128u8; 320 * 240 * 3];
    let found = nanodet().detect(&grey, 320, 240).expect("detects");
    assert!(found.iter().all(|d| d.confidence < 0.5), "{found:#?}");
}

#[test]
fn a_wrong_buffer_size_is_an_error() {
    let err = nanodet()
        .detect(&[0u8; 10], 4, 4)
        .expect_err("10 bytes are not 4×4 RGB");
    assert!(err.to_string().contains("48 bytes"), "{err}");
}
