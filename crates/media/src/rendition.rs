//! The normalised rendition (mezzanine) of DESIGN.md: every video is transcoded once so that the
//! read path can cut it on any whole second with stream copy.
//!
//! H.264 High@4.1 yuv420p, constant 30 fps, a keyframe exactly every second in closed GOPs
//! without B-frames, BT.709 limited range, AAC-LC 48 kHz stereo 128 kb/s (silence when the
//! source has none), `+faststart`.
//!
//! The memory assembler splices frames it encodes itself between stream-copied runs of
//! renditions, which only works when every rendition and every splice share one SPS/PPS byte for
//! byte. [`h264_args`] is therefore the single source of the encoder settings: the structural
//! ones (profile, level, refs, entropy coder, 8×8 transform, weighted prediction, VUI) are fixed
//! explicitly and never left to a preset, and x264's `stitchable` keeps the headers independent
//! of the content and of the rate control. Only the speed options differ per [`EncoderSpeed`]. Landscape fits within 1920×1080 and portrait within 1080×1920, keeping the
//! aspect ratio with even dimensions, never upscaled. ffmpeg applies rotation, so the output is
//! upright and carries no display matrix.

use crate::error::MediaError;
use crate::files::{PartialFile, ff_path};
use crate::probe::{Probed, ffprobe_json, parse_probed};
use crate::process::run_tool;
use crate::tools::Tools;
use serde::{Deserialize, Serialize};
use sightline_core::media::{MediaFacts, MediaKind};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// Frames per second of every rendition; also the GOP length (one keyframe per second).
pub const RENDITION_FPS: u32 = 30;
/// Keyframe interval of every rendition, in frames.
pub const RENDITION_GOP_FRAMES: u32 = RENDITION_FPS;
/// Audio sample rate of every rendition.
pub const RENDITION_AUDIO_RATE: u32 = 48_000;
/// Long and short side limits.
pub const RENDITION_MAX_LONG: u32 = 1920;
pub const RENDITION_MAX_SHORT: u32 = 1080;

/// What was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenditionInfo {
    pub width: u32,
    pub height: u32,
    pub duration_secs: f64,
    pub size_bytes: u64,
}

/// Transcodes `input` to the mezzanine at `out` (written to a temp name beside it and renamed
/// at the end). `facts` only supplies a fallback duration: the input is re-probed for the
/// video stream's own duration and its audio, which `MediaFacts` does not carry.
pub async fn normalise(
    input: &Path,
    facts: &MediaFacts,
    out: &Path,
    timeout: Duration,
) -> Result<RenditionInfo, MediaError> {
    normalise_with(&Tools::default(), input, facts, out, timeout).await
}

pub(crate) async fn normalise_with(
    tools: &Tools,
    input: &Path,
    facts: &MediaFacts,
    out: &Path,
    timeout: Duration,
) -> Result<RenditionInfo, MediaError> {
    // Probing is ~50 ms against minutes of encoding; the budget is shared with the encode.
    let probe_budget = timeout.min(tools.probe_timeout);
    let source = parse_probed(
        &ffprobe_json(tools, input, probe_budget).await?,
        Some(MediaKind::Video),
    )?;
    let duration = source.video_duration.or(facts.duration_secs);
    let partial = PartialFile::beside(out)?;
    let args = normalise_args(input, &source, duration, partial.path());
    run_tool(&tools.ffmpeg, &args, timeout).await?;

    let written = parse_probed(
        &ffprobe_json(tools, partial.path(), probe_budget).await?,
        Some(MediaKind::Video),
    )?;
    let info = RenditionInfo {
        width: written.facts.width.unwrap_or(0),
        height: written.facts.height.unwrap_or(0),
        duration_secs: written.facts.duration_secs.unwrap_or(0.0),
        size_bytes: partial.written_len().await,
    };
    partial.commit().await?;
    tracing::info!(input = %input.display(), ?info, "rendition written");
    Ok(info)
}

/// `scale` into the orientation-matched box, no upscaling, even sides, square pixels.
fn scale_filter() -> String {
    let (long, short) = (RENDITION_MAX_LONG, RENDITION_MAX_SHORT);
    format!(
        "scale=w='if(gte(iw,ih),min({long},iw),min({short},iw))'\
         :h='if(gte(iw,ih),min({short},ih),min({long},ih))'\
         :force_original_aspect_ratio=decrease:force_divisible_by=2\
         :out_color_matrix=bt709:out_range=tv,setsar=1"
    )
}

/// How hard x264 works. Speed options never change the SPS/PPS, so both speeds produce frames
/// that can be spliced into one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncoderSpeed {
    /// The rendition itself: encoded once, kept for years.
    Mezzanine,
    /// Frames spliced between copied runs (crossfades): a few frames, on the read path.
    Splice,
}

