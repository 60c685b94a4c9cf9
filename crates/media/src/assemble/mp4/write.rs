//! Writes a progressive MP4 (`ftyp`, `moov`, `mdat`) whose samples are byte ranges of other
//! files. Tracks are interleaved in chunks of about a second so a player reading from the start
//! (an HTTP range request at a time) gets audio and video together.

use super::Mp4Error;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Media time per chunk, in seconds.
const CHUNK_SECS: u64 = 1;
const FTYP: &[u8] = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41";

#[derive(Debug, Clone)]
pub(crate) struct OutTrack {
    pub handler: [u8; 4],
    pub timescale: u32,
    /// Written as the only `stsd` entry.
    pub sample_entry: Vec<u8>,
    /// Width and height for a video track.
    pub picture: Option<(u32, u32)>,
    pub samples: Vec<OutSample>,
    /// Presentation starts at this media time and lasts this long (track timescale).
    pub edit: Option<Edit>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Edit {
    pub media_time: u64,
    pub duration: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutSample {
    /// Index into the `sources` given to [`write_mp4`].
    pub source: usize,
    pub offset: u64,
    pub size: u32,
    pub duration: u32,
    pub sync: bool,
}

struct Chunk {
    track: usize,
    first_sample: usize,
    samples: usize,
    start: u64,
    bytes: u64,
}

/// Writes `tracks` to `dest` (created or truncated) and returns the file size. The movie
/// timescale is the first track's.
pub(crate) fn write_mp4(
    dest: &Path,
    sources: &[PathBuf],
    tracks: &[OutTrack],
) -> Result<u64, Mp4Error> {
    let chunks = interleave(tracks);
    let payload: u64 = chunks.iter().map(|c| c.bytes).sum();
    // stco holds 32-bit offsets; leave generous room for the header when deciding.
    let wide = payload + (64 << 20) > u64::from(u32::MAX);
    let mdat_header_len: u64 = if payload + 8 > u64::from(u32::MAX) {
        16
    } else {
        8
    };
    let movie_timescale = tracks.first().map_or(1000, |t| t.timescale);
    // The moov size does not depend on the offsets it holds: measure it, then write it for real.
    let probe = moov(tracks, &chunks, 0, wide, movie_timescale);
    let data_start = FTYP.len() as u64 + probe.len() as u64 + mdat_header_len;
    let moov = moov(tracks, &chunks, data_start, wide, movie_timescale);

    let mut out = File::create(dest)?;
    let mut header = Vec::with_capacity(FTYP.len() + moov.len() + 16);
    header.extend_from_slice(FTYP);
    header.extend_from_slice(&moov);
    if mdat_header_len == 16 {
        header.extend_from_slice(&1u32.to_be_bytes());
        header.extend_from_slice(b"mdat");
        header.extend_from_slice(&(payload + 16).to_be_bytes());
    } else {
        // payload + 8 fits: checked above.
        header.extend_from_slice(&((payload + 8) as u32).to_be_bytes());
        header.extend_from_slice(b"mdat");
    }
    out.write_all(&header)?;

    let inputs = sources
        .iter()
        .map(File::open)
        .collect::<Result<Vec<_>, _>>()?;
    for chunk in &chunks {
        let samples = &tracks[chunk.track].samples[chunk.first_sample..][..chunk.samples];
        for (source, offset, len) in byte_runs(samples) {
            copy_range(&inputs[source], offset, len, &out)?;
        }
    }
    out.flush()?;
    Ok(data_start + payload)
}

/// Consecutive samples that are adjacent in the same source become one copy.
fn byte_runs(samples: &[OutSample]) -> Vec<(usize, u64, u64)> {
    let mut runs: Vec<(usize, u64, u64)> = Vec::new();
    for s in samples {
        match runs.last_mut() {
            Some((source, offset, len)) if *source == s.source && *offset + *len == s.offset => {
                *len += u64::from(s.size);
            }
            _ => runs.push((s.source, s.offset, u64::from(s.size))),
        }
    }
    runs
}

/// Copies `len` bytes at `offset` of `input` to the end of `out` (in the kernel where it can).
fn copy_range(input: &File, offset: u64, len: u64, out: &File) -> Result<(), Mp4Error> {
    let mut reader = input;
    reader.seek(SeekFrom::Start(offset))?;
    let copied = std::io::copy(&mut reader.take(len), &mut &*out)?;
    if copied != len {
        return Err(super::malformed("a source file ended before its samples"));
    }
    Ok(())
}

/// Splits every track into chunks of about [`CHUNK_SECS`] and orders them by start time.
fn interleave(tracks: &[OutTrack]) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    for (track_index, track) in tracks.iter().enumerate() {
        let limit = u64::from(track.timescale) * CHUNK_SECS;
        let mut start = 0u64;
        let mut chunk: Option<Chunk> = None;
        for (i, s) in track.samples.iter().enumerate() {
            let current = chunk.get_or_insert(Chunk {
                track: track_index,
                first_sample: i,
                samples: 0,
                start,
                bytes: 0,
            });
            current.samples += 1;
            current.bytes += u64::from(s.size);
            start += u64::from(s.duration);
            if start - current.start >= limit {
                chunks.extend(chunk.take());
            }
        }
        chunks.extend(chunk);
    }
    let timescale = |c: &Chunk| u128::from(tracks[c.track].timescale);
    chunks.sort_by(|a, b| {
        let (ta, tb) = (
            u128::from(a.start) * timescale(b),
            u128::from(b.start) * timescale(a),
        );
        ta.cmp(&tb).then(a.track.cmp(&b.track))
    });
    chunks
}

fn moov(
    tracks: &[OutTrack],
    chunks: &[Chunk],
    data_start: u64,
    wide: bool,
    movie_timescale: u32,
) -> Vec<u8> {
    // Chunk offsets per track, in file order.
    let mut offsets: Vec<Vec<(u64, usize)>> = vec![Vec::new(); tracks.len()];
    let mut at = data_start;
    for c in chunks {
        offsets[c.track].push((at, c.samples));
        at += c.bytes;
    }
    let mut b = Vec::new();
    let moov = begin(&mut b, b"moov");
    let durations: Vec<u64> = tracks
        .iter()
        .map(|t| presentation_duration(t, movie_timescale))
        .collect();
    mvhd(
        &mut b,
        movie_timescale,
        durations.iter().copied().max().unwrap_or(0),
        tracks.len(),
    );
    for (i, track) in tracks.iter().enumerate() {
        trak(&mut b, track, i as u32 + 1, durations[i], &offsets[i], wide);
    }
    end(&mut b, moov);
    b
}

fn media_duration(track: &OutTrack) -> u64 {
    track.samples.iter().map(|s| u64::from(s.duration)).sum()
}

fn presentation_duration(track: &OutTrack, movie_timescale: u32) -> u64 {
    let media = track.edit.map_or(media_duration(track), |e| e.duration);
    rescale(media, track.timescale, movie_timescale)
}

fn rescale(value: u64, from: u32, to: u32) -> u64 {
    let scaled = (u128::from(value) * u128::from(to) + u128::from(from) / 2) / u128::from(from);
    u64::try_from(scaled).unwrap_or(u64::MAX)
}

fn begin(b: &mut Vec<u8>, kind: &[u8; 4]) -> usize {
    let at = b.len();
    b.extend_from_slice(&[0, 0, 0, 0]);
    b.extend_from_slice(kind);
    at
}

fn end(b: &mut [u8], at: usize) {
    let size = u32::try_from(b.len() - at).unwrap_or(u32::MAX);
    b[at..at + 4].copy_from_slice(&size.to_be_bytes());
}

fn full_box(b: &mut Vec<u8>, kind: &[u8; 4], version: u8, flags: u32) -> usize {
    let at = begin(b, kind);
    b.push(version);
    b.extend_from_slice(&flags.to_be_bytes()[1..]);
    at
}

fn u16be(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_be_bytes());
}

