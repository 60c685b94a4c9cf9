//! Memory assembly on real renditions made by `normalise`, checked with a full decode, ffprobe and
//! frame hashes: copied frames must be the renditions' own, crossfade frames real blends.

mod common;

use common::{TIMEOUT, ffmpeg};
use sightline_media::{
    AssembleError, AssembledMemory, MemoryClip, MemoryRequest, Tools, assemble_memory, check_memory,
};
use std::path::{Path, PathBuf};
use std::process::Command;

const FADE: f64 = 0.5;
const FADE_FRAMES: usize = 15;

/// A normalised rendition of `secs` seconds of `testsrc2` through `look` (a filter chain that
/// makes each clip visibly different) with a sine tone of `tone` Hz.
async fn rendition(
    dir: &Path,
    name: &str,
    size: &str,
    secs: u32,
    look: &str,
    tone: u32,
) -> PathBuf {
    let audio = format!("sine=frequency={tone}:sample_rate=48000");
    common::rendition(dir, name, size, secs, look, &audio).await
}

fn clip(rendition: &Path, in_secs: f64, out_secs: f64) -> MemoryClip {
    MemoryClip {
        rendition: rendition.to_owned(),
        in_secs,
        out_secs,
    }
}

fn request(clips: Vec<MemoryClip>) -> MemoryRequest {
    MemoryRequest {
        clips,
        crossfade_secs: FADE,
    }
}

async fn assemble(dir: &Path, request: &MemoryRequest) -> (PathBuf, AssembledMemory) {
    let out = dir.join("memory.mp4");
    let memory = assemble_memory(request, &out, &dir.join("memory.jpg"), TIMEOUT)
        .await
        .expect("memory assembled");
    (out, memory)
}

/// Full decode, durations, format, keyframes, faststart; and the timeline adds up.
async fn assert_valid(out: &Path, memory: &AssembledMemory, request: &MemoryRequest) {
    let check = check_memory(&Tools::default(), out, TIMEOUT)
        .await
        .expect("check runs");
    assert_eq!(
        check.problems(memory.duration_secs),
        Vec::<String>::new(),
        "{check:?}"
    );
    assert!(check.max_keyframe_gap <= 30, "{check:?}");
    let lengths: f64 = memory.timeline.iter().map(|c| c.out_secs - c.in_secs).sum();
    let planned = lengths - (memory.timeline.len() - 1) as f64 * FADE;
    assert!((planned - memory.duration_secs).abs() < 1e-9, "{memory:?}");
    assert_eq!(
        memory.size_bytes,
        std::fs::metadata(out).expect("out").len()
    );
    for (asked, used) in request.clips.iter().zip(&memory.timeline) {
        assert!(
            (asked.in_secs - used.in_secs).abs() <= 0.5 + 1e-9,
            "{used:?}"
        );
        assert!(
            (asked.out_secs - used.out_secs).abs() <= 0.5 + 1e-9,
            "{used:?}"
        );
    }
    let thumb = out.with_file_name("memory.jpg");
    let (w, h) = common::picture_size(&thumb);
    assert!(w > 0 && h > 0 && w.max(h) <= 640, "{w}x{h}");
}

/// MD5 of each decoded frame in `[from, to)`.
fn frame_md5s(path: &Path, from: usize, to: usize) -> Vec<String> {
    let trim = format!("trim=start_frame={from}:end_frame={to},setpts=PTS-STARTPTS");
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-vf", &trim, "-fps_mode", "passthrough"])
        .args(["-f", "framemd5", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hashes: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_owned()))
        .collect();
    assert_eq!(
        hashes.len(),
        to - from,
        "frames {from}..{to} of {}",
        path.display()
    );
    hashes
}

