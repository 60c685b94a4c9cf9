//! Real audio for the tests: espeak-ng speech and ffmpeg silence/noise, all 16 kHz mono i16.
//! Missing tools or models fail the tests loudly: CI installs them with scripts/install-deps.sh.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use sightline_voice::pcm_from_file;

pub const RATE: usize = 16_000;

/// `text` spoken by espeak-ng's US English Klatt voice (the one Sphinx understands best) at
/// `words_per_minute`.
pub fn speech(text: &str, words_per_minute: u32) -> Vec<i16> {
    speech_with(text, words_per_minute, "en-us+klatt")
}

pub fn speech_with(text: &str, words_per_minute: u32, voice: &str) -> Vec<i16> {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = dir.path().join("speech.wav");
    let status = Command::new("espeak-ng")
        .args(["-v", voice, "-s", &words_per_minute.to_string(), "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .expect("espeak-ng is missing: run scripts/install-deps.sh");
    assert!(status.success(), "espeak-ng failed for {text:?}");
    pcm_from_file(&wav).expect("ffmpeg decodes espeak's wav")
}

pub fn silence(ms: usize) -> Vec<i16> {
    vec![0; RATE * ms / 1000]
}

/// ffmpeg's `anoisesrc` of the given colour (white, pink, brown) and amplitude.
pub fn noise(ms: usize, color: &str, amplitude: f32) -> Vec<i16> {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = dir.path().join("noise.wav");
    let source = format!(
        "anoisesrc=d={}:c={color}:a={amplitude}:r=16000:seed=7",
        ms as f64 / 1000.0
    );
    let status = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            &source,
        ])
        .arg(&wav)
        .status()
        .expect("ffmpeg is missing: run scripts/install-deps.sh");
    assert!(status.success(), "ffmpeg anoisesrc failed");
    pcm_from_file(&wav).expect("decode noise")
}

pub fn concat(parts: &[&[i16]]) -> Vec<i16> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

/// Debian pocketsphinx-testdata: "go forward ten meters", real read speech at 16 kHz.
pub fn goforward() -> Vec<i16> {
    let path = Path::new("/usr/share/pocketsphinx/test/data/goforward.raw");
    let bytes =
        std::fs::read(path).expect("pocketsphinx-testdata is missing: run scripts/install-deps.sh");
    sightline_voice::pcm_from_s16le(&bytes)
}
