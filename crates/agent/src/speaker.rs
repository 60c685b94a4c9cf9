//! The device's speaker, for pre-recorded messages to visitors ("please leave it at the door"):
//! a message is fetched once from the server's signed URL, checked to be a WAV file, cached by
//! its id (the seed: "pre-recorded messages cached on device"), and played on the sink:
//! `alsa[:DEVICE]` through `aplay`, or `file:PATH` (the WAV written there; tests, or a sound
//! server that watches it).

use crate::files;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpeakerSink {
    None,
    Alsa(Option<String>),
    File(PathBuf),
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("speaker {0:?}: expected none, alsa[:DEVICE] or file:PATH")]
pub struct BadSpeaker(pub String);

impl FromStr for SpeakerSink {
    type Err = BadSpeaker;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once(':') {
            _ if text == "none" => Ok(Self::None),
            _ if text == "alsa" => Ok(Self::Alsa(None)),
            Some(("alsa", device)) if !device.is_empty() => Ok(Self::Alsa(Some(device.into()))),
            Some(("file", path)) if !path.is_empty() => Ok(Self::File(path.into())),
            _ => Err(BadSpeaker(text.to_owned())),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpeakerError {
    #[error("this device has no speaker (start the agent with --speaker)")]
    NoSpeaker,
    #[error("audio id {0:?} is not a plain id")]
    BadId(String),
    #[error("the message could not be fetched: {0}")]
    Fetch(String),
    #[error("the message is not a WAV file")]
    NotWav,
    #[error("the message is larger than {} MiB", MAX_MESSAGE_BYTES >> 20)]
    TooLarge,
    #[error("playing failed: {0}")]
    Play(String),
    #[error("audio cache: {0}")]
    Io(#[from] std::io::Error),
}

/// Pre-recorded messages are short: a minute of 16 kHz mono is under 2 MiB.
const MAX_MESSAGE_BYTES: usize = 16 << 20;

#[derive(Clone)]
pub struct Speaker {
    sink: SpeakerSink,
    cache: PathBuf,
    http: reqwest::Client,
}

impl Speaker {
    pub fn new(sink: SpeakerSink, cache: PathBuf) -> Self {
        Self {
            sink,
            cache,
            http: reqwest::Client::new(),
        }
    }

    /// Plays message `audio_id`, fetching it from `url` unless it is cached. Returns whether it
    /// came from the cache.
    pub async fn play(&self, audio_id: &str, url: &str) -> Result<bool, SpeakerError> {
        if self.sink == SpeakerSink::None {
            return Err(SpeakerError::NoSpeaker);
        }
        let plain = !audio_id.is_empty()
            && audio_id.len() <= 64
            && audio_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !plain {
            return Err(SpeakerError::BadId(audio_id.chars().take(64).collect()));
        }
        let cached = self.cache.join(format!("{audio_id}.wav"));
        let hit = cached.exists();
        if !hit {
            let bytes = self.fetch(url).await?;
            tokio::fs::create_dir_all(&self.cache).await?;
            let path = cached.clone();
            tokio::task::spawn_blocking(move || files::write_durably(&path, &bytes))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))??;
        }
        match &self.sink {
            SpeakerSink::None => Err(SpeakerError::NoSpeaker),
            SpeakerSink::File(path) => {
                let (from, to) = (cached.clone(), path.clone());
                tokio::task::spawn_blocking(move || {
                    let bytes = std::fs::read(&from)?;
                    files::write_durably(&to, &bytes)
                })
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))??;
                Ok(hit)
            }
            SpeakerSink::Alsa(device) => {
                let mut args = vec!["-q".to_owned()];
                if let Some(device) = device {
                    args.extend(["-D".to_owned(), device.clone()]);
                }
                args.push(cached.display().to_string());
                sightline_media::process::run_tool("aplay", &args, Duration::from_secs(120))
                    .await
                    .map_err(|e| SpeakerError::Play(e.to_string()))?;
                Ok(hit)
            }
        }
    }

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, SpeakerError> {
        let response = self
            .http
            .get(url)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| SpeakerError::Fetch(e.to_string()))?;
        if !response.status().is_success() {
            return Err(SpeakerError::Fetch(format!("HTTP {}", response.status())));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_MESSAGE_BYTES as u64)
        {
            return Err(SpeakerError::TooLarge);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| SpeakerError::Fetch(e.to_string()))?;
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(SpeakerError::TooLarge);
        }
        if bytes.len() < 44 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
            return Err(SpeakerError::NotWav);
        }
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sinks() {
        assert_eq!("none".parse(), Ok(SpeakerSink::None));
        assert_eq!("alsa".parse(), Ok(SpeakerSink::Alsa(None)));
        assert_eq!(
            "alsa:hw:1,0".parse(),
            Ok(SpeakerSink::Alsa(Some("hw:1,0".into())))
        );
        assert_eq!(
            "file:/tmp/out.wav".parse(),
            Ok(SpeakerSink::File("/tmp/out.wav".into()))
        );
        assert!("file:".parse::<SpeakerSink>().is_err());
        assert!("hdmi".parse::<SpeakerSink>().is_err());
    }

    #[tokio::test]
    async fn refuses_without_a_speaker_and_hostile_ids() {
        let dir = tempfile::tempdir().unwrap();
        let none = Speaker::new(SpeakerSink::None, dir.path().into());
        assert!(matches!(
            none.play("a", "http://127.0.0.1:9/").await,
            Err(SpeakerError::NoSpeaker)
        ));
        let file = Speaker::new(
            SpeakerSink::File(dir.path().join("out.wav")),
            dir.path().join("cache"),
        );
        for bad in ["../../etc/passwd", "", "a/b", "x.wav"] {
            assert!(matches!(
                file.play(bad, "http://127.0.0.1:9/").await,
                Err(SpeakerError::BadId(_))
            ));
        }
        assert!(matches!(
            file.play("abc", "http://127.0.0.1:9/").await,
            Err(SpeakerError::Fetch(_))
        ));
    }
}
