//! Offline edit merging: hybrid logical clocks order edits from devices whose clocks disagree,
//! each field of a media item is last-writer-wins, tags and people are add-wins sets, and the
//! edits a device's write replaced without having seen them are listed as conflicts.
//! Pure rules: the server and the device agent do the I/O.

mod clock;
mod conflict;
mod hlc;
mod lww;
mod media;
mod tags;
mod title;

#[cfg(test)]
mod convergence_tests;

pub use clock::{Clock, ClockError};
pub use conflict::{Conflict, Field, FieldValue, Version};
pub use hlc::{DEFAULT_MAX_DRIFT_MS, Hlc, HlcError, MAX_COUNTER, MAX_WALL_MS, NodeId, NodeIdError};
pub use lww::{Lww, Write};
pub use media::{Applied, Change, Edit, MediaEdits, MediaView, STATE_VERSION, UnsupportedVersion};
pub use tags::{AddWinsSet, MAX_TAG_CHARS, Tag, TagError};
pub use title::{MAX_TITLE_CHARS, Title, TitleError};
