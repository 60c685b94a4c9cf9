//! The crate's one error type. Messages for a missing model say what to run, because the person
//! reading them is usually setting up a server.

use std::path::PathBuf;

use sightline_media::MediaError;
use sightline_models::ModelError;
use thiserror::Error;

/// What the user runs to fetch, convert and verify the default detector.
pub const INSTALL_DETECTOR_HINT: &str =
    "run scripts/install-detector.sh (scripts/install-models.sh runs it too)";

#[derive(Debug, Error)]
pub enum VisionError {
    #[error("object detection model not found at {}; {INSTALL_DETECTOR_HINT}", path.display())]
    ModelMissing { path: PathBuf },
    #[error(
        "object detection model at {} has SHA-256 {actual}, expected {expected}; delete it and {INSTALL_DETECTOR_HINT}",
        path.display()
    )]
    ModelChecksum {
        path: PathBuf,
        expected: &'static str,
        actual: String,
    },
    #[error("no model directory: neither SIGHTLINE_MODELS_DIR nor HOME is set")]
    NoModelsDir,
    #[error("could not read model {}: {source}", path.display())]
    ModelUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A user-configured model file that is not there.
    #[error("configured YOLO model not found at {}; check the path in the configuration", path.display())]
    ConfiguredModelMissing { path: PathBuf },
    /// The bytes are not an ONNX model tract can load (garbage, truncated, unsupported ops).
    #[error("{} is not a loadable ONNX model: {reason}", path.display())]
    InvalidModel { path: PathBuf, reason: String },
    /// The model loads but its inputs or outputs are not the layout this detector decodes.
    #[error("{} is not a supported detector: {reason}", path.display())]
    UnsupportedModel { path: PathBuf, reason: String },
    /// tract's errors are `anyhow` chains; the whole chain is kept as text.
    #[error("object detection failed: {0}")]
    Inference(String),
    #[error("invalid image: {0}")]
    InvalidImage(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error(transparent)]
    Media(#[from] MediaError),
    /// ffmpeg produced frames this crate cannot read.
    #[error("could not read decoded frames: {0}")]
    FrameStream(String),
}

impl VisionError {
    pub(crate) fn inference(err: impl std::fmt::Display) -> Self {
        // `{:#}` prints anyhow's full cause chain on one line.
        VisionError::Inference(format!("{err:#}"))
    }

    /// The default model's cache errors, with the install hint.
    pub(crate) fn from_cache(err: ModelError) -> Self {
        match err {
            ModelError::Missing { path } => Self::ModelMissing { path },
            ModelError::Checksum {
                path,
                expected,
                actual,
            } => Self::ModelChecksum {
                path,
                expected,
                actual,
            },
            ModelError::NoModelsDir => Self::NoModelsDir,
            ModelError::Io { path, source } => Self::ModelUnreadable { path, source },
        }
    }

    /// A user-supplied model's read errors: the hint is the configuration, not the script.
    pub(crate) fn from_configured(err: ModelError) -> Self {
        match err {
            ModelError::Missing { path } => Self::ConfiguredModelMissing { path },
            other => Self::from_cache(other),
        }
    }
}
