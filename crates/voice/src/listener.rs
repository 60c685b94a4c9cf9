//! VAD → endpointer → recogniser over a stream of PCM. Blocking: the agent runs it on its own
//! thread (inference is CPU work and must stay off the async runtime).

use std::io::{ErrorKind, Read};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use crate::VoiceError;
use crate::endpoint::{EndpointConfig, Endpointer, Utterance};
use crate::recognizer::{Heard, Recognizer};
use crate::vad::{CHUNK_SAMPLES, Vad, i16_to_f32};

/// A recognised utterance and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub struct HeardUtterance {
    pub utterance: Utterance,
    pub heard: Heard,
    /// From the end of the speech (the last voiced chunk) to the command, in audio time: the
    /// silence the listener waited for before it was sure, plus the decode that followed.
    pub latency: Duration,
    /// Ended early because the words already formed a whole command.
    pub early: bool,
}

/// Tuning of the early end of a command.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenConfig {
    pub endpoint: EndpointConfig,
    /// Silence after which a whole fixed command ends the utterance without waiting for
    /// `endpoint.end_silence_ms`; a memory request always waits for the full silence.
    pub command_silence_ms: u32,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            endpoint: EndpointConfig::default(),
            command_silence_ms: 64,
        }
    }
}

pub struct Listener {
    vad: Vad,
    endpointer: Endpointer,
    recognizer: Recognizer,
    command_silence_ms: u32,
    /// Samples waiting for a full VAD chunk.
    pending: Vec<i16>,
    scratch: Vec<f32>,
}

impl Listener {
    pub fn new(vad: Vad, recognizer: Recognizer, config: ListenConfig) -> Self {
        Self {
            vad,
            endpointer: Endpointer::new(config.endpoint),
            recognizer,
            command_silence_ms: config.command_silence_ms,
            pending: Vec::with_capacity(CHUNK_SAMPLES),
            scratch: vec![0.0; CHUNK_SAMPLES],
        }
    }

    /// Silero VAD from the model cache, Sphinx en-us from Debian's package, default tuning.
    pub fn from_default_models() -> Result<Self, VoiceError> {
        Ok(Self::new(
            Vad::from_models_dir()?,
            Recognizer::new()?,
            ListenConfig::default(),
        ))
    }

    /// Feeds 16 kHz mono PCM of any length; returns the utterances it completed.
    pub fn push(&mut self, pcm: &[i16]) -> Result<Vec<HeardUtterance>, VoiceError> {
        let mut heard = Vec::new();
        for &sample in pcm {
            self.pending.push(sample);
            if self.pending.len() < CHUNK_SAMPLES {
                continue;
            }
            let arrived = Instant::now();
            for (dst, &src) in self.scratch.iter_mut().zip(&self.pending) {
                *dst = i16_to_f32(src);
            }
            let probability = self.vad.chunk_probability(&self.scratch)?;
            let chunk = std::mem::take(&mut self.pending);
            if let Some(done) = self.step(&chunk, probability, arrived)? {
                heard.push(done);
            }
            self.pending = chunk;
            self.pending.clear();
        }
        Ok(heard)
    }

    /// One VAD chunk through the endpointer and, while in speech, both decoders.
    fn step(
        &mut self,
        chunk: &[i16],
        probability: f32,
        arrived: Instant,
    ) -> Result<Option<HeardUtterance>, VoiceError> {
        let was_in_speech = self.endpointer.in_speech();
        let ended = self.endpointer.push(chunk, probability);
        if !was_in_speech && self.endpointer.in_speech() {
            // Speech began: decode the pre-roll and the chunks that started it.
            self.recognizer.begin()?;
            let held: Vec<i16> = self.endpointer.buffered().flatten().copied().collect();
            self.recognizer.feed(&held)?;
            return Ok(None);
        }
        if !was_in_speech {
            return Ok(None);
        }
        self.recognizer.feed(chunk)?;
        if let Some(utterance) = ended {
            return self.finish_utterance(utterance, false, arrived).map(Some);
        }
        if self.endpointer.silence_ms() >= self.command_silence_ms
            && self.recognizer.partial_command().is_some()
            && let Some(utterance) = self.endpointer.cut()
        {
            return self.finish_utterance(utterance, true, arrived).map(Some);
        }
        Ok(None)
    }

    /// Ends the stream, recognising an utterance still under way.
    pub fn finish(&mut self) -> Result<Option<HeardUtterance>, VoiceError> {
        self.pending.clear();
        self.vad.reset();
        match self.endpointer.finish() {
            Some(utterance) => self
                .finish_utterance(utterance, false, Instant::now())
                .map(Some),
            None => Ok(None),
        }
    }

    /// Reads s16le PCM (e.g. ffmpeg's stdout with `-f s16le -ac 1 -ar 16000`) until the end or
    /// until `on_heard` breaks.
    pub fn run(
        &mut self,
        mut input: impl Read,
        mut on_heard: impl FnMut(HeardUtterance) -> ControlFlow<()>,
    ) -> Result<(), VoiceError> {
        let mut buf = vec![0u8; CHUNK_SAMPLES * 2];
        let mut carry: Option<u8> = None;
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(err) => return Err(VoiceError::Audio(format!("reading PCM: {err}"))),
            };
            let mut bytes = &buf[..n];
            let mut samples = Vec::with_capacity(n / 2 + 1);
            // A read may split a sample between two calls.
            if let Some(low) = carry.take() {
                samples.push(i16::from_le_bytes([low, bytes[0]]));
                bytes = &bytes[1..];
            }
            let pairs = bytes.chunks_exact(2);
            carry = pairs.remainder().first().copied();
            samples.extend(pairs.map(|b| i16::from_le_bytes([b[0], b[1]])));
            for heard in self.push(&samples)? {
                if on_heard(heard).is_break() {
                    return Ok(());
                }
            }
        }
        if let Some(heard) = self.finish()? {
            let _ = on_heard(heard);
        }
        Ok(())
    }

    /// The audio up to the decision is already decoded; what is left is the decoders' end of
    /// utterance. Latency counts the silence waited for (audio time) and the work since the
    /// last chunk arrived.
    fn finish_utterance(
        &mut self,
        utterance: Utterance,
        early: bool,
        arrived: Instant,
    ) -> Result<HeardUtterance, VoiceError> {
        let waited_ms = self
            .endpointer
            .chunks_seen_ms()
            .saturating_sub(utterance.speech_end_ms);
        let heard = self.recognizer.finish()?;
        Ok(HeardUtterance {
            utterance,
            heard,
            latency: Duration::from_millis(waited_ms) + arrived.elapsed(),
            early,
        })
    }
}
