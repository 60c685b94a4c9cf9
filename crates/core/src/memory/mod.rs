//! Memory videos, the pure part: per-second interest of a video, its best segments, and which
//! segments of the matched media make the memory.
//!
//! * [`InterestTrack`] — stored as JSON per video at ingest (filled by
//!   `sightline_media::analyse_interest`);
//! * [`best_segments`] — the best 5–15 s windows of one video, on whole seconds;
//! * [`select_clips`] — the clips of one memory video within its duration cap.

mod pick;
pub mod score;
pub mod segments;
pub mod select;
pub mod track;

pub use score::{ScoreWeights, second_score};
pub use segments::{
    Segment, SegmentOptions, best_segments, best_segments_of_scores, second_scores,
};
pub use select::{Candidate, NoClipsReason, SelectOptions, SelectedClip, Selection, select_clips};
pub use track::{INTEREST_TRACK_VERSION, InterestTrack, RawSignals, SILENCE_DBFS, SecondInterest};
