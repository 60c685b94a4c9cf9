//! The ffmpeg run that makes the memory's audio (and its thumbnail). Normally it encodes only
//! the short stretches around the crossfades ([`super::soundtrack`]); the rest of the soundtrack
//! is copied packet by packet. When the renditions' audio cannot be spliced (different encoder
//! configurations), it encodes the whole soundtrack instead: every clip's audio cut to the
//! sample and joined by `acrossfade`s that line up with the video's.

use super::plan::Plan;
use super::soundtrack::{SoundtrackPlan, StretchPart};
use crate::files::ff_path;
use crate::rendition::{RENDITION_AUDIO_RATE, RENDITION_FPS, aac_args};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Audio samples per video frame.
pub(crate) const SAMPLES_PER_FRAME: u32 = RENDITION_AUDIO_RATE / RENDITION_FPS;
/// Long side of the memory's thumbnail.
pub(crate) const THUMBNAIL_MAX: u32 = 640;

/// Where the thumbnail comes from: a keyframe of a rendition, so one frame is decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThumbnailSource<'a> {
    pub path: &'a Path,
    pub keyframe: u32,
    pub out: &'a Path,
}

/// What the run encodes.
pub(crate) enum AudioJob<'a> {
    /// The encoded stretches of a spliced soundtrack, one file each.
    Stretches {
        sound: &'a SoundtrackPlan,
        outs: &'a [PathBuf],
    },
    /// The whole soundtrack, into one file.
    Whole { out: &'a Path },
}

/// Arguments of one ffmpeg run for `job` and, if asked, the thumbnail.
pub(crate) fn audio_args(
    plan: &Plan,
    clip_paths: &[&Path],
    job: AudioJob<'_>,
    thumbnail: Option<ThumbnailSource<'_>>,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .map(OsString::from)
        .into();
    let mut graph = String::new();
    let mut outputs: Vec<(String, &Path)> = Vec::new();
    match job {
        AudioJob::Stretches { sound, outs } => {
            let mut input = 0;
            for (s, (stretch, out)) in sound.stretches.iter().zip(outs).enumerate() {
                let fade = plan.fade_frames * SAMPLES_PER_FRAME;
                let mut last = String::new();
                for (k, part) in stretch.parts.iter().enumerate() {
                    let label = format!("s{s}p{k}");
                    part_input(
                        &mut args,
                        &mut graph,
                        input,
                        clip_paths[part.clip],
                        part,
                        &label,
                    );
                    input += 1;
                    last = if k == 0 {
                        label
                    } else {
                        let joined = format!("s{s}x{k}");
                        let _ = write!(
                            graph,
                            "[{last}][{label}]acrossfade=ns={fade}:c1=qsin:c2=qsin[{joined}];"
                        );
                        joined
                    };
                }
                outputs.push((last, out));
            }
        }
        AudioJob::Whole { out } => {
            whole_inputs(&mut args, &mut graph, plan, clip_paths);
            outputs.push(("audio".into(), out));
        }
    }
    let thumb_input = args.iter().filter(|a| *a == "-i").count();
    if let Some(thumbnail) = thumbnail {
        let seek = thumbnail.keyframe / RENDITION_FPS;
        // `-t`: ffmpeg keeps decoding an input after its output took the one frame it wanted
        // (measured: 1.2 CPU-s for the rest of a 1080p clip).
        let one_frame = format!("{:.6}", 1.5 / f64::from(RENDITION_FPS));
        args.extend(
            ["-threads", "1", "-ss", &seek.to_string(), "-t", &one_frame].map(OsString::from),
        );
        args.extend(["-i".into(), ff_path(thumbnail.path)]);
    }
    if !graph.is_empty() {
        // The last chain's trailing `;` would be an empty filter.
        graph.pop();
        args.extend(["-filter_complex".into(), graph.into()]);
    }
    for (label, out) in outputs {
        args.extend(["-map".into(), format!("[{label}]").into()]);
        args.extend(aac_args());
        args.extend(["-f", "mp4"].map(OsString::from));
        args.push(ff_path(out));
    }
    if let Some(thumbnail) = thumbnail {
        let max = THUMBNAIL_MAX;
        let fit = format!(
            "scale=w='min({max},iw)':h='min({max},ih)':force_original_aspect_ratio=decrease\
             :force_divisible_by=2"
        );
        args.extend(["-map".into(), format!("{thumb_input}:v:0").into()]);
        args.extend(
            ["-frames:v", "1", "-vf", &fit, "-c:v", "mjpeg", "-q:v", "3"].map(OsString::from),
        );
        args.extend(["-f", "image2", "-update", "1"].map(OsString::from));
        args.push(ff_path(thumbnail.out));
    }
    args
}

/// Samples of a rendition as an input: exact to the sample, with silence where the rendition's audio
/// does not reach (before its start, after its end).
fn part_input(
    args: &mut Vec<OsString>,
    graph: &mut String,
    input: usize,
    path: &Path,
    part: &StretchPart,
    label: &str,
) {
    let rate = i64::from(RENDITION_AUDIO_RATE);
    let from = part.source_from.max(0);
    let silence = from - part.source_from;
    // Seek to the whole second before (exact), cut by samples.
    let second = from / rate;
    let start = from - second * rate;
    let end = start + (part.len - silence).max(0);
    let length = (end as f64 / rate as f64) + 0.5;
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
        "[{input}:a:0]atrim=start_sample={start}:end_sample={end},asetpts=N/SR/TB"
    );
    if silence > 0 {
        let _ = write!(graph, ",adelay=delays={silence}S:all=1");
    }
    let _ = write!(
        graph,
        ",apad=whole_len={len},atrim=end_sample={len},asetpts=N/SR/TB[{label}];",
        len = part.len
    );
}

/// The whole soundtrack's inputs and graph, ending in `[audio]`.
fn whole_inputs(args: &mut Vec<OsString>, graph: &mut String, plan: &Plan, clip_paths: &[&Path]) {
    for (i, (clip, path)) in plan.clips.iter().zip(clip_paths).enumerate() {
        let part = StretchPart {
            clip: i,
            source_from: i64::from(clip.in_frame * SAMPLES_PER_FRAME),
            len: i64::from((clip.out_frame - clip.in_frame) * SAMPLES_PER_FRAME),
        };
        part_input(args, graph, i, path, &part, &format!("a{i}"));
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
    let _ = write!(graph, "[{last}]anull[audio];");
}
