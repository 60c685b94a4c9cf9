//! `sightline bench memory`: a 2-minute memory of 12 clips of 1080p30 with 11 crossfades, made
//! by Sightline's smart cut and by the naive path (one ffmpeg filtergraph with `xfade` and
//! `acrossfade` re-encoding everything at the rendition's settings), in one run on one machine.
//! Both outputs are then fully decoded and checked (not timed).

use anyhow::Context;
use sightline_core::media::MediaKind;
use sightline_media::rendition::{EncoderSpeed, aac_args, h264_args};
use sightline_media::{
    AssembledMemory, MemoryCheck, MemoryClip, MemoryRequest, Tools, check_memory, normalise, probe,
    run_tool,
};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CROSSFADE_SECS: f64 = 0.5;
const SOURCE_SECS: u32 = 14;
/// Generous: the naive path takes about a minute on two cores, more on a busy machine.
const TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Distinct moving content per clip (lavfi sources at 1080p30), each with its own tone.
const SOURCES: [&str; 12] = [
    "testsrc2=size=1920x1080:rate=30",
    "mandelbrot=size=1920x1080:rate=30",
    "life=size=480x270:rate=30:mold=10:ratio=0.3:death_color=#C83232:life_color=#00ff00,\
     scale=1920:1080:flags=neighbor",
    "gradients=size=1920x1080:rate=30:speed=0.05",
    "testsrc=size=1920x1080:rate=30,hue=h=90",
    "cellauto=size=1920x1080:rate=30:rule=110",
    "testsrc2=size=1920x1080:rate=30,hue=H=2*PI*t/7",
    "rgbtestsrc=size=1920x1080:rate=30,rotate=a=t/3",
    "testsrc2=size=1920x1080:rate=30,hue=h=180:s=2",
    "testsrc2=size=1920x1080:rate=30,rotate=a=t/5,hue=h=45",
    "mandelbrot=size=1920x1080:rate=30:start_scale=1,negate",
    "yuvtestsrc=size=1920x1080:rate=30,rotate=a=-t/4",
];

#[derive(Debug, Clone, clap::Args)]
pub struct MemoryBench {
    /// Where the 12 source renditions are kept between runs (made again when missing).
    #[arg(long, default_value = "/var/tmp/sightline-bench-media")]
    pub media_dir: PathBuf,
    /// Smart assemblies timed; the median is reported.
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Skip the naive full re-encode (about a minute on two cores).
    #[arg(long)]
    pub skip_naive: bool,
    /// Repeated memory requests timed against the result cache (0 skips it).
    #[arg(long, default_value_t = 1000)]
    pub cached_requests: usize,
    /// Scratch directory for the outputs (on the disk to measure).
    #[arg(long, default_value = "/var/tmp")]
    pub dir: PathBuf,
}

struct Run {
    elapsed: Duration,
    /// CPU time of the child processes (ffmpeg) during the run, when the OS tells.
    child_cpu: Option<Duration>,
    output: PathBuf,
    memory: Option<AssembledMemory>,
}

