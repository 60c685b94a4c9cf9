//! Memory videos and video search: understanding the words, finding the videos and their best
//! segments, choosing clips, and (in the `memory` worker) assembling the video.

pub mod plan;
pub mod understand;