fn u32be(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_be_bytes());
}

fn u64be(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_be_bytes());
}

/// Version 1 (64-bit times) only when a duration does not fit 32 bits.
fn times(b: &mut Vec<u8>, wide: bool, middle: &[u32], duration: u64) {
    if wide {
        u64be(b, 0);
        u64be(b, 0);
        middle.iter().for_each(|&v| u32be(b, v));
        u64be(b, duration);
    } else {
        u32be(b, 0);
        u32be(b, 0);
        middle.iter().for_each(|&v| u32be(b, v));
        u32be(b, duration as u32);
    }
}

const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn mvhd(b: &mut Vec<u8>, timescale: u32, duration: u64, tracks: usize) {
    let v1 = duration > u64::from(u32::MAX);
    let at = full_box(b, b"mvhd", u8::from(v1), 0);
    times(b, v1, &[timescale], duration);
    u32be(b, 0x0001_0000); // rate 1.0
    u16be(b, 0x0100); // volume 1.0
    b.extend_from_slice(&[0; 10]);
    MATRIX.iter().for_each(|&v| u32be(b, v));
    b.extend_from_slice(&[0; 24]);
    u32be(b, tracks as u32 + 1);
    end(b, at);
}

fn trak(
    b: &mut Vec<u8>,
    t: &OutTrack,
    id: u32,
    duration: u64,
    chunk_offsets: &[(u64, usize)],
    wide: bool,
) {
    let trak = begin(b, b"trak");
    let v1 = duration > u64::from(u32::MAX);
    let tkhd = full_box(b, b"tkhd", u8::from(v1), 3); // enabled, in movie
    if v1 {
        u64be(b, 0);
        u64be(b, 0);
        u32be(b, id);
        u32be(b, 0);
        u64be(b, duration);
    } else {
        times(b, false, &[id, 0], duration);
    }
    b.extend_from_slice(&[0; 8]);
    u16be(b, 0); // layer
    u16be(b, 0); // alternate group
    u16be(b, if &t.handler == b"soun" { 0x0100 } else { 0 });
    u16be(b, 0);
    MATRIX.iter().for_each(|&v| u32be(b, v));
    let (w, h) = t.picture.unwrap_or((0, 0));
    u32be(b, w << 16);
    u32be(b, h << 16);
    end(b, tkhd);

    if let Some(edit) = t.edit {
        let edts = begin(b, b"edts");
        let v1 = duration > u64::from(u32::MAX) || edit.media_time > i32::MAX as u64;
        let elst = full_box(b, b"elst", u8::from(v1), 0);
        u32be(b, 1);
        if v1 {
            u64be(b, duration);
            u64be(b, edit.media_time);
        } else {
            u32be(b, duration as u32);
            u32be(b, edit.media_time as u32);
        }
        u32be(b, 0x0001_0000); // rate 1.0
        end(b, elst);
        end(b, edts);
    }

    let mdia = begin(b, b"mdia");
    let media = media_duration(t);
    let v1 = media > u64::from(u32::MAX);
    let mdhd = full_box(b, b"mdhd", u8::from(v1), 0);
    times(b, v1, &[t.timescale], media);
    u16be(b, 0x55c4); // "und"
    u16be(b, 0);
    end(b, mdhd);
    let hdlr = full_box(b, b"hdlr", 0, 0);
    u32be(b, 0);
    b.extend_from_slice(&t.handler);
    b.extend_from_slice(&[0; 12]);
    let name: &[u8] = if &t.handler == b"vide" {
        b"VideoHandler\0"
    } else {
        b"SoundHandler\0"
    };
    b.extend_from_slice(name);
    end(b, hdlr);

    let minf = begin(b, b"minf");
    if &t.handler == b"vide" {
        let vmhd = full_box(b, b"vmhd", 0, 1);
        b.extend_from_slice(&[0; 8]);
        end(b, vmhd);
    } else {
        let smhd = full_box(b, b"smhd", 0, 0);
        b.extend_from_slice(&[0; 4]);
        end(b, smhd);
    }
    let dinf = begin(b, b"dinf");
    let dref = full_box(b, b"dref", 0, 0);
    u32be(b, 1);
    let url = full_box(b, b"url ", 0, 1); // media in this file
    end(b, url);
    end(b, dref);
    end(b, dinf);
    stbl(b, t, chunk_offsets, wide);
    end(b, minf);
    end(b, mdia);
    end(b, trak);
}

