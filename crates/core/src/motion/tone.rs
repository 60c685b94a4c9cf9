//! Global light changes. The frame's brightness is compared with the background's in eight
//! brightness bands (by the background's value at each sampled pixel); the median difference of
//! each band gives a tone curve `background value → shift`. Medians, because a person covering
//! less than half of a band does not move them, while headlights, clouds, auto exposure and the
//! IR switch move every band. Clipping at white or black is handled by clamping the expectation.

/// Grey levels per band and number of bands.
const BAND_SHIFT: u32 = 5;
const BANDS: usize = 256 >> BAND_SHIFT;
/// Differences −255..=255.
const BINS: usize = 511;
/// Every `SAMPLE_STEP`-th pixel of every `SAMPLE_STEP`-th row is sampled.
const SAMPLE_STEP: usize = 2;
/// A band with fewer samples than this fraction of all samples takes its neighbours' shift.
const MIN_BAND_FRACTION: f32 = 0.01;
/// The curve speaks for the frame when more than this fraction of its samples were used.
const MIN_USED_FRACTION: f32 = 0.5;
/// Shifts below this (grey levels) are noise and ignored.
const DEADBAND: f32 = 3.0;

#[derive(Debug, Clone)]
pub(crate) struct ToneEstimator {
    histograms: Vec<u32>,
    /// `lut[v]`: the shift expected for a background value `v`.
    lut: [f32; 256],
    /// The largest shift of any populated band, in grey levels (signed by its band).
    max_shift: f32,
    /// Fraction of the sampled pixels that were not excluded.
    used_fraction: f32,
}

impl ToneEstimator {
    pub(crate) fn new() -> Self {
        Self {
            histograms: vec![0; BANDS * BINS],
            lut: [0.0; 256],
            max_shift: 0.0,
            used_fraction: 1.0,
        }
    }

    /// Whether enough of the frame was left after exclusions for the curve to speak for the
    /// whole frame (more than half of it).
    pub(crate) fn reliable(&self) -> bool {
        self.used_fraction > MIN_USED_FRACTION
    }

    pub(crate) fn lut(&self) -> &[f32; 256] {
        &self.lut
    }

    /// The largest band shift, absolute.
    pub(crate) fn max_shift(&self) -> f32 {
        self.max_shift
    }

    /// Estimates the tone curve of `frame` against `mean` (both `width × height`), leaving out
    /// pixels where `exclude` is non-zero (what moved in the last frame, so a large object
    /// does not pass for light).
    pub(crate) fn estimate(
        &mut self,
        frame: &[u8],
        mean: &[f32],
        exclude: &[u8],
        width: usize,
        height: usize,
    ) {
        self.histograms.fill(0);
        let mut counts = [0u32; BANDS];
        let mut sampled = 0u32;
        for row in (0..height).step_by(SAMPLE_STEP) {
            let start = row * width;
            let (f, m) = (&frame[start..start + width], &mean[start..start + width]);
            let e = &exclude[start..start + width];
            for col in (0..width).step_by(SAMPLE_STEP) {
                sampled += 1;
                if e[col] != 0 {
                    continue;
                }
                let bg = m[col].clamp(0.0, 255.0) as i32;
                let band = (bg >> BAND_SHIFT) as usize;
                let bin = (f[col] as i32 - bg + 255) as usize;
                self.histograms[band * BINS + bin] += 1;
                counts[band] += 1;
            }
        }
        let total: u32 = counts.iter().sum();
        self.used_fraction = total as f32 / sampled.max(1) as f32;
        let min_count = ((total as f32 * MIN_BAND_FRACTION) as u32).max(8);
        let mut shifts = [None::<f32>; BANDS];
        for band in 0..BANDS {
            if counts[band] >= min_count {
                let hist = &self.histograms[band * BINS..(band + 1) * BINS];
                shifts[band] = Some(median_bin(hist, counts[band]) as f32 - 255.0);
            }
        }
        self.max_shift = shifts.iter().flatten().fold(0.0f32, |a, s| a.max(s.abs()));
        if self.max_shift < DEADBAND {
            self.max_shift = 0.0;
            self.lut = [0.0; 256];
            return;
        }
        fill_gaps(&mut shifts);
        let centre = |band: usize| (band << BAND_SHIFT) as f32 + (1 << (BAND_SHIFT - 1)) as f32;
        for (v, slot) in self.lut.iter_mut().enumerate() {
            let v = v as f32;
            // Linear between band centres, flat beyond the outer ones.
            let pos = ((v - centre(0)) / (1 << BAND_SHIFT) as f32).clamp(0.0, (BANDS - 1) as f32);
            let lo = pos.floor() as usize;
            let hi = (lo + 1).min(BANDS - 1);
            let t = pos - lo as f32;
            let (a, b) = (shifts[lo].unwrap_or(0.0), shifts[hi].unwrap_or(0.0));
            *slot = a + (b - a) * t;
        }
    }
}

