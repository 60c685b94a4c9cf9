//! Per-second interest scores of a video (DESIGN.md "Normalised rendition"), computed once at
//! ingest from the rendition: sharpness, motion, loudness and "flat/dark" flags.
//!
//! Two ffmpeg processes run side by side, both streamed through
//! [`run_tool_streaming`](crate::process::run_tool_streaming) so memory stays flat however long
//! the video: one decodes the video to grey frames of at most 160 px on the long side, sampled at
//! [`SAMPLE_FPS`] (`-f rawvideo -pix_fmt gray`); the other decodes only the audio, as mono s16le
//! at [`AUDIO_SAMPLE_RATE`] (video decoding is skipped there, so it costs almost nothing).

mod seconds;
pub mod signals;

use crate::error::MediaError;
use crate::files::ff_path;
use crate::probe::{ffprobe_json, parse_probed};
use crate::process::run_tool_streaming;
use crate::tools::Tools;
use seconds::{AudioSeconds, Records, VideoSeconds, build_track};
use sightline_core::media::MediaKind;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

pub use sightline_core::memory::{
    INTEREST_TRACK_VERSION, InterestTrack, RawSignals, SecondInterest,
};

/// Grey frames analysed per second of video.
pub const SAMPLE_FPS: u32 = 10;
/// Long side of the analysed frames, in pixels (never upscaled).
pub const FRAME_LONG_SIDE: u32 = 160;
/// Rate of the mono audio that is analysed.
pub const AUDIO_SAMPLE_RATE: u32 = 8000;
/// A second counts as whole when the video lasts at least this much less than its end (the
/// rendition's duration is a whole number of 1/30 s frames).
const WHOLE_SECOND_SLACK: f64 = 0.05;

/// Computes the [`InterestTrack`] of a video, normally the normalised rendition. `timeout` bounds
/// the whole analysis (both decodes run in parallel within it).
pub async fn analyse_interest(
    tools: &Tools,
    rendition: &Path,
    timeout: Duration,
) -> Result<InterestTrack, MediaError> {
    let probe_budget = timeout.min(tools.probe_timeout);
    let probed = parse_probed(
        &ffprobe_json(tools, rendition, probe_budget).await?,
        Some(MediaKind::Video),
    )?;
    let (width, height) = probed.facts.display_size().ok_or_else(|| {
        MediaError::invalid("not a playable video: ffprobe found no picture size")
    })?;
    let (frame_width, frame_height) = analysis_size(width, height);

    let mut video = VideoSeconds::new(frame_width, frame_height, SAMPLE_FPS);
    let mut frames = Records::new(video.frame_len());
    let video_args = video_args(rendition, frame_width, frame_height);
    let decode_video = run_tool_streaming(&tools.ffmpeg, &video_args, timeout, |chunk| {
        frames.push(chunk, |frame| video.push_frame(frame));
    });

    let mut audio = probed
        .has_audio
        .then(|| AudioSeconds::new(AUDIO_SAMPLE_RATE));
    let audio_args = audio_args(rendition);
    let decode_audio = async {
        match audio.as_mut() {
            Some(audio) => {
                run_tool_streaming(&tools.ffmpeg, &audio_args, timeout, |chunk| {
                    audio.push_bytes(chunk);
                })
                .await
            }
            None => Ok(()),
        }
    };
    let (video_done, audio_done) = tokio::join!(decode_video, decode_audio);
    video_done?;
    audio_done?;

    if video.frames() == 0 {
        return Err(MediaError::invalid(
            "not a playable video: no frame could be decoded",
        ));
    }
    if frames.leftover() != 0 {
        return Err(MediaError::UnexpectedOutput {
            program: "ffmpeg".into(),
            reason: format!(
                "raw video ended inside a frame ({} of {} bytes)",
                frames.leftover(),
                video.frame_len()
            ),
        });
    }
    let whole_seconds = match probed.video_duration.or(probed.facts.duration_secs) {
        Some(secs) if secs.is_finite() && secs > 0.0 => {
            (secs + WHOLE_SECOND_SLACK).floor() as usize
        }
        _ => video.complete_seconds(),
    };
    let track = build_track(&video, audio.as_ref(), whole_seconds);
    tracing::debug!(
        input = %rendition.display(),
        seconds = track.seconds.len(),
        frames = video.frames(),
        "interest analysed"
    );
    Ok(track)
}

/// Size of the analysed frames: the long side [`FRAME_LONG_SIDE`] (or less for smaller videos),
/// the aspect ratio kept, even sides.
pub fn analysis_size(width: u32, height: u32) -> (u32, u32) {
    let (width, height) = (width.max(1), height.max(1));
    let long = width.max(height);
    let target = FRAME_LONG_SIDE.min(long);
    let scaled = |side: u32| {
        let exact = f64::from(side) * f64::from(target) / f64::from(long);
        ((exact / 2.0).round() as u32 * 2).max(2)
    };
    (scaled(width), scaled(height))
}

fn common_args(input: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-i"]
        .map(OsString::from)
        .into();
    args.push(ff_path(input));
    args
}

fn video_args(input: &Path, width: u32, height: u32) -> Vec<OsString> {
    let mut args = common_args(input);
    // Frames are dropped by `fps` before they are scaled; `area` averages rather than aliases, so
    // noise does not pass for detail.
    let graph = format!("fps={SAMPLE_FPS},scale={width}:{height}:flags=area,format=gray");
    let rest = [
        "-map",
        "0:v:0",
        "-an",
        "-sn",
        "-dn",
        "-vf",
        &graph,
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "gray",
        "pipe:1",
    ];
    args.extend(rest.map(OsString::from));
    args
}

fn audio_args(input: &Path) -> Vec<OsString> {
    let mut args = common_args(input);
    let rate = AUDIO_SAMPLE_RATE.to_string();
    let rest = [
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-ac",
        "1",
        "-ar",
        &rate,
        "-c:a",
        "pcm_s16le",
        "-f",
        "s16le",
        "pipe:1",
    ];
    args.extend(rest.map(OsString::from));
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_frames_keep_the_aspect_ratio() {
        assert_eq!(analysis_size(1920, 1080), (160, 90));
        assert_eq!(analysis_size(1080, 1920), (90, 160));
        assert_eq!(analysis_size(768, 576), (160, 120));
        assert_eq!(analysis_size(100, 50), (100, 50));
        assert_eq!(analysis_size(4000, 10), (160, 2));
        assert_eq!(analysis_size(0, 0), (2, 2));
    }

    #[test]
    fn decodes_go_to_stdout_as_raw_grey_and_mono_pcm() {
        let strings = |args: Vec<OsString>| {
            args.iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let video = strings(video_args(Path::new("/r.mp4"), 160, 90));
        assert!(video.contains("-i file:/r.mp4"), "{video}");
        assert!(video.contains("-vf fps=10,scale=160:90:flags=area,format=gray"));
        assert!(video.ends_with("-f rawvideo -pix_fmt gray pipe:1"));
        let audio = strings(audio_args(Path::new("/r.mp4")));
        assert!(audio.contains("-vn") && audio.contains("-ac 1 -ar 8000"));
        assert!(audio.ends_with("-f s16le pipe:1"));
    }
}
