//! The one error type of this crate.
//!
//! `Display` is written for people: a worker stores it as a media item's "failed" reason, e.g.
//! `not a playable video: ffprobe found no video stream`.

use std::process::ExitStatus;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The input itself is bad (garbage, truncated, wrong kind). Retrying will not help.
    #[error("{reason}")]
    InvalidMedia { reason: String },

    /// ffmpeg/ffprobe ran and failed for a reason not attributed to the input.
    #[error("{program} failed ({status}): {}", tail_or_placeholder(.stderr_tail))]
    Tool {
        program: String,
        status: ExitStatus,
        stderr_tail: String,
    },

    /// The tool ran longer than its budget and was killed.
    #[error("{program} timed out after {} s and was stopped", .after.as_secs_f64())]
    Timeout { program: String, after: Duration },

    /// The binary could not be found.
    #[error(
        "{program} is not installed or not on PATH: media processing needs ffmpeg and ffprobe \
         (install them with `apt-get install ffmpeg`, or set the path to the binaries in the config)"
    )]
    ToolMissing { program: String },

    /// The tool succeeded but printed something this crate cannot read (a bug, not the input).
    #[error("unexpected output from {program}: {reason}")]
    UnexpectedOutput { program: String, reason: String },

    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl MediaError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidMedia {
            reason: reason.into(),
        }
    }

    /// True when the input is at fault and retrying the job cannot succeed.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::InvalidMedia { .. })
    }
}

fn tail_or_placeholder(tail: &str) -> &str {
    if tail.trim().is_empty() {
        "no error output"
    } else {
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_readable_and_only_bad_input_is_permanent() {
        let e = MediaError::invalid("not a playable video: ffprobe found no video stream");
        assert!(e.is_permanent());
        assert_eq!(
            e.to_string(),
            "not a playable video: ffprobe found no video stream"
        );

        let e = MediaError::ToolMissing {
            program: "ffprobe".into(),
        };
        assert!(!e.is_permanent());
        assert!(e.to_string().contains("apt-get install ffmpeg"));

        let e = MediaError::Timeout {
            program: "ffmpeg".into(),
            after: Duration::from_millis(1500),
        };
        assert!(!e.is_permanent());
        assert_eq!(
            e.to_string(),
            "ffmpeg timed out after 1.5 s and was stopped"
        );
    }
}
