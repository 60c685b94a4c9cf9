//! Why a memory video could not be assembled. `Display` is written for people: a worker stores
//! it as the memory's "failed" reason.

use crate::error::MediaError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    #[error("a memory video needs at least one clip")]
    NoClips,

    #[error(
        "the crossfade must be a whole number of frames (1/30 s) from 1/30 s to 2 s, got {secs} s"
    )]
    InvalidCrossfade { secs: f64 },

    /// The clip's in/out points cannot be used (in ≥ out, beyond the end, too short, …).
    #[error("clip {index}: {reason}")]
    InvalidClip { index: usize, reason: String },

    #[error("clip {index}: the rendition {} does not exist", .path.display())]
    MissingRendition { index: usize, path: PathBuf },

    /// The file is not a normalised rendition (not MP4, not H.264 High, not 30 fps CFR, GOP not
    /// 1 s, B-frames, no AAC track, truncated, …).
    #[error("clip {index}: {} is not a normalised rendition: {reason}", .path.display())]
    NotARendition {
        index: usize,
        path: PathBuf,
        reason: String,
    },

    /// ffmpeg failed, timed out or is missing.
    #[error(transparent)]
    Media(#[from] MediaError),

    /// An encoder output did not have the frames or parameter sets the plan needs: a bug or an
    /// ffmpeg/x264 change, never the input's fault.
    #[error("internal check failed: {0}")]
    Internal(String),

    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl AssembleError {
    /// True when the request or its renditions are at fault and retrying cannot succeed.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::NoClips
            | Self::InvalidCrossfade { .. }
            | Self::InvalidClip { .. }
            | Self::MissingRendition { .. }
            | Self::NotARendition { .. } => true,
            Self::Media(e) => e.is_permanent(),
            Self::Internal(_) | Self::Io(_) => false,
        }
    }
}
