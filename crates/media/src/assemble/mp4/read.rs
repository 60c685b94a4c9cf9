//! Reads the sample tables of an MP4 (ISO BMFF) file: per track, where each sample's bytes are,
//! how long it lasts and whether it is a sync sample. Only `moov` is read; the media data stay on
//! disk until the muxer copies them.
//!
//! Every count and offset comes from an untrusted file: tables are bounded by the bytes that hold
//! them, totals are checked against each other, and sample data must lie inside the file.

use super::{Mp4Error, malformed};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// `moov` boxes larger than this are refused (a one-hour rendition's is a few MB).
const MAX_MOOV_BYTES: u64 = 256 << 20;
/// Samples per track refused beyond this (ten hours at 30 fps is ~1 M).
const MAX_SAMPLES: u64 = 20_000_000;

#[derive(Debug, Clone)]
pub(crate) struct Movie {
    pub tracks: Vec<Track>,
}

#[derive(Debug, Clone)]
pub(crate) struct Track {
    pub handler: [u8; 4],
    pub timescale: u32,
    /// The whole first `stsd` entry (`avc1`, `mp4a`, …) including its header.
    pub sample_entry: Vec<u8>,
    pub samples: Vec<Sample>,
    /// `media_time` of the first edit that is not an empty one (AAC priming, B-frame delay).
    pub edit_media_time: Option<i64>,
    /// True when some sample is presented at a different time than it is decoded.
    pub has_composition_offsets: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    pub offset: u64,
    pub size: u32,
    pub duration: u32,
    pub sync: bool,
}

impl Movie {
    pub(crate) fn track(&self, handler: &[u8; 4]) -> Option<&Track> {
        self.tracks.iter().find(|t| &t.handler == handler)
    }
}

impl Track {
    /// Four-character code of the sample entry (`avc1`, `mp4a`, …).
    pub(crate) fn codec(&self) -> [u8; 4] {
        let mut code = [0u8; 4];
        if let Some(bytes) = self.sample_entry.get(4..8) {
            code.copy_from_slice(bytes);
        }
        code
    }

    /// Body of a box nested in the sample entry after its fixed fields (`avcC` in `avc1`).
    pub(crate) fn sample_entry_child(&self, kind: &[u8; 4]) -> Option<&[u8]> {
        let fixed = visual_or_audio_fields(&self.codec())?;
        let children = self.sample_entry.get(8 + fixed..)?;
        boxes(children)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == kind)
            .map(|(_, body)| body)
    }

    /// The AAC decoder configuration of an `mp4a` entry: object type and the
    /// AudioSpecificConfig from its `esds` (bit rates and buffer sizes left out, since they
    /// describe one file). Packets with equal configurations can be spliced.
    pub(crate) fn aac_config(&self) -> Option<Vec<u8>> {
        if self.codec() != *b"mp4a" {
            return None;
        }
        let esds = self.sample_entry_child(b"esds")?;
        // Full box: version and flags, then the ES descriptor.
        let (tag, es) = descriptor(esds.get(4..)?)?;
        if tag != 0x03 {
            return None;
        }
        let flags = *es.get(2)?;
        let mut at = 3;
        if flags & 0x80 != 0 {
            at += 2;
        }
        if flags & 0x40 != 0 {
            at += 1 + usize::from(*es.get(at)?);
        }
        if flags & 0x20 != 0 {
            at += 2;
        }
        let (tag, config) = descriptor(es.get(at..)?)?;
        if tag != 0x04 {
            return None;
        }
        // Object type, stream type, buffer size (3), max and average bit rate (4 + 4).
        let (tag, specific) = descriptor(config.get(13..)?)?;
        if tag != 0x05 {
            return None;
        }
        let mut out = vec![*config.first()?];
        out.extend_from_slice(specific);
        Some(out)
    }

    /// Width and height from a visual sample entry.
    pub(crate) fn picture_size(&self) -> Option<(u32, u32)> {
        let e = &self.sample_entry;
        let w = u16::from_be_bytes([*e.get(32)?, *e.get(33)?]);
        let h = u16::from_be_bytes([*e.get(34)?, *e.get(35)?]);
        Some((u32::from(w), u32::from(h)))
    }
}

/// An MPEG-4 descriptor at the start of `data`: its tag and body (lengths of up to four
/// 7-bit bytes).
fn descriptor(data: &[u8]) -> Option<(u8, &[u8])> {
    let tag = *data.first()?;
    let mut len = 0usize;
    let mut at = 1;
    loop {
        let byte = *data.get(at)?;
        at += 1;
        len = (len << 7) | usize::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            break;
        }
        if at > 4 {
            return None;
        }
    }
    Some((tag, data.get(at..at.checked_add(len)?)?))
}

