//! Spoken command end → command, part of `sightline bench agent`. espeak-ng speaks the fixed
//! commands at several rates into one stream with room noise between them; the voice pipeline
//! hears it chunk by chunk as a microphone delivers it. Latency is measured from the end of the
//! speech: the silence the listener waits for (audio time) plus the compute after the last
//! chunk. The baseline in the same run is the same pipeline waiting for the full end-of-speech
//! silence, as a plain VAD endpointer does.

use anyhow::{Context, ensure};
use sightline_voice::{ListenConfig, Listener, Recognizer, VadModel, pcm_from_file};
use std::process::Command as Process;
use std::time::{Duration, Instant};

const PHRASES: &[&str] = &[
    "take a picture",
    "record a video",
    "stop recording",
    "snap a photo",
    "record a ten second video",
    "start recording",
];
const RATES: &[u32] = &[120, 140, 160, 180];

pub struct SpokenRun {
    pub label: &'static str,
    pub latencies_ms: Vec<f64>,
    pub understood: usize,
    pub spoken: usize,
    /// Compute time over audio time: below 1 keeps up with a live microphone.
    pub real_time_factor: f64,
}

fn speak(text: &str, rate: u32, dir: &std::path::Path) -> anyhow::Result<Vec<i16>> {
    let wav = dir.join("phrase.wav");
    let status = Process::new("espeak-ng")
        .args(["-v", "en-us+klatt", "-s", &rate.to_string(), "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .context("espeak-ng is missing: run scripts/install-deps.sh")?;
    ensure!(status.success(), "espeak-ng failed");
    Ok(pcm_from_file(&wav)?)
}

/// Deterministic low-level room noise (a linear congruential generator; the exact noise does
/// not matter, only that the silence between phrases is not digital zero).
fn room(samples: usize, seed: &mut u32) -> Vec<i16> {
    (0..samples)
        .map(|_| {
            *seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((*seed >> 16) as i16) / 512
        })
        .collect()
}

/// The stream and the phrase each utterance should be heard as.
fn stream(rounds: usize) -> anyhow::Result<(Vec<i16>, Vec<&'static str>)> {
    let dir = tempfile::tempdir()?;
    let mut seed = 7;
    let mut pcm = room(8000, &mut seed);
    let mut expected = Vec::new();
    for round in 0..rounds {
        for (i, phrase) in PHRASES.iter().enumerate() {
            let rate = RATES[(round + i) % RATES.len()];
            pcm.extend(speak(phrase, rate, dir.path())?);
            pcm.extend(room(16_000, &mut seed));
            expected.push(*phrase);
        }
    }
    Ok((pcm, expected))
}

fn listen(
    label: &'static str,
    config: ListenConfig,
    pcm: &[i16],
    expected: &[&str],
) -> anyhow::Result<SpokenRun> {
    let vad = VadModel::from_models_dir()?.stream();
    let mut listener = Listener::new(vad, Recognizer::new()?, config);
    let started = Instant::now();
    let mut heard = Vec::new();
    // 20 ms reads, as an ALSA period would deliver them.
    for piece in pcm.chunks(320) {
        heard.extend(listener.push(piece)?);
    }
    heard.extend(listener.finish()?);
    let compute = started.elapsed();
    let audio = Duration::from_secs_f64(pcm.len() as f64 / 16_000.0);
    let understood = heard
        .iter()
        .zip(expected)
        .filter(|(h, phrase)| {
            h.heard.command.is_ok() && h.heard.command == sightline_core::command::parse(phrase)
        })
        .count();
    let mut latencies_ms: Vec<f64> = heard
        .iter()
        .filter(|h| h.heard.command.is_ok())
        .map(|h| h.latency.as_secs_f64() * 1000.0)
        .collect();
    latencies_ms.sort_by(f64::total_cmp);
    Ok(SpokenRun {
        label,
        latencies_ms,
        understood: if heard.len() == expected.len() {
            understood
        } else {
            0
        },
        spoken: expected.len(),
        real_time_factor: compute.as_secs_f64() / audio.as_secs_f64(),
    })
}

/// Both runs over the same stream.
pub fn run(rounds: usize) -> anyhow::Result<Vec<SpokenRun>> {
    let (pcm, expected) = stream(rounds)?;
    let early = listen(
        "ends a whole command early",
        ListenConfig::default(),
        &pcm,
        &expected,
    )?;
    let baseline_config = ListenConfig {
        command_silence_ms: u32::MAX,
        ..ListenConfig::default()
    };
    let baseline = listen(
        "baseline: waits for the end-of-speech silence",
        baseline_config,
        &pcm,
        &expected,
    )?;
    Ok(vec![early, baseline])
}

pub fn print(runs: &[SpokenRun]) {
    println!(
        "\n| spoken command end → command | understood | p50 ms | p99 ms | max ms | real-time factor | goal |"
    );
    println!("|---|---|---|---|---|---|---|");
    for run in runs {
        let at = |q: f64| {
            let index = ((run.latencies_ms.len() as f64 - 1.0) * q).round() as usize;
            run.latencies_ms.get(index).copied().unwrap_or(f64::NAN)
        };
        println!(
            "| {} | {}/{} | {:.0} | {:.0} | {:.0} | {:.2} | < 150 ms |",
            run.label,
            run.understood,
            run.spoken,
            at(0.5),
            at(0.99),
            at(1.0),
            run.real_time_factor
        );
    }
}
