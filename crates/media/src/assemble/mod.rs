//! Smart-cut assembly of memory videos (DESIGN.md, read path step 4): clips of normalised
//! renditions joined by crossfades into one MP4, decoding and encoding only the frames that have
//! to change.
//!
//! 1. Every rendition's sample tables are read and checked (in-process, no ffprobe).
//! 2. [`plan`] moves in/out points by at most half a second so that each clip's body is whole
//!    GOPs and is stream-copied; only crossfades (and clips whose format differs from the
//!    majority's, scaled and padded) are encoded.
//! 3. One or two long-lived ffmpeg processes encode all those pieces back to back (an IDR frame
//!    at the start of each), while another encodes the soundtrack's crossfades (`acrossfade`,
//!    a few dozen AAC packets each; [`soundtrack`] copies all the others) and takes the
//!    thumbnail. The splice encoder shares every SPS/PPS-shaping setting with the renditions
//!    (`rendition::h264_args`), and the result is checked byte for byte against the renditions'
//!    `avcC`; on a mismatch (renditions made with older settings) the clips that do not match
//!    are re-encoded too.
//! 4. The muxer writes copied frames, encoded pieces and the soundtrack's packets into one
//!    progressive MP4, exact to the frame, via a temp file renamed into place.

mod audio;
mod check;
mod error;
mod mp4;
mod mux;
mod plan;
mod runs;
mod soundtrack;
mod source;
mod video;

pub use check::{MemoryCheck, check_memory};
pub use error::AssembleError;

use crate::files::PartialFile;
use crate::rendition::RENDITION_FPS;
use crate::tools::Tools;
use plan::{ClipInput, Plan};
use runs::{RunContext, encode_audio, encode_pieces, piece_locations};
use serde::{Deserialize, Serialize};
use source::{Rendition, majority, open_all};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The crossfade DESIGN.md asks for.
pub const DEFAULT_CROSSFADE_SECS: f64 = 0.5;
/// Longest crossfade accepted.
pub const MAX_CROSSFADE_SECS: f64 = 2.0;
/// Encoder processes run at once for the pieces (the soundtrack has its own).
const VIDEO_RUNS: usize = 2;

/// One clip of a memory: a span of a normalised rendition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryClip {
    pub rendition: PathBuf,
    pub in_secs: f64,
    pub out_secs: f64,
}

/// Clips in the order they are shown, joined by crossfades of `crossfade_secs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryRequest {
    pub clips: Vec<MemoryClip>,
    pub crossfade_secs: f64,
}

/// Where a clip really went. In/out points may differ from the request by up to 0.5 s (moved to
/// the renditions' keyframe grid so that the clip's body is copied, not re-encoded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineClip {
    /// Index of the clip in [`MemoryRequest::clips`] (and so of its rendition).
    pub source_index: usize,
    pub in_secs: f64,
    pub out_secs: f64,
    /// Where the clip starts in the memory (the start of its incoming crossfade).
    pub starts_at_secs: f64,
    /// False when the clip's picture differs from the memory's and every frame was re-encoded.
    pub copied: bool,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssembledMemory {
    pub timeline: Vec<TimelineClip>,
    pub duration_secs: f64,
    pub size_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub copied_frames: u32,
    pub encoded_frames: u32,
    /// AAC packets of the soundtrack copied from the renditions and encoded.
    #[serde(default)]
    pub copied_audio_packets: u32,
    #[serde(default)]
    pub encoded_audio_packets: u32,
    pub stages: StageTimes,
}

/// Wall-clock time of each stage, for metrics and the benchmark.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageTimes {
    /// Reading and checking the renditions, planning.
    pub open_secs: f64,
    /// Encoding the pieces and the soundtrack (concurrent processes).
    pub encode_secs: f64,
    /// Writing the MP4.
    pub mux_secs: f64,
}

/// Assembles `request` into `video_out` (MP4, faststart) and `thumbnail_out` (JPEG within
/// 640 px), both written to temp names and renamed at the end. Everything must finish within
/// `timeout`.
pub async fn assemble_memory(
    request: &MemoryRequest,
    video_out: &Path,
    thumbnail_out: &Path,
    timeout: Duration,
) -> Result<AssembledMemory, AssembleError> {
    Tools::default()
        .assemble_memory(request, video_out, thumbnail_out, timeout)
        .await
}

