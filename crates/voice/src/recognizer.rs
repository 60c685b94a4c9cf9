//! Speech → command with CMU Sphinx. Two decoders hear every utterance as it is spoken: a JSGF
//! grammar of the fixed commands, and the en-us trigram language model. The grammar gives the
//! command; the language model gives the free text of "create a memory video of …" and is the
//! yardstick that rejects speech the grammar cannot explain (a grammar alone would force
//! "what time is it" into the nearest command).

use std::path::Path;
use std::time::{Duration, Instant};

use sightline_core::command::{Command, CommandError, parse};

use crate::VoiceError;
use crate::decoder::{Decoder, Recognition, Search};
use crate::model::SPHINX_EN_US_DIR;

/// The fixed commands, in JSGF.
pub const COMMANDS_GRAMMAR: &str = include_str!("commands.gram");

/// Per 10 ms frame, how much better the grammar's path must score than the language model's
/// for the utterance to count as a command. In-grammar speech scores 15–30 better (the
/// grammar's word sequence is far more probable than the open vocabulary's); speech the
/// grammar does not cover scores about the same or worse. Calibrated on espeak-ng voices with
/// `tests/recognise.rs`.
pub const DEFAULT_REJECT_MARGIN: f64 = 8.0;

/// What an utterance was heard as.
#[derive(Debug, Clone, PartialEq)]
pub struct Heard {
    /// The text given to [`sightline_core::command::parse`]: the grammar's words, or for a
    /// memory request the grammar's opening and the language model's subject.
    pub text: String,
    pub command: Result<Command, CommandError>,
    /// The grammar's hypothesis, before rejection.
    pub grammar_text: String,
    /// The language model's hypothesis.
    pub free_text: String,
    /// Grammar score minus language-model score per frame; below the margin means rejected.
    pub margin: f64,
    /// Time spent finishing the decode once the utterance ended.
    pub finish_time: Duration,
}

/// Both decoders; one utterance at a time.
pub struct Recognizer {
    grammar: Decoder,
    free: Decoder,
    reject_margin: f64,
}

impl Recognizer {
    /// The en-us models from Debian's `pocketsphinx-en-us`.
    pub fn new() -> Result<Self, VoiceError> {
        Self::with_model_dir(Path::new(SPHINX_EN_US_DIR))
    }

    /// Models from `dir` laid out like `pocketsphinx-en-us`: `en-us/` (acoustic model),
    /// `cmudict-en-us.dict` and `en-us.lm.bin`.
    pub fn with_model_dir(dir: &Path) -> Result<Self, VoiceError> {
        let hmm = dir.join("en-us");
        let dict = dir.join("cmudict-en-us.dict");
        let lm = dir.join("en-us.lm.bin");
        for path in [hmm.join("mdef"), dict.clone(), lm.clone()] {
            if !path.is_file() {
                return Err(VoiceError::SpeechModelMissing { path });
            }
        }
        Ok(Self {
            grammar: Decoder::new(&hmm, &dict, Search::Jsgf(COMMANDS_GRAMMAR))?,
            free: Decoder::new(&hmm, &dict, Search::LanguageModel(&lm))?,
            reject_margin: DEFAULT_REJECT_MARGIN,
        })
    }

    pub fn with_reject_margin(mut self, margin: f64) -> Self {
        self.reject_margin = margin;
        self
    }

    /// Starts an utterance.
    pub fn begin(&mut self) -> Result<(), VoiceError> {
        self.grammar.start()?;
        self.free.start()
    }

    /// Decodes more of the utterance.
    pub fn feed(&mut self, pcm: &[i16]) -> Result<(), VoiceError> {
        self.grammar.feed(pcm)?;
        self.free.feed(pcm)
    }

    /// The fixed command the grammar hears so far, if its words already form a whole one.
    /// A memory request never qualifies: its subject is still to come.
    pub fn partial_command(&mut self) -> Option<Command> {
        match parse(&self.grammar.partial()) {
            Ok(Command::CreateMemory { .. }) | Err(_) => None,
            Ok(command) => Some(command),
        }
    }

    /// Ends the utterance and decides what it was.
    pub fn finish(&mut self) -> Result<Heard, VoiceError> {
        let started = Instant::now();
        let grammar = self.grammar.end()?;
        let free = self.free.end()?;
        let finish_time = started.elapsed();
        let margin =
            f64::from(grammar.score.saturating_sub(free.score)) / f64::from(grammar.frames.max(1));
        let text = if grammar.text.contains("memory") {
            memory_text(&grammar.text, &free.text)
        } else {
            grammar.text.clone()
        };
        let command = if grammar.text.is_empty() {
            Err(CommandError::Empty)
        } else if margin < self.reject_margin {
            Err(CommandError::Unknown(free.text.clone()))
        } else {
            parse(&text)
        };
        Ok(Heard {
            text,
            command,
            grammar_text: grammar.text,
            free_text: free.text,
            margin,
            finish_time,
        })
    }

    /// One whole utterance of 16 kHz mono PCM.
    pub fn recognise(&mut self, pcm: &[i16]) -> Result<Heard, VoiceError> {
        self.begin()?;
        self.feed(pcm)?;
        self.finish()
    }

    /// The grammar's words alone, for tuning.
    pub fn decode_command(&mut self, pcm: &[i16]) -> Result<Recognition, VoiceError> {
        self.grammar.start()?;
        self.grammar.feed(pcm)?;
        self.grammar.end()
    }
}

/// The grammar's "create a memory video of" followed by the language model's words after the
/// first "of" that follows "memory" (the subject may hold its own "of": "the statue of liberty").
fn memory_text(grammar: &str, free: &str) -> String {
    let words: Vec<&str> = free.split_whitespace().collect();
    let start = words
        .iter()
        .position(|w| *w == "memory")
        .map_or(0, |m| m + 1);
    let rest = &words[start..];
    let tail = match rest
        .iter()
        .position(|w| matches!(*w, "of" | "from" | "about"))
    {
        Some(at) => &rest[at + 1..],
        None => rest.strip_prefix(&["video"]).unwrap_or(rest),
    };
    let opening = grammar
        .trim_end_matches(" of")
        .trim_end_matches(" from")
        .trim_end_matches(" about");
    format!("{opening} of {}", tail.join(" ")).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::memory_text;

    #[test]
    fn memory_subject_comes_from_the_language_model() {
        assert_eq!(
            memory_text(
                "create a memory video about",
                "creates a memory video of my trip to paris"
            ),
            "create a memory video of my trip to paris"
        );
        assert_eq!(
            memory_text("make a memory of", "make a memory of the statue of liberty"),
            "make a memory of the statue of liberty"
        );
        // The language model missed the preposition: everything after "memory video".
        assert_eq!(
            memory_text("create a memory video of", "create a memory video dogs"),
            "create a memory video of dogs"
        );
    }
}
