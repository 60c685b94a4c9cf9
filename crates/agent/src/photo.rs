//! A photo from a camera frame: JPEG-encoded in process (no ffmpeg start-up on the way from
//! command to stored photo) with the capture time, GPS and orientation in its EXIF.

use crate::camera::Frame;
use chrono::{DateTime, Utc};
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    #[error("frame of {width}x{height} is too large for JPEG")]
    TooLarge { width: u32, height: u32 },
    #[error("frame holds {got} bytes, a {width}x{height} yuv420p frame needs {need}")]
    ShortFrame {
        width: u32,
        height: u32,
        got: usize,
        need: usize,
    },
    #[error("JPEG encoding failed: {0}")]
    Encode(#[from] jpeg_encoder::EncodingError),
    #[error("writing the EXIF block failed")]
    Exif,
}

pub const JPEG_QUALITY: u8 = 90;

/// Encodes `frame` (planar yuv420p) as a JPEG with 4:2:0 chroma, the camera's own sampling.
pub fn encode_jpeg(
    frame: &Frame,
    taken: DateTime<Utc>,
    place: Option<(f64, f64)>,
    orientation: Option<u16>,
) -> Result<Vec<u8>, PhotoError> {
    let (w, h) = (frame.format.width, frame.format.height);
    let too_large = || PhotoError::TooLarge {
        width: w,
        height: h,
    };
    let (w16, h16) = (
        u16::try_from(w).map_err(|_| too_large())?,
        u16::try_from(h).map_err(|_| too_large())?,
    );
    let need = frame.format.frame_bytes();
    if frame.data.len() < need {
        return Err(PhotoError::ShortFrame {
            width: w,
            height: h,
            got: frame.data.len(),
            need,
        });
    }
    let interleaved = interleave_yuv420(&frame.data, w as usize, h as usize);
    let mut jpeg = Vec::with_capacity(need / 4);
    let mut encoder = Encoder::new(&mut jpeg, JPEG_QUALITY);
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    encoder.encode(&interleaved, w16, h16, ColorType::Ycbcr)?;
    sightline_media::exif_write::with_camera_exif(&jpeg, taken, place, orientation)
        .ok_or(PhotoError::Exif)
}

/// Planar yuv420p → interleaved YCbCr at full resolution, each chroma sample repeated over its
/// 2×2 block; the encoder subsamples it back, so no colour is invented or lost.
fn interleave_yuv420(data: &[u8], w: usize, h: usize) -> Vec<u8> {
    let cw = w.div_ceil(2);
    let ch = h.div_ceil(2);
    let (luma, chroma) = data.split_at(w * h);
    let (cb, cr) = chroma.split_at(cw * ch);
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        let row = &luma[y * w..(y + 1) * w];
        let crow = (y / 2) * cw;
        for (x, &l) in row.iter().enumerate() {
            let c = crow + x / 2;
            out.extend_from_slice(&[l, cb[c], cr[c]]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::FrameFormat;
    use bytes::Bytes;
    use std::time::Instant;

    fn grey_frame(width: u32, height: u32) -> Frame {
        let format = FrameFormat {
            width,
            height,
            fps: 30,
        };
        Frame {
            format,
            data: Bytes::from(vec![128u8; format.frame_bytes()]),
            captured_at: Utc::now(),
            arrived: Instant::now(),
        }
    }

    #[test]
    fn encodes_a_jpeg_that_carries_its_exif() {
        let taken: DateTime<Utc> = "2026-07-14T10:00:00Z".parse().unwrap();
        let jpeg = encode_jpeg(&grey_frame(64, 48), taken, Some((48.85, 2.35)), Some(6)).unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let exif = exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(&jpeg))
            .unwrap();
        let orientation = exif
            .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
            .and_then(|f| f.value.get_uint(0));
        assert_eq!(orientation, Some(6));
        assert!(
            exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
                .is_some()
        );
    }

    #[test]
    fn refuses_a_short_frame() {
        let mut frame = grey_frame(64, 48);
        frame.data = frame.data.slice(..100);
        assert!(matches!(
            encode_jpeg(&frame, Utc::now(), None, None),
            Err(PhotoError::ShortFrame { .. })
        ));
    }
}
