//! Frames of a clip for the detector: ffmpeg samples one frame every `every_secs` (its `fps`
//! filter over the decoded stream, so the times are exact, not "the nearest keyframe"), scales
//! frames larger than [`KEYFRAME_MAX_SIDE`] down, and writes them as binary PPM to a pipe,
//! whose self-describing headers carry each frame's size (rotation and mid-stream size changes
//! included). The call goes through `sightline_media`'s subprocess wrapper: timeout,
//! kill-on-drop, stderr tail.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use sightline_media::run_tool_streaming;

use crate::VisionError;
use crate::image::RgbImage;

/// Frames are scaled down so that their longer side is at most this (never up): the detector
/// sees 416–640 pixels, and a 30-frame batch of 4K frames would be 750 MB.
pub const KEYFRAME_MAX_SIDE: u32 = 1280;
/// How long decoding one clip may take by default.
pub const KEYFRAME_TIMEOUT: Duration = Duration::from_secs(120);
/// Largest frame side accepted from the pipe (a sanity bound, scaling keeps frames far below).
const MAX_PIPE_SIDE: usize = 16_384;

/// Up to `max_frames` frames of `clip`, one every `every_secs` from its start, each with its
/// time in seconds from the first frame; ffmpeg from `PATH`, [`KEYFRAME_TIMEOUT`].
///
/// Blocking: it runs ffmpeg on a thread of its own, so it may be called from anywhere (inside
/// an async runtime, prefer [`decode_keyframes_with`]).
pub fn decode_keyframes(
    clip: &Path,
    every_secs: f32,
    max_frames: usize,
) -> Result<Vec<(f32, RgbImage)>, VisionError> {
    block_on(decode_keyframes_with(
        Path::new("ffmpeg"),
        clip,
        every_secs,
        max_frames,
        KEYFRAME_TIMEOUT,
    ))
}

/// The first frame of a still image (JPEG, PNG, …) or video, through the same pipe.
pub fn decode_image(path: &Path) -> Result<RgbImage, VisionError> {
    decode_keyframes(path, 1.0, 1)?
        .into_iter()
        .next()
        .map(|(_, frame)| frame)
        .ok_or_else(|| VisionError::FrameStream(format!("{} has no frame", path.display())))
}

/// [`decode_keyframes`] with the ffmpeg binary and timeout given (the server's `Tools`).
pub async fn decode_keyframes_with(
    ffmpeg: &Path,
    clip: &Path,
    every_secs: f32,
    max_frames: usize,
    timeout: Duration,
) -> Result<Vec<(f32, RgbImage)>, VisionError> {
    if !(every_secs.is_finite() && every_secs > 0.0) {
        return Err(VisionError::InvalidArgument(format!(
            "every_secs must be a positive number of seconds, got {every_secs}"
        )));
    }
    if max_frames == 0 {
        return Ok(Vec::new());
    }
    let args = ffmpeg_args(clip, every_secs, max_frames);
    let mut stream = PpmStream::new(max_frames);
    run_tool_streaming(ffmpeg, &args, timeout, |chunk| stream.push(chunk)).await?;
    let frames = stream.finish()?;
    Ok(frames
        .into_iter()
        .enumerate()
        .map(|(i, frame)| (i as f32 * every_secs, frame))
        .collect())
}

fn ffmpeg_args(clip: &Path, every_secs: f32, max_frames: usize) -> Vec<std::ffi::OsString> {
    let m = KEYFRAME_MAX_SIDE;
    let filter = format!(
        "fps=fps=1/{every_secs}:eof_action=pass,scale=w='if(gte(iw,ih),min({m},iw),-1)':h='if(gte(iw,ih),-1,min({m},ih))':flags=area"
    );
    let mut args: Vec<std::ffi::OsString> =
        ["-nostdin", "-hide_banner", "-loglevel", "error", "-i"]
            .into_iter()
            .map(Into::into)
            .collect();
    args.push(clip.as_os_str().to_owned());
    for a in [
        "-map".to_owned(),
        "0:v:0".to_owned(),
        "-an".to_owned(),
        "-sn".to_owned(),
        "-dn".to_owned(),
        "-vf".to_owned(),
        filter,
        "-frames:v".to_owned(),
        max_frames.to_string(),
        "-f".to_owned(),
        "image2pipe".to_owned(),
        "-c:v".to_owned(),
        "ppm".to_owned(),
        "-pix_fmt".to_owned(),
        "rgb24".to_owned(),
        "-".to_owned(),
    ] {
        args.push(a.into());
    }
    args
}

/// Runs `future` to completion on a fresh current-thread runtime on its own thread, so a
/// blocking caller inside or outside a runtime gets the same behaviour.
fn block_on<T: Send>(
    future: impl Future<Output = Result<T, VisionError>> + Send,
) -> Result<T, VisionError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| VisionError::FrameStream(format!("no runtime for ffmpeg: {e}")))?;
                runtime.block_on(future)
            })
            .join()
            .unwrap_or_else(|_| Err(VisionError::FrameStream("frame decoder panicked".into())))
    })
}

/// Splits a stream of binary PPM (`P6`) images into frames as the bytes arrive.
#[derive(Debug)]
struct PpmStream {
    buf: Vec<u8>,
    frames: Vec<RgbImage>,
    max_frames: usize,
    error: Option<String>,
}

