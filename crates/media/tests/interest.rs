//! Per-second interest scores on real renditions made with the real ffmpeg: each clip has a
//! known good half and bad half, and the scores must rank them.

mod common;

use common::{TIMEOUT, data, ffmpeg};
use sightline_core::media::MediaKind;
use sightline_core::memory::{SecondInterest, SegmentOptions, best_segments};
use sightline_media::{InterestTrack, MediaError, Tools, analyse_interest, normalise, probe};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Encodes a synthetic source with `args` (inputs and filters; the output is added) and returns
/// its normalised rendition.
async fn rendition(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let source = dir.join(format!("{name}-source.mp4"));
    let mut all = args.to_vec();
    all.extend([
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    ]);
    all.extend(["-c:a", "aac", source.to_str().expect("utf-8 path")]);
    ffmpeg(&all);
    let out = dir.join(format!("{name}.mp4"));
    let facts = probe(&source, MediaKind::Video, TIMEOUT)
        .await
        .expect("source probes");
    normalise(&source, &facts, &out, TIMEOUT)
        .await
        .expect("rendition is made");
    out
}

async fn analyse(path: &Path) -> InterestTrack {
    analyse_interest(&Tools::default(), path, TIMEOUT)
        .await
        .expect("analysis succeeds")
}

/// One signal of a run of seconds.
fn column(seconds: &[SecondInterest], signal: impl Fn(&SecondInterest) -> f32) -> Vec<f32> {
    seconds.iter().map(signal).collect()
}

fn max(v: &[f32]) -> f32 {
    v.iter().copied().fold(f32::MIN, f32::max)
}

fn min(v: &[f32]) -> f32 {
    v.iter().copied().fold(f32::MAX, f32::min)
}

#[tokio::test]
async fn sharp_seconds_outrank_blurred_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = rendition(
        dir.path(),
        "blur",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30:duration=6",
            "-vf",
            "boxblur=luma_radius=12:luma_power=3:enable='gte(t,3)'",
        ],
    )
    .await;
    let track = analyse(&clip).await;
    assert_eq!(track.seconds.len(), 6);
    assert_eq!(
        (track.frame_width, track.frame_height, track.sample_fps),
        (160, 90, 10)
    );
    assert!(track.seconds.iter().all(|s| s.raw.frames == 10));

    let sharp = column(&track.seconds[0..3], |s| s.sharpness);
    let blurred = column(&track.seconds[3..6], |s| s.sharpness);
    assert!(
        min(&sharp) > max(&blurred),
        "sharp {sharp:?} blurred {blurred:?}"
    );
    let raw_sharp = column(&track.seconds[0..3], |s| s.raw.laplacian_variance);
    let raw_blurred = column(&track.seconds[3..6], |s| s.raw.laplacian_variance);
    assert!(
        min(&raw_sharp) > 5.0 * max(&raw_blurred),
        "{raw_sharp:?} {raw_blurred:?}"
    );
}

#[tokio::test]
async fn moving_seconds_outrank_still_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 3 s of one frozen frame, then 3 s panning over a wider picture at 200 px/s.
    let graph = "[1:v]trim=end_frame=1,loop=loop=89:size=1:start=0,setpts=N/30/TB[still];\
                 [0:v]crop=640:360:'t*200':0[moving];[still][moving]concat=n=2:v=1:a=0[v]";
    let clip = rendition(
        dir.path(),
        "motion",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1280x360:rate=30:duration=3",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30:duration=1",
            "-filter_complex",
            graph,
            "-map",
            "[v]",
        ],
    )
    .await;
    let track = analyse(&clip).await;
    assert_eq!(track.seconds.len(), 6);
    let still = column(&track.seconds[0..3], |s| s.raw.frame_difference);
    let moving = column(&track.seconds[3..6], |s| s.raw.frame_difference);
    assert!(
        max(&still) < 0.5,
        "a frozen frame hardly changes: {still:?}"
    );
    assert!(
        min(&moving) > 5.0,
        "panning changes the picture: {moving:?}"
    );
    let still = column(&track.seconds[0..3], |s| s.motion);
    let moving = column(&track.seconds[3..6], |s| s.motion);
    assert!(max(&still) < min(&moving), "{still:?} {moving:?}");
}

