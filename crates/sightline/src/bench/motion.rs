//! `sightline bench motion`: the doorbell's edge motion detector against OpenCV's MOG2
//! (`scripts/bench/mog2.py`, pip `opencv-python-headless`) on the same decoded grey frames, in
//! one run: frames per second of each, and per-frame precision and recall against labels.
//!
//! The footage is made with ffmpeg from real material: `vtest.avi` (people walking through the
//! whole clip: motion on every frame) and scenes over a real still photo (opencv-doc's
//! `building.jpg`) with temporal sensor noise — a person-sized shape walking through, the same
//! walk through a sudden brightness jump, headlights ramping up, a jump alone, and a
//! flickering region like a swaying tree. The labels follow from how each scene is made. Frames
//! while a model learns the scene and the two frames either side of a label change are not
//! scored.

use anyhow::{Context, ensure};
use sightline_core::motion::{MotionConfig, MotionDetector};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const WIDTH: u32 = 320;
const HEIGHT: u32 = 240;
const FPS: u32 = 10;
const SCENE_SECS: u32 = 12;
const VTEST: &str = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
const STILL: &str = "/usr/share/doc/opencv-doc/examples/data/building.jpg";
/// Frames each model gets to learn a scene before it is scored.
const WARMUP: usize = 30;

#[derive(Debug, Clone, clap::Args)]
pub struct MotionBench {
    /// Python with OpenCV for the MOG2 baseline.
    #[arg(long, default_value = "python3")]
    pub python: String,
}

struct Scene {
    name: &'static str,
    /// Frames, each WIDTH × HEIGHT grey bytes.
    frames: Vec<Vec<u8>>,
    labels: Vec<bool>,
}

/// A walker: a 28 × 90 dark shape crossing from x = 20 to 260 between 3 s and 9 s.
const WALK: &str = "[bg][walker]overlay=x='20+(t-3)*40':y=110:enable='between(t,3,9)'";

fn walking(t: f64) -> bool {
    (3.0..=9.0).contains(&t)
}