/// Size of the fixed fields of a sample entry before its child boxes, for the codecs we read.
pub(crate) fn visual_or_audio_fields(codec: &[u8; 4]) -> Option<usize> {
    match codec {
        b"avc1" | b"avc3" => Some(78),
        b"mp4a" => Some(28),
        _ => None,
    }
}

/// Reads the `moov` box of `path` and every track's sample table.
pub(crate) fn read_movie(path: &Path) -> Result<Movie, Mp4Error> {
    let mut file = std::fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    let moov = read_moov(&mut file, file_len)?;
    let mut tracks = Vec::new();
    for (kind, body) in boxes(&moov)? {
        if &kind == b"trak" {
            tracks.push(parse_trak(body, file_len)?);
        }
    }
    if tracks.is_empty() {
        return Err(malformed("the file has no tracks"));
    }
    Ok(Movie { tracks })
}

/// Types of the top-level boxes of `path`, in file order (bodies are not read).
pub(crate) fn top_level_boxes(path: &Path) -> Result<Vec<[u8; 4]>, Mp4Error> {
    let mut file = std::fs::File::open(path)?;
    let file_len = file.metadata()?.len();
    let mut kinds = Vec::new();
    walk_top_level(&mut file, file_len, |kind, _, _| {
        kinds.push(kind);
        Ok(false)
    })?;
    Ok(kinds)
}

/// Walks the top-level boxes by their headers and returns the body of `moov`.
fn read_moov(file: &mut std::fs::File, file_len: u64) -> Result<Vec<u8>, Mp4Error> {
    let mut moov = None;
    walk_top_level(file, file_len, |kind, body_len, file| {
        if &kind != b"moov" {
            return Ok(false);
        }
        if body_len > MAX_MOOV_BYTES {
            return Err(malformed("moov box is implausibly large"));
        }
        let mut body = vec![0u8; usize::try_from(body_len).map_err(|_| malformed("moov"))?];
        file.read_exact(&mut body)?;
        moov = Some(body);
        Ok(true)
    })?;
    moov.ok_or_else(|| malformed("no moov box (not an MP4 file, or truncated)"))
}

/// Calls `visit(type, body length, file positioned at the body)` for each top-level box until
/// it returns true.
fn walk_top_level(
    file: &mut std::fs::File,
    file_len: u64,
    mut visit: impl FnMut([u8; 4], u64, &mut std::fs::File) -> Result<bool, Mp4Error>,
) -> Result<(), Mp4Error> {
    let mut pos = 0u64;
    let mut first = true;
    while pos + 8 <= file_len {
        file.seek(SeekFrom::Start(pos))?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8])?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        if first
            && !matches!(
                &kind,
                b"ftyp" | b"moov" | b"mdat" | b"free" | b"skip" | b"wide"
            )
        {
            return Err(malformed("not an MP4 file (no ftyp box at the start)"));
        }
        first = false;
        let (size, header_len) = match size32 {
            0 => (file_len - pos, 8),
            1 => {
                file.read_exact(&mut header[8..16])?;
                let mut large = [0u8; 8];
                large.copy_from_slice(&header[8..16]);
                (u64::from_be_bytes(large), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header_len || pos + size > file_len {
            return Err(malformed(format!(
                "box {} at byte {pos} runs past the end of the file (truncated?)",
                fourcc(&kind)
            )));
        }
        if visit(kind, size - header_len, file)? {
            return Ok(());
        }
        pos += size;
    }
    Ok(())
}

/// A box's type and body.
pub(crate) type BoxRef<'a> = ([u8; 4], &'a [u8]);

/// The child boxes of `data`, as (type, body) pairs.
pub(crate) fn boxes(data: &[u8]) -> Result<Vec<BoxRef<'_>>, Mp4Error> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let mut r = Cursor::new(rest);
        let size32 = r.u32()?;
        let kind = r.fourcc()?;
        let (size, header_len) = match size32 {
            0 => (rest.len() as u64, 8u64),
            1 => (r.u64()?, 16),
            n => (u64::from(n), 8),
        };
        if size < header_len || size > rest.len() as u64 {
            return Err(malformed(format!("box {} has a bad size", fourcc(&kind))));
        }
        // Both fit in usize: they are at most rest.len().
        let (size, header_len) = (size as usize, header_len as usize);
        out.push((kind, &rest[header_len..size]));
        rest = &rest[size..];
    }
    Ok(out)
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<&'a [u8], Mp4Error> {
    boxes(data)?
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, body)| body)
        .ok_or_else(|| malformed(format!("missing {} box", fourcc(kind))))
}

