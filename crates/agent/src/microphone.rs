//! Spoken commands: ffmpeg reads the microphone (ALSA, PulseAudio, or a recording played in
//! real time) as 16 kHz mono PCM, a listening thread runs the voice pipeline
//! ([`sightline_voice::Listener`]), and each command it hears is carried out like a typed one.

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::str::FromStr;

use sightline_voice::{FFMPEG_PCM_OUTPUT, HeardUtterance, Listener, VoiceError};
use tokio::sync::mpsc;

use crate::runtime::{Agent, CommandOutcome};

/// Where the agent listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MicrophoneSource {
    /// No voice commands.
    None,
    /// An ALSA capture device, e.g. `default` or `hw:1,0`.
    Alsa(String),
    /// A PulseAudio source; `default` for the default one.
    Pulse(String),
    /// A recording played at its own speed, as if spoken now (demos and tests).
    File(PathBuf),
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("microphone \"{0}\": expected none, alsa[:DEVICE], pulse[:SOURCE] or file:PATH")]
pub struct BadMicrophoneSource(String);

impl FromStr for MicrophoneSource {
    type Err = BadMicrophoneSource;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, rest) = text.split_once(':').unwrap_or((text, ""));
        let device = |default: &str| {
            if rest.is_empty() {
                default.to_owned()
            } else {
                rest.to_owned()
            }
        };
        match kind {
            "none" if rest.is_empty() => Ok(Self::None),
            "alsa" => Ok(Self::Alsa(device("default"))),
            "pulse" => Ok(Self::Pulse(device("default"))),
            "file" if !rest.is_empty() => Ok(Self::File(PathBuf::from(rest))),
            _ => Err(BadMicrophoneSource(text.to_owned())),
        }
    }
}

impl MicrophoneSource {
    fn ffmpeg_input(&self) -> Option<Vec<String>> {
        let args = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        match self {
            Self::None => None,
            Self::Alsa(device) => Some(args(&["-f", "alsa", "-i", device])),
            Self::Pulse(device) => Some(args(&["-f", "pulse", "-i", device])),
            Self::File(path) => Some(vec![
                "-re".into(),
                "-i".into(),
                path.to_string_lossy().into_owned(),
            ]),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MicrophoneError {
    #[error("voice commands are off: {0}")]
    Models(#[from] VoiceError),
    #[error("could not start ffmpeg for the microphone: {0}; run scripts/install-deps.sh")]
    Ffmpeg(std::io::Error),
}

/// What one spoken command did.
#[derive(Debug, Clone)]
pub struct SpokenOutcome {
    pub heard: HeardUtterance,
    /// `None` when the speech was not a command.
    pub outcome: Option<CommandOutcome>,
}

/// Listens until the audio ends (a recording) or the agent stops. Models load before this
/// returns, so a missing model is reported at start-up rather than at the first command.
/// Each spoken command's result is also sent to `results` when given.
pub fn listen(
    agent: Agent,
    source: &MicrophoneSource,
    results: Option<mpsc::UnboundedSender<SpokenOutcome>>,
) -> Result<Option<tokio::task::JoinHandle<()>>, MicrophoneError> {
    let Some(input) = source.ffmpeg_input() else {
        return Ok(None);
    };
    let mut listener = Listener::from_default_models()?;
    let mut ffmpeg = Process::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error"])
        .args(&input)
        .args(FFMPEG_PCM_OUTPUT)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(MicrophoneError::Ffmpeg)?;
    let Some(pcm) = ffmpeg.stdout.take() else {
        let _ = ffmpeg.kill();
        return Err(MicrophoneError::Ffmpeg(std::io::Error::other(
            "no stdout from ffmpeg",
        )));
    };
    let (heard_tx, mut heard_rx) = mpsc::unbounded_channel::<HeardUtterance>();
    let described = format!("{source:?}");
    // Inference is CPU work: it runs on its own thread, off the async runtime.
    std::thread::Builder::new()
        .name("voice".into())
        .spawn(move || {
            let _ffmpeg = KillOnDrop(ffmpeg);
            let result = listener.run(pcm, |heard| {
                if heard_tx.send(heard).is_err() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            match result {
                Ok(()) => tracing::info!(source = %described, "microphone ended"),
                Err(err) => tracing::warn!(error = %err, "voice commands stopped"),
            }
        })
        .map_err(MicrophoneError::Ffmpeg)?;
    Ok(Some(tokio::spawn(async move {
        while let Some(heard) = heard_rx.recv().await {
            let outcome = act(&agent, &heard).await;
            if let Some(results) = &results {
                let _ = results.send(SpokenOutcome { heard, outcome });
            }
        }
    })))
}

async fn act(agent: &Agent, heard: &HeardUtterance) -> Option<CommandOutcome> {
    let latency_ms = heard.latency.as_secs_f64() * 1000.0;
    match &heard.heard.command {
        Ok(_) => {
            let outcome = agent.handle_text(&heard.heard.text, "voice").await;
            let mark = if outcome.ok { "ok" } else { "error" };
            println!(
                "voice \"{}\": {mark}: {} (heard {latency_ms:.0} ms after speech ended, done {:.1} ms later)",
                heard.heard.text, outcome.message, outcome.latency_ms
            );
            Some(outcome)
        }
        Err(err) => {
            tracing::info!(heard = %heard.heard.free_text, margin = heard.heard.margin, "speech that is not a command");
            agent.announce(format!("I did not catch a command: {err}"));
            None
        }
    }
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse() {
        assert_eq!("none".parse(), Ok(MicrophoneSource::None));
        assert_eq!("alsa".parse(), Ok(MicrophoneSource::Alsa("default".into())));
        assert_eq!(
            "alsa:hw:1,0".parse(),
            Ok(MicrophoneSource::Alsa("hw:1,0".into()))
        );
        assert_eq!(
            "pulse".parse(),
            Ok(MicrophoneSource::Pulse("default".into()))
        );
        assert_eq!(
            "file:/tmp/a.wav".parse(),
            Ok(MicrophoneSource::File("/tmp/a.wav".into()))
        );
        for bad in ["", "file:", "none:x", "usb"] {
            assert!(bad.parse::<MicrophoneSource>().is_err(), "{bad}");
        }
    }
}