fn stbl(b: &mut Vec<u8>, t: &OutTrack, chunk_offsets: &[(u64, usize)], wide: bool) {
    let stbl = begin(b, b"stbl");
    let stsd = full_box(b, b"stsd", 0, 0);
    u32be(b, 1);
    b.extend_from_slice(&t.sample_entry);
    end(b, stsd);

    let mut stts: Vec<(u32, u32)> = Vec::new();
    for s in &t.samples {
        match stts.last_mut() {
            Some((count, delta)) if *delta == s.duration => *count += 1,
            _ => stts.push((1, s.duration)),
        }
    }
    let at = full_box(b, b"stts", 0, 0);
    u32be(b, stts.len() as u32);
    for (count, delta) in stts {
        u32be(b, count);
        u32be(b, delta);
    }
    end(b, at);

    if t.samples.iter().any(|s| !s.sync) {
        let sync: Vec<u32> = (1u32..)
            .zip(&t.samples)
            .filter(|(_, s)| s.sync)
            .map(|(n, _)| n)
            .collect();
        let at = full_box(b, b"stss", 0, 0);
        u32be(b, sync.len() as u32);
        sync.iter().for_each(|&n| u32be(b, n));
        end(b, at);
    }

    let mut stsc: Vec<(u32, u32)> = Vec::new();
    for (chunk_number, &(_, samples)) in (1u32..).zip(chunk_offsets) {
        if stsc.last().is_none_or(|&(_, n)| n != samples as u32) {
            stsc.push((chunk_number, samples as u32));
        }
    }
    let at = full_box(b, b"stsc", 0, 0);
    u32be(b, stsc.len() as u32);
    for (first, samples) in stsc {
        u32be(b, first);
        u32be(b, samples);
        u32be(b, 1);
    }
    end(b, at);

    let at = full_box(b, b"stsz", 0, 0);
    u32be(b, 0);
    u32be(b, t.samples.len() as u32);
    t.samples.iter().for_each(|s| u32be(b, s.size));
    end(b, at);

    let at = full_box(b, if wide { b"co64" } else { b"stco" }, 0, 0);
    u32be(b, chunk_offsets.len() as u32);
    for &(offset, _) in chunk_offsets {
        if wide {
            u64be(b, offset);
        } else {
            u32be(b, offset as u32);
        }
    }
    end(b, at);
    end(b, stbl);
}
