//! The normalised rendition, checked packet by packet with the real ffprobe.

mod common;

use common::{TIMEOUT, data, ffprobe, make_clip, portrait_phone_clip};
use serde_json::Value;
use sightline_core::media::MediaKind;
use sightline_media::{RenditionInfo, normalise, probe};
use std::path::Path;

async fn normalise_ok(input: &Path, out: &Path) -> RenditionInfo {
    let facts = probe(input, MediaKind::Video, TIMEOUT)
        .await
        .expect("input probes");
    normalise(input, &facts, out, TIMEOUT)
        .await
        .expect("rendition is made")
}

fn num(v: &Value) -> f64 {
    match v {
        Value::String(s) => s.parse().expect("numeric string"),
        other => other.as_f64().expect("number"),
    }
}

/// Checks everything DESIGN.md promises about the mezzanine.
fn check_mezzanine(path: &Path, info: &RenditionInfo, source_secs: f64, size: (u64, u64)) {
    let v = ffprobe(path, &["-show_format", "-show_streams"]);
    let streams = v["streams"].as_array().expect("streams");
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .expect("video stream");
    let audio = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .expect("an AAC stream, silent or not");
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(video["profile"], "High");
    assert_eq!(video["level"], 41);
    assert_eq!(video["pix_fmt"], "yuv420p");
    assert_eq!(video["r_frame_rate"], "30/1");
    assert_eq!(video["avg_frame_rate"], "30/1");
    assert_eq!(video["has_b_frames"], 0);
    assert!(
        video.get("side_data_list").is_none(),
        "rotation was applied, not kept"
    );
    assert_eq!(
        (video["width"].as_u64(), video["height"].as_u64()),
        (Some(size.0), Some(size.1))
    );
    assert_eq!(audio["codec_name"], "aac");
    assert_eq!(audio["sample_rate"], "48000");
    assert_eq!(audio["channels"], 2);

    let duration = num(&v["format"]["duration"]);
    assert!(
        (duration - source_secs).abs() < 0.1,
        "{duration} vs {source_secs}"
    );
    let (video_secs, audio_secs) = (num(&video["duration"]), num(&audio["duration"]));
    assert!(
        (video_secs - audio_secs).abs() < 0.05,
        "{video_secs} vs {audio_secs}"
    );
    assert_eq!(
        (info.width, info.height),
        (
            u32::try_from(size.0).ok().unwrap_or(0),
            u32::try_from(size.1).ok().unwrap_or(0)
        )
    );
    assert!((info.duration_secs - duration).abs() < 1e-3);
    assert_eq!(
        Some(info.size_bytes),
        std::fs::metadata(path).ok().map(|m| m.len())
    );

    // Packets: constant duration (CFR), decode order = presentation order (no B-frames),
    // a sync sample exactly on every 30th packet, i.e. at t = 0, 1, 2, ….
    let p = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts,dts,duration,flags",
        ],
    );
    let packets = p["packets"].as_array().expect("packets");
    assert!(packets.len() >= 30, "{} packets", packets.len());
    let first_duration = &packets[0]["duration"];
    for (i, pkt) in packets.iter().enumerate() {
        assert_eq!(&pkt["duration"], first_duration, "packet {i} duration");
        assert_eq!(pkt["pts"], pkt["dts"], "packet {i} reordered");
        let key = pkt["flags"].as_str().is_some_and(|f| f.starts_with('K'));
        assert_eq!(key, i % 30 == 0, "packet {i} keyframe flag");
    }

    // Frames: no B pictures, keyframes at whole seconds.
    let f = ffprobe(
        path,
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pict_type,key_frame,pts_time",
        ],
    );
    let frames = f["frames"].as_array().expect("frames");
    assert_eq!(frames.len(), packets.len());
    for (i, frame) in frames.iter().enumerate() {
        assert_ne!(frame["pict_type"], "B", "frame {i}");
        if frame["key_frame"] == 1 {
            let t = num(&frame["pts_time"]);
            assert!((t - t.round()).abs() < 1e-3, "keyframe {i} at {t}");
            assert_eq!(frame["pict_type"], "I");
        }
    }

    // +faststart: the index (moov) comes before the media data.
    let bytes = std::fs::read(path).expect("read rendition");
    let mut boxes = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        boxes.push(String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned());
        if size < 8 {
            break;
        }
        at += size as usize;
    }
    let pos = |name: &str| boxes.iter().position(|b| b == name);
    assert!(
        pos("moov") < pos("mdat") && pos("moov").is_some(),
        "{boxes:?}"
    );
}

#[tokio::test]
async fn vtest_avi_without_audio_gets_silence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("vtest.mp4");
    let info = normalise_ok(&data("vtest.avi"), &out).await;
    check_mezzanine(&out, &info, 79.5, (768, 576));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("vtest.mp4")],
        "no temp file left"
    );
}

#[tokio::test]
async fn clip_with_audio_at_25_fps_becomes_30_fps_cfr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = make_clip(dir.path(), "in.mp4", "1280x720", 25, 3, true);
    let out = dir.path().join("out.mp4");
    let info = normalise_ok(&clip, &out).await;
    check_mezzanine(&out, &info, 3.0, (1280, 720));
}

#[tokio::test]
async fn four_k_is_capped_to_1080p() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = make_clip(dir.path(), "4k.mp4", "3840x2160", 30, 1, false);
    let out = dir.path().join("out.mp4");
    let info = normalise_ok(&clip, &out).await;
    check_mezzanine(&out, &info, 1.0, (1920, 1080));
}

#[tokio::test]
async fn portrait_phone_clip_is_rotated_upright() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = portrait_phone_clip(dir.path());
    let out = dir.path().join("out.mp4");
    let info = normalise_ok(&clip, &out).await;
    check_mezzanine(&out, &info, 1.0, (360, 640));
}

#[tokio::test]
async fn failed_encode_leaves_nothing_under_the_final_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out.mp4");
    let facts = probe(&data("vtest.avi"), MediaKind::Video, TIMEOUT)
        .await
        .expect("probes");
    let err = normalise(
        &data("vtest.avi"),
        &facts,
        &out,
        std::time::Duration::from_millis(300),
    )
    .await
    .expect_err("300 ms is too short");
    assert!(!err.is_permanent(), "{err:?}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert!(left.is_empty(), "{left:?}");
}
