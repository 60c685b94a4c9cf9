//! Real sample media with known truth: the OpenCV example clips and images (Debian
//! `opencv-doc`) plus clips and photos generated here with capture times and places written into
//! their metadata, so the library has something to find by place and date.

use anyhow::{Context, bail};
use chrono::{DateTime, TimeZone, Utc};
use sightline_core::media::MediaKind;
use sightline_media::exif_write::with_capture_exif;
use std::path::{Path, PathBuf};
use tokio::process::Command;

pub const OPENCV_DATA: &str = "/usr/share/doc/opencv-doc/examples/data";

#[derive(Debug, Clone)]
pub struct Sample {
    pub path: PathBuf,
    pub kind: MediaKind,
    /// What the file's own metadata says, when this module wrote it.
    pub captured_at: Option<DateTime<Utc>>,
    pub place: Option<Place>,
}

#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub name: &'static str,
    pub lat: f64,
    pub lon: f64,
}

pub const PARIS: Place = Place {
    name: "Paris",
    lat: 48.8584,
    lon: 2.2945,
};
pub const ROME: Place = Place {
    name: "Rome",
    lat: 41.8902,
    lon: 12.4922,
};
pub const TOKYO: Place = Place {
    name: "Tokyo",
    lat: 35.6586,
    lon: 139.7454,
};
pub const HOME: Place = Place {
    name: "Home (Berlin)",
    lat: 52.5200,
    lon: 13.4050,
};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

async fn ffmpeg(args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .context("ffmpeg is not installed (apt-get install ffmpeg)")?;
    if !out.status.success() {
        bail!(
            "ffmpeg {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A clip of `secs` seconds with a test pattern (its colours turned by `hue` degrees, so clips
/// tell apart), a tone, and container tags for place and time.
pub async fn generate_clip(
    path: &Path,
    secs: u32,
    size: &str,
    hue: u32,
    place: Option<Place>,
    taken: DateTime<Utc>,
) -> anyhow::Result<()> {
    let video = format!("testsrc2=size={size}:rate=30,hue=h={hue}");
    let duration = secs.to_string();
    let time = format!("creation_time={}", taken.format("%Y-%m-%dT%H:%M:%SZ"));
    let location = place.map(|p| format!("location={:+08.4}{:+09.4}/", p.lat, p.lon));
    let out = path.to_string_lossy();
    let mut args = vec![
        "-f",
        "lavfi",
        "-i",
        &video,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        &duration,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-metadata",
        &time,
    ];
    if let Some(location) = &location {
        args.extend(["-metadata", location]);
    }
    args.push(&out);
    ffmpeg(&args).await
}

/// Re-encodes a real image as JPEG (dropping its metadata) and writes capture time and GPS.
pub async fn photo_with_exif(
    source: &Path,
    path: &Path,
    place: Option<Place>,
    taken: DateTime<Utc>,
) -> anyhow::Result<()> {
    let plain = path.with_extension("plain.jpg");
    ffmpeg(&[
        "-i",
        &source.to_string_lossy(),
        "-q:v",
        "3",
        &plain.to_string_lossy(),
    ])
    .await?;
    let jpeg = tokio::fs::read(&plain).await?;
    let tagged = with_capture_exif(&jpeg, taken, place.map(|p| (p.lat, p.lon)))
        .context("ffmpeg did not write a JPEG")?;
    tokio::fs::write(path, tagged).await?;
    tokio::fs::remove_file(&plain).await?;
    Ok(())
}

/// Prepares the demo library in `dir` (re-using files made by an earlier run).
pub async fn prepare(dir: &Path) -> anyhow::Result<Vec<Sample>> {
    tokio::fs::create_dir_all(dir).await?;
    let mut samples = Vec::new();
    let opencv = Path::new(OPENCV_DATA);
    for (name, kind) in [
        ("vtest.avi", MediaKind::Video),
        ("Megamind.avi", MediaKind::Video),
    ] {
        let path = opencv.join(name);
        if path.exists() {
            samples.push(Sample {
                path,
                kind,
                captured_at: None,
                place: None,
            });
        }
    }
    let clips = [
        ("paris-eiffel.mp4", 0, PARIS, at(2024, 7, 14, 18)),
        ("rome-colosseum.mp4", 120, ROME, at(2024, 8, 3, 10)),
        ("tokyo-tower.mp4", 240, TOKYO, at(2025, 4, 2, 9)),
    ];
    for (name, hue, place, taken) in clips {
        let path = dir.join(name);
        if !path.exists() {
            generate_clip(&path, 10, "1280x720", hue, Some(place), taken).await?;
        }
        samples.push(Sample {
            path,
            kind: MediaKind::Video,
            captured_at: Some(taken),
            place: Some(place),
        });
    }
    let photos = [
        ("messi5.jpg", "paris-photo.jpg", PARIS, at(2024, 7, 15, 11)),
        ("HappyFish.jpg", "home-fish.jpg", HOME, at(2025, 1, 1, 12)),
        (
            "basketball1.png",
            "rome-court.jpg",
            ROME,
            at(2024, 8, 4, 16),
        ),
    ];
    for (source, name, place, taken) in photos {
        let source = opencv.join(source);
        if !source.exists() {
            continue;
        }
        let path = dir.join(name);
        if !path.exists() {
            photo_with_exif(&source, &path, Some(place), taken).await?;
        }
        samples.push(Sample {
            path,
            kind: MediaKind::Photo,
            captured_at: Some(taken),
            place: Some(place),
        });
    }
    if !opencv.exists() {
        tracing::warn!(
            "{OPENCV_DATA} is missing (apt-get install opencv-doc): using generated media only"
        );
    }
    Ok(samples)
}