/// Mean luma of frame `n`.
fn mean_luma(path: &Path, n: usize) -> f64 {
    let vf = format!(
        "trim=start_frame={n}:end_frame={},setpts=PTS-STARTPTS,scale=1:1:flags=area,format=gray",
        n + 1
    );
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-vf", &vf, "-fps_mode", "passthrough"])
        .args(["-f", "rawvideo", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success() && out.stdout.len() == 1, "{out:?}");
    f64::from(out.stdout[0])
}

fn frame(secs: f64) -> usize {
    (secs * 30.0).round() as usize
}

#[tokio::test]
async fn two_clips_copy_their_bodies_bit_for_bit_and_blend_the_join() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bright = rendition(
        dir.path(),
        "bright",
        "320x180",
        4,
        "eq=brightness=0.25",
        440,
    )
    .await;
    let dark = rendition(
        dir.path(),
        "dark",
        "320x180",
        4,
        "negate,eq=brightness=-0.3",
        660,
    )
    .await;
    // Unaligned points: the assembler moves them onto the keyframe grid.
    let request = request(vec![clip(&bright, 0.2, 3.3), clip(&dark, 0.9, 3.7)]);
    let (out, memory) = assemble(dir.path(), &request).await;
    assert_valid(&out, &memory, &request).await;
    let (a, b) = (&memory.timeline[0], &memory.timeline[1]);
    assert_eq!(
        (a.in_secs, a.out_secs, b.in_secs),
        (0.0, 3.5, 0.5),
        "{memory:?}"
    );
    assert_eq!(
        memory.encoded_frames as usize, FADE_FRAMES,
        "only the crossfade is encoded"
    );

    // Bodies: output frames are the renditions' frames, bit for bit.
    let a_body = (frame(a.in_secs), frame(a.out_secs) - FADE_FRAMES);
    assert_eq!(
        frame_md5s(&out, 0, a_body.1 - a_body.0),
        frame_md5s(&bright, a_body.0, a_body.1)
    );
    let b_start = frame(b.starts_at_secs);
    let b_body = (frame(b.in_secs) + FADE_FRAMES, frame(b.out_secs));
    let out_b = b_start + FADE_FRAMES;
    assert_eq!(
        frame_md5s(&out, out_b, out_b + b_body.1 - b_body.0),
        frame_md5s(&dark, b_body.0, b_body.1)
    );

    // The crossfade: frame j is the outgoing clip weighted (F - j) / (F + 1), the incoming
    // (j + 1) / (F + 1); luma follows that ramp (within compression noise).
    for j in [0, 7, 14] {
        let out_luma = mean_luma(&out, b_start + j);
        let from = mean_luma(&bright, frame(a.out_secs) - FADE_FRAMES + j);
        let to = mean_luma(&dark, frame(b.in_secs) + j);
        assert!(
            (from - to).abs() > 50.0,
            "the clips must differ for the test to mean anything"
        );
        let alpha = (j + 1) as f64 / (FADE_FRAMES + 1) as f64;
        let expected = from * (1.0 - alpha) + to * alpha;
        assert!(
            (out_luma - expected).abs() < 4.0,
            "frame {j}: {out_luma} vs {expected} ({from} → {to})"
        );
    }
    let middle = b_start + 7;
    let blend = &frame_md5s(&out, middle, middle + 1)[0];
    assert_ne!(
        blend,
        &frame_md5s(&bright, frame(a.out_secs) - 8, frame(a.out_secs) - 7)[0]
    );
    assert_ne!(
        blend,
        &frame_md5s(&dark, frame(b.in_secs) + 7, frame(b.in_secs) + 8)[0]
    );
}

#[tokio::test]
async fn several_clips_keep_whole_second_lengths_and_decode_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let looks = ["hue=h=0", "hue=h=90", "hue=h=180", "negate", "hue=s=0"];
    let mut clips = Vec::new();
    for (i, look) in looks.iter().enumerate() {
        let r = rendition(
            dir.path(),
            &format!("c{i}"),
            "256x144",
            5,
            look,
            300 + 100 * i as u32,
        )
        .await;
        clips.push(clip(&r, 1.0, 4.0));
    }
    // The same rendition twice in a row is fine too.
    clips.push(clip(&clips[4].rendition.clone(), 0.0, 2.0));
    let request = request(clips);
    let (out, memory) = assemble(dir.path(), &request).await;
    assert_valid(&out, &memory, &request).await;
    // Whole-second points move half a second later in the middle and keep every length.
    let lengths: Vec<f64> = memory
        .timeline
        .iter()
        .map(|c| c.out_secs - c.in_secs)
        .collect();
    assert_eq!(lengths, vec![3.5, 3.0, 3.0, 3.0, 3.0, 1.5]);
    assert_eq!(memory.encoded_frames as usize, 5 * FADE_FRAMES);
    assert!((memory.duration_secs - (17.0 - 2.5)).abs() < 1e-9);
}

#[tokio::test]
async fn one_clip_is_a_pure_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = rendition(dir.path(), "only", "320x180", 4, "hue=h=45", 500).await;
    let request = request(vec![clip(&r, 1.1, 3.6)]);
    let (out, memory) = assemble(dir.path(), &request).await;
    assert_valid(&out, &memory, &request).await;
    assert_eq!(memory.encoded_frames, 0);
    assert_eq!(
        (memory.timeline[0].in_secs, memory.timeline[0].out_secs),
        (1.0, 3.6)
    );
    assert_eq!(frame_md5s(&out, 0, 78), frame_md5s(&r, 30, 108));
}

