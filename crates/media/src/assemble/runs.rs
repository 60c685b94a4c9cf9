//! The ffmpeg runs of one assembly: the encoded pieces (one or more processes) and the
//! soundtrack with the thumbnail, each read back and checked against the plan.

use super::mp4::read::{Movie, Track, read_movie};
use super::plan::Plan;
use super::source::Rendition;
use super::{AssembleError, audio, blocking, video};
use crate::error::MediaError;
use crate::process::run_tool;
use crate::rendition::RENDITION_GOP_FRAMES;
use crate::tools::Tools;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What every run of one assembly shares.
pub(super) struct RunContext<'a> {
    pub tools: &'a Tools,
    pub plan: &'a Plan,
    pub renditions: &'a [Arc<Rendition>],
    /// Scratch directory for the runs' outputs.
    pub work: &'a Path,
    pub deadline: Instant,
}

/// An encoder run's output, read back.
pub(super) struct EncodedRun {
    pub path: PathBuf,
    pub pieces: Vec<usize>,
    pub track: Track,
    pub sample_entry: Vec<u8>,
    pub avcc: Vec<u8>,
}

/// Per piece: (encoder run, first frame in its output).
pub(super) fn piece_locations(plan: &Plan, runs: &[EncodedRun]) -> Vec<(usize, usize)> {
    let mut at = vec![(0, 0); plan.pieces.len()];
    for (run_index, run) in runs.iter().enumerate() {
        let mut first = 0usize;
        for &piece in &run.pieces {
            at[piece] = (run_index, first);
            first += plan.pieces[piece].frames() as usize;
        }
    }
    at
}

fn remaining(deadline: Instant, program: &Path) -> Result<Duration, MediaError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(MediaError::Timeout {
            program: program.display().to_string(),
            after: Duration::ZERO,
        });
    }
    Ok(left)
}

/// Encodes the plan's pieces, `runs[i]` by the `i`-th of as many concurrent ffmpeg processes.
pub(super) async fn encode_pieces(
    cx: &RunContext<'_>,
    copyable: &[bool],
    size: (u32, u32),
    runs: &[Vec<usize>],
) -> Result<Vec<EncodedRun>, AssembleError> {
    let RunContext {
        tools,
        plan,
        renditions,
        work,
        deadline,
    } = *cx;
    let clips: Vec<video::ClipSource<'_>> = renditions
        .iter()
        .zip(copyable)
        .map(|(r, &copyable)| video::ClipSource {
            path: &r.path,
            fit: !copyable && (r.width, r.height) != size,
        })
        .collect();
    let jobs = runs.iter().enumerate().map(|(i, pieces)| {
        let output = work.join(format!("pieces-{i}.mp4"));
        let args = video::video_args(plan, &clips, size, pieces, &output);
        async move {
            run_tool(&tools.ffmpeg, &args, remaining(deadline, &tools.ffmpeg)?).await?;
            let path = output.clone();
            let movie = blocking(move || read_movie(&path)).await??;
            let expected: u32 = pieces.iter().map(|&p| plan.pieces[p].frames()).sum();
            read_run(movie, output, pieces.clone(), expected)
        }
    });
    futures::future::try_join_all(jobs).await
}

fn read_run(
    movie: Movie,
    path: PathBuf,
    pieces: Vec<usize>,
    expected_frames: u32,
) -> Result<EncodedRun, AssembleError> {
    let track = movie
        .track(b"vide")
        .cloned()
        .ok_or_else(|| AssembleError::Internal("encoder output has no video".into()))?;
    if track.samples.len() != expected_frames as usize {
        return Err(AssembleError::Internal(format!(
            "the encoder wrote {} frames, the plan needs {expected_frames}",
            track.samples.len()
        )));
    }
    let avcc = track
        .sample_entry_child(b"avcC")
        .ok_or_else(|| AssembleError::Internal("encoder output has no avcC".into()))?
        .to_vec();
    Ok(EncodedRun {
        path,
        pieces,
        sample_entry: track.sample_entry.clone(),
        track,
        avcc,
    })
}

/// The soundtrack's output, read back.
pub(super) struct AudioRun {
    pub path: PathBuf,
    pub track: Track,
}

/// Encodes the soundtrack and writes the thumbnail to `thumbnail_out`.
pub(super) async fn encode_audio(
    cx: &RunContext<'_>,
    thumbnail_out: &Path,
) -> Result<AudioRun, AssembleError> {
    let RunContext {
        tools,
        plan,
        renditions,
        work,
        deadline,
    } = *cx;
    let paths: Vec<&Path> = renditions.iter().map(|r| r.path.as_path()).collect();
    let output = work.join("audio.m4a");
    let thumbnail = audio::ThumbnailSource {
        path: &renditions[0].path,
        keyframe: thumbnail_keyframe(plan),
    };
    let args = audio::audio_args(plan, &paths, &output, thumbnail, thumbnail_out);
    run_tool(&tools.ffmpeg, &args, remaining(deadline, &tools.ffmpeg)?).await?;
    let path = output.clone();
    let movie = blocking(move || read_movie(&path)).await??;
    let track = movie
        .track(b"soun")
        .cloned()
        .ok_or_else(|| AssembleError::Internal("audio output has no audio track".into()))?;
    Ok(AudioRun {
        path: output,
        track,
    })
}

/// The keyframe of the first clip nearest the middle of what is shown of it.
fn thumbnail_keyframe(plan: &Plan) -> u32 {
    let gop = RENDITION_GOP_FRAMES;
    let Some(first) = plan.clips.first() else {
        return 0;
    };
    let middle = (first.in_frame + first.out_frame) / 2;
    let nearest = (middle + gop / 2) / gop * gop;
    if (first.in_frame..first.out_frame).contains(&nearest) {
        nearest
    } else {
        first.in_frame - first.in_frame % gop
    }
}
