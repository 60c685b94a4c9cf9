//! The cut plan, in whole frames: which frames of which clip are stream-copied and which are
//! decoded and re-encoded. Pure and deterministic.
//!
//! A copied run must start on a keyframe (every 30th frame of a rendition) and may end on any
//! frame, since renditions have no B-frames. Crossfade `i → i+1` blends the last `F` frames of
//! clip `i` with the first `F` frames of clip `i+1`; clip `i+1`'s copied body then starts at
//! `in + F`. So the in point is moved (by at most half a GOP) to make `in + F` a keyframe, and the
//! out point to make `out − F` one: then every blend decodes `F` frames of the outgoing clip and
//! `30` of the incoming one, encodes `F`, and every body is whole GOPs. When a point cannot move
//! (the clip's start or end is in the way) the plan stays correct and encodes a few more frames.

use crate::rendition::{RENDITION_FPS, RENDITION_GOP_FRAMES};

const FPS: u32 = RENDITION_FPS;
const GOP: u32 = RENDITION_GOP_FRAMES;
/// In/out points may be moved by at most this many frames (half a second).
const MAX_SHIFT: u32 = GOP / 2;
/// An out point this close past the end (floating-point noise) counts as the end.
const END_TOLERANCE_SECS: f64 = 0.001;

/// One requested clip, with what the rendition check learned about its file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClipInput {
    pub in_secs: f64,
    pub out_secs: f64,
    /// Frames in the rendition.
    pub frames: u32,
    /// Its frames can be copied into the output (same size and parameter sets as the output).
    pub copyable: bool,
}

/// The real points used for one clip, in frames of its rendition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClipPlan {
    pub in_frame: u32,
    pub out_frame: u32,
    /// Output frame at which the clip starts (the start of its incoming crossfade).
    pub start: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Segment {
    /// Frames `[from, to)` of clip `clip`'s rendition, stream-copied; `from` is a keyframe.
    Copy { clip: usize, from: u32, to: u32 },
    /// An encoded piece: `pieces[index]`.
    Piece(usize),
}

/// A run of encoded frames between copied runs; it starts with an IDR frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Piece {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// Frames `[from, to)` of clip `clip`, re-encoded as they are (scaled if it is foreign).
    Plain { clip: usize, from: u32, to: u32 },
    /// `frames` frames fading from clip `clip` (starting at its frame `from_start`) to clip
    /// `clip + 1` (starting at its frame `to_start`).
    Blend {
        clip: usize,
        from_start: u32,
        to_start: u32,
        frames: u32,
    },
}

impl Part {
    pub(crate) fn frames(&self) -> u32 {
        match *self {
            Part::Plain { from, to, .. } => to - from,
            Part::Blend { frames, .. } => frames,
        }
    }
}

impl Piece {
    pub(crate) fn frames(&self) -> u32 {
        self.parts.iter().map(Part::frames).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    pub clips: Vec<ClipPlan>,
    pub segments: Vec<Segment>,
    pub pieces: Vec<Piece>,
    pub fade_frames: u32,
    pub total_frames: u32,
}

impl Plan {
    pub(crate) fn copied_frames(&self) -> u32 {
        self.segments
            .iter()
            .map(|s| match *s {
                Segment::Copy { from, to, .. } => to - from,
                Segment::Piece(_) => 0,
            })
            .sum()
    }

    pub(crate) fn encoded_frames(&self) -> u32 {
        self.pieces.iter().map(Piece::frames).sum()
    }
}

/// A clip that cannot be used, by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlanError {
    pub index: usize,
    pub reason: String,
}

/// Plans `clips` joined by crossfades of `fade_frames` frames.
pub(crate) fn plan(clips: &[ClipInput], fade_frames: u32) -> Result<Plan, PlanError> {
    let last = clips.len().saturating_sub(1);
    let mut planned = Vec::with_capacity(clips.len());
    let mut start = 0u32;
    for (index, clip) in clips.iter().enumerate() {
        let fade_in = if index > 0 { fade_frames } else { 0 };
        let fade_out = if index < last { fade_frames } else { 0 };
        let (in_frame, out_frame) =
            requested_frames(clip).map_err(|reason| PlanError { index, reason })?;
        let (in_frame, out_frame) = if clip.copyable {
            snap_points(
                in_frame,
                out_frame,
                clip.frames,
                fade_in,
                fade_out,
                index == last,
            )
        } else {
            (in_frame, out_frame)
        };
        let needed = (fade_in + fade_out).max(1);
        if out_frame - in_frame < needed {
            return Err(PlanError {
                index,
                reason: format!(
                    "the clip is {:.3} s long; with its crossfades it needs at least {:.3} s",
                    secs(out_frame - in_frame),
                    secs(needed)
                ),
            });
        }
        planned.push(ClipPlan {
            in_frame,
            out_frame,
            start,
        });
        start += out_frame - in_frame - fade_out;
    }
    let total_frames = planned
        .last()
        .map_or(0, |c| c.start + c.out_frame - c.in_frame);
    let (segments, pieces) = segments(clips, &planned, fade_frames);
    Ok(Plan {
        clips: planned,
        segments,
        pieces,
        fade_frames,
        total_frames,
    })
}

