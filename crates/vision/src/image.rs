//! A decoded frame: packed 8-bit RGB, row after row, no padding.

use crate::VisionError;

#[derive(Clone, PartialEq, Eq)]
pub struct RgbImage {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl RgbImage {
    /// Wraps `pixels` (`width × height × 3` bytes); any other length is an error.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Result<Self, VisionError> {
        check_rgb(&pixels, width, height)?;
        Ok(Self {
            width,
            height,
            pixels,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The packed RGB bytes.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }

    /// The RGB value at (x, y); `None` outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 3]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        Some([self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]])
    }
}

impl std::fmt::Debug for RgbImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RgbImage")
            .field("width", &self.width)
            .field("height", &self.height)
            .finish_non_exhaustive()
    }
}

/// Checks that `rgb` holds exactly one non-empty `width × height` RGB image.
pub(crate) fn check_rgb(rgb: &[u8], width: u32, height: u32) -> Result<(), VisionError> {
    if width == 0 || height == 0 {
        return Err(VisionError::InvalidImage(format!(
            "empty image ({width}×{height})"
        )));
    }
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(3))
        .ok_or_else(|| VisionError::InvalidImage(format!("{width}×{height} is too large")))?;
    if rgb.len() != expected {
        return Err(VisionError::InvalidImage(format!(
            "a {width}×{height} RGB image has {expected} bytes, got {}",
            rgb.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_must_match_the_size() {
        assert!(RgbImage::new(2, 2, vec![0; 12]).is_ok());
        assert!(matches!(
            RgbImage::new(2, 2, vec![0; 11]),
            Err(VisionError::InvalidImage(_))
        ));
        assert!(RgbImage::new(0, 2, vec![]).is_err());
        assert!(check_rgb(&[], u32::MAX, u32::MAX).is_err());
    }

    #[test]
    fn pixel_reads_rgb_triplets() {
        let img = RgbImage::new(2, 1, vec![1, 2, 3, 4, 5, 6]).expect("valid");
        assert_eq!(img.pixel(1, 0), Some([4, 5, 6]));
        assert_eq!(img.pixel(2, 0), None);
        assert_eq!(format!("{img:?}"), "RgbImage { width: 2, height: 1, .. }");
    }
}