#[tokio::test]
async fn a_clip_of_another_size_is_scaled_into_the_majority_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = rendition(dir.path(), "a", "320x180", 4, "hue=h=0", 400).await;
    let square = rendition(dir.path(), "square", "200x200", 4, "negate", 500).await;
    let b = rendition(dir.path(), "b", "320x180", 4, "hue=h=120", 600).await;
    let request = request(vec![
        clip(&a, 0.0, 3.5),
        clip(&square, 0.3, 2.8),
        clip(&b, 0.5, 3.0),
    ]);
    let (out, memory) = assemble(dir.path(), &request).await;
    assert_valid(&out, &memory, &request).await;
    assert_eq!((memory.width, memory.height), (320, 180));
    assert_eq!(common::picture_size(&out), (320, 180));
    let copied: Vec<bool> = memory.timeline.iter().map(|c| c.copied).collect();
    assert_eq!(copied, vec![true, false, true]);
    // The square clip was not moved (it is encoded anyway) and lasts what was asked.
    assert_eq!(
        (memory.timeline[1].in_secs, memory.timeline[1].out_secs),
        (0.3, 2.8)
    );
}

#[tokio::test]
async fn renditions_with_other_parameter_sets_are_re_encoded_not_spliced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let current = rendition(dir.path(), "current", "320x180", 4, "hue=h=0", 400).await;
    // An older-style rendition: same format, but x264 derived its PPS from the rate control.
    let legacy = dir.path().join("legacy.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x180:rate=30,negate",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=700:sample_rate=48000",
        "-t",
        "4",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "30",
        "-profile:v",
        "high",
        "-pix_fmt",
        "yuv420p",
        "-r",
        "30",
        "-g",
        "30",
        "-keyint_min",
        "30",
        "-sc_threshold",
        "0",
        "-bf",
        "0",
        "-c:a",
        "aac",
        "-ar",
        "48000",
        legacy.to_str().expect("utf-8"),
    ]);
    let request = request(vec![
        clip(&legacy, 0.0, 3.5),
        clip(&current, 0.5, 3.0),
        clip(&legacy, 1.5, 3.5),
    ]);
    let (out, memory) = assemble(dir.path(), &request).await;
    assert_valid(&out, &memory, &request).await;
    // Two legacy clips are the majority, but the encoder cannot match them: they are encoded
    // and the current-style clip is copied.
    let copied: Vec<bool> = memory.timeline.iter().map(|c| c.copied).collect();
    assert_eq!(copied, vec![false, true, false]);
}

#[tokio::test]
async fn full_hd_clips_assemble() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = rendition(dir.path(), "a", "1920x1080", 3, "hue=h=30", 400).await;
    let b = rendition(dir.path(), "b", "1920x1080", 3, "negate", 520).await;
    let c = rendition(dir.path(), "c", "1920x1080", 3, "hue=h=200", 640).await;
    let request = request(vec![
        clip(&a, 0.0, 2.5),
        clip(&b, 0.5, 2.5),
        clip(&c, 0.5, 3.0),
    ]);
    let (out, memory) = assemble(dir.path(), &request).await;
    assert_valid(&out, &memory, &request).await;
    assert_eq!((memory.width, memory.height), (1920, 1080));
    assert_eq!(memory.encoded_frames as usize, 2 * FADE_FRAMES);
}

/// Lists `dir` without the given files.
fn leftovers(dir: &Path, inputs: &[&Path]) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| !inputs.contains(&p.as_path()))
        .collect()
}