fn optional_child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>, Mp4Error> {
    Ok(boxes(data)?
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, body)| body))
}

fn parse_trak(trak: &[u8], file_len: u64) -> Result<Track, Mp4Error> {
    let mdia = child(trak, b"mdia")?;
    let timescale = parse_mdhd(child(mdia, b"mdhd")?)?;
    let handler = {
        let mut r = Cursor::new(child(mdia, b"hdlr")?);
        r.skip(8)?; // version, flags, pre_defined
        r.fourcc()?
    };
    let stbl = child(child(mdia, b"minf")?, b"stbl")?;
    let edit_media_time = match optional_child(trak, b"edts")? {
        Some(edts) => match optional_child(edts, b"elst")? {
            Some(elst) => parse_elst(elst)?,
            None => None,
        },
        None => None,
    };
    let sample_entry = parse_stsd(child(stbl, b"stsd")?)?;
    let sizes = parse_stsz(child(stbl, b"stsz")?)?;
    let durations = parse_stts(child(stbl, b"stts")?, sizes.len())?;
    let sync = match optional_child(stbl, b"stss")? {
        Some(stss) => Some(parse_stss(stss, sizes.len())?),
        None => None,
    };
    let has_composition_offsets = match optional_child(stbl, b"ctts")? {
        Some(ctts) => parse_ctts_nonzero(ctts)?,
        None => false,
    };
    let chunk_offsets = match optional_child(stbl, b"stco")? {
        Some(stco) => parse_offsets(stco, false)?,
        None => parse_offsets(child(stbl, b"co64")?, true)?,
    };
    let per_chunk = parse_stsc(child(stbl, b"stsc")?, chunk_offsets.len())?;

    let mut samples = Vec::with_capacity(sizes.len());
    for (chunk, &chunk_offset) in chunk_offsets.iter().enumerate() {
        let mut offset = chunk_offset;
        for _ in 0..per_chunk[chunk] {
            let index = samples.len();
            let Some(&size) = sizes.get(index) else {
                return Err(malformed("chunks hold more samples than stsz lists"));
            };
            let end = offset
                .checked_add(u64::from(size))
                .filter(|&end| end <= file_len)
                .ok_or_else(|| {
                    malformed("sample data lie beyond the end of the file (truncated?)")
                })?;
            samples.push(Sample {
                offset,
                size,
                duration: durations[index],
                sync: sync.as_ref().is_none_or(|s| s[index]),
            });
            offset = end;
        }
    }
    if samples.len() != sizes.len() {
        return Err(malformed("chunks hold fewer samples than stsz lists"));
    }
    Ok(Track {
        handler,
        timescale,
        sample_entry,
        samples,
        edit_media_time,
        has_composition_offsets,
    })
}

fn parse_mdhd(body: &[u8]) -> Result<u32, Mp4Error> {
    let mut r = Cursor::new(body);
    let version = r.u8()?;
    r.skip(3)?;
    r.skip(if version == 1 { 16 } else { 8 })?; // creation and modification times
    let timescale = r.u32()?;
    if timescale == 0 {
        return Err(malformed("track timescale is 0"));
    }
    Ok(timescale)
}

fn parse_elst(body: &[u8]) -> Result<Option<i64>, Mp4Error> {
    let mut r = Cursor::new(body);
    let version = r.u8()?;
    r.skip(3)?;
    let count = r.u32()?;
    for _ in 0..count {
        let media_time = if version == 1 {
            r.skip(8)?;
            r.u64()? as i64
        } else {
            r.skip(4)?;
            i64::from(r.u32()? as i32)
        };
        r.skip(4)?; // rate
        if media_time != -1 {
            return Ok(Some(media_time));
        }
    }
    Ok(None)
}

fn parse_stsd(body: &[u8]) -> Result<Vec<u8>, Mp4Error> {
    let mut r = Cursor::new(body);
    r.skip(4)?;
    if r.u32()? == 0 {
        return Err(malformed("stsd has no sample entry"));
    }
    let entries = boxes(r.rest())?;
    let rest = r.rest();
    let (_, first) = entries
        .first()
        .ok_or_else(|| malformed("stsd has no sample entry"))?;
    // The entry with its 8-byte header: its body starts 8 bytes into `rest`.
    Ok(rest[..8 + first.len()].to_vec())
}