fn ffmpeg_frames(args: &[&str]) -> anyhow::Result<Vec<Vec<u8>>> {
    let output = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error"])
        .args(args)
        .args(["-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .context("ffmpeg is missing: run scripts/install-deps.sh")?;
    ensure!(
        output.status.success(),
        "ffmpeg failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let size = (WIDTH * HEIGHT) as usize;
    ensure!(
        !output.stdout.is_empty() && output.stdout.len() % size == 0,
        "ffmpeg gave {} bytes, not whole {WIDTH}x{HEIGHT} frames",
        output.stdout.len()
    );
    Ok(output.stdout.chunks(size).map(<[u8]>::to_vec).collect())
}

/// A scene over the still photo: `extra` filters the background (after noise), `walker`
/// overlays the walking shape.
fn still_scene(
    name: &'static str,
    extra: &str,
    walker: bool,
    label: impl Fn(f64) -> bool,
) -> anyhow::Result<Scene> {
    let secs = SCENE_SECS.to_string();
    let base =
        format!("[0:v]scale={WIDTH}:{HEIGHT},format=gray,fps={FPS},noise=alls=6:allf=t{extra}[bg]");
    let graph = if walker {
        format!("{base};[1:v]format=gray[walker];{WALK},format=gray")
    } else {
        format!("{base};[bg]null")
    };
    let mut args = vec!["-loop", "1", "-t", &secs, "-i", STILL];
    let walker_source = format!("color=c=0x181818:s=28x90:r={FPS}:d={SCENE_SECS}");
    if walker {
        args.extend(["-f", "lavfi", "-i", &walker_source]);
    }
    args.extend(["-filter_complex", &graph, "-t", &secs]);
    let frames = ffmpeg_frames(&args)?;
    let labels = (0..frames.len())
        .map(|i| label(i as f64 / f64::from(FPS)))
        .collect();
    Ok(Scene {
        name,
        frames,
        labels,
    })
}

fn scenes() -> anyhow::Result<Vec<Scene>> {
    for path in [VTEST, STILL] {
        ensure!(
            Path::new(path).exists(),
            "{path} is missing: run scripts/install-deps.sh"
        );
    }
    let vtest = ffmpeg_frames(&[
        "-i",
        VTEST,
        "-vf",
        &format!("scale={WIDTH}:{HEIGHT},format=gray"),
    ])?;
    let vtest_labels = vec![true; vtest.len()];
    Ok(vec![
        Scene {
            name: "vtest.avi: people walking",
            frames: vtest,
            labels: vtest_labels,
        },
        still_scene("person walks through", "", true, walking)?,
        still_scene(
            "person walks through a +40 brightness jump at 6 s",
            ",eq=brightness='if(gt(t,6),0.16,0)':eval=frame",
            true,
            walking,
        )?,
        still_scene(
            "headlights ramp up over 0.5 s at 5 s",
            ",eq=brightness='0.25*min(1,max(0,(t-5)/0.5))':eval=frame",
            false,
            |_| false,
        )?,
        still_scene(
            "brightness jumps -30 at 4 s, +30 at 8 s",
            ",eq=brightness='if(between(t,4,8),-0.12,0)':eval=frame",
            false,
            |_| false,
        )?,
        still_scene(
            "a region flickers like a swaying tree",
            // `\,` keeps the comma from the filter graph's parser; geq clips to 0..255 itself.
            r",geq=lum=p(X\,Y)+lt(X\,90)*lt(Y\,110)*30*sin(2*PI*T*1.3)",
            false,
            |_| false,
        )?,
    ])
}

#[derive(Default)]
struct Score {
    true_pos: u64,
    false_pos: u64,
    false_neg: u64,
    scored: u64,
}

impl Score {
    fn add(&mut self, label: bool, said: bool) {
        self.scored += 1;
        match (label, said) {
            (true, true) => self.true_pos += 1,
            (false, true) => self.false_pos += 1,
            (true, false) => self.false_neg += 1,
            (false, false) => {}
        }
    }

    fn precision(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_pos)
    }

    fn recall(&self) -> f64 {
        ratio(self.true_pos, self.true_pos + self.false_neg)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Whether frame `i` of a scene counts: after the warm-up, not next to a label change.
fn scored(labels: &[bool], i: usize) -> bool {
    i >= WARMUP
        && (i.saturating_sub(2)..=(i + 2).min(labels.len() - 1)).all(|j| labels[j] == labels[i])
}

struct Run {
    per_scene: Vec<Score>,
    total: Score,
    frames: usize,
    spent: Duration,
}

fn score(scenes: &[Scene], decisions: &[Vec<bool>], frames: usize, spent: Duration) -> Run {
    let mut total = Score::default();
    let mut per_scene = Vec::new();
    for (scene, said) in scenes.iter().zip(decisions) {
        let mut s = Score::default();
        for (i, (&label, &said)) in scene.labels.iter().zip(said).enumerate() {
            if scored(&scene.labels, i) {
                s.add(label, said);
                total.add(label, said);
            }
        }
        per_scene.push(s);
    }
    Run {
        per_scene,
        total,
        frames,
        spent,
    }
}

fn edge(scenes: &[Scene]) -> anyhow::Result<(Run, u32)> {
    let mut decisions = Vec::new();
    let mut spent = Duration::ZERO;
    let mut frames = 0;
    let mut min_area = 0;
    for scene in scenes {
        let mut detector = MotionDetector::new(WIDTH, HEIGHT, MotionConfig::default())?;
        min_area = detector.min_area();
        let mut said = Vec::with_capacity(scene.frames.len());
        for frame in &scene.frames {
            let started = Instant::now();
            let moving = detector.analyse(frame)?.has_motion();
            spent += started.elapsed();
            said.push(moving);
        }
        frames += scene.frames.len();
        decisions.push(said);
    }
    Ok((score(scenes, &decisions, frames, spent), min_area))
}

fn mog2(options: &MotionBench, scenes: &[Scene], min_area: u32) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    // Every scene padded to the same length so the script can restart its model per scene.
    let longest = scenes.iter().map(|s| s.frames.len()).max().unwrap_or(0);
    let blank = vec![0u8; (WIDTH * HEIGHT) as usize];
    let mut bytes = Vec::new();
    for scene in scenes {
        for i in 0..longest {
            bytes.extend_from_slice(scene.frames.get(i).unwrap_or(&blank));
        }
    }
    let path: PathBuf = dir.path().join("frames.gray");
    std::fs::write(&path, bytes)?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/bench/mog2.py");
    let output = Command::new(&options.python)
        .arg(script)
        .arg(&path)
        .args([
            "--width",
            &WIDTH.to_string(),
            "--height",
            &HEIGHT.to_string(),
        ])
        .args(["--min-area", &min_area.to_string()])
        .args(["--scene-frames", &longest.to_string()])
        .output()
        .with_context(|| format!("running {}", options.python))?;
    ensure!(
        output.status.success(),
        "MOG2 baseline failed: {} (pip install opencv-python-headless)",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let all: Vec<bool> = result["decisions"]
        .as_array()
        .context("no decisions from mog2.py")?
        .iter()
        .map(|d| d.as_u64() == Some(1))
        .collect();
    ensure!(
        all.len() == longest * scenes.len(),
        "mog2.py skipped frames"
    );
    let decisions: Vec<Vec<bool>> = scenes
        .iter()
        .enumerate()
        .map(|(k, scene)| all[k * longest..k * longest + scene.frames.len()].to_vec())
        .collect();
    // Padding frames are work MOG2 did that the edge detector did not: count its time per
    // real frame only.
    let real: usize = scenes.iter().map(|s| s.frames.len()).sum();
    let seconds = result["seconds"].as_f64().context("no time from mog2.py")?;
    let spent = Duration::from_secs_f64(seconds * real as f64 / all.len() as f64);
    Ok(score(scenes, &decisions, real, spent))
}

pub fn run(options: MotionBench) -> anyhow::Result<()> {
    let scenes = scenes()?;
    let (edge, min_area) = edge(&scenes)?;
    let mog2 = mog2(&options, &scenes, min_area)?;
    let fps = |r: &Run| r.frames as f64 / r.spent.as_secs_f64();
    println!(
        "\n| detector ({WIDTH}x{HEIGHT} grey, one core) | frames/s | µs/frame | precision | recall | goal |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, run) in [("edge (sightline)", &edge), ("MOG2 (OpenCV)", &mog2)] {
        println!(
            "| {name} | {:.0} | {:.0} | {:.1} % | {:.1} % | |",
            fps(run),
            run.spent.as_secs_f64() * 1e6 / run.frames as f64,
            run.total.precision() * 100.0,
            run.total.recall() * 100.0,
        );
    }
    println!(
        "| edge / MOG2 | {:.2}× | | | | ≥ 3× at equal or better precision; precision > 95 % |",
        fps(&edge) / fps(&mog2)
    );
    println!("\n| scene | frames scored | edge precision / recall | MOG2 precision / recall |");
    println!("|---|---|---|---|");
    for (k, scene) in scenes.iter().enumerate() {
        let (e, m) = (&edge.per_scene[k], &mog2.per_scene[k]);
        let both = |s: &Score| {
            if s.true_pos + s.false_neg == 0 {
                format!("{} false alarms", s.false_pos)
            } else {
                format!(
                    "{:.0} % / {:.0} %",
                    s.precision() * 100.0,
                    s.recall() * 100.0
                )
            }
        };
        println!(
            "| {} | {} | {} | {} |",
            scene.name,
            e.scored,
            both(e),
            both(m)
        );
    }
    Ok(())
}
