//! Where the downloaded models live and how they are checked. `scripts/install-models.sh`
//! fetches them; this side only finds and verifies, so a device never downloads at run time.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sightline_models::ModelError;

use crate::VoiceError;

/// Silero VAD, the OpenVINO-friendly 16 kHz export: plain LSTM graph without `If` nodes.
pub const SILERO_VAD_FILE: &str = "silero_vad_openvino_16k.onnx";
/// SHA-256 of `silero_vad/data/silero_vad_openvino_16k.onnx` in PyPI `silero-vad` 6.2.3 (MIT).
/// `scripts/install-models.sh` checks the same value.
pub const SILERO_VAD_SHA256: &str =
    "7776b81ad1b0350c15d7f1555943b9232eb53e9ca5d989c6d0cea9ebc8664d87";
/// The CMU Sphinx US English models from Debian's `pocketsphinx-en-us`.
pub const SPHINX_EN_US_DIR: &str = "/usr/share/pocketsphinx/model/en-us";

/// `$SIGHTLINE_MODELS_DIR`, else `$HOME/.cache/sightline/models`, read through `env` so that
/// tests and callers with their own configuration need not touch the process environment.
pub fn models_dir_from(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, VoiceError> {
    Ok(sightline_models::models_dir_from(env)?)
}

/// [`models_dir_from`] over the process environment.
pub fn models_dir() -> Result<PathBuf, VoiceError> {
    Ok(sightline_models::models_dir()?)
}

/// Reads a model file and checks its SHA-256, so that a truncated download or a different
/// model version fails here with a clear message instead of producing odd probabilities.
pub fn read_verified(path: &Path, expected_sha256: &'static str) -> Result<Vec<u8>, VoiceError> {
    Ok(sightline_models::read_verified(path, expected_sha256)?)
}

impl From<ModelError> for VoiceError {
    fn from(err: ModelError) -> Self {
        match err {
            ModelError::Missing { path } => VoiceError::ModelMissing { path },
            ModelError::Checksum {
                path,
                expected,
                actual,
            } => VoiceError::ModelChecksum {
                path,
                expected,
                actual,
            },
            ModelError::NoModelsDir => VoiceError::NoModelsDir,
            ModelError::Io { path, source } => VoiceError::Io { path, source },
        }
    }
}
