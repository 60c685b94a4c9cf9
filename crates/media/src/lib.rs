//! ffmpeg/ffprobe driver of Sightline: probing, thumbnails, the normalised rendition and the
//! smart-cut assembly of memory videos.
//!
//! Every tool call goes through [`process::run_tool`] (timeout, kill-on-drop, stderr tail);
//! parsers of tool output are pure functions tested on committed real ffprobe 5.1 output.
//! Errors are one [`MediaError`]; [`MediaError::is_permanent`] tells a worker whether retrying
//! can help, and its `Display` is the "failed" reason shown to the user.

pub mod assemble;
pub mod error;
pub mod exif_write;
mod files;
pub mod interest;
pub mod photo_exif;
pub mod probe;
pub mod process;
pub mod rendition;
pub mod still;
pub mod thumbnail;
mod tools;

pub use assemble::{
    AssembleError, AssembledMemory, MemoryCheck, MemoryClip, MemoryRequest, TimelineClip,
    assemble_memory, check_memory,
};
pub use error::MediaError;
pub use interest::{InterestTrack, analyse_interest};
pub use photo_exif::{ExifFacts, read_exif};
pub use probe::{check_kind, parse_ffprobe, probe};
pub use process::{run_tool, run_tool_streaming};
pub use rendition::{RenditionInfo, normalise};
pub use thumbnail::make_stills;
pub use tools::Tools;