impl PpmStream {
    fn new(max_frames: usize) -> Self {
        Self {
            buf: Vec::new(),
            frames: Vec::new(),
            max_frames,
            error: None,
        }
    }

    fn push(&mut self, chunk: &[u8]) {
        if self.error.is_some() || self.frames.len() >= self.max_frames {
            return;
        }
        self.buf.extend_from_slice(chunk);
        while self.frames.len() < self.max_frames {
            match parse_header(&self.buf) {
                Ok(None) => return,
                Ok(Some((header_len, w, h))) => {
                    let need = header_len + w * h * 3;
                    if self.buf.len() < need {
                        return;
                    }
                    let pixels = self.buf[header_len..need].to_vec();
                    self.buf.drain(..need);
                    match RgbImage::new(w as u32, h as u32, pixels) {
                        Ok(frame) => self.frames.push(frame),
                        Err(e) => {
                            self.error = Some(e.to_string());
                            return;
                        }
                    }
                }
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
        }
    }

    fn finish(self) -> Result<Vec<RgbImage>, VisionError> {
        if let Some(e) = self.error {
            return Err(VisionError::FrameStream(e));
        }
        if self.frames.len() < self.max_frames && !self.buf.is_empty() {
            return Err(VisionError::FrameStream(format!(
                "the stream ends inside a frame ({} bytes left over)",
                self.buf.len()
            )));
        }
        Ok(self.frames)
    }
}

/// The next header token from `pos` (skipping whitespace and `#` comments), `None` when the
/// buffer ends first.
fn token<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    loop {
        match buf.get(*pos)? {
            b if b.is_ascii_whitespace() => *pos += 1,
            b'#' => {
                while *buf.get(*pos)? != b'\n' {
                    *pos += 1;
                }
            }
            _ => break,
        }
    }
    let start = *pos;
    while !buf.get(*pos)?.is_ascii_whitespace() {
        *pos += 1;
    }
    Some(&buf[start..*pos])
}

/// `Ok(Some((header length, width, height)))` once a whole `P6` header is in `buf`,
/// `Ok(None)` while it may still be arriving.
fn parse_header(buf: &[u8]) -> Result<Option<(usize, usize, usize)>, String> {
    let mut pos = 0;
    let mut fields = [0usize; 3];
    let Some(magic) = token(buf, &mut pos) else {
        return if buf.len() > 64 {
            Err("not a PPM stream".into())
        } else {
            Ok(None)
        };
    };
    if magic != b"P6" {
        return Err(format!(
            "expected a P6 frame, got {:?}",
            String::from_utf8_lossy(magic)
        ));
    }
    for field in &mut fields {
        let Some(t) = token(buf, &mut pos) else {
            return if buf.len() > 64 {
                Err("PPM header too long".into())
            } else {
                Ok(None)
            };
        };
        *field = std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad PPM header field {:?}", String::from_utf8_lossy(t)))?;
    }
    let [w, h, maxval] = fields;
    if maxval != 255 {
        return Err(format!("expected 8-bit frames, got maxval {maxval}"));
    }
    if w == 0 || h == 0 || w > MAX_PIPE_SIDE || h > MAX_PIPE_SIDE {
        return Err(format!("implausible frame size {w}×{h}"));
    }
    // Exactly one whitespace byte separates the header from the pixels.
    Ok(Some((pos + 1, w, h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ppm(w: usize, h: usize, value: u8) -> Vec<u8> {
        let mut out = format!("P6\n{w} {h}\n255\n").into_bytes();
        out.extend(std::iter::repeat_n(value, w * h * 3));
        out
    }

    #[test]
    fn frames_split_across_any_chunking() {
        let mut bytes = ppm(3, 2, 7);
        bytes.extend(ppm(1, 1, 9));
        for chunk in [1, 2, 5, 17, bytes.len()] {
            let mut stream = PpmStream::new(10);
            for piece in bytes.chunks(chunk) {
                stream.push(piece);
            }
            let frames = stream.finish().expect("two frames");
            assert_eq!(frames.len(), 2, "chunk {chunk}");
            assert_eq!((frames[0].width(), frames[0].height()), (3, 2));
            assert_eq!(frames[1].pixel(0, 0), Some([9, 9, 9]));
        }
    }

    #[test]
    fn bad_streams_are_errors() {
        let mut stream = PpmStream::new(5);
        stream.push(&ppm(2, 2, 1)[..10]);
        assert!(matches!(stream.finish(), Err(VisionError::FrameStream(_))));

        let mut stream = PpmStream::new(5);
        stream.push(b"P5\n2 2\n255\n\0\0\0\0");
        assert!(stream.finish().is_err());

        let mut stream = PpmStream::new(5);
        stream.push(b"P6\n99999 2\n255\n");
        assert!(stream.finish().is_err());

        let mut stream = PpmStream::new(5);
        stream.push(b"P6 # a comment\n1 1\n65535\n\0\0\0\0\0\0");
        assert!(stream.finish().is_err());
    }

    #[test]
    fn frames_beyond_the_limit_are_ignored() {
        let mut stream = PpmStream::new(1);
        stream.push(&ppm(1, 1, 1));
        stream.push(&ppm(1, 1, 2));
        assert_eq!(stream.finish().expect("one frame").len(), 1);
    }
}