impl Tools {
    /// [`assemble_memory`] with these tools.
    pub async fn assemble_memory(
        &self,
        request: &MemoryRequest,
        video_out: &Path,
        thumbnail_out: &Path,
        timeout: Duration,
    ) -> Result<AssembledMemory, AssembleError> {
        let deadline = Instant::now() + timeout;
        let result = assemble(self, request, video_out, thumbnail_out, deadline).await;
        match &result {
            Ok(memory) => tracing::info!(
                out = %video_out.display(),
                clips = request.clips.len(),
                duration = memory.duration_secs,
                copied = memory.copied_frames,
                encoded = memory.encoded_frames,
                stages = ?memory.stages,
                "memory video assembled"
            ),
            Err(e) => tracing::warn!(out = %video_out.display(), error = %e, "memory video failed"),
        }
        result
    }
}

async fn assemble(
    tools: &Tools,
    request: &MemoryRequest,
    video_out: &Path,
    thumbnail_out: &Path,
    deadline: Instant,
) -> Result<AssembledMemory, AssembleError> {
    let started = Instant::now();
    if request.clips.is_empty() {
        return Err(AssembleError::NoClips);
    }
    let fade_frames = fade_frames(request.crossfade_secs)?;
    let renditions = open_all(&request.clips).await?;
    let (size, mut avcc) = majority(&renditions);
    let mut copyable: Vec<bool> = renditions
        .iter()
        .map(|r| r.splices_with(size, &avcc))
        .collect();

    let dir = video_out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let work = blocking(tempfile_in(dir.to_owned())).await??;
    let video_partial = PartialFile::beside(video_out)?;
    let thumb_partial = PartialFile::beside(thumbnail_out)?;
    let mut open_secs = started.elapsed().as_secs_f64();

    // At most twice: the second time only when the splice encoder's parameter sets turned out
    // to differ from the renditions' (renditions made with older settings).
    let mut attempt = 0;
    let (plan, encoded, audio, encode_secs) = loop {
        attempt += 1;
        let planning = Instant::now();
        let plan = make_plan(request, &renditions, &copyable, fade_frames)?;
        open_secs += planning.elapsed().as_secs_f64();
        let encoding = Instant::now();
        let runs = video::split_pieces(&plan, VIDEO_RUNS);
        let cx = RunContext {
            tools,
            plan: &plan,
            renditions: &renditions,
            work: work.path(),
            deadline,
        };
        let (encoded, audio) = tokio::try_join!(
            encode_pieces(&cx, &copyable, size, &runs),
            encode_audio(&cx, thumb_partial.path()),
        )?;
        let encode_secs = encoding.elapsed().as_secs_f64();
        match encoded.first().map(|run| run.avcc.clone()) {
            Some(made) if made != avcc && plan.copied_frames() > 0 && attempt == 1 => {
                tracing::warn!(
                    "renditions' H.264 parameter sets differ from this encoder's; \
                     re-encoding the clips that do not match"
                );
                avcc = made;
                copyable = renditions
                    .iter()
                    .map(|r| r.splices_with(size, &avcc))
                    .collect();
            }
            Some(made) if made != avcc && plan.copied_frames() > 0 => {
                return Err(AssembleError::Internal(
                    "encoded frames do not share the renditions' parameter sets".into(),
                ));
            }
            _ => break (plan, encoded, audio, encode_secs),
        }
    };
    if encoded.iter().any(|run| run.avcc != encoded[0].avcc) {
        return Err(AssembleError::Internal(
            "the encoder runs disagree on parameter sets".into(),
        ));
    }

    let muxing = Instant::now();
    let any_copy = plan.copied_frames() > 0;
    let copy_source = renditions
        .iter()
        .zip(&copyable)
        .find(|(_, c)| **c)
        .map(|(r, _)| r);
    let (video_entry, video_timescale) = match (any_copy, encoded.first(), copy_source) {
        (false, Some(run), _) => (run.sample_entry.clone(), run.track.timescale),
        (_, _, Some(r)) => (r.video.sample_entry.clone(), r.video.timescale),
        _ => {
            return Err(AssembleError::Internal(
                "no frames to take parameters from".into(),
            ));
        }
    };
    let result = AssembledMemory {
        timeline: timeline(&plan, &copyable),
        duration_secs: secs(plan.total_frames),
        size_bytes: 0,
        width: size.0,
        height: size.1,
        copied_frames: plan.copied_frames(),
        encoded_frames: plan.encoded_frames(),
        copied_audio_packets: audio.copied_packets,
        encoded_audio_packets: u32::try_from(audio.packets.len())
            .unwrap_or(u32::MAX)
            .saturating_sub(audio.copied_packets),
        stages: StageTimes::default(),
    };
    let dest = video_partial.path().to_owned();
    let size_bytes = blocking(move || {
        let input = mux::MuxInput {
            plan: &plan,
            clips: renditions
                .iter()
                .map(|r| mux::SourceTrack {
                    path: &r.path,
                    track: &r.video,
                })
                .collect(),
            encoded: encoded
                .iter()
                .map(|run| mux::SourceTrack {
                    path: &run.path,
                    track: &run.track,
                })
                .collect(),
            piece_at: piece_locations(&plan, &encoded),
            audio: &audio,
            video_entry: &video_entry,
            size,
            video_timescale,
        };
        mux::mux(&input, &dest)
    })
    .await??;
    let mux_secs = muxing.elapsed().as_secs_f64();
    if thumb_partial.written_len().await == 0 {
        return Err(AssembleError::Internal("ffmpeg wrote no thumbnail".into()));
    }
    video_partial.commit().await?;
    thumb_partial.commit().await?;
    drop(work);

    Ok(AssembledMemory {
        size_bytes,
        stages: StageTimes {
            open_secs,
            encode_secs,
            mux_secs,
        },
        ..result
    })
}