#[tokio::test]
async fn bad_requests_get_typed_errors_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = rendition(dir.path(), "good", "160x90", 3, "hue=h=0", 400).await;
    let jpeg = dir.path().join("photo.jpg");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90",
        "-frames:v",
        "1",
        jpeg.to_str().expect("utf-8"),
    ]);
    let two_second_gop = dir.path().join("gop2.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=sample_rate=48000",
        "-t",
        "3",
        "-c:v",
        "libx264",
        "-g",
        "60",
        "-bf",
        "0",
        "-c:a",
        "aac",
        two_second_gop.to_str().expect("utf-8"),
    ]);
    let with_b_frames = dir.path().join("bframes.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=160x90:rate=30",
        "-f",
        "lavfi",
        "-i",
        "sine=sample_rate=48000",
        "-t",
        "3",
        "-c:v",
        "libx264",
        "-g",
        "30",
        "-keyint_min",
        "30",
        "-sc_threshold",
        "0",
        "-bf",
        "2",
        "-c:a",
        "aac",
        with_b_frames.to_str().expect("utf-8"),
    ]);
    let truncated = dir.path().join("truncated.mp4");
    let bytes = std::fs::read(&good).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let inputs = [
        good.as_path(),
        &jpeg,
        &two_second_gop,
        &with_b_frames,
        &truncated,
    ];

    let out = dir.path().join("memory.mp4");
    let thumb = dir.path().join("memory.jpg");
    let attempt = |req: MemoryRequest| {
        let (out, thumb) = (out.clone(), thumb.clone());
        async move {
            assemble_memory(&req, &out, &thumb, TIMEOUT)
                .await
                .expect_err("refused")
        }
    };
    let with = |path: &Path, a: f64, b: f64| request(vec![clip(&good, 0.0, 2.0), clip(path, a, b)]);

    let e = attempt(request(vec![])).await;
    assert!(matches!(e, AssembleError::NoClips), "{e:?}");
    let e = attempt(MemoryRequest {
        crossfade_secs: 0.41,
        ..with(&good, 0.0, 2.0)
    })
    .await;
    assert!(matches!(e, AssembleError::InvalidCrossfade { .. }), "{e:?}");
    let e = attempt(with(&dir.path().join("nope.mp4"), 0.0, 1.0)).await;
    assert!(
        matches!(e, AssembleError::MissingRendition { index: 1, .. }),
        "{e:?}"
    );
    let e = attempt(with(&good, 2.0, 1.0)).await;
    assert!(
        matches!(&e, AssembleError::InvalidClip { index: 1, reason } if reason.contains("not before")),
        "{e:?}"
    );
    let e = attempt(with(&good, 1.0, 9.0)).await;
    assert!(
        matches!(&e, AssembleError::InvalidClip { reason, .. } if reason.contains("beyond the end")),
        "{e:?}"
    );
    for (path, why) in [
        (&jpeg, "not an MP4"),
        (&two_second_gop, "one second apart"),
        (&with_b_frames, "B-frames"),
        (&truncated, "truncated"),
    ] {
        let e = attempt(with(path, 0.0, 1.0)).await;
        match &e {
            AssembleError::NotARendition {
                index: 1, reason, ..
            } => {
                assert!(reason.contains(why), "{path:?}: {reason}")
            }
            other => panic!("{path:?}: {other:?}"),
        }
        assert!(e.is_permanent());
        assert!(
            e.to_string().contains("is not a normalised rendition"),
            "{e}"
        );
    }
    assert_eq!(leftovers(dir.path(), &inputs), Vec::<PathBuf>::new());

    // A run that fails inside ffmpeg (no time left) leaves nothing either.
    let e = assemble_memory(
        &with(&good, 0.5, 2.5),
        &out,
        &thumb,
        std::time::Duration::from_millis(1),
    )
    .await
    .expect_err("no time");
    assert!(!e.is_permanent(), "{e:?}");
    assert_eq!(leftovers(dir.path(), &inputs), Vec::<PathBuf>::new());
}

#[tokio::test]
async fn a_cancelled_or_toolless_assembly_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = rendition(dir.path(), "a", "640x360", 4, "hue=h=0", 400).await;
    let b = rendition(dir.path(), "b", "640x360", 4, "negate", 500).await;
    let inputs = [a.as_path(), b.as_path()];
    let request = request(vec![clip(&a, 0.0, 3.5), clip(&b, 0.5, 4.0)]);
    let (out, thumb) = (dir.path().join("memory.mp4"), dir.path().join("memory.jpg"));

    // Dropped while ffmpeg runs (a worker shutting down): children are killed, temp files go.
    let cancelled = tokio::time::timeout(
        std::time::Duration::from_millis(150),
        assemble_memory(&request, &out, &thumb, TIMEOUT),
    )
    .await;
    assert!(
        cancelled.is_err(),
        "the assembly should still be running after 150 ms"
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(leftovers(dir.path(), &inputs), Vec::<PathBuf>::new());

    let tools = Tools {
        ffmpeg: PathBuf::from("/nonexistent/ffmpeg"),
        ..Tools::default()
    };
    let e = tools
        .assemble_memory(&request, &out, &thumb, TIMEOUT)
        .await
        .expect_err("no ffmpeg");
    assert!(
        matches!(
            e,
            AssembleError::Media(sightline_media::MediaError::ToolMissing { .. })
        ),
        "{e:?}"
    );
    assert!(!e.is_permanent());
    assert_eq!(leftovers(dir.path(), &inputs), Vec::<PathBuf>::new());
}

/// Workers `tokio::spawn` the assembly: its future must be `Send`.
#[test]
fn the_assembly_future_can_be_spawned() {
    fn spawnable<T: Send + 'static>(_: T) {}
    let request = request(vec![]);
    spawnable(async move {
        let out = PathBuf::from("/nonexistent/memory.mp4");
        let _ = assemble_memory(&request, &out, &out, TIMEOUT).await;
    });
}
