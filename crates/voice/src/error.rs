//! The crate's one error type. Messages for missing pieces say exactly what to run, because the
//! person reading them is usually setting up a device.

use std::path::PathBuf;

use thiserror::Error;

/// What the user runs to fetch and verify the models.
pub const INSTALL_MODELS_HINT: &str = "run scripts/install-models.sh (or scripts/install-deps.sh)";
/// What the user runs to get the CMU Sphinx library and its en-us models.
pub const INSTALL_SPHINX_HINT: &str = "run scripts/install-deps.sh (Debian packages libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us)";

#[derive(Debug, Error)]
pub enum VoiceError {
    #[error("voice activity model not found at {}; {INSTALL_MODELS_HINT}", path.display())]
    ModelMissing { path: PathBuf },
    #[error(
        "voice activity model at {} has SHA-256 {actual}, expected {expected}; delete it and {INSTALL_MODELS_HINT}",
        path.display()
    )]
    ModelChecksum {
        path: PathBuf,
        expected: &'static str,
        actual: String,
    },
    #[error("no model directory: neither SIGHTLINE_MODELS_DIR nor HOME is set")]
    NoModelsDir,
    #[error("could not read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// tract's errors are `anyhow` chains; keep the whole chain as text.
    #[error("voice activity model failed: {0}")]
    Inference(String),
    #[error("speech model not found at {}; {INSTALL_SPHINX_HINT}", path.display())]
    SpeechModelMissing { path: PathBuf },
    #[error("pocketsphinx {0}")]
    Decoder(String),
    #[error("audio must be 16 kHz mono: {0}")]
    Audio(String),
    #[error("ffmpeg failed: {0}")]
    Ffmpeg(String),
}

impl VoiceError {
    pub(crate) fn inference(err: impl std::fmt::Display) -> Self {
        // `{:#}` prints anyhow's full cause chain on one line.
        VoiceError::Inference(format!("{err:#}"))
    }
}
