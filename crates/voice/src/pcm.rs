//! PCM helpers: 16 kHz mono s16le, the format the agent reads from ffmpeg and the models want.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::VoiceError;

/// ffmpeg output arguments for the PCM this crate reads: 16 kHz mono s16le on stdout.
pub const FFMPEG_PCM_OUTPUT: &[&str] = &[
    "-f",
    "s16le",
    "-acodec",
    "pcm_s16le",
    "-ac",
    "1",
    "-ar",
    "16000",
    "-",
];

/// Decodes any audio (or video) file ffmpeg reads into 16 kHz mono i16 PCM. For tests and for
/// a "listen to a file" source; live capture streams through [`crate::Listener::run`] instead.
pub fn pcm_from_file(path: &Path) -> Result<Vec<i16>, VoiceError> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args(FFMPEG_PCM_OUTPUT)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| {
            VoiceError::Ffmpeg(format!(
                "could not run ffmpeg ({err}); run scripts/install-deps.sh"
            ))
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(VoiceError::Ffmpeg(format!(
            "{}: {}",
            path.display(),
            stderr.trim()
        )));
    }
    Ok(pcm_from_s16le(&out.stdout))
}

/// Little-endian 16-bit samples; a trailing odd byte is dropped.
pub fn pcm_from_s16le(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// f32 samples in -1..1 to i16, clamping out-of-range values.
pub fn f32_to_i16(pcm: &[f32]) -> Vec<i16> {
    pcm.iter()
        .map(|s| (s.clamp(-1.0, 1.0) * 32767.0).round() as i16)
        .collect()
}
