//! The memory's soundtrack (and its thumbnail) from one ffmpeg run: every clip's audio cut to the
//! sample, joined by `acrossfade`s that line up with the video's, re-encoded once. AAC frames
//! (1024 samples) do not line up with video frames (1600), so copying audio would leave the cuts
//! off by up to 21 ms and glitch at each join; the whole track costs about a second of one core
//! for two minutes.

use super::plan::Plan;
use crate::files::ff_path;
use crate::rendition::{RENDITION_AUDIO_RATE, RENDITION_FPS, RENDITION_GOP_FRAMES, aac_args};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;

/// Audio samples per video frame.
pub(crate) const SAMPLES_PER_FRAME: u32 = RENDITION_AUDIO_RATE / RENDITION_FPS;
/// Long side of the memory's thumbnail.
pub(crate) const THUMBNAIL_MAX: u32 = 640;

/// Where the thumbnail comes from: a keyframe of a rendition, so one frame is decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThumbnailSource<'a> {
    pub path: &'a Path,
    pub keyframe: u32,
}

pub(crate) fn audio_args(
    plan: &Plan,
    clip_paths: &[&Path],
    audio_out: &Path,
    thumbnail: ThumbnailSource<'_>,
    thumbnail_out: &Path,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .map(OsString::from)
        .into();
    let mut graph = String::new();
    for (i, (clip, path)) in plan.clips.iter().zip(clip_paths).enumerate() {
        // Seek to the whole second before the clip (exact in microseconds), cut by samples.
        let second = clip.in_frame / RENDITION_FPS;
        let first_frame = second * RENDITION_FPS;
        let length = f64::from(clip.out_frame - first_frame + RENDITION_GOP_FRAMES / 2)
            / f64::from(RENDITION_FPS);
        args.extend(
            [
                "-vn",
                "-ss",
                &second.to_string(),
                "-t",
                &format!("{length:.6}"),
            ]
            .map(OsString::from),
        );
        args.extend(["-i".into(), ff_path(path)]);
        let _ = write!(
            graph,
            "[{i}:a:0]atrim=start_sample={}:end_sample={},asetpts=N/SR/TB[a{i}];",
            (clip.in_frame - first_frame) * SAMPLES_PER_FRAME,
            (clip.out_frame - first_frame) * SAMPLES_PER_FRAME,
        );
    }
    let fade = plan.fade_frames * SAMPLES_PER_FRAME;
    let mut last = "a0".to_owned();
    for i in 1..plan.clips.len() {
        let _ = write!(
            graph,
            "[{last}][a{i}]acrossfade=ns={fade}:c1=qsin:c2=qsin[x{i}];"
        );
        last = format!("x{i}");
    }
    let _ = write!(graph, "[{last}]anull[audio]");

    let thumb_input = plan.clips.len();
    let seek = thumbnail.keyframe / RENDITION_FPS;
    // `-t`: ffmpeg keeps decoding an input after its output took the one frame it wanted
    // (measured: 1.2 CPU-s for the rest of a 1080p clip).
    let one_frame = format!("{:.6}", 1.5 / f64::from(RENDITION_FPS));
    args.extend(["-threads", "1", "-ss", &seek.to_string(), "-t", &one_frame].map(OsString::from));
    args.extend(["-i".into(), ff_path(thumbnail.path)]);

    args.extend(["-filter_complex".into(), graph.into()]);
    args.extend(["-map", "[audio]"].map(OsString::from));
    args.extend(aac_args());
    args.extend(["-f", "mp4"].map(OsString::from));
    args.push(ff_path(audio_out));

    let max = THUMBNAIL_MAX;
    let fit = format!(
        "scale=w='min({max},iw)':h='min({max},ih)':force_original_aspect_ratio=decrease\
         :force_divisible_by=2"
    );
    args.extend(["-map".into(), format!("{thumb_input}:v:0").into()]);
    args.extend(["-frames:v", "1", "-vf", &fit, "-c:v", "mjpeg", "-q:v", "3"].map(OsString::from));
    args.extend(["-f", "image2", "-update", "1"].map(OsString::from));
    args.push(ff_path(thumbnail_out));
    args
}