fn secs(frames: u32) -> f64 {
    f64::from(frames) / f64::from(FPS)
}

/// The requested points as frames, checked against the rendition.
fn requested_frames(clip: &ClipInput) -> Result<(u32, u32), String> {
    let (a, b) = (clip.in_secs, clip.out_secs);
    let end = secs(clip.frames);
    if !a.is_finite() || !b.is_finite() {
        return Err("in and out points must be finite numbers of seconds".into());
    }
    if a < 0.0 {
        return Err(format!("the in point {a:.3} s is negative"));
    }
    if a >= b {
        return Err(format!(
            "the in point {a:.3} s is not before the out point {b:.3} s"
        ));
    }
    if b > end + END_TOLERANCE_SECS {
        return Err(format!(
            "the out point {b:.3} s is beyond the end of the rendition ({end:.3} s)"
        ));
    }
    let to_frame = |s: f64| ((s * f64::from(FPS)).round() as u32).min(clip.frames);
    let (in_frame, out_frame) = (to_frame(a), to_frame(b));
    if out_frame <= in_frame {
        return Err("the clip is shorter than one frame".into());
    }
    Ok((in_frame, out_frame))
}

/// Moves in/out so that the body starts on a keyframe and the outgoing blend starts on one.
/// Falls back to the requested points when the moved ones would not leave room for the fades.
fn snap_points(
    in_frame: u32,
    out_frame: u32,
    frames: u32,
    fade_in: u32,
    fade_out: u32,
    is_last: bool,
) -> (u32, u32) {
    let in_residue = (GOP - fade_in % GOP) % GOP;
    let snapped_in = nearest_with_residue(in_frame, in_residue, frames).unwrap_or(in_frame);
    // The last clip's copy may end on any frame, so its out point stays where it was asked.
    let snapped_out = if is_last {
        out_frame
    } else {
        nearest_with_residue(out_frame, fade_out % GOP, frames).unwrap_or(out_frame)
    };
    let fits = |a: u32, b: u32| b > a && b - a >= (fade_in + fade_out).max(1);
    if fits(snapped_in, snapped_out) {
        (snapped_in, snapped_out)
    } else if fits(snapped_in, out_frame) {
        (snapped_in, out_frame)
    } else if fits(in_frame, snapped_out) {
        (in_frame, snapped_out)
    } else {
        (in_frame, out_frame)
    }
}

/// The frame `≡ residue (mod GOP)` in `0..=limit` nearest to `frame`, at most [`MAX_SHIFT`] away;
/// ties go to the later frame, so that moving both points of a clip keeps its length.
fn nearest_with_residue(frame: u32, residue: u32, limit: u32) -> Option<u32> {
    let (frame, gop) = (i64::from(frame), i64::from(GOP));
    let below = frame - (frame - i64::from(residue)).rem_euclid(gop);
    [below, below + gop]
        .into_iter()
        .filter(|&c| c >= 0 && c <= i64::from(limit) && (c - frame).abs() <= i64::from(MAX_SHIFT))
        .min_by_key(|&c| ((c - frame).abs(), std::cmp::Reverse(c)))
        .and_then(|c| u32::try_from(c).ok())
}

/// Cuts the timeline into copied runs and encoded pieces.
fn segments(clips: &[ClipInput], planned: &[ClipPlan], fade: u32) -> (Vec<Segment>, Vec<Piece>) {
    enum Atom {
        Copy(Segment),
        Encode(Part),
    }
    let last = planned.len().saturating_sub(1);
    let mut atoms = Vec::new();
    for (i, (clip, p)) in clips.iter().zip(planned).enumerate() {
        let body_from = p.in_frame + if i > 0 { fade } else { 0 };
        let body_to = p.out_frame - if i < last { fade } else { 0 };
        if body_from < body_to {
            let keyframe = body_from.div_ceil(GOP) * GOP;
            if clip.copyable && keyframe < body_to {
                if body_from < keyframe {
                    let lead = Part::Plain {
                        clip: i,
                        from: body_from,
                        to: keyframe,
                    };
                    atoms.push(Atom::Encode(lead));
                }
                let copy = Segment::Copy {
                    clip: i,
                    from: keyframe,
                    to: body_to,
                };
                atoms.push(Atom::Copy(copy));
            } else {
                let body = Part::Plain {
                    clip: i,
                    from: body_from,
                    to: body_to,
                };
                atoms.push(Atom::Encode(body));
            }
        }
        if i < last {
            let next = &planned[i + 1];
            atoms.push(Atom::Encode(Part::Blend {
                clip: i,
                from_start: p.out_frame - fade,
                to_start: next.in_frame,
                frames: fade,
            }));
        }
    }
    let mut segments = Vec::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut open_piece = false;
    for atom in atoms {
        match atom {
            Atom::Copy(segment) => {
                segments.push(segment);
                open_piece = false;
            }
            Atom::Encode(part) => {
                if let (true, Some(piece)) = (open_piece, pieces.last_mut()) {
                    piece.parts.push(part);
                } else {
                    segments.push(Segment::Piece(pieces.len()));
                    pieces.push(Piece { parts: vec![part] });
                    open_piece = true;
                }
            }
        }
    }
    (segments, pieces)
}

#[cfg(test)]
mod tests;