#[tokio::test]
async fn loud_seconds_outrank_silent_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = rendition(
        dir.path(),
        "sound",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x180:rate=30:duration=6",
            "-f",
            "lavfi",
            "-i",
            "aevalsrc='if(gte(t,3),0.5*sin(2*PI*440*t),0)':s=48000:d=6",
        ],
    )
    .await;
    let track = analyse(&clip).await;
    assert_eq!(track.audio_sample_rate, 8000);
    let silent = column(&track.seconds[0..3], |s| s.raw.audio_dbfs);
    let loud = column(&track.seconds[3..6], |s| s.raw.audio_dbfs);
    assert!(max(&silent) < -60.0, "silence: {silent:?}");
    // A sine of amplitude 0.5 is at −9 dBFS RMS; the rendition's mono → stereo upmix spreads it
    // at −3 dB per channel, which the mono downmix of the analysis keeps: −12 dBFS.
    assert!(
        loud.iter().all(|db| (db + 12.0).abs() < 1.0),
        "sine: {loud:?}"
    );
    let silent = column(&track.seconds[0..3], |s| s.audio);
    let loud = column(&track.seconds[3..6], |s| s.audio);
    assert!(
        max(&silent) < 0.05 && min(&loud) > 0.95,
        "{silent:?} {loud:?}"
    );
}

#[tokio::test]
async fn covered_lens_is_flagged_and_avoided() {
    let dir = tempfile::tempdir().expect("tempdir");
    let graph = "[0:v][1:v]concat=n=2:v=1:a=0[v]";
    let clip = rendition(
        dir.path(),
        "covered",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=black:size=640x360:rate=30:duration=6",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=30:duration=6",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=12",
            "-filter_complex",
            graph,
            "-map",
            "[v]",
            "-map",
            "2:a",
        ],
    )
    .await;
    let track = analyse(&clip).await;
    assert_eq!(track.seconds.len(), 12);
    for s in &track.seconds[..6] {
        assert!(s.flat && s.dark, "covered second {s:?}");
    }
    for s in &track.seconds[6..] {
        assert!(!s.flat && !s.dark, "picture second {s:?}");
    }
    let segments = best_segments(&track.seconds, &[], &SegmentOptions::default());
    assert_eq!(
        (segments[0].start_secs, segments[0].end_secs),
        (6, 12),
        "{segments:?}"
    );
    assert!(
        segments.iter().all(|s| s.start_secs >= 6),
        "no window of black is worth showing: {segments:?}"
    );

    let json = serde_json::to_string(&track).expect("serialises");
    let back: InterestTrack = serde_json::from_str(&json).expect("parses");
    assert_eq!(back, track);
}

#[tokio::test]
async fn real_footage_without_audio() {
    // vtest.avi: 79.5 s of people walking, 10 fps, no audio; analysed as is (any video works).
    let track = analyse(&data("vtest.avi")).await;
    assert_eq!(track.seconds.len(), 79);
    assert_eq!((track.frame_width, track.frame_height), (160, 120));
    assert_eq!(track.audio_sample_rate, 0);
    assert!(track.seconds.iter().all(|s| !s.flat && !s.dark));
    assert!(track.seconds.iter().all(|s| s.raw.frame_difference > 0.0));
    assert!(
        track
            .seconds
            .iter()
            .all(|s| (0.0..=1.0).contains(&s.sharpness))
    );
}

#[tokio::test]
async fn files_that_are_not_videos_are_rejected_as_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bogus = dir.path().join("bogus.mp4");
    std::fs::write(&bogus, b"this is not a video at all").expect("write");
    let err = analyse_interest(&Tools::default(), &bogus, TIMEOUT)
        .await
        .expect_err("not a video");
    assert!(err.is_permanent(), "{err:?}");

    let missing_tool = Tools {
        ffmpeg: "sightline-no-such-ffmpeg".into(),
        ..Tools::default()
    };
    let err = analyse_interest(&missing_tool, &data("vtest.avi"), TIMEOUT)
        .await
        .expect_err("no ffmpeg");
    assert!(matches!(err, MediaError::ToolMissing { .. }), "{err:?}");
}

/// Analysis time of a 60 s 1080p30 rendition (run with `--ignored --nocapture`, ideally in
/// release). It runs once per video at ingest and must stay well under real time.
#[tokio::test]
#[ignore = "slow: makes a 60 s 1080p rendition first"]
async fn analysis_of_a_minute_of_1080p_is_well_under_real_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let clip = rendition(
        dir.path(),
        "minute",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1920x1080:rate=30:duration=60",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000:duration=60",
        ],
    )
    .await;
    println!("rendition made in {:.1} s", started.elapsed().as_secs_f64());
    let started = Instant::now();
    let track = analyse(&clip).await;
    let took = started.elapsed().as_secs_f64();
    println!(
        "interest analysis of 60 s 1080p: {took:.2} s ({:.1}× real time)",
        60.0 / took
    );
    assert_eq!(track.seconds.len(), 60);
    assert!(took < 30.0, "{took} s");
}
