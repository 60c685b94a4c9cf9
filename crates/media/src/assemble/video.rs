//! The encoded pieces: one ffmpeg process decodes just the frames the pieces need, blends and
//! scales them in one filtergraph, and encodes all the pieces back to back with the splice
//! encoder settings and an IDR frame forced at the start of each piece. The muxer later picks
//! each piece's frames out of that file by index.
//!
//! Blends are `overlay` of the incoming clip with an alpha ramp (`fade … alpha=1`) on the outgoing
//! one: both work on yuv420p directly. `xfade` in ffmpeg 5.1 only works on 4:4:4, and the two
//! conversions it forces cost more than the blend itself (measured: +2.6 CPU-s for 11 joins at
//! 1080p against +0.5 s for overlay).

use super::plan::{Part, Plan};
use crate::files::ff_path;
use crate::rendition::{EncoderSpeed, RENDITION_FPS, RENDITION_GOP_FRAMES, h264_args};
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;

/// What the filtergraph needs to know about a clip's rendition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClipSource<'a> {
    pub path: &'a Path,
    /// Its picture differs from the output's: scale to fit and pad.
    pub fit: bool,
}

/// Arguments of one ffmpeg run that encodes `pieces` (indices into `plan.pieces`) to `output`.
pub(crate) fn video_args(
    plan: &Plan,
    clips: &[ClipSource<'_>],
    size: (u32, u32),
    pieces: &[usize],
    output: &Path,
) -> Vec<OsString> {
    let mut g = Graph::new(clips, size);
    let mut piece_starts = Vec::new();
    let mut frames = 0u32;
    for &index in pieces {
        piece_starts.push(frames);
        for part in &plan.pieces[index].parts {
            frames += part.frames();
            match *part {
                Part::Plain { clip, from, to } => g.plain(clip, from, to),
                Part::Blend {
                    clip,
                    from_start,
                    to_start,
                    frames,
                } => g.blend(clip, from_start, to_start, frames),
            }
        }
    }
    let labels: String = (0..g.parts).map(|p| format!("[p{p}]")).collect();
    let _ = write!(
        g.filters,
        "{labels}concat=n={}:v=1:a=0,{}[out]",
        g.parts,
        renumber(0)
    );

    let mut args: Vec<OsString> = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        .map(OsString::from)
        .into();
    args.extend(g.inputs);
    args.extend(["-filter_complex".into(), g.filters.into()]);
    args.extend(["-map", "[out]", "-an"].map(OsString::from));
    args.extend(h264_args(EncoderSpeed::Splice));
    let forced: Vec<String> = piece_starts.iter().map(|n| format!("eq(n,{n})")).collect();
    args.extend([
        "-force_key_frames".into(),
        format!("expr:{}", forced.join("+")).into(),
    ]);
    args.extend(["-f", "mp4"].map(OsString::from));
    args.push(ff_path(output));
    args
}

/// `setpts` that numbers frames from scratch, so concatenation and trimming can never leave a
/// gap or a duplicate timestamp (which `-fps_mode cfr` would fill or drop).
fn renumber(offset: u32) -> String {
    format!("setpts=(N+{offset})/({RENDITION_FPS}*TB)")
}

struct Graph<'a> {
    clips: &'a [ClipSource<'a>],
    size: (u32, u32),
    inputs: Vec<OsString>,
    input_count: usize,
    filters: String,
    parts: usize,
}