pub async fn run(options: MemoryBench) -> anyhow::Result<()> {
    let tools = Tools::default();
    let sources = ensure_sources(&options.media_dir).await?;
    let request = memory_request(&sources);
    let planned: f64 = request
        .clips
        .iter()
        .map(|c| c.out_secs - c.in_secs)
        .sum::<f64>()
        - (request.clips.len() - 1) as f64 * CROSSFADE_SECS;
    let scratch = tempfile::tempdir_in(&options.dir).context("creating the bench directory")?;
    println!(
        "memory bench: {} clips of 1080p30, {} crossfades of {CROSSFADE_SECS} s, {planned:.1} s \
         planned; {} cores; load average before: {}",
        request.clips.len(),
        request.clips.len() - 1,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );

    let mut smart = Vec::new();
    for round in 0..options.rounds.max(1) {
        let run = smart_run(&tools, &request, scratch.path(), round).await?;
        println!(
            "  smart round {}: {:.3} s{}",
            round + 1,
            run.elapsed.as_secs_f64(),
            cpu_note(run.child_cpu)
        );
        smart.push(run);
    }
    smart.sort_by_key(|r| r.elapsed);
    let median = &smart[smart.len() / 2];
    let naive = if options.skip_naive {
        None
    } else {
        Some(naive_run(&tools, &request, scratch.path()).await?)
    };

    let smart_check = check_memory(&tools, &median.output, TIMEOUT).await?;
    let naive_check = match &naive {
        Some(run) => Some(check_memory(&tools, &run.output, TIMEOUT).await?),
        None => None,
    };
    println!("| path | seconds | CPU s (ffmpeg) | output s | MB | decode check |");
    println!("|---|---:|---:|---:|---:|---|");
    if let (Some(run), Some(check)) = (&naive, &naive_check) {
        print_row(
            "naive: one ffmpeg, xfade + acrossfade, full re-encode",
            run,
            check,
            planned,
        );
    }
    let smart_name = format!("smart cut (median of {})", smart.len());
    print_row(&smart_name, median, &smart_check, planned);
    if options.cached_requests > 0 {
        let cached = super::memory_cache::measure(options.cached_requests).await?;
        println!(
            "| cached: POST /memories/create again, answered from the result cache ({} requests over HTTP) | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal p99 < 20 ms) | | | | first (uncached) memory of that library: {:.2} s end to end |",
            cached.requests,
            cached.p50.as_secs_f64() * 1e3,
            cached.p99.as_secs_f64() * 1e3,
            cached.max.as_secs_f64() * 1e3,
            cached.first_memory.as_secs_f64(),
        );
    }
    if let Some(memory) = &median.memory {
        let s = &memory.stages;
        println!(
            "smart stages (median run): open+plan {:.3} s, encode (pieces and soundtrack in \
             parallel) {:.3} s, mux {:.3} s; frames copied {}, encoded {}; AAC packets copied \
             {}, encoded {}",
            s.open_secs,
            s.encode_secs,
            s.mux_secs,
            memory.copied_frames,
            memory.encoded_frames,
            memory.copied_audio_packets,
            memory.encoded_audio_packets
        );
    }
    if let Some(run) = &naive {
        println!(
            "naive / smart: {:.1}x (goal >= 35x)",
            run.elapsed.as_secs_f64() / median.elapsed.as_secs_f64()
        );
    }
    Ok(())
}

fn print_row(name: &str, run: &Run, check: &MemoryCheck, planned: f64) {
    let problems = check.problems(planned);
    let verdict = if problems.is_empty() {
        "ok: decodes with no error, duration matches".to_owned()
    } else {
        problems.join("; ")
    };
    let size = std::fs::metadata(&run.output).map_or(0, |m| m.len());
    println!(
        "| {name} | {:.2} | {} | {:.3} | {:.1} | {verdict} |",
        run.elapsed.as_secs_f64(),
        run.child_cpu
            .map_or("?".into(), |c| format!("{:.2}", c.as_secs_f64())),
        check.duration_secs,
        size as f64 / 1e6,
    );
}

fn cpu_note(cpu: Option<Duration>) -> String {
    cpu.map_or_else(String::new, |c| {
        format!(" (ffmpeg CPU {:.2} s)", c.as_secs_f64())
    })
}

/// 12 clips, whole GOPs between crossfades, exactly 120 s: the first clip 10.5 s, then 10 and
/// 11 s in turn, the last 10 s.
fn memory_request(sources: &[PathBuf]) -> MemoryRequest {
    let last = sources.len() - 1;
    let clips = sources
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let (in_secs, out_secs) = match i {
                0 => (1.0, 11.5),
                i if i == last => (1.5, 11.5),
                i if i % 2 == 1 => (1.5, 11.5),
                _ => (1.5, 12.5),
            };
            MemoryClip {
                rendition: path.clone(),
                in_secs,
                out_secs,
            }
        })
        .collect();
    MemoryRequest {
        clips,
        crossfade_secs: CROSSFADE_SECS,
    }
}

async fn smart_run(
    tools: &Tools,
    request: &MemoryRequest,
    dir: &Path,
    round: usize,
) -> anyhow::Result<Run> {
    let output = dir.join(format!("smart-{round}.mp4"));
    let thumbnail = dir.join(format!("smart-{round}.jpg"));
    let cpu_before = super::cpu::children();
    let started = Instant::now();
    let memory = tools
        .assemble_memory(request, &output, &thumbnail, TIMEOUT)
        .await
        .context("smart assembly")?;
    let elapsed = started.elapsed();
    Ok(Run {
        elapsed,
        child_cpu: cpu_since(cpu_before),
        output,
        memory: Some(memory),
    })
}

