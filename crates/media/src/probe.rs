//! Probing: ffprobe for every file, plus EXIF for photos, checked against the declared kind.

mod parse;

pub use parse::parse_ffprobe;
pub(crate) use parse::{Probed, camera_name, parse_probed};

use crate::error::MediaError;
use crate::files::ff_path;
use crate::photo_exif::read_exif;
use crate::process::run_tool;
use crate::tools::Tools;
use sightline_core::media::{MediaFacts, MediaKind};
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// Codecs ffmpeg uses for still pictures (it reports a picture as a one-frame video stream).
const IMAGE_CODECS: &[&str] = &[
    "mjpeg", "jpegls", "ljpeg", "jpeg2000", "jpegxl", "png", "apng", "webp", "gif", "bmp", "tiff",
    "qoi", "psd", "ppm", "pgm", "pgmyuv", "pbm", "pam", "targa", "sgi", "pcx", "xbm", "xpm", "dds",
    "exr", "hdr", "sunrast", "svg", "photocd", "pictor", "xwd",
];

/// ffprobe messages that mean "this input is broken", as opposed to a failing tool.
const BAD_INPUT_MARKERS: &[&str] = &[
    "Invalid data found when processing input",
    "moov atom not found",
    "End of file",
    "could not find codec parameters",
    "Could not find codec parameters",
];

/// Probes `path` with ffprobe (and EXIF for photos) and checks it really is a `kind`.
pub async fn probe(
    path: &Path,
    kind: MediaKind,
    timeout: Duration,
) -> Result<MediaFacts, MediaError> {
    probe_with(&Tools::default(), path, kind, timeout).await
}

pub(crate) async fn probe_with(
    tools: &Tools,
    path: &Path,
    kind: MediaKind,
    timeout: Duration,
) -> Result<MediaFacts, MediaError> {
    let json = ffprobe_json(tools, path, timeout).await?;
    let probed = parse_probed(&json, Some(kind))?;
    let mut facts = check_kind(kind, probed.facts)?;
    if kind == MediaKind::Photo {
        let exif_path = path.to_owned();
        let exif = tokio::task::spawn_blocking(move || read_exif(&exif_path))
            .await
            .map_err(|e| MediaError::Io(std::io::Error::other(e)))?;
        if let Some(exif) = exif {
            exif.merge_into(&mut facts);
        }
    }
    Ok(facts)
}

/// Checks probed facts against the declared kind. A video needs a duration and must not be a
/// still picture; a photo must be a picture codec. For photos, the meaningless duration and
/// frame rate that ffprobe reports for a still (0.04 s at 25 fps) are cleared.
pub fn check_kind(kind: MediaKind, mut facts: MediaFacts) -> Result<MediaFacts, MediaError> {
    let codec = facts.video_codec.as_deref().unwrap_or("unknown codec");
    let container = facts.container.as_deref().unwrap_or("unknown container");
    let still_container = container == "image2" || container.ends_with("_pipe");
    match kind {
        MediaKind::Video if still_container => {
            return Err(MediaError::invalid(format!(
                "not a video: the file is a still image ({codec} in {container})"
            )));
        }
        MediaKind::Video if facts.duration_secs.is_none_or(|d| d <= 0.0) => {
            return Err(MediaError::invalid(
                "not a playable video: ffprobe found no duration",
            ));
        }
        MediaKind::Photo if !IMAGE_CODECS.contains(&codec) => {
            return Err(MediaError::invalid(format!(
                "not a photo: the file is a video ({codec} in {container})"
            )));
        }
        MediaKind::Photo => {
            facts.duration_secs = None;
            facts.fps = None;
        }
        MediaKind::Video => {}
    }
    if facts.width.is_none() || facts.height.is_none() {
        return Err(MediaError::invalid(format!(
            "not a playable {kind}: ffprobe found no picture size"
        )));
    }
    Ok(facts)
}

/// Runs ffprobe and returns its JSON; input-caused failures become `InvalidMedia`.
pub(crate) async fn ffprobe_json(
    tools: &Tools,
    path: &Path,
    timeout: Duration,
) -> Result<String, MediaError> {
    let meta = tokio::fs::metadata(path).await?;
    if meta.len() == 0 {
        return Err(MediaError::invalid("the file is empty"));
    }
    let args: Vec<OsString> = [
        "-v",
        "error",
        "-print_format",
        "json",
        "-show_format",
        "-show_streams",
        "-i",
    ]
    .into_iter()
    .map(OsString::from)
    .chain([ff_path(path)])
    .collect();
    match run_tool(&tools.ffprobe, &args, timeout).await {
        Ok(out) => Ok(String::from_utf8_lossy(&out).into_owned()),
        Err(MediaError::Tool {
            program,
            status,
            stderr_tail,
        }) => {
            let message = last_message(&stderr_tail, path);
            if BAD_INPUT_MARKERS.iter().any(|m| stderr_tail.contains(m)) {
                Err(MediaError::invalid(format!(
                    "ffprobe could not read the file: {message}"
                )))
            } else {
                Err(MediaError::Tool {
                    program,
                    status,
                    stderr_tail,
                })
            }
        }
        Err(other) => Err(other),
    }
}

/// The last stderr line without the `file:/path: ` prefix ffmpeg puts in front of it.
fn last_message(stderr: &str, path: &Path) -> String {
    let line = stderr
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no error output");
    let prefix = format!("{}: ", ff_path(path).to_string_lossy());
    line.strip_prefix(&prefix).unwrap_or(line).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_lines_lose_the_path_prefix() {
        let stderr = "[mov,mp4 @ 0x1] moov atom not found\n\
                      file:/tmp/x.mp4: Invalid data found when processing input\n";
        assert_eq!(
            last_message(stderr, Path::new("/tmp/x.mp4")),
            "Invalid data found when processing input"
        );
    }

    #[test]
    fn photo_kind_rejects_video_codecs() {
        let facts = MediaFacts {
            width: Some(640),
            height: Some(360),
            video_codec: Some("h264".into()),
            container: Some("mov,mp4,m4a,3gp,3g2,mj2".into()),
            duration_secs: Some(3.0),
            ..Default::default()
        };
        let err = check_kind(MediaKind::Photo, facts.clone()).expect_err("video as photo");
        assert_eq!(
            err.to_string(),
            "not a photo: the file is a video (h264 in mov,mp4,m4a,3gp,3g2,mj2)"
        );
        assert!(check_kind(MediaKind::Video, facts).is_ok());
    }
}
