//! Just enough ISO BMFF (MP4) to stream-copy samples: a reader of sample tables and a writer of a
//! progressive (`moov` first, "faststart") file whose samples are copied from other files.
//!
//! Doing the final mux here rather than with ffmpeg's concat demuxer makes every cut exact to the
//! frame (no microsecond rounding of in/out points) and saves a process and a pass over the data.

pub(crate) mod read;
pub(crate) mod write;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Mp4Error {
    #[error("{0}")]
    Malformed(String),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

pub(crate) fn malformed(reason: impl Into<String>) -> Mp4Error {
    Mp4Error::Malformed(reason.into())
}

#[cfg(test)]
mod tests;
