//! Video encoding settings per power mode, fitted to what the camera delivers.

use super::PowerMode;
use serde::{Deserialize, Serialize};

/// Below this H.264 output turns to mush at any resolution we encode.
const MIN_BITRATE_KBPS: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodingProfile {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate_kbps: u32,
}

impl EncodingProfile {
    /// The doorbell seed's profiles: 1080p30 at 4 Mbit/s, 720p30 at 2 Mbit/s, 480p15 at
    /// 500 kbit/s.
    pub fn for_mode(mode: PowerMode) -> Self {
        let (width, height, fps, bitrate_kbps) = match mode {
            PowerMode::HighPerformance => (1920, 1080, 30, 4000),
            PowerMode::Balanced => (1280, 720, 30, 2000),
            PowerMode::PowerSave => (854, 480, 15, 500),
        };
        Self {
            width,
            height,
            fps,
            bitrate_kbps,
        }
    }

    fn pixel_rate(&self) -> f64 {
        f64::from(self.width) * f64::from(self.height) * f64::from(self.fps)
    }
}

/// The mode's profile fitted to the camera's native format: never larger than native in
/// width, height or frame rate, native aspect ratio kept, even dimensions (4:2:0 chroma).
/// The mode's box turns with the camera, so a portrait 1440×1920 sensor gets 1080×1440 in
/// high performance rather than a 1080-high sliver. Bitrate follows the pixel rate down.
/// Native formats under 2 pixels wide or high give 0 in that dimension.
pub fn encoding_for(
    mode: PowerMode,
    native_width: u32,
    native_height: u32,
    native_fps: u32,
) -> EncodingProfile {
    let target = EncodingProfile::for_mode(mode);
    let (box_w, box_h) = if native_height > native_width {
        (target.height, target.width)
    } else {
        (target.width, target.height)
    };
    // The limiting side's ratio as an exact fraction, so that side lands exactly on the box.
    let (num, den) = if native_width <= box_w && native_height <= box_h {
        (1, 1)
    } else if u64::from(box_w) * u64::from(native_height)
        <= u64::from(box_h) * u64::from(native_width)
    {
        (box_w, native_width)
    } else {
        (box_h, native_height)
    };
    let width = even_at_most(native_width, num, den);
    let height = even_at_most(native_height, num, den);
    let fps = target.fps.min(native_fps);
    let mut fitted = EncodingProfile {
        width,
        height,
        fps,
        bitrate_kbps: 0,
    };
    let share = (fitted.pixel_rate() / target.pixel_rate()).min(1.0);
    let bitrate = (f64::from(target.bitrate_kbps) * share).round() as u32;
    fitted.bitrate_kbps = bitrate.max(MIN_BITRATE_KBPS.min(target.bitrate_kbps));
    fitted
}

/// `native × num / den` rounded down to even, at least 2 when native allows it.
fn even_at_most(native: u32, num: u32, den: u32) -> u32 {
    let scaled = u64::from(native) * u64::from(num) / u64::from(den.max(1));
    let even = (scaled.min(u64::from(native)) as u32) & !1;
    if even == 0 && native >= 2 { 2 } else { even }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fits_common_cameras() {
        let cases = [
            (
                PowerMode::HighPerformance,
                (1920, 1080, 30),
                (1920, 1080, 30, 4000),
            ),
            (PowerMode::Balanced, (1920, 1080, 30), (1280, 720, 30, 2000)),
            // 854×480 is not quite 16:9; a 16:9 camera keeps its shape.
            (PowerMode::PowerSave, (1920, 1080, 30), (852, 480, 15, 499)),
            (PowerMode::PowerSave, (854, 480, 30), (854, 480, 15, 500)),
            // 4:3 sensor keeps 4:3.
            (
                PowerMode::HighPerformance,
                (4032, 3024, 30),
                (1440, 1080, 30, 3000),
            ),
            // Portrait glasses video turns the box.
            (
                PowerMode::HighPerformance,
                (1440, 1920, 30),
                (1080, 1440, 30, 3000),
            ),
            // Small camera: never upscaled, bitrate follows.
            (
                PowerMode::HighPerformance,
                (640, 480, 15),
                (640, 480, 15, 296),
            ),
            // Odd sizes round down to even.
            (PowerMode::Balanced, (1281, 721, 25), (1278, 720, 25, 1664)),
            (PowerMode::PowerSave, (0, 0, 0), (0, 0, 0, 100)),
        ];
        for (mode, (w, h, fps), (ew, eh, efps, kbps)) in cases {
            let got = encoding_for(mode, w, h, fps);
            let expected = EncodingProfile {
                width: ew,
                height: eh,
                fps: efps,
                bitrate_kbps: kbps,
            };
            assert_eq!(got, expected, "{mode} {w}x{h}@{fps}");
        }
    }

    proptest! {
        #[test]
        fn never_exceeds_native_and_keeps_shape(
            mode in prop::sample::select(PowerMode::ALL.to_vec()),
            native_width in 2u32..8000,
            native_height in 2u32..8000,
            native_fps in 1u32..240,
        ) {
            let got = encoding_for(mode, native_width, native_height, native_fps);
            let target = EncodingProfile::for_mode(mode);
            prop_assert!(got.width <= native_width && got.height <= native_height);
            prop_assert!(got.fps <= native_fps && got.fps <= target.fps);
            prop_assert!(got.width.is_multiple_of(2) && got.height.is_multiple_of(2));
            prop_assert!(got.width >= 2 && got.height >= 2);
            prop_assert!(got.width.max(got.height) <= target.width);
            prop_assert!(got.width.min(got.height) <= target.height.max(2));
            prop_assert!(got.bitrate_kbps <= target.bitrate_kbps);
            // Rounding each side down to even moves the aspect ratio by under 2 px per side,
            // unless a side was forced up to the 2 px minimum.
            if got.width > 2 && got.height > 2 {
                let skew = (i64::from(got.width) * i64::from(native_height)
                    - i64::from(got.height) * i64::from(native_width))
                    .abs();
                prop_assert!(skew < 2 * i64::from(native_width.max(native_height)));
            }
        }
    }
}
