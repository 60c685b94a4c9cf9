//! A photo as a short "Ken Burns" clip (a slow zoom towards the centre) encoded exactly like a
//! rendition, so that a memory can place it between video clips and still copy everything else.

use crate::error::MediaError;
use crate::files::PartialFile;
use crate::process::run_tool;
use crate::rendition::{EncoderSpeed, RENDITION_AUDIO_RATE, RENDITION_FPS, aac_args, h264_args};
use crate::tools::Tools;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

/// How far the still zooms in over its whole length.
const ZOOM_END: f64 = 1.12;

/// Writes `secs` seconds of `image` at `width`×`height` (even sides) with silence to `out`,
/// as a rendition: same encoder structure, 1 s closed GOPs, 30 fps, AAC.
pub async fn ken_burns_still(
    tools: &Tools,
    image: &Path,
    secs: u32,
    (width, height): (u32, u32),
    out: &Path,
    timeout: Duration,
) -> Result<(), MediaError> {
    if secs == 0 || width < 16 || height < 16 || width % 2 == 1 || height % 2 == 1 {
        return Err(MediaError::invalid(format!(
            "a still needs ≥ 1 s and an even size of at least 16×16, got {secs} s at {width}×{height}"
        )));
    }
    let partial = PartialFile::beside(out)?;
    run_tool(
        &tools.ffmpeg,
        &still_args(image, secs, width, height, partial.path()),
        timeout,
    )
    .await?;
    partial.commit().await?;
    Ok(())
}

fn still_args(image: &Path, secs: u32, width: u32, height: u32, out: &Path) -> Vec<OsString> {
    let frames = secs * RENDITION_FPS;
    let step = (ZOOM_END - 1.0) / f64::from(frames);
    // Fill the frame (crop, no bars), at twice the size so the zoom does not show pixels, then
    // zoom towards the centre one step per frame.
    let video = format!(
        "scale={w2}:{h2}:force_original_aspect_ratio=increase,crop={w2}:{h2},setsar=1,\
         zoompan=z='min(1+{step:.6}*on,{ZOOM_END})':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'\
         :d={frames}:s={width}x{height}:fps={RENDITION_FPS},format=yuv420p",
        w2 = width * 2,
        h2 = height * 2,
    );
    let silence = format!("anullsrc=channel_layout=stereo:sample_rate={RENDITION_AUDIO_RATE}");
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .into_iter()
        .map(OsString::from)
        .collect();
    args.extend(["-i".into(), image.as_os_str().to_owned()]);
    for a in [
        "-f", "lavfi", "-i", &silence, "-map", "0:v:0", "-map", "1:a:0",
    ] {
        args.push(a.into());
    }
    args.extend(["-vf".into(), video.into()]);
    args.extend(h264_args(EncoderSpeed::Splice));
    args.extend(aac_args());
    for a in [
        "-t",
        &secs.to_string(),
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
    ] {
        args.push(a.into());
    }
    args.push(out.as_os_str().to_owned());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn still_is_encoded_like_a_rendition() {
        let args: Vec<String> = still_args(Path::new("p.jpg"), 3, 1280, 720, Path::new("o.mp4"))
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(joined.contains("d=90:s=1280x720:fps=30"), "{joined}");
        assert!(joined.contains("stitchable=1"), "{joined}");
        assert!(joined.contains("-t 3"), "{joined}");
        assert!(joined.contains("-c:a aac"), "{joined}");
    }
}
