//! The final file: copied runs of the renditions and the encoded pieces, in plan order, with the
//! soundtrack's packets, written as one progressive MP4 by [`super::mp4::write`].

use super::AssembleError;
use super::audio::SAMPLES_PER_FRAME;
use super::mp4::read::{Track, boxes, visual_or_audio_fields};
use super::mp4::write::{Edit, OutSample, OutTrack, write_mp4};
use super::plan::{Plan, Segment};
use super::runs::Soundtrack;
use crate::rendition::{RENDITION_AUDIO_RATE, RENDITION_FPS};
use std::path::{Path, PathBuf};

/// A file the muxer copies from, with its video or audio track.
pub(crate) struct SourceTrack<'a> {
    pub path: &'a Path,
    pub track: &'a Track,
}

pub(crate) struct MuxInput<'a> {
    pub plan: &'a Plan,
    /// Per clip: its rendition's video.
    pub clips: Vec<SourceTrack<'a>>,
    /// Per encoder run: its output's video.
    pub encoded: Vec<SourceTrack<'a>>,
    /// Per piece: (encoder run, index of its first frame in that run's output).
    pub piece_at: Vec<(usize, usize)>,
    pub audio: &'a Soundtrack,
    /// The `avc1` sample entry every frame was made for.
    pub video_entry: &'a [u8],
    pub size: (u32, u32),
    pub video_timescale: u32,
}

/// Writes the memory to `dest`; returns its size in bytes.
pub(crate) fn mux(input: &MuxInput<'_>, dest: &Path) -> Result<u64, AssembleError> {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut source_of = |path: &Path| -> usize {
        match paths.iter().position(|p| p == path) {
            Some(i) => i,
            None => {
                paths.push(path.to_owned());
                paths.len() - 1
            }
        }
    };
    let frame_ticks = input.video_timescale / RENDITION_FPS;
    let mut video: Vec<OutSample> = Vec::with_capacity(input.plan.total_frames as usize);
    for segment in &input.plan.segments {
        let (from_track, first, count) = match *segment {
            Segment::Copy { clip, from, to } => {
                (&input.clips[clip], from as usize, (to - from) as usize)
            }
            Segment::Piece(index) => {
                let (run, first) = input.piece_at[index];
                let frames = input.plan.pieces[index].frames() as usize;
                (&input.encoded[run], first, frames)
            }
        };
        let samples = from_track
            .track
            .samples
            .get(first..first + count)
            .ok_or_else(|| {
                internal(format!(
                    "{} has fewer frames than planned",
                    from_track.path.display()
                ))
            })?;
        if !samples.first().is_some_and(|s| s.sync) {
            return Err(internal(format!(
                "a run of {} does not start on a keyframe (frame {first})",
                from_track.path.display()
            )));
        }
        let source = source_of(from_track.path);
        video.extend(samples.iter().map(|s| OutSample {
            source,
            offset: s.offset,
            size: s.size,
            duration: frame_ticks,
            sync: s.sync,
        }));
    }
    if video.len() != input.plan.total_frames as usize {
        return Err(internal(
            "the video does not have the planned number of frames".into(),
        ));
    }

    let sound = input.audio;
    let files: Vec<usize> = sound.files.iter().map(|p| source_of(p)).collect();
    let media: u64 = sound
        .packets
        .iter()
        .map(|(_, s)| u64::from(s.duration))
        .sum();
    let available = media.saturating_sub(sound.lead);
    let planned = u64::from(input.plan.total_frames) * u64::from(SAMPLES_PER_FRAME);
    let mut samples = Vec::with_capacity(sound.packets.len());
    for (file, s) in &sound.packets {
        let source = *files
            .get(*file)
            .ok_or_else(|| internal("an audio packet of no file".into()))?;
        samples.push(OutSample {
            source,
            offset: s.offset,
            size: s.size,
            duration: s.duration,
            sync: true,
        });
    }
    let audio = OutTrack {
        handler: *b"soun",
        timescale: RENDITION_AUDIO_RATE,
        sample_entry: without_bitrate_box(&sound.sample_entry),
        picture: None,
        samples,
        edit: Some(Edit {
            media_time: sound.lead,
            duration: planned.min(available),
        }),
    };
    let video = OutTrack {
        handler: *b"vide",
        timescale: input.video_timescale,
        sample_entry: without_bitrate_box(input.video_entry),
        picture: Some(input.size),
        samples: video,
        edit: None,
    };
    Ok(write_mp4(dest, &paths, &[video, audio])?)
}

fn internal(reason: String) -> AssembleError {
    AssembleError::Internal(reason)
}

/// The sample entry without its `btrt` box, whose bit rates describe the source file, not the
/// memory. Other child boxes (`avcC`, `colr`, `pasp`) are kept byte for byte.
pub(crate) fn without_bitrate_box(entry: &[u8]) -> Vec<u8> {
    let codec: [u8; 4] = match entry.get(4..8).and_then(|c| c.try_into().ok()) {
        Some(codec) => codec,
        None => return entry.to_vec(),
    };
    let Some(fixed) = visual_or_audio_fields(&codec) else {
        return entry.to_vec();
    };
    let Some(Ok(children)) = entry.get(8 + fixed..).map(boxes) else {
        return entry.to_vec();
    };
    let mut out = entry[..8 + fixed].to_vec();
    for (kind, body) in children.into_iter().filter(|(k, _)| k != b"btrt") {
        out.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
        out.extend_from_slice(&kind);
        out.extend_from_slice(body);
    }
    let size = out.len() as u32;
    out[..4].copy_from_slice(&size.to_be_bytes());
    out
}

impl From<super::mp4::Mp4Error> for AssembleError {
    fn from(e: super::mp4::Mp4Error) -> Self {
        match e {
            super::mp4::Mp4Error::Io(e) => AssembleError::Io(e),
            super::mp4::Mp4Error::Malformed(reason) => AssembleError::Internal(reason),
        }
    }
}