async fn naive_run(tools: &Tools, request: &MemoryRequest, dir: &Path) -> anyhow::Result<Run> {
    let output = dir.join("naive.mp4");
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .map(OsString::from)
        .into();
    let (mut video, mut audio) = ("[0:v]".to_owned(), "[0:a]".to_owned());
    let mut graph = String::new();
    let mut length = 0.0;
    for (i, clip) in request.clips.iter().enumerate() {
        let secs = clip.out_secs - clip.in_secs;
        args.extend(
            [
                "-ss",
                &format!("{:.6}", clip.in_secs),
                "-t",
                &format!("{secs:.6}"),
            ]
            .map(OsString::from),
        );
        args.extend(["-i".into(), clip.rendition.clone().into_os_string()]);
        if i == 0 {
            length = secs;
            continue;
        }
        let offset = length - CROSSFADE_SECS;
        graph.push_str(&format!(
            "{video}[{i}:v]xfade=transition=fade:duration={CROSSFADE_SECS}:offset={offset:.6}[v{i}];\
             {audio}[{i}:a]acrossfade=d={CROSSFADE_SECS}:c1=qsin:c2=qsin[a{i}];"
        ));
        (video, audio) = (format!("[v{i}]"), format!("[a{i}]"));
        length += secs - CROSSFADE_SECS;
    }
    graph.push_str(&format!("{video}format=yuv420p[vout]"));
    args.extend(["-filter_complex".into(), graph.into()]);
    args.extend(["-map", "[vout]", "-map", &audio].map(OsString::from));
    args.extend(h264_args(EncoderSpeed::Mezzanine));
    args.extend(aac_args());
    args.extend(["-movflags", "+faststart", "-f", "mp4"].map(OsString::from));
    args.push(output.clone().into_os_string());

    let cpu_before = super::cpu::children();
    let started = Instant::now();
    run_tool(&tools.ffmpeg, &args, TIMEOUT)
        .await
        .context("naive ffmpeg run")?;
    let elapsed = started.elapsed();
    println!(
        "  naive: {:.3} s{}",
        elapsed.as_secs_f64(),
        cpu_note(cpu_since(cpu_before))
    );
    Ok(Run {
        elapsed,
        child_cpu: cpu_since(cpu_before),
        output,
        memory: None,
    })
}

/// The 12 source renditions, made (lavfi → `normalise`) when missing.
async fn ensure_sources(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    tokio::fs::create_dir_all(dir).await?;
    let mut paths = Vec::new();
    for (i, source) in SOURCES.iter().enumerate() {
        let path = dir.join(format!("memory-source-{i:02}.mp4"));
        if tokio::fs::metadata(&path).await.is_err() {
            println!(
                "  making source rendition {} of {} ({source})",
                i + 1,
                SOURCES.len()
            );
            make_source(source, 200 + 60 * i as u32, &path).await?;
        }
        paths.push(path);
    }
    Ok(paths)
}

async fn make_source(lavfi: &str, tone_hz: u32, out: &Path) -> anyhow::Result<()> {
    let raw = out.with_extension("raw.mp4");
    let secs = SOURCE_SECS.to_string();
    let video = format!("{lavfi},format=yuv420p");
    let audio = format!("sine=frequency={tone_hz}:sample_rate=48000");
    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .map(OsString::from)
        .into();
    args.extend(
        [
            "-f", "lavfi", "-i", &video, "-f", "lavfi", "-i", &audio, "-t", &secs,
        ]
        .map(OsString::from),
    );
    args.extend(
        [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "16",
            "-c:a",
            "aac",
        ]
        .map(OsString::from),
    );
    args.push(raw.clone().into_os_string());
    run_tool("ffmpeg", &args, TIMEOUT)
        .await
        .context("making a source")?;
    let facts = probe(&raw, MediaKind::Video, TIMEOUT).await?;
    normalise(&raw, &facts, out, TIMEOUT).await?;
    tokio::fs::remove_file(&raw).await?;
    Ok(())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn cpu_since(before: Option<Duration>) -> Option<Duration> {
    Some(super::cpu::children()?.saturating_sub(before?))
}
