//! The background: per pixel a running average of its grey level and of its squared difference
//! from that average, so a pixel that always flickers (leaves, water, a flag) needs a larger
//! difference to count as moving than one that is still.

/// How one frame teaches the model.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rates {
    /// Mean rate of pixels classified as background.
    pub still: f32,
    /// Mean rate of pixels classified as moving.
    pub moving: f32,
    /// Variance rate of background pixels; moving pixels learn a tenth of it.
    pub variance: f32,
}

/// When a pixel counts as moving.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thresholds {
    /// Squared number of standard deviations.
    pub sigmas_sq: f32,
    pub min_difference: f32,
    pub min_variance: f32,
}

#[derive(Debug, Clone)]
pub(crate) struct BackgroundModel {
    mean: Vec<f32>,
    variance: Vec<f32>,
}

impl BackgroundModel {
    pub(crate) fn new(frame: &[u8], min_variance: f32) -> Self {
        Self {
            mean: frame.iter().map(|&v| v as f32).collect(),
            variance: vec![min_variance; frame.len()],
        }
    }

    pub(crate) fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// Takes `frame` as the background (a light change no tone curve explains); variability
    /// is kept.
    pub(crate) fn adopt(&mut self, frame: &[u8]) {
        for (m, &v) in self.mean.iter_mut().zip(frame) {
            *m = v as f32;
        }
    }

    /// Moves the whole model to a new light: `mean += shift(mean)`.
    pub(crate) fn remap(&mut self, lut: &[f32; 256]) {
        for m in &mut self.mean {
            let v = m.clamp(0.0, 255.0);
            *m = (v + lut[v as usize]).clamp(0.0, 255.0);
        }
    }