/// x264 options that shape the SPS/PPS, stated explicitly so that no preset can change them:
/// one reference frame, CABAC, 8×8 transform, simple weighted P prediction, chroma location
/// left (unsignalled); `stitchable` fixes the PPS initial QP instead of deriving it from the
/// rate control.
const X264_STRUCTURE: &str = "stitchable=1:ref=1:cabac=1:8x8dct=1:weightp=1:chromaloc=0";

/// The video encoder arguments of every rendition and every splice (`-c:v` … `-bf`).
pub fn h264_args(speed: EncoderSpeed) -> Vec<OsString> {
    let fps = RENDITION_FPS.to_string();
    let gop = RENDITION_GOP_FRAMES.to_string();
    let (preset, x264_params) = match speed {
        EncoderSpeed::Mezzanine => ("veryfast", X264_STRUCTURE.to_owned()),
        // ultrafast turns the deblocking filter off; it is cheap and crossfades need it.
        EncoderSpeed::Splice => ("ultrafast", format!("{X264_STRUCTURE}:deblock=1")),
    };
    let groups: [&[&str]; 7] = [
        &["-c:v", "libx264", "-preset", preset, "-crf", "23"],
        &[
            "-profile:v",
            "high",
            "-level:v",
            "4.1",
            "-pix_fmt",
            "yuv420p",
        ],
        &["-x264-params", &x264_params],
        // Explicit colour description: sources tagged differently must not give different SPSs.
        &["-color_primaries", "bt709", "-color_trc", "bt709"],
        &[
            "-colorspace",
            "bt709",
            "-color_range",
            "tv",
            "-fps_mode",
            "cfr",
            "-r",
            &fps,
        ],
        &["-g", &gop, "-keyint_min", &gop, "-sc_threshold", "0"],
        &["-flags", "+cgop", "-bf", "0"],
    ];
    groups.concat().into_iter().map(OsString::from).collect()
}

/// The audio encoder arguments of every rendition and memory video.
pub fn aac_args() -> Vec<OsString> {
    let rate = RENDITION_AUDIO_RATE.to_string();
    ["-c:a", "aac", "-b:a", "128k", "-ar", &rate, "-ac", "2"]
        .into_iter()
        .map(OsString::from)
        .collect()
}

fn normalise_args(
    input: &Path,
    source: &Probed,
    duration: Option<f64>,
    output: &Path,
) -> Vec<OsString> {
    let mut a = Args::default();
    a.push(&["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]);
    a.push(&["-i"]).path(input);
    if source.has_audio {
        // Pad short audio with silence; `-t` (below) trims long audio to the video.
        a.push(&["-map", "0:v:0", "-map", "0:a:0", "-af", "apad"]);
    } else {
        let silence = "anullsrc=channel_layout=stereo:sample_rate=48000";
        a.push(&[
            "-f", "lavfi", "-i", silence, "-map", "0:v:0", "-map", "1:a:0",
        ]);
    }
    a.push(&["-vf", &scale_filter()]);
    a.0.extend(h264_args(EncoderSpeed::Mezzanine));
    a.push(&["-force_key_frames", "expr:gte(t,n_forced*1)"]);
    a.0.extend(aac_args());
    // ffmpeg 5.1's -shortest overshoots by up to ~0.1 s of audio; an explicit -t is exact.
    if let Some(d) = duration {
        a.push(&["-t", &format!("{d:.6}")]);
    }
    a.push(&["-shortest", "-max_muxing_queue_size", "4096"]);
    a.push(&["-map_metadata", "-1", "-map_chapters", "-1"]);
    a.push(&["-movflags", "+faststart", "-f", "mp4"])
        .path(output);
    a.0
}

#[derive(Default)]
struct Args(Vec<OsString>);

impl Args {
    fn push(&mut self, items: &[&str]) -> &mut Self {
        self.0.extend(items.iter().map(OsString::from));
        self
    }

    fn path(&mut self, path: &Path) -> &mut Self {
        self.0.push(ff_path(path));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(has_audio: bool) -> Probed {
        Probed {
            facts: MediaFacts::default(),
            video_duration: Some(3.0),
            has_audio,
        }
    }

    fn strings(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn silent_sources_get_generated_silence() {
        let args = strings(&normalise_args(
            Path::new("/in.avi"),
            &source(false),
            Some(3.0),
            Path::new("/out.mp4"),
        ));
        let joined = args.join(" ");
        assert!(joined.contains("-f lavfi -i anullsrc="));
        assert!(joined.contains("-map 1:a:0"));
        assert!(joined.contains("-t 3.000000"));
        assert!(joined.contains("-bf 0"));
        assert_eq!(args.last().map(String::as_str), Some("file:/out.mp4"));
    }

    #[test]
    fn sources_with_audio_are_padded() {
        let args = strings(&normalise_args(
            Path::new("/in.mp4"),
            &source(true),
            None,
            Path::new("/out.mp4"),
        ));
        let joined = args.join(" ");
        assert!(joined.contains("-map 0:a:0 -af apad"));
        assert!(!joined.contains("anullsrc"));
        assert!(!joined.contains(" -t "));
    }
}
