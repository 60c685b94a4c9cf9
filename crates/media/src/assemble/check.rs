//! An independent check of a memory video with the standard tools: a full decode that must report
//! no error, ffprobe's view of durations and parameters, and the file's own sample tables for
//! keyframes and layout. Used by the tests and the benchmark; costs a full decode.

use super::mp4::read::{read_movie, top_level_boxes};
use crate::error::MediaError;
use crate::files::ff_path;
use crate::process::run_tool;
use crate::rendition::RENDITION_FPS;
use crate::tools::Tools;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// One AAC frame at 48 kHz, the tolerance between audio and video durations.
const AAC_FRAME_SECS: f64 = 1024.0 / 48_000.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryCheck {
    /// ffmpeg's full decode (`-xerror`, `-err_detect explode`) failed with this; `None` = clean.
    pub decode_error: Option<String>,
    /// ffprobe's format duration.
    pub duration_secs: f64,
    pub video_secs: f64,
    pub audio_secs: f64,
    pub video_frames: usize,
    pub width: u32,
    pub height: u32,
    /// `codec/profile/level/pix_fmt/frame rate` as ffprobe reports them.
    pub video_format: String,
    pub keyframes: usize,
    /// Longest run of frames without a keyframe (seeking cost).
    pub max_keyframe_gap: usize,
    pub first_frame_is_keyframe: bool,
    /// `moov` before `mdat`.
    pub faststart: bool,
}

impl MemoryCheck {
    /// What is wrong with the file for a memory planned to last `planned_secs`; empty = valid.
    pub fn problems(&self, planned_secs: f64) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(e) = &self.decode_error {
            problems.push(format!("decode error: {e}"));
        }
        let frame = 1.0 / f64::from(RENDITION_FPS);
        if (self.video_secs - planned_secs).abs() > frame + 1e-6 {
            problems.push(format!(
                "video lasts {:.4} s, the plan {planned_secs:.4} s",
                self.video_secs
            ));
        }
        if (self.duration_secs - planned_secs).abs() > frame + 1e-6 {
            problems.push(format!(
                "the file says {:.4} s, the plan {planned_secs:.4} s",
                self.duration_secs
            ));
        }
        if (self.audio_secs - self.video_secs).abs() > AAC_FRAME_SECS + 1e-6 {
            problems.push(format!(
                "audio lasts {:.4} s, video {:.4} s",
                self.audio_secs, self.video_secs
            ));
        }
        if self.video_format != "h264/High/41/yuv420p/30/1" {
            problems.push(format!("unexpected video format {}", self.video_format));
        }
        if !self.first_frame_is_keyframe || self.max_keyframe_gap > 2 * RENDITION_FPS as usize {
            problems.push(format!(
                "keyframes: first is key {}, longest gap {} frames",
                self.first_frame_is_keyframe, self.max_keyframe_gap
            ));
        }
        if !self.faststart {
            problems.push("moov is not before mdat (no faststart)".into());
        }
        problems
    }
}

/// Decodes `path` fully and inspects it. Errors only when a tool cannot run; a broken file is
/// reported in the result.
pub async fn check_memory(
    tools: &Tools,
    path: &Path,
    timeout: Duration,
) -> Result<MemoryCheck, MediaError> {
    let decode: Vec<OsString> = [
        "-nostdin",
        "-v",
        "error",
        "-xerror",
        "-err_detect",
        "explode",
    ]
    .map(OsString::from)
    .into_iter()
    .chain(["-i".into(), ff_path(path)])
    .chain(["-map", "0", "-f", "null", "-"].map(OsString::from))
    .collect();
    let decode_error = match run_tool(&tools.ffmpeg, &decode, timeout).await {
        Ok(_) => None,
        Err(MediaError::Tool { stderr_tail, .. }) => Some(stderr_tail),
        Err(other) => return Err(other),
    };
    let probe: Vec<OsString> = [
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
    ]
    .map(OsString::from)
    .into_iter()
    .chain(["-i".into(), ff_path(path)])
    .collect();
    let json = run_tool(&tools.ffprobe, &probe, timeout).await?;
    let root: Value = serde_json::from_slice(&json).map_err(|e| MediaError::UnexpectedOutput {
        program: "ffprobe".into(),
        reason: e.to_string(),
    })?;
    let stream = |kind: &str| {
        root["streams"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["codec_type"] == kind))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let (video, audio) = (stream("video"), stream("audio"));
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "?".into(),
        other => other.to_string(),
    };
    let number = |v: &Value| text(v).parse::<f64>().unwrap_or(f64::NAN);
    let video_format = format!(
        "{}/{}/{}/{}/{}",
        text(&video["codec_name"]),
        text(&video["profile"]),
        text(&video["level"]),
        text(&video["pix_fmt"]),
        text(&video["avg_frame_rate"])
    );

    let owned = path.to_owned();
    let layout = tokio::task::spawn_blocking(move || file_layout(&owned))
        .await
        .map_err(|e| MediaError::Io(std::io::Error::other(e)))??;
    Ok(MemoryCheck {
        decode_error,
        duration_secs: number(&root["format"]["duration"]),
        video_secs: number(&video["duration"]),
        audio_secs: number(&audio["duration"]),
        video_frames: layout.frames,
        width: number(&video["width"]) as u32,
        height: number(&video["height"]) as u32,
        video_format,
        keyframes: layout.keyframes,
        max_keyframe_gap: layout.max_gap,
        first_frame_is_keyframe: layout.first_is_key,
        faststart: layout.faststart,
    })
}

struct Layout {
    frames: usize,
    keyframes: usize,
    max_gap: usize,
    first_is_key: bool,
    faststart: bool,
}

fn file_layout(path: &Path) -> Result<Layout, MediaError> {
    let invalid = |e: super::mp4::Mp4Error| MediaError::InvalidMedia {
        reason: e.to_string(),
    };
    let movie = read_movie(path).map_err(invalid)?;
    let video = movie
        .track(b"vide")
        .ok_or_else(|| MediaError::InvalidMedia {
            reason: "no video track".into(),
        })?;
    let keys: Vec<usize> = (0..video.samples.len())
        .filter(|&i| video.samples[i].sync)
        .collect();
    let mut max_gap = 0;
    for pair in keys.windows(2) {
        max_gap = max_gap.max(pair[1] - pair[0]);
    }
    if let Some(&last) = keys.last() {
        max_gap = max_gap.max(video.samples.len() - last);
    }
    let tops = top_level_boxes(path).map_err(invalid)?;
    let position = |kind: &[u8; 4]| tops.iter().position(|k| k == kind);
    Ok(Layout {
        frames: video.samples.len(),
        keyframes: keys.len(),
        max_gap,
        first_is_key: keys.first() == Some(&0),
        faststart: matches!((position(b"moov"), position(b"mdat")), (Some(m), Some(d)) if m < d),
    })
}
