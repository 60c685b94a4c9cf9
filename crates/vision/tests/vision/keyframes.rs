//! ffmpeg keyframes on generated clips: times, counts, sizes, bad input.

use std::path::Path;

use sightline_vision::{KEYFRAME_MAX_SIDE, VisionError, decode_keyframes, decode_keyframes_with};

use crate::ffmpeg;

/// A `secs`-second testsrc2 clip of `size` at 10 fps in `dir`.
fn clip(dir: &Path, name: &str, size: &str, secs: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    let src = format!("testsrc2=size={size}:rate=10:duration={secs}");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &src,
        "-pix_fmt",
        "yuv420p",
        path.to_str().expect("utf-8"),
    ]);
    path
}

#[test]
fn frames_every_second_with_their_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "five.mp4", "320x240", 5);
    let frames = decode_keyframes(&path, 1.0, 100).expect("decodes");
    let times: Vec<f32> = frames.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    for (_, f) in &frames {
        assert_eq!((f.width(), f.height()), (320, 240));
        assert_eq!(f.pixels().len(), 320 * 240 * 3);
    }
    // testsrc2 moves: the frames differ.
    assert_ne!(frames[0].1, frames[4].1);

    let half = decode_keyframes(&path, 2.5, 100).expect("decodes");
    assert_eq!(
        half.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        vec![0.0, 2.5]
    );
    assert_eq!(decode_keyframes(&path, 0.5, 3).expect("decodes").len(), 3);
    assert!(
        decode_keyframes(&path, 1.0, 0)
            .expect("nothing asked")
            .is_empty()
    );
}

#[test]
fn large_frames_are_scaled_down_keeping_the_aspect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wide = clip(dir.path(), "wide.mp4", "1920x1080", 1);
    let (_, f) = &decode_keyframes(&wide, 1.0, 1).expect("decodes")[0];
    assert_eq!((f.width(), f.height()), (KEYFRAME_MAX_SIDE, 720));
    let tall = clip(dir.path(), "tall.mp4", "720x1600", 1);
    let (_, f) = &decode_keyframes(&tall, 1.0, 1).expect("decodes")[0];
    assert_eq!((f.width(), f.height()), (576, KEYFRAME_MAX_SIDE));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.mp4");
    std::fs::write(&garbage, vec![0x42u8; 10_000]).expect("write");
    let err = decode_keyframes(&garbage, 1.0, 5).expect_err("not a video");
    assert!(matches!(err, VisionError::Media(_)), "{err:?}");

    let err = decode_keyframes(&dir.path().join("missing.mp4"), 1.0, 5).expect_err("missing");
    assert!(matches!(err, VisionError::Media(_)), "{err:?}");

    for every in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        let err = decode_keyframes(&garbage, every, 5).expect_err("bad interval");
        assert!(matches!(err, VisionError::InvalidArgument(_)), "{err:?}");
    }

    // An audio-only file has no video stream.
    let audio = dir.path().join("tone.wav");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=duration=1",
        audio.to_str().expect("utf-8"),
    ]);
    assert!(decode_keyframes(&audio, 1.0, 5).is_err());
}

#[tokio::test]
async fn works_from_async_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = clip(dir.path(), "two.mp4", "160x120", 2);
    // The blocking call inside a runtime: it runs on its own thread, no nested-runtime panic.
    assert_eq!(decode_keyframes(&path, 1.0, 10).expect("decodes").len(), 2);

    let frames = decode_keyframes_with(
        Path::new("ffmpeg"),
        &path,
        1.0,
        10,
        std::time::Duration::from_secs(30),
    )
    .await
    .expect("decodes");
    assert_eq!(frames.len(), 2);

    let err = decode_keyframes_with(
        Path::new("sightline-no-such-ffmpeg"),
        &path,
        1.0,
        10,
        std::time::Duration::from_secs(30),
    )
    .await
    .expect_err("no binary");
    assert!(err.to_string().contains("apt-get install ffmpeg"), "{err}");
}