fn median_bin(hist: &[u32], count: u32) -> usize {
    let half = count.div_ceil(2);
    let mut seen = 0;
    for (bin, &n) in hist.iter().enumerate() {
        seen += n;
        if seen >= half {
            return bin;
        }
    }
    BINS / 2
}

/// Empty bands take the nearest populated band's shift (the lower one on ties).
fn fill_gaps(shifts: &mut [Option<f32>; BANDS]) {
    let known = *shifts;
    for (band, slot) in shifts.iter_mut().enumerate() {
        if slot.is_some() {
            continue;
        }
        *slot = (1..BANDS).find_map(|d| {
            let below = band.checked_sub(d).and_then(|b| known[b]);
            let above = known.get(band + d).copied().flatten();
            below.or(above)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: usize, height: usize) -> Vec<u8> {
        (0..width * height)
            .map(|i| ((i % width) * 255 / (width - 1)) as u8)
            .collect()
    }

    #[test]
    fn an_unchanged_frame_has_no_shift() {
        let frame = gradient(64, 16);
        let mean: Vec<f32> = frame.iter().map(|&v| v as f32).collect();
        let mut tone = ToneEstimator::new();
        tone.estimate(&frame, &mean, &[0; 64 * 16], 64, 16);
        assert_eq!(tone.max_shift(), 0.0);
        assert!(tone.lut().iter().all(|&s| s == 0.0));
    }

    #[test]
    fn a_gain_change_gives_a_rising_curve() {
        let before = gradient(64, 16);
        let mean: Vec<f32> = before.iter().map(|&v| v as f32).collect();
        let after: Vec<u8> = before.iter().map(|&v| (v as f32 * 0.5) as u8).collect();
        let mut tone = ToneEstimator::new();
        tone.estimate(&after, &mean, &[0; 64 * 16], 64, 16);
        assert!(tone.max_shift() > 100.0, "{}", tone.max_shift());
        let lut = tone.lut();
        assert!(lut[20].abs() < 15.0, "{}", lut[20]);
        assert!((lut[200] + 100.0).abs() < 15.0, "{}", lut[200]);
    }

    #[test]
    fn a_small_object_does_not_shift_the_curve() {
        let before = vec![100u8; 64 * 16];
        let mean: Vec<f32> = before.iter().map(|&v| v as f32).collect();
        let mut after = before.clone();
        after[..64 * 6].fill(220);
        let mut tone = ToneEstimator::new();
        tone.estimate(&after, &mean, &[0; 64 * 16], 64, 16);
        assert_eq!(tone.max_shift(), 0.0);
        // Even a large one, once it is known to move.
        after[..64 * 12].fill(220);
        let mut exclude = vec![0u8; 64 * 16];
        exclude[..64 * 11].fill(1);
        tone.estimate(&after, &mean, &exclude, 64, 16);
        assert_eq!(tone.max_shift(), 0.0);
    }
}
