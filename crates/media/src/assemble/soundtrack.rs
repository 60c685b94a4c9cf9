//! The soundtrack's smart cut, in samples. Pure and deterministic.
//!
//! The memory's audio is a sequence of 1024-sample AAC packets ("slots"). Between crossfades
//! a slot is a packet copied from the clip's rendition; around each crossfade a short stretch is
//! re-encoded. Two things make the copy exact:
//!
//! - **Alignment.** A rendition's packets start every 1024 samples from its own origin, and a
//!   clip starts wherever its in point falls, so each clip is shifted by at most half a packet
//!   (≤ 512 samples, 10.7 ms) to put its packets on the memory's grid. The shift is per clip, so
//!   it never accumulates; the first clip is not shifted at all (the memory's edit list starts
//!   inside its first packet instead).
//! - **Clean joins.** An AAC packet decodes by overlapping with the one before it, so an encoded
//!   stretch is encoded from [`MARGIN_PACKETS`] packets before its first kept packet to as many
//!   after its last, on the same audio the neighbouring copied packets hold; only the packets in
//!   between are kept. With fewer than two packets of lead-in the first kept packet clicks
//!   (measured: a 15.7 dB click with one, clean with two; docs/benchmarks.md).

use super::audio::SAMPLES_PER_FRAME;
use super::plan::Plan;

/// Samples per AAC packet.
pub(crate) const PACKET: i64 = 1024;
/// Packets of real audio encoded before and after those kept from an encoded stretch.
pub(crate) const MARGIN_PACKETS: i64 = 2;

/// What the planner needs of a clip's rendition audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClipAudio {
    /// The track's edit-list start (encoder priming), in samples.
    pub priming: i64,
    /// Packets in the track, each [`PACKET`] samples long.
    pub packets: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SoundtrackPlan {
    /// Media time, in samples, at which the memory starts: its edit list's start.
    pub lead: i64,
    pub slots: Vec<Slot>,
    pub stretches: Vec<Stretch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// Packet `packet` of clip `clip`'s rendition.
    Copy { clip: usize, packet: usize },
    /// The `index`-th kept packet of encoded stretch `stretch`.
    Encoded { stretch: usize, index: usize },
}

/// A re-encoded stretch around one crossfade, or several when the clips between are short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stretch {
    /// Slots `[first_slot, end_slot)` of the memory come from this stretch.
    pub first_slot: i64,
    pub end_slot: i64,
    /// The encoder's input, clip by clip; consecutive parts overlap by the crossfade.
    pub parts: Vec<StretchPart>,
}

impl Stretch {
    /// Packets kept from the encoder's output.
    pub(crate) fn kept(&self) -> i64 {
        self.end_slot - self.first_slot
    }
}

/// Samples of one clip's rendition fed to a stretch's encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StretchPart {
    pub clip: usize,
    /// First sample, in the rendition's presentation time; negative: that much silence first.
    pub source_from: i64,
    pub len: i64,
}

/// Where a clip sits: output sample `t` plays the rendition's presentation sample `t + offset`,
/// and output slot `j` is the rendition's packet `j + packet_offset`.
#[derive(Debug, Clone, Copy)]
struct Placement {
    offset: i64,
    packet_offset: i64,
}

/// Plans the soundtrack of `plan` from the clips' audio; `None` when some clip's packets do not
/// reach far enough (then the whole soundtrack is re-encoded instead).
pub(crate) fn plan_soundtrack(plan: &Plan, audio: &[ClipAudio]) -> Option<SoundtrackPlan> {
    let first = plan.clips.first()?;
    if audio.len() != plan.clips.len() {
        return None;
    }
    let spf = i64::from(SAMPLES_PER_FRAME);
    let total = i64::from(plan.total_frames) * spf;
    // The first clip unshifted, its packet before the in point kept as the decoder's priming.
    let first_media = audio[0].priming + i64::from(first.in_frame) * spf;
    let lead = first_media - PACKET * (first_media / PACKET - 1).max(0);
    let placements: Vec<Placement> = plan
        .clips
        .iter()
        .zip(audio)
        .map(|(clip, a)| {
            let start = i64::from(clip.start) * spf;
            let unshifted = i64::from(clip.in_frame) * spf - start;
            let misfit = (a.priming + unshifted - lead).rem_euclid(PACKET);
            let shift = if misfit <= PACKET / 2 {
                -misfit
            } else {
                PACKET - misfit
            };
            let offset = unshifted + shift;
            Placement {
                offset,
                packet_offset: (a.priming + offset - lead) / PACKET,
            }
        })
        .collect();

    let fade = i64::from(plan.fade_frames) * spf;
    // Kept slots of each crossfade, merged where their margins would meet.
    let mut groups: Vec<(i64, i64, usize, usize)> = Vec::new(); // (first, end, first clip, last clip)
    for (i, clip) in plan.clips.iter().enumerate().skip(1) {
        let fade_start = i64::from(clip.start) * spf;
        let first_slot = (fade_start + lead).div_euclid(PACKET);
        let end_slot = (fade_start + fade + lead + PACKET - 1).div_euclid(PACKET);
        match groups.last_mut() {
            Some(last) if first_slot < last.1 + 2 * MARGIN_PACKETS => {
                last.1 = end_slot;
                last.3 = i;
            }
            _ => groups.push((first_slot, end_slot, i - 1, i)),
        }
    }
    let slot_count = (total + lead + PACKET - 1) / PACKET;
    let clip_end = |c: usize| {
        let clip = &plan.clips[c];
        i64::from(clip.start + clip.out_frame - clip.in_frame) * spf
    };
    let stretches: Vec<Stretch> = groups
        .iter()
        .map(|&(first_slot, end_slot, first_clip, last_clip)| {
            let from = (first_slot - MARGIN_PACKETS) * PACKET - lead;
            let to = (end_slot + MARGIN_PACKETS) * PACKET - lead;
            let parts = (first_clip..=last_clip)
                .map(|c| {
                    let start = if c == first_clip {
                        from
                    } else {
                        i64::from(plan.clips[c].start) * spf
                    };
                    let end = if c == last_clip { to } else { clip_end(c) };
                    StretchPart {
                        clip: c,
                        source_from: start + placements[c].offset,
                        len: end - start,
                    }
                })
                .collect();
            Stretch {
                first_slot,
                end_slot,
                parts,
            }
        })
        .collect();

    let mut slots = Vec::with_capacity(usize::try_from(slot_count).ok()?);
    let mut clip = 0usize;
    let mut next_group = 0usize;
    let mut j = 0i64;
    while j < slot_count {
        if let Some(&(first_slot, end_slot, _, last_clip)) = groups.get(next_group)
            && j >= first_slot
        {
            for index in 0..(end_slot - first_slot) {
                slots.push(Slot::Encoded {
                    stretch: next_group,
                    index: usize::try_from(index).ok()?,
                });
            }
            j = end_slot;
            clip = last_clip;
            next_group += 1;
            continue;
        }
        let packet = j + placements[clip].packet_offset;
        if packet < 0 || packet >= audio[clip].packets {
            return None;
        }
        slots.push(Slot::Copy {
            clip,
            packet: usize::try_from(packet).ok()?,
        });
        j += 1;
    }
    Some(SoundtrackPlan {
        lead,
        slots,
        stretches,
    })
}

#[cfg(test)]
mod tests;
