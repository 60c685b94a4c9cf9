//! On-device speech commands for the Sightline agent: Silero VAD (ONNX, run by tract) finds
//! speech, an endpointer cuts it into utterances, and CMU Sphinx turns each utterance into a
//! [`sightline_core::command::Command`] — a grammar for the fixed commands, the en-us language
//! model for the free text of memory requests. Audio everywhere is 16 kHz mono PCM.

mod decoder;
mod endpoint;
mod error;
mod ffi;
mod listener;
mod model;
mod pcm;
mod recognizer;
mod vad;

pub use decoder::Recognition;
pub use endpoint::{EndpointConfig, Endpointer, Utterance};
pub use error::{INSTALL_MODELS_HINT, INSTALL_SPHINX_HINT, VoiceError};
pub use listener::{HeardUtterance, ListenConfig, Listener};
pub use model::{
    SILERO_VAD_FILE, SILERO_VAD_SHA256, SPHINX_EN_US_DIR, models_dir, models_dir_from,
    read_verified,
};
pub use pcm::{FFMPEG_PCM_OUTPUT, f32_to_i16, pcm_from_file, pcm_from_s16le};
pub use recognizer::{COMMANDS_GRAMMAR, DEFAULT_REJECT_MARGIN, Heard, Recognizer};
pub use vad::{CHUNK_MS, CHUNK_SAMPLES, Vad, VadModel};

/// The sample rate of every PCM buffer in this crate.
pub const SAMPLE_RATE: u32 = 16_000;
