//! Client side of Sightline uploads: resumable tus 1.0 transfers with per-chunk checksums,
//! media ids derived from file content (so re-importing never duplicates), a resume-state
//! file, and a parallel folder import with progress bars.

pub mod batch;
pub mod client;
pub mod error;
pub mod media_id;
pub mod meta;
mod protocol;
pub mod resume;
mod retry;
pub mod source;
pub mod walk;

pub use batch::{Summary, UploadOptions, upload_paths};
pub use client::{DEFAULT_CHUNK_SIZE, Started, TusClient, UploadOutcome};
pub use error::ClientError;
pub use media_id::{MEDIA_ID_NAMESPACE, media_id_for_file};
pub use meta::UploadMeta;
pub use resume::{ResumeKey, ResumeState};
pub use source::Source;
pub use walk::{FoundFile, Walk, walk_media};
