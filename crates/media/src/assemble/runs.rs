//! The ffmpeg runs of one assembly: the encoded pieces (one or more processes) and the
//! soundtrack (spliced, or whole) with the thumbnail, each read back and checked against the plan.

use super::mp4::read::{Movie, Sample, Track, read_movie};
use super::plan::Plan;
use super::soundtrack::{ClipAudio, MARGIN_PACKETS, PACKET, Slot, SoundtrackPlan, plan_soundtrack};
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

/// The memory's soundtrack: every packet, where its bytes are, and the edit list's start.
pub(super) struct Soundtrack {
    pub files: Vec<PathBuf>,
    /// In play order: (index into `files`, the packet).
    pub packets: Vec<(usize, Sample)>,
    /// Media time (samples) at which the memory starts.
    pub lead: u64,
    pub sample_entry: Vec<u8>,
    pub copied_packets: u32,
}

/// Makes the soundtrack (copied packets and encoded stretches, or when the renditions' audio
/// cannot be spliced, one whole encode) and the thumbnail, in one ffmpeg run.
pub(super) async fn encode_audio(
    cx: &RunContext<'_>,
    thumbnail_out: &Path,
) -> Result<Soundtrack, AssembleError> {
    let RunContext {
        tools,
        plan,
        renditions,
        work,
        deadline,
    } = *cx;
    let paths: Vec<&Path> = renditions.iter().map(|r| r.path.as_path()).collect();
    let thumbnail = audio::ThumbnailSource {
        path: &renditions[0].path,
        keyframe: thumbnail_keyframe(plan),
        out: thumbnail_out,
    };
    if let Some(sound) = splice_plan(plan, renditions) {
        let outs: Vec<PathBuf> = (0..sound.stretches.len())
            .map(|i| work.join(format!("stretch-{i}.m4a")))
            .collect();
        let job = audio::AudioJob::Stretches {
            sound: &sound,
            outs: &outs,
        };
        let args = audio::audio_args(plan, &paths, job, Some(thumbnail));
        run_tool(&tools.ffmpeg, &args, remaining(deadline, &tools.ffmpeg)?).await?;
        let movies = blocking(move || {
            outs.iter()
                .map(|path| Ok((path.clone(), read_movie(path)?)))
                .collect::<Result<Vec<_>, super::mp4::Mp4Error>>()
        })
        .await??;
        match spliced(&sound, renditions, movies) {
            Ok(soundtrack) => return Ok(soundtrack),
            Err(reason) => tracing::warn!(
                %reason,
                "the encoded stretches do not splice into the renditions' audio; \
                 encoding the whole soundtrack"
            ),
        }
        encode_whole(cx, &paths, None).await
    } else {
        encode_whole(cx, &paths, Some(thumbnail)).await
    }
}

/// The soundtrack plan, when every rendition's audio is packets of one AAC configuration.
fn splice_plan(plan: &Plan, renditions: &[Arc<Rendition>]) -> Option<SoundtrackPlan> {
    let config = renditions.first()?.audio.aac_config()?;
    let mut clips = Vec::with_capacity(renditions.len());
    for r in renditions {
        if r.audio.aac_config().as_ref() != Some(&config) {
            return None;
        }
        clips.push(ClipAudio {
            priming: r.audio.edit_media_time.unwrap_or(0),
            packets: whole_packets(&r.audio),
        });
    }
    plan_soundtrack(plan, &clips)
}

/// Leading packets of exactly one AAC frame (all but perhaps a shorter last one).
fn whole_packets(track: &Track) -> i64 {
    let n = track
        .samples
        .iter()
        .take_while(|s| i64::from(s.duration) == PACKET)
        .count();
    i64::try_from(n).unwrap_or(0)
}

/// The packets of the spliced soundtrack, after checking that the encoder's stretches fit the
/// renditions' packets (same configuration, priming on the packet grid, enough packets).
fn spliced(
    sound: &SoundtrackPlan,
    renditions: &[Arc<Rendition>],
    stretches: Vec<(PathBuf, Movie)>,
) -> Result<Soundtrack, String> {
    let config = renditions[0].audio.aac_config();
    let mut files: Vec<PathBuf> = renditions.iter().map(|r| r.path.clone()).collect();
    let mut kept: Vec<(usize, &[Sample])> = Vec::with_capacity(stretches.len());
    for ((path, movie), stretch) in stretches.iter().zip(&sound.stretches) {
        let track = movie
            .track(b"soun")
            .ok_or_else(|| format!("{} has no audio", path.display()))?;
        if track.aac_config() != config {
            return Err("the encoder's AAC configuration differs from the renditions'".into());
        }
        let priming = track.edit_media_time.unwrap_or(0);
        if priming < 0 || priming % PACKET != 0 {
            return Err(format!("the encoder's priming is {priming} samples"));
        }
        let first = usize::try_from((MARGIN_PACKETS * PACKET + priming) / PACKET)
            .map_err(|e| e.to_string())?;
        let count = usize::try_from(stretch.kept()).map_err(|e| e.to_string())?;
        let packets = track
            .samples
            .get(first..first + count)
            .filter(|p| p.iter().all(|s| i64::from(s.duration) == PACKET))
            .ok_or_else(|| format!("{} is shorter than planned", path.display()))?;
        files.push(path.clone());
        kept.push((files.len() - 1, packets));
    }
    let mut packets = Vec::with_capacity(sound.slots.len());
    let mut copied_packets = 0u32;
    for slot in &sound.slots {
        packets.push(match *slot {
            Slot::Copy { clip, packet } => {
                copied_packets += 1;
                (clip, renditions[clip].audio.samples[packet])
            }
            Slot::Encoded { stretch, index } => {
                let (file, samples) = kept[stretch];
                (file, samples[index])
            }
        });
    }
    Ok(Soundtrack {
        files,
        packets,
        lead: u64::try_from(sound.lead).map_err(|e| e.to_string())?,
        sample_entry: renditions[0].audio.sample_entry.clone(),
        copied_packets,
    })
}

/// Encodes the whole soundtrack (and the thumbnail, if given) in one run.
async fn encode_whole(
    cx: &RunContext<'_>,
    paths: &[&Path],
    thumbnail: Option<audio::ThumbnailSource<'_>>,
) -> Result<Soundtrack, AssembleError> {
    let output = cx.work.join("audio.m4a");
    let job = audio::AudioJob::Whole { out: &output };
    let args = audio::audio_args(cx.plan, paths, job, thumbnail);
    let ffmpeg = &cx.tools.ffmpeg;
    run_tool(ffmpeg, &args, remaining(cx.deadline, ffmpeg)?).await?;
    let path = output.clone();
    let movie = blocking(move || read_movie(&path)).await??;
    let track = movie
        .track(b"soun")
        .ok_or_else(|| AssembleError::Internal("audio output has no audio track".into()))?;
    Ok(Soundtrack {
        files: vec![output],
        packets: track.samples.iter().map(|s| (0, *s)).collect(),
        lead: u64::try_from(track.edit_media_time.unwrap_or(0)).unwrap_or(0),
        sample_entry: track.sample_entry.clone(),
        copied_packets: 0,
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