fn secs(frames: u32) -> f64 {
    f64::from(frames) / f64::from(RENDITION_FPS)
}

fn fade_frames(crossfade_secs: f64) -> Result<u32, AssembleError> {
    let frames = crossfade_secs * f64::from(RENDITION_FPS);
    let whole = frames.round();
    let valid = crossfade_secs.is_finite()
        && (frames - whole).abs() < 1e-6
        && whole >= 1.0
        && crossfade_secs <= MAX_CROSSFADE_SECS + 1e-9;
    if !valid {
        return Err(AssembleError::InvalidCrossfade {
            secs: crossfade_secs,
        });
    }
    Ok(whole as u32)
}

/// Runs blocking file work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AssembleError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AssembleError::Io(std::io::Error::other(e)))
}

fn tempfile_in(dir: PathBuf) -> impl FnOnce() -> std::io::Result<tempfile::TempDir> {
    move || tempfile::Builder::new().prefix(".memory-").tempdir_in(dir)
}

fn make_plan(
    request: &MemoryRequest,
    renditions: &[Arc<Rendition>],
    copyable: &[bool],
    fade_frames: u32,
) -> Result<Plan, AssembleError> {
    let inputs: Vec<ClipInput> = request
        .clips
        .iter()
        .zip(renditions)
        .zip(copyable)
        .map(|((clip, r), &copyable)| ClipInput {
            in_secs: clip.in_secs,
            out_secs: clip.out_secs,
            frames: r.frames(),
            copyable,
        })
        .collect();
    plan::plan(&inputs, fade_frames).map_err(|e| AssembleError::InvalidClip {
        index: e.index,
        reason: e.reason,
    })
}

fn timeline(plan: &Plan, copyable: &[bool]) -> Vec<TimelineClip> {
    plan.clips
        .iter()
        .enumerate()
        .map(|(i, c)| TimelineClip {
            source_index: i,
            in_secs: secs(c.in_frame),
            out_secs: secs(c.out_frame),
            starts_at_secs: secs(c.start),
            copied: copyable[i],
        })
        .collect()
}