impl<'a> Graph<'a> {
    fn new(clips: &'a [ClipSource<'a>], size: (u32, u32)) -> Self {
        Self {
            clips,
            size,
            inputs: Vec::new(),
            input_count: 0,
            filters: String::new(),
            parts: 0,
        }
    }

    /// Adds an input that decodes frames `[from, to)` of `clip` from the keyframe before them,
    /// and returns the chain that trims exactly those frames.
    fn frames(&mut self, clip: usize, from: u32, to: u32, first_pts: u32) -> String {
        let gop = RENDITION_GOP_FRAMES;
        let keyframe = from - from % gop;
        // Keyframes are on whole seconds, exact in ffmpeg's microseconds; `-t` only stops the
        // demuxer (half a frame of slack), the trim below is exact.
        let seek = keyframe / RENDITION_FPS;
        let length = (f64::from(to - keyframe) + 0.5) / f64::from(RENDITION_FPS);
        let source = self.clips[clip];
        self.inputs.extend(
            [
                "-threads",
                "1",
                "-ss",
                &seek.to_string(),
                "-t",
                &format!("{length:.6}"),
            ]
            .map(OsString::from),
        );
        self.inputs.extend(["-i".into(), ff_path(source.path)]);
        let index = self.input_count;
        self.input_count += 1;
        let mut chain = format!(
            "[{index}:v:0]trim=start_frame={}:end_frame={},{}",
            from - keyframe,
            to - keyframe,
            renumber(first_pts)
        );
        if source.fit {
            let (w, h) = self.size;
            let _ = write!(
                chain,
                ",scale={w}:{h}:force_original_aspect_ratio=decrease,\
                 pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1"
            );
        }
        chain.push_str(",format=yuv420p");
        chain
    }

    fn plain(&mut self, clip: usize, from: u32, to: u32) {
        let chain = self.frames(clip, from, to, 0);
        let p = self.parts;
        let _ = write!(self.filters, "{chain}[p{p}];");
        self.parts += 1;
    }

    /// Incoming frame `j` of `frames` gets opacity `(j + 1) / (frames + 1)`: the ramp neither
    /// starts on a pure outgoing frame nor ends on a pure incoming one. The incoming frames are
    /// numbered from 1 for `fade`, whose time-based ramp starts at 0, then from 0 again.
    fn blend(&mut self, clip: usize, from_start: u32, to_start: u32, frames: u32) {
        let outgoing = self.frames(clip, from_start, from_start + frames, 0);
        let incoming = self.frames(clip + 1, to_start, to_start + frames, 1);
        let ramp = f64::from(frames + 1) / f64::from(RENDITION_FPS);
        let p = self.parts;
        let _ = write!(
            self.filters,
            "{outgoing}[p{p}a];\
             {incoming},format=yuva420p,fade=t=in:st=0:d={ramp:.6}:alpha=1,{}[p{p}b];\
             [p{p}a][p{p}b]overlay=format=yuv420:shortest=1[p{p}];",
            renumber(0)
        );
        self.parts += 1;
    }
}

/// Splits pieces into `jobs` groups of similar cost (longest first onto the lightest group).
/// Cost counts decoded frames once and encoded frames three times (x264 at 1080p costs about
/// three times the decoder per frame here).
pub(crate) fn split_pieces(plan: &Plan, jobs: usize) -> Vec<Vec<usize>> {
    let cost = |index: usize| -> u64 {
        plan.pieces[index]
            .parts
            .iter()
            .map(|part| {
                let encoded = u64::from(part.frames());
                let decoded = match *part {
                    Part::Plain { from, to, .. } => u64::from(to - from + from % 30),
                    Part::Blend {
                        from_start,
                        to_start,
                        frames,
                        ..
                    } => u64::from(2 * frames + from_start % 30 + to_start % 30),
                };
                decoded + 3 * encoded
            })
            .sum()
    };
    let mut order: Vec<usize> = (0..plan.pieces.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(cost(i)));
    let mut groups: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); jobs.max(1)];
    for index in order {
        if let Some(lightest) = groups.iter_mut().min_by_key(|(c, _)| *c) {
            lightest.0 += cost(index);
            lightest.1.push(index);
        }
    }
    groups
        .into_iter()
        .map(|(_, mut pieces)| {
            pieces.sort_unstable();
            pieces
        })
        .filter(|pieces| !pieces.is_empty())
        .collect()
}