fn parse_stsz(body: &[u8]) -> Result<Vec<u32>, Mp4Error> {
    let mut r = Cursor::new(body);
    r.skip(4)?;
    let constant = r.u32()?;
    let count = u64::from(r.u32()?);
    if count > MAX_SAMPLES {
        return Err(malformed("too many samples"));
    }
    if constant != 0 {
        return Ok(vec![constant; count as usize]);
    }
    r.table(count, 4)?;
    (0..count).map(|_| r.u32()).collect()
}

fn parse_stts(body: &[u8], samples: usize) -> Result<Vec<u32>, Mp4Error> {
    let mut r = Cursor::new(body);
    r.skip(4)?;
    let entries = u64::from(r.u32()?);
    r.table(entries, 8)?;
    let mut durations = Vec::with_capacity(samples);
    for _ in 0..entries {
        let count = r.u32()? as usize;
        let delta = r.u32()?;
        if durations.len() + count > samples {
            return Err(malformed("stts lists more samples than stsz"));
        }
        durations.extend(std::iter::repeat_n(delta, count));
    }
    if durations.len() != samples {
        return Err(malformed("stts and stsz disagree on the number of samples"));
    }
    Ok(durations)
}

fn parse_stss(body: &[u8], samples: usize) -> Result<Vec<bool>, Mp4Error> {
    let mut r = Cursor::new(body);
    r.skip(4)?;
    let entries = u64::from(r.u32()?);
    r.table(entries, 4)?;
    let mut sync = vec![false; samples];
    for _ in 0..entries {
        let number = r.u32()? as usize;
        match number.checked_sub(1).and_then(|i| sync.get_mut(i)) {
            Some(flag) => *flag = true,
            None => return Err(malformed("stss names a sample that does not exist")),
        }
    }
    Ok(sync)
}

fn parse_ctts_nonzero(body: &[u8]) -> Result<bool, Mp4Error> {
    let mut r = Cursor::new(body);
    r.skip(4)?;
    let entries = u64::from(r.u32()?);
    r.table(entries, 8)?;
    for _ in 0..entries {
        r.skip(4)?;
        if r.u32()? != 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

fn parse_offsets(body: &[u8], wide: bool) -> Result<Vec<u64>, Mp4Error> {
    let mut r = Cursor::new(body);
    r.skip(4)?;
    let entries = u64::from(r.u32()?);
    r.table(entries, if wide { 8 } else { 4 })?;
    (0..entries)
        .map(|_| {
            if wide {
                r.u64()
            } else {
                r.u32().map(u64::from)
            }
        })
        .collect()
}

/// Samples in each chunk, expanded from the stsc runs.
fn parse_stsc(body: &[u8], chunks: usize) -> Result<Vec<u64>, Mp4Error> {
    let mut r = Cursor::new(body);
    r.skip(4)?;
    let entries = u64::from(r.u32()?);
    r.table(entries, 12)?;
    let mut runs = Vec::new();
    for _ in 0..entries {
        let first_chunk = r.u32()? as usize;
        let samples = u64::from(r.u32()?);
        r.skip(4)?;
        runs.push((first_chunk, samples));
    }
    let mut per_chunk = vec![0u64; chunks];
    for (i, &(first, samples)) in runs.iter().enumerate() {
        let next = runs.get(i + 1).map_or(chunks + 1, |&(f, _)| f);
        if first == 0 || next <= first || samples > MAX_SAMPLES {
            return Err(malformed("stsc runs are out of order"));
        }
        for chunk in first..next.min(chunks + 1) {
            per_chunk[chunk - 1] = samples;
        }
    }
    Ok(per_chunk)
}

pub(crate) fn fourcc(kind: &[u8; 4]) -> String {
    kind.iter()
        .map(|&b| if b.is_ascii_graphic() { b as char } else { '?' })
        .collect()
}

/// Big-endian reads that fail instead of panicking at the end of the data.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Mp4Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| malformed("a box ends early"))?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn skip(&mut self, n: usize) -> Result<(), Mp4Error> {
        self.take(n).map(|_| ())
    }

    /// Checks that `entries` records of `width` bytes follow, before anything is allocated.
    fn table(&self, entries: u64, width: u64) -> Result<(), Mp4Error> {
        let remaining = (self.data.len() - self.pos) as u64;
        if entries.saturating_mul(width) > remaining {
            return Err(malformed("a table claims more entries than its box holds"));
        }
        Ok(())
    }

    fn rest(&self) -> &'a [u8] {
        &self.data[self.pos..]
    }

    fn u8(&mut self) -> Result<u8, Mp4Error> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Mp4Error> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, Mp4Error> {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(bytes))
    }

    fn fourcc(&mut self) -> Result<[u8; 4], Mp4Error> {
        let mut code = [0u8; 4];
        code.copy_from_slice(self.take(4)?);
        Ok(code)
    }
}
