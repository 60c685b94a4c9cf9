//! Helpers for the tests that run the real ffmpeg/ffprobe on real files.
#![allow(dead_code)] // each test binary uses a different subset

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub const TIMEOUT: Duration = Duration::from_secs(120);

/// A file of Debian `opencv-doc` (see DESIGN.md "Test media").
pub fn data(name: &str) -> PathBuf {
    let path = Path::new("/usr/share/doc/opencv-doc/examples/data").join(name);
    assert!(
        path.exists(),
        "{} is missing: install the Debian package opencv-doc",
        path.display()
    );
    path
}

/// Runs ffmpeg to make a synthetic input; panics with its stderr on failure.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs (apt-get install ffmpeg)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ffprobe -v error -print_format json ARGS… FILE`, parsed.
pub fn ffprobe(path: &Path, args: &[&str]) -> Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json"])
        .args(args)
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(
        out.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ffprobe prints JSON")
}

/// (width, height) of the first video stream.
pub fn picture_size(path: &Path) -> (u64, u64) {
    let v = ffprobe(path, &["-show_streams", "-select_streams", "v:0"]);
    let s = &v["streams"][0];
    (
        s["width"].as_u64().expect("width"),
        s["height"].as_u64().expect("height"),
    )
}

/// A test clip: `testsrc2` video (and a `sine` tone when `audio`), H.264 in MP4.
pub fn make_clip(dir: &Path, name: &str, size: &str, rate: u32, secs: u32, audio: bool) -> PathBuf {
    let out = dir.join(name);
    let video = format!("testsrc2=size={size}:rate={rate}");
    let secs = secs.to_string();
    let mut args = vec!["-f", "lavfi", "-i", &video];
    if audio {
        args.extend(["-f", "lavfi", "-i", "sine=sample_rate=44100"]);
    }
    let out_str = out.to_str().expect("utf-8 temp path");
    args.extend(["-t", &secs, "-c:v", "libx264", "-preset", "ultrafast"]);
    args.extend(["-pix_fmt", "yuv420p", "-c:a", "aac", out_str]);
    ffmpeg(&args);
    out
}

/// A copy of `jpeg` with an EXIF APP1 segment made from `fields` inserted after SOI.
pub fn with_exif(jpeg: &[u8], fields: &[exif::Field]) -> Vec<u8> {
    sightline_media::exif_write::with_exif_fields(jpeg, fields)
        .expect("input is a JPEG and the fields serialise")
}

pub fn ascii(tag: exif::Tag, text: &str) -> exif::Field {
    exif::Field {
        tag,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Ascii(vec![text.as_bytes().to_vec()]),
    }
}

pub fn dms(tag: exif::Tag, deg: u32, min: u32, sec_hundredths: u32) -> exif::Field {
    let r = |num, denom| exif::Rational { num, denom };
    exif::Field {
        tag,
        ifd_num: exif::In::PRIMARY,
        value: exif::Value::Rational(vec![r(deg, 1), r(min, 1), r(sec_hundredths, 100)]),
    }
}

/// messi5.jpg with EXIF: orientation 6 (turn 90° clockwise), Paris, 2024-07-14 12:00 +02:00.
pub fn exif_photo(dir: &Path) -> PathBuf {
    use exif::Tag;
    let jpeg = std::fs::read(data("messi5.jpg")).expect("read messi5.jpg");
    let fields = [
        exif::Field {
            tag: Tag::Orientation,
            ifd_num: exif::In::PRIMARY,
            value: exif::Value::Short(vec![6]),
        },
        ascii(Tag::Make, "Canon"),
        ascii(Tag::Model, "Canon EOS R5"),
        ascii(Tag::DateTimeOriginal, "2024:07:14 12:00:00"),
        ascii(Tag::OffsetTimeOriginal, "+02:00"),
        ascii(Tag::GPSLatitudeRef, "N"),
        dms(Tag::GPSLatitude, 48, 51, 3024),
        ascii(Tag::GPSLongitudeRef, "E"),
        dms(Tag::GPSLongitude, 2, 17, 4020),
    ];
    let path = dir.join("paris.jpg");
    std::fs::write(&path, with_exif(&jpeg, &fields)).expect("write photo");
    path
}

/// A 1 s 640×360 clip whose display matrix says "turn 90° clockwise", like a phone's portrait
/// recording. (ffmpeg 5.1 writes `rotate=N` as a counter-clockwise matrix, hence 270.)
pub fn portrait_phone_clip(dir: &Path) -> PathBuf {
    let plain = make_clip(dir, "plain.mp4", "640x360", 30, 1, true);
    let out = dir.join("portrait.mp4");
    ffmpeg(&[
        "-i",
        plain.to_str().expect("utf-8"),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=270",
        out.to_str().expect("utf-8"),
    ]);
    out
}

/// A normalised rendition of `secs` seconds of `testsrc2` through `look` (a filter chain that
/// makes each clip visibly different) with the lavfi audio source `audio`.
pub async fn rendition(
    dir: &Path,
    name: &str,
    size: &str,
    secs: u32,
    look: &str,
    audio: &str,
) -> PathBuf {
    let raw = dir.join(format!("{name}-raw.mp4"));
    let video = format!("testsrc2=size={size}:rate=30,{look}");
    let secs = secs.to_string();
    let raw_str = raw.to_str().expect("utf-8 path");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &video,
        "-f",
        "lavfi",
        "-i",
        audio,
        "-t",
        &secs,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        raw_str,
    ]);
    let facts = sightline_media::probe(&raw, sightline_core::media::MediaKind::Video, TIMEOUT)
        .await
        .expect("probe");
    let out = dir.join(format!("{name}.mp4"));
    sightline_media::normalise(&raw, &facts, &out, TIMEOUT)
        .await
        .expect("normalise");
    std::fs::remove_file(&raw).expect("remove raw");
    out
}

/// The first audio stream of `path` decoded to mono 48 kHz samples, from presentation time 0.
pub fn decoded_audio(path: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args([
            "-map", "0:a:0", "-ac", "1", "-ar", "48000", "-f", "f32le", "-",
        ])
        .output()
        .expect("ffmpeg runs");
    assert!(
        out.status.success(),
        "decoding {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}