    /// Classifies each pixel of `frame` against the model seen through the tone curve `lut`
    /// and learns from it. `strength[i]` becomes 0 for background, else 32 × (difference ÷
    /// threshold), at least 32 and saturating at 255. Returns the number of moving pixels.
    pub(crate) fn classify_and_learn(
        &mut self,
        frame: &[u8],
        lut: &[f32; 256],
        thresholds: Thresholds,
        rates: Rates,
        strength: &mut [u8],
    ) -> usize {
        // Without a tone shift (most frames) the loop has no table look-up and vectorises.
        let tone = lut.iter().any(|&s| s != 0.0);
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU was just found to have AVX2, all the function asks for.
            return unsafe { self.classify_avx2(tone, frame, lut, thresholds, rates, strength) };
        }
        if tone {
            self.classify::<true>(frame, lut, thresholds, rates, strength)
        } else {
            self.classify::<false>(frame, lut, thresholds, rates, strength)
        }
    }

    /// The same loop compiled for AVX2: eight pixels a step instead of four, and the float to
    /// byte packing of `strength` in a few instructions instead of lane by lane.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn classify_avx2(
        &mut self,
        tone: bool,
        frame: &[u8],
        lut: &[f32; 256],
        thresholds: Thresholds,
        rates: Rates,
        strength: &mut [u8],
    ) -> usize {
        if tone {
            self.classify::<true>(frame, lut, thresholds, rates, strength)
        } else {
            self.classify::<false>(frame, lut, thresholds, rates, strength)
        }
    }

    #[inline(always)]
    fn classify<const TONE: bool>(
        &mut self,
        frame: &[u8],
        lut: &[f32; 256],
        thresholds: Thresholds,
        rates: Rates,
        strength: &mut [u8],
    ) -> usize {
        let mut moving = 0;
        let fg_variance_rate = rates.variance * 0.1;
        let min_sq = thresholds.min_difference * thresholds.min_difference;
        let pixels = self
            .mean
            .iter_mut()
            .zip(self.variance.iter_mut())
            .zip(frame)
            .zip(strength.iter_mut());
        // Branch-free: both outcomes are computed and one is selected.
        for (((mean, variance), &value), out) in pixels {
            let x = value as f32;
            let m = *mean;
            let expected = if TONE {
                (m + lut[(m as usize).min(255)]).clamp(0.0, 255.0)
            } else {
                m
            };
            let d = x - expected;
            let d2 = d * d;
            let threshold_sq =
                (thresholds.sigmas_sq * variance.max(thresholds.min_variance)).max(min_sq);
            let is_moving = d2 > threshold_sq;
            let ratio = (d2 / threshold_sq).sqrt();
            *out = if is_moving {
                (ratio * 32.0).min(255.0) as u8
            } else {
                0
            };
            let (rate, variance_rate) = if is_moving {
                (rates.moving, fg_variance_rate)
            } else {
                (rates.still, rates.variance)
            };
            *mean = m + rate * (x - m);
            *variance += variance_rate * (d2 - *variance);
            moving += usize::from(is_moving);
        }
        moving
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Thresholds = Thresholds {
        sigmas_sq: 16.0,
        min_difference: 16.0,
        min_variance: 9.0,
    };
    const R: Rates = Rates {
        still: 0.05,
        moving: 0.005,
        variance: 0.05,
    };

    #[test]
    fn a_flickering_pixel_needs_a_larger_difference() {
        // Pixel 0 is still, pixel 1 flickers by ±25 every frame.
        let mut model = BackgroundModel::new(&[100, 100], 9.0);
        let lut = [0.0; 256];
        let mut strength = [0u8; 2];
        for i in 0..400 {
            let flicker = if i % 2 == 0 { 125 } else { 75 };
            model.classify_and_learn(&[100, flicker], &lut, T, R, &mut strength);
        }
        // A step of 40 moves the still pixel but not the flickering one.
        let n = model.classify_and_learn(&[140, 140], &lut, T, R, &mut strength);
        assert_eq!(n, 1);
        assert!(strength[0] >= 32);
        assert_eq!(strength[1], 0);
    }

    /// The AVX2 build must say exactly what the portable one says, or a detector's result
    /// would depend on the CPU it runs on.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_build_matches_the_portable_one() {
        if !std::is_x86_feature_detected!("avx2") {
            return;
        }
        let n = 4099;
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) as u8
        };
        let start: Vec<u8> = (0..n).map(|_| next()).collect();
        let mut lut = [0.0f32; 256];
        for (i, v) in lut.iter_mut().enumerate() {
            *v = (i as f32 * 0.37).sin() * 20.0;
        }
        for tone in [false, true] {
            let (mut plain, mut wide) = (
                BackgroundModel::new(&start, 9.0),
                BackgroundModel::new(&start, 9.0),
            );
            let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
            for _ in 0..20 {
                let frame: Vec<u8> = (0..n).map(|_| next()).collect();
                let table = if tone { lut } else { [0.0; 256] };
                let moving = if tone {
                    plain.classify::<true>(&frame, &table, T, R, &mut a)
                } else {
                    plain.classify::<false>(&frame, &table, T, R, &mut a)
                };
                // SAFETY: AVX2 was detected above.
                let wide_moving = unsafe { wide.classify_avx2(tone, &frame, &table, T, R, &mut b) };
                assert_eq!(moving, wide_moving);
                assert_eq!(a, b);
                assert_eq!(plain.mean, wide.mean);
                assert_eq!(plain.variance, wide.variance);
            }
        }
    }

    #[test]
    fn the_tone_curve_is_applied() {
        let mut model = BackgroundModel::new(&[100, 100], 9.0);
        let mut strength = [0u8; 2];
        let n = model.classify_and_learn(&[200, 200], &[0.0; 256], T, R, &mut strength);
        assert_eq!(n, 2);
        let mut model = BackgroundModel::new(&[100, 100], 9.0);
        let n = model.classify_and_learn(&[200, 200], &[100.0; 256], T, R, &mut strength);
        assert_eq!(n, 0);
    }
}
