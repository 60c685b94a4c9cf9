//! Opening the clips' renditions: each file's sample tables are read (no ffprobe process) and
//! checked against what a normalised rendition promises, so that a wrong file is refused before
//! any work starts instead of producing a broken memory.

use super::mp4::Mp4Error;
use super::mp4::read::{Track, read_movie};
use super::{AssembleError, MemoryClip, blocking};
use crate::rendition::{RENDITION_AUDIO_RATE, RENDITION_FPS, RENDITION_GOP_FRAMES};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A rendition that passed the checks.
#[derive(Debug, Clone)]
pub(crate) struct Rendition {
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    pub video: Track,
    /// AAC at 48 kHz.
    pub audio: Track,
    /// Body of the `avcC` box: the SPS and PPS every copied frame depends on.
    pub avcc: Vec<u8>,
}

impl Rendition {
    pub(crate) fn frames(&self) -> u32 {
        u32::try_from(self.video.samples.len()).unwrap_or(u32::MAX)
    }

    /// Frames of this file can be copied next to frames of `other` (same picture and headers).
    pub(crate) fn splices_with(&self, size: (u32, u32), avcc: &[u8]) -> bool {
        (self.width, self.height) == size && self.avcc == avcc
    }
}

/// Why a file was refused.
#[derive(Debug)]
pub(crate) enum OpenError {
    Missing,
    NotARendition(String),
    Io(std::io::Error),
}

/// Opens and checks one rendition (blocking: call from `spawn_blocking`).
pub(crate) fn open_rendition(path: &Path) -> Result<Rendition, OpenError> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(OpenError::Missing),
        Err(e) => return Err(OpenError::Io(e)),
        Ok(meta) if !meta.is_file() => {
            return Err(OpenError::NotARendition("it is not a regular file".into()));
        }
        Ok(meta) if meta.len() == 0 => {
            return Err(OpenError::NotARendition("the file is empty".into()));
        }
        Ok(_) => {}
    }
    let movie = read_movie(path).map_err(|e| match e {
        Mp4Error::Malformed(reason) => OpenError::NotARendition(reason),
        Mp4Error::Io(e) => OpenError::Io(e),
    })?;
    let refuse = |reason: &str| OpenError::NotARendition(reason.to_owned());
    let video = movie
        .track(b"vide")
        .ok_or_else(|| refuse("it has no video track"))?;
    check_video(video).map_err(OpenError::NotARendition)?;
    let audio = movie
        .track(b"soun")
        .ok_or_else(|| refuse("it has no audio track"))?;
    if &audio.codec() != b"mp4a" || audio.timescale != RENDITION_AUDIO_RATE {
        return Err(refuse("its audio is not AAC at 48 kHz"));
    }
    let avcc = video
        .sample_entry_child(b"avcC")
        .ok_or_else(|| refuse("its video has no avcC (H.264 parameter sets)"))?
        .to_vec();
    // avcC: version, profile, compatibility, level, …
    if avcc.get(1) != Some(&100) {
        return Err(refuse("its video is not H.264 High profile"));
    }
    let (width, height) = video
        .picture_size()
        .filter(|&(w, h)| w > 0 && h > 0)
        .ok_or_else(|| refuse("its video has no picture size"))?;
    Ok(Rendition {
        path: path.to_owned(),
        width,
        height,
        video: video.clone(),
        audio: audio.clone(),
        avcc,
    })
}

/// 30 fps constant, decode order = presentation order, a sync sample on exactly every 30th.
fn check_video(video: &Track) -> Result<(), String> {
    if video.codec() != *b"avc1" {
        return Err("its video is not H.264 (avc1)".into());
    }
    if video.samples.is_empty() {
        return Err("its video has no frames".into());
    }
    let frame_ticks = video.timescale / RENDITION_FPS;
    if !video.timescale.is_multiple_of(RENDITION_FPS)
        || video.samples.iter().any(|s| s.duration != frame_ticks)
    {
        return Err("its video is not a constant 30 frames per second".into());
    }
    if video.has_composition_offsets {
        return Err("its video has B-frames (frames out of order)".into());
    }
    if video.edit_media_time.is_some_and(|t| t != 0) {
        return Err("its video does not start at time 0 (edit list)".into());
    }
    let gop = RENDITION_GOP_FRAMES as usize;
    if let Some(i) = (0..video.samples.len()).find(|&i| video.samples[i].sync != (i % gop == 0)) {
        return Err(format!(
            "its keyframes are not exactly one second apart (frame {i} breaks the pattern)"
        ));
    }
    Ok(())
}

/// Opens every distinct rendition once; returns one per clip.
pub(super) async fn open_all(clips: &[MemoryClip]) -> Result<Vec<Arc<Rendition>>, AssembleError> {
    let mut distinct: Vec<PathBuf> = Vec::new();
    for clip in clips {
        if !distinct.contains(&clip.rendition) {
            distinct.push(clip.rendition.clone());
        }
    }
    let opened = blocking(move || {
        distinct
            .into_iter()
            .map(|path| {
                let result = open_rendition(&path).map(Arc::new);
                (path, result)
            })
            .collect::<Vec<_>>()
    })
    .await?;
    clips
        .iter()
        .enumerate()
        .map(|(index, clip)| {
            let (_, result) = opened
                .iter()
                .find(|(path, _)| *path == clip.rendition)
                .ok_or_else(|| AssembleError::Internal("rendition not opened".into()))?;
            match result {
                Ok(rendition) => Ok(Arc::clone(rendition)),
                Err(OpenError::Missing) => Err(AssembleError::MissingRendition {
                    index,
                    path: clip.rendition.clone(),
                }),
                Err(OpenError::NotARendition(reason)) => Err(AssembleError::NotARendition {
                    index,
                    path: clip.rendition.clone(),
                    reason: reason.clone(),
                }),
                Err(OpenError::Io(e)) => Err(AssembleError::Io(std::io::Error::new(
                    e.kind(),
                    e.to_string(),
                ))),
            }
        })
        .collect()
}

/// Picture size and parameter sets of a rendition: frames splice only within one format.
pub(super) type Format = ((u32, u32), Vec<u8>);

/// The format shared by most clips (ties: the earliest clip's).
pub(super) fn majority(renditions: &[Arc<Rendition>]) -> Format {
    let format = |r: &Rendition| ((r.width, r.height), r.avcc.clone());
    let mut best: Option<(Format, usize)> = None;
    for r in renditions {
        let candidate = format(r);
        let n = renditions.iter().filter(|o| format(o) == candidate).count();
        if best.as_ref().is_none_or(|(_, m)| n > *m) {
            best = Some((candidate, n));
        }
    }
    best.map_or(((0, 0), Vec::new()), |(f, _)| f)
}
