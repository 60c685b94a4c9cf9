//! Cuts a stream of VAD chunks into utterances: speech starts after a few voiced chunks in a row
//! (one loud click is not speech), ends after a stretch of silence, and keeps a little audio
//! before the start so the first phoneme is not clipped.

use std::collections::VecDeque;

use crate::SAMPLE_RATE;
use crate::vad::{CHUNK_MS, CHUNK_SAMPLES};

#[derive(Debug, Clone, PartialEq)]
pub struct EndpointConfig {
    /// A chunk at or above this probability is voiced.
    pub threshold: f32,
    /// Once in speech, a chunk below this is silence (hysteresis, as Silero's own iterator).
    pub silence_threshold: f32,
    /// Voiced chunks in a row that start an utterance.
    pub start_chunks: usize,
    /// Silence that ends an utterance.
    pub end_silence_ms: u32,
    /// Longest utterance; a longer one is cut and marked `truncated`.
    pub max_utterance_ms: u32,
    /// Audio kept before the first voiced chunk.
    pub pre_roll_ms: u32,
    /// Trailing silence kept after the last voiced chunk (the recogniser wants some).
    pub post_roll_ms: u32,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            threshold: 0.5,
            silence_threshold: 0.35,
            start_chunks: 3,
            end_silence_ms: 400,
            max_utterance_ms: 10_000,
            pre_roll_ms: 200,
            post_roll_ms: 160,
        }
    }
}

/// One stretch of speech.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utterance {
    /// 16 kHz mono PCM, pre-roll and post-roll included.
    pub pcm: Vec<i16>,
    /// Stream time of the first sample in `pcm`.
    pub start_ms: u64,
    /// Stream time of the end of the last voiced chunk: where the speaker stopped.
    pub speech_end_ms: u64,
    /// Cut at `max_utterance_ms` rather than ended by silence.
    pub truncated: bool,
}

enum State {
    Idle {
        voiced_run: usize,
    },
    Speech {
        first_chunk: u64,
        last_voiced: u64,
        silence_run: u32,
    },
}

pub struct Endpointer {
    config: EndpointConfig,
    /// Index of the next chunk.
    chunk: u64,
    /// Recent chunks: the pre-roll while idle, the utterance while in speech.
    chunks: VecDeque<Vec<i16>>,
    state: State,
}

impl Endpointer {
    pub fn new(config: EndpointConfig) -> Self {
        Self {
            config,
            chunk: 0,
            chunks: VecDeque::new(),
            state: State::Idle { voiced_run: 0 },
        }
    }

    /// Whether an utterance is under way.
    pub fn in_speech(&self) -> bool {
        matches!(self.state, State::Speech { .. })
    }

    /// Stream time at the end of the last chunk fed.
    pub fn chunks_seen_ms(&self) -> u64 {
        chunk_ms(self.chunk)
    }

    /// Silence since the last voiced chunk of the utterance under way.
    pub fn silence_ms(&self) -> u32 {
        match self.state {
            State::Speech { silence_run, .. } => silence_run,
            State::Idle { .. } => 0,
        }
    }

    /// The chunks held: the utterance so far (pre-roll included) once in speech.
    pub fn buffered(&self) -> impl Iterator<Item = &[i16]> {
        self.chunks.iter().map(Vec::as_slice)
    }

    /// Ends the utterance under way now, without waiting for the silence to run out: the
    /// listener does this when the words heard so far already form a whole command.
    pub fn cut(&mut self) -> Option<Utterance> {
        self.finish()
    }

    /// Feeds one chunk of [`CHUNK_SAMPLES`] samples and its speech probability.
    pub fn push(&mut self, chunk: &[i16], probability: f32) -> Option<Utterance> {
        let index = self.chunk;
        self.chunk += 1;
        self.chunks.push_back(chunk.to_vec());
        let c = &self.config;
        match &mut self.state {
            State::Idle { voiced_run } => {
                *voiced_run = if probability >= c.threshold {
                    *voiced_run + 1
                } else {
                    0
                };
                let keep = chunks_in(c.pre_roll_ms) + c.start_chunks.max(1);
                while self.chunks.len() > keep {
                    self.chunks.pop_front();
                }
                if *voiced_run >= c.start_chunks.max(1) {
                    let first_chunk = index + 1 - self.chunks.len() as u64;
                    self.state = State::Speech {
                        first_chunk,
                        last_voiced: index,
                        silence_run: 0,
                    };
                }
                None
            }
            State::Speech {
                first_chunk,
                last_voiced,
                silence_run,
            } => {
                if probability < c.silence_threshold {
                    *silence_run += CHUNK_MS;
                } else {
                    *silence_run = 0;
                    *last_voiced = index;
                }
                let (first, last) = (*first_chunk, *last_voiced);
                if *silence_run >= c.end_silence_ms {
                    return Some(self.emit(first, last, false));
                }
                if (index + 1 - first) * u64::from(CHUNK_MS) >= u64::from(c.max_utterance_ms) {
                    return Some(self.emit(first, index, true));
                }
                None
            }
        }
    }

