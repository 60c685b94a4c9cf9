//! JPEG thumbnail and preview, upright, from one ffmpeg run.

use crate::error::MediaError;
use crate::files::{PartialFile, ff_path};
use crate::photo_exif::{orientation_filter, read_exif};
use crate::process::run_tool;
use crate::tools::Tools;
use sightline_core::media::{MediaFacts, MediaKind};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// Long side of the thumbnail, in pixels.
pub const THUMB_MAX: u32 = 320;
/// Long side of the preview, in pixels.
pub const PREVIEW_MAX: u32 = 1440;
/// A video's still is taken at min(this, duration / 2).
const VIDEO_STILL_AT_SECS: f64 = 1.0;

/// Writes a JPEG thumbnail (within 320 px on the long side) and preview (within 1440 px), never
/// upscaled, shown upright: ffmpeg applies a video's display matrix itself; for photos its
/// autorotation is turned off and the EXIF orientation (all 8 values, mirrors included) is
/// applied with explicit filters, so the result does not depend on the ffmpeg version.
/// Both files appear atomically (temp name + rename).
pub async fn make_stills(
    input: &Path,
    kind: MediaKind,
    facts: &MediaFacts,
    thumb_out: &Path,
    preview_out: &Path,
    timeout: Duration,
) -> Result<(), MediaError> {
    let tools = Tools::default();
    make_stills_with(&tools, input, kind, facts, thumb_out, preview_out, timeout).await
}

pub(crate) async fn make_stills_with(
    tools: &Tools,
    input: &Path,
    kind: MediaKind,
    facts: &MediaFacts,
    thumb_out: &Path,
    preview_out: &Path,
    timeout: Duration,
) -> Result<(), MediaError> {
    let orient = match kind {
        MediaKind::Photo => photo_orientation(input, facts).await?,
        MediaKind::Video => None,
    };
    let seek = match kind {
        MediaKind::Video => facts
            .duration_secs
            .map_or(0.0, |d| (d / 2.0).min(VIDEO_STILL_AT_SECS)),
        MediaKind::Photo => 0.0,
    };
    let thumb = PartialFile::beside(thumb_out)?;
    let preview = PartialFile::beside(preview_out)?;

    // A duration that lies (truncated upload) can put the seek past the last frame: then ffmpeg
    // succeeds but writes nothing, and the first frame is the fallback.
    for at in [seek, 0.0] {
        let args = stills_args(input, kind, orient, at, thumb.path(), preview.path());
        run_tool(&tools.ffmpeg, &args, timeout).await?;
        if thumb.written_len().await > 0 && preview.written_len().await > 0 {
            thumb.commit().await?;
            preview.commit().await?;
            return Ok(());
        }
        if at == 0.0 {
            break;
        }
    }
    Err(MediaError::invalid(
        "could not decode a picture from the file: ffmpeg produced no frame",
    ))
}

/// The filters that turn a photo upright: from EXIF (which has mirrors), else `facts.rotation`.
async fn photo_orientation(
    input: &Path,
    facts: &MediaFacts,
) -> Result<Option<&'static str>, MediaError> {
    let path = input.to_owned();
    let exif = tokio::task::spawn_blocking(move || read_exif(&path))
        .await
        .map_err(|e| MediaError::Io(std::io::Error::other(e)))?;
    Ok(match exif.and_then(|e| e.orientation) {
        Some(orientation) => orientation_filter(orientation),
        None => rotation_filter(facts.rotation.unwrap_or(0)),
    })
}

/// Filters for a clockwise rotation.
fn rotation_filter(clockwise: i32) -> Option<&'static str> {
    match clockwise.rem_euclid(360) {
        90 => Some("transpose=clock"),
        180 => Some("hflip,vflip"),
        270 => Some("transpose=cclock"),
        _ => None,
    }
}

/// `scale` that fits within `max`×`max`, keeps the aspect ratio and never enlarges.
fn fit_within(max: u32) -> String {
    format!(
        "scale=w='min({max},iw)':h='min({max},ih)':force_original_aspect_ratio=decrease\
         :force_divisible_by=2"
    )
}

fn stills_args(
    input: &Path,
    kind: MediaKind,
    orient: Option<&str>,
    seek: f64,
    thumb: &Path,
    preview: &Path,
) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .map(OsString::from)
        .into();
    match kind {
        MediaKind::Video if seek > 0.0 => args.extend(["-ss".into(), format!("{seek:.3}").into()]),
        MediaKind::Video => {}
        MediaKind::Photo => args.push("-noautorotate".into()),
    }
    args.extend(["-i".into(), ff_path(input)]);
    let orient = orient.map(|f| format!("{f},")).unwrap_or_default();
    let graph = format!(
        "[0:v:0]{orient}split=2[a][b];[a]{}[thumb];[b]{}[preview]",
        fit_within(THUMB_MAX),
        fit_within(PREVIEW_MAX)
    );
    args.extend(["-filter_complex".into(), graph.into()]);
    for (label, out) in [("[thumb]", thumb), ("[preview]", preview)] {
        let opts = [
            "-map",
            label,
            "-frames:v",
            "1",
            "-c:v",
            "mjpeg",
            "-q:v",
            "3",
        ];
        args.extend(opts.map(OsString::from));
        args.extend(["-f", "image2", "-update", "1"].map(OsString::from));
        args.push(ff_path(out));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_args_disable_autorotate_and_apply_orientation() {
        let args = stills_args(
            Path::new("/in.jpg"),
            MediaKind::Photo,
            Some("transpose=clock"),
            0.0,
            Path::new("/t.jpg"),
            Path::new("/p.jpg"),
        );
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into()).collect();
        assert!(args.contains(&"-noautorotate".to_owned()));
        assert!(
            args.iter()
                .any(|a| a.starts_with("[0:v:0]transpose=clock,split=2"))
        );
        assert!(!args.contains(&"-ss".to_owned()));
    }

    #[test]
    fn rotations_become_transposes() {
        assert_eq!(rotation_filter(90), Some("transpose=clock"));
        assert_eq!(rotation_filter(-90), Some("transpose=cclock"));
        assert_eq!(rotation_filter(0), None);
    }
}