    /// Ends the stream: an utterance still under way is returned as it is.
    pub fn finish(&mut self) -> Option<Utterance> {
        match self.state {
            State::Speech {
                first_chunk,
                last_voiced,
                ..
            } => Some(self.emit(first_chunk, last_voiced, false)),
            State::Idle { .. } => None,
        }
    }

    fn emit(&mut self, first: u64, last_voiced: u64, truncated: bool) -> Utterance {
        // Chunks after the last voiced one beyond the post-roll are silence: dropped.
        let kept = last_voiced + 1 - first + chunks_in(self.config.post_roll_ms) as u64;
        let pcm: Vec<i16> = self
            .chunks
            .drain(..)
            .take(kept as usize)
            .flatten()
            .collect();
        self.state = State::Idle { voiced_run: 0 };
        Utterance {
            pcm,
            start_ms: chunk_ms(first),
            speech_end_ms: chunk_ms(last_voiced + 1),
            truncated,
        }
    }
}

fn chunks_in(ms: u32) -> usize {
    ms.div_ceil(CHUNK_MS) as usize
}

fn chunk_ms(chunk: u64) -> u64 {
    chunk * CHUNK_SAMPLES as u64 * 1000 / u64::from(SAMPLE_RATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds probabilities, one chunk each; chunk `i` holds the sample value `i`.
    fn feed(endpointer: &mut Endpointer, probabilities: &[f32]) -> Vec<(usize, Utterance)> {
        let mut out = Vec::new();
        for (i, &p) in probabilities.iter().enumerate() {
            if let Some(u) = endpointer.push(&[i as i16; CHUNK_SAMPLES], p) {
                out.push((i, u));
            }
        }
        out
    }

    fn first_sample(u: &Utterance) -> i16 {
        u.pcm[0]
    }

    #[test]
    fn speech_between_silences_is_one_utterance_with_pre_roll() {
        let mut e = Endpointer::new(EndpointConfig::default());
        // 20 silent chunks, 30 voiced, 20 silent.
        let probs: Vec<f32> = [vec![0.01; 20], vec![0.9; 30], vec![0.01; 20]].concat();
        let got = feed(&mut e, &probs);
        assert_eq!(got.len(), 1);
        let (at, u) = &got[0];
        // The pre-roll (200 ms = 7 chunks) starts before chunk 20.
        assert_eq!(first_sample(u), 13);
        assert_eq!(u.start_ms, 13 * 32);
        assert_eq!(u.speech_end_ms, 50 * 32);
        // Ended after 400 ms of silence: 13 chunks past the last voiced one.
        assert_eq!(*at, 49 + 13);
        // 7 pre-roll + 30 voiced + 5 post-roll chunks.
        assert_eq!(u.pcm.len(), (7 + 30 + 5) * CHUNK_SAMPLES);
        assert!(!u.truncated);
        assert!(!e.in_speech());
    }

    #[test]
    fn a_click_is_not_speech_and_short_gaps_do_not_end_it() {
        let mut e = Endpointer::new(EndpointConfig::default());
        let click = [0.01, 0.95, 0.01, 0.95, 0.95, 0.01];
        assert!(feed(&mut e, &click).is_empty());
        assert!(!e.in_speech());
        let mut e = Endpointer::new(EndpointConfig::default());
        // Voiced, a 5-chunk (160 ms) pause, voiced again, then silence: one utterance.
        let probs: Vec<f32> = [vec![0.9; 10], vec![0.1; 5], vec![0.9; 10], vec![0.0; 15]].concat();
        let got = feed(&mut e, &probs);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].1.speech_end_ms - got[0].1.start_ms, 25 * 32);
    }

    #[test]
    fn hysteresis_keeps_middling_chunks_in_speech() {
        let mut e = Endpointer::new(EndpointConfig::default());
        let probs: Vec<f32> = [vec![0.9; 5], vec![0.4; 30]].concat();
        assert!(feed(&mut e, &probs).is_empty());
        assert!(e.in_speech());
        assert_eq!(e.silence_ms(), 0);
    }

    #[test]
    fn long_speech_is_cut_and_marked() {
        let config = EndpointConfig {
            max_utterance_ms: 1000,
            ..EndpointConfig::default()
        };
        let mut e = Endpointer::new(config);
        let got = feed(&mut e, &[0.9; 100]);
        assert!(got.len() >= 2);
        assert!(got.iter().all(|(_, u)| u.truncated));
    }

    #[test]
    fn cut_ends_the_utterance_at_once() {
        let mut e = Endpointer::new(EndpointConfig::default());
        assert!(feed(&mut e, &[0.9; 10]).is_empty());
        feed(&mut e, &[0.0; 3]);
        assert_eq!(e.silence_ms(), 3 * 32);
        assert_eq!(e.buffered().count(), 13);
        let u = e.cut().expect("an utterance was under way");
        assert_eq!(u.speech_end_ms, 10 * 32);
        assert!(!e.in_speech());
        assert!(e.cut().is_none());
    }
}
