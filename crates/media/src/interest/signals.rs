//! The pure measurements behind the interest scores, on 8-bit grey frames and s16 audio.

/// Variance of the 4-neighbour Laplacian (`up + down + left + right − 4·centre`) over the
/// interior pixels: the classic focus measure: edges give large responses, blur flattens them.
/// 0 for frames too small to have an interior or whose length does not match.
pub fn laplacian_variance(frame: &[u8], width: usize, height: usize) -> f64 {
    if width < 3 || height < 3 || frame.len() != width * height {
        return 0.0;
    }
    let (mut sum, mut sum_sq) = (0i64, 0i64);
    for y in 1..height - 1 {
        let row = y * width;
        for x in 1..width - 1 {
            let at = |i: usize| i64::from(frame[i]);
            let i = row + x;
            let response = at(i - width) + at(i + width) + at(i - 1) + at(i + 1) - 4 * at(i);
            sum += response;
            sum_sq += response * response;
        }
    }
    let n = ((width - 2) * (height - 2)) as f64;
    let mean = sum as f64 / n;
    (sum_sq as f64 / n - mean * mean).max(0.0)
}

/// Mean absolute difference of two frames of the same size, in grey levels (0..255).
pub fn mean_abs_difference(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.len() as f64
}

/// Mean and standard deviation of the grey levels of a frame.
pub fn luma_stats(frame: &[u8]) -> (f64, f64) {
    if frame.is_empty() {
        return (0.0, 0.0);
    }
    let (sum, sum_sq) = frame.iter().fold((0u64, 0u64), |(s, q), &p| {
        let p = u64::from(p);
        (s + p, q + p * p)
    });
    let n = frame.len() as f64;
    let mean = sum as f64 / n;
    (mean, (sum_sq as f64 / n - mean * mean).max(0.0).sqrt())
}

/// RMS level in dBFS of samples whose squares add up to `sum_of_squares` (full scale = 32768),
/// never below `floor` (digital silence has no finite level).
pub fn rms_dbfs(sum_of_squares: f64, samples: u64, floor: f32) -> f32 {
    if samples == 0 || sum_of_squares <= 0.0 {
        return floor;
    }
    let rms = (sum_of_squares / samples as f64).sqrt() / 32768.0;
    let db = 20.0 * rms.log10();
    (db as f32).max(floor)
}

/// The `p`-th percentile (0..=100) of sorted values, interpolating linearly between ranks.
pub fn percentile(sorted: &[f32], p: f32) -> f32 {
    match sorted.len() {
        0 => 0.0,
        1 => sorted[0],
        n => {
            let rank = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f32;
            let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo as f32)
        }
    }
}

/// Lower and upper percentiles used by [`normalise_robust`].
pub const NORMALISE_LOW_PERCENTILE: f32 = 5.0;
pub const NORMALISE_HIGH_PERCENTILE: f32 = 95.0;

/// Maps values to 0..1 between their 5th and 95th percentiles (clamped), so a few outliers (a
/// scene cut, a door slam) do not squash everything else. When that range is narrower than
/// `min_spread` it is widened around its middle to `min_spread`: a signal that hardly varies
/// stays near 0.5 instead of having its noise blown up to 0..1.
pub fn normalise_robust(values: &[f32], min_spread: f32) -> Vec<f32> {
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f32::total_cmp);
    let mut lo = percentile(&sorted, NORMALISE_LOW_PERCENTILE);
    let mut hi = percentile(&sorted, NORMALISE_HIGH_PERCENTILE);
    let spread = min_spread.max(f32::EPSILON);
    if hi - lo < spread {
        let middle = (lo + hi) / 2.0;
        (lo, hi) = (middle - spread / 2.0, middle + spread / 2.0);
    }
    values
        .iter()
        .map(|&v| {
            if v.is_finite() {
                ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w`×`h` frame from a function of (x, y).
    fn frame(w: usize, h: usize, f: impl Fn(usize, usize) -> u8) -> Vec<u8> {
        (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect()
    }

    #[test]
    fn flat_frames_and_linear_ramps_have_no_laplacian() {
        assert_eq!(laplacian_variance(&frame(16, 9, |_, _| 77), 16, 9), 0.0);
        // The Laplacian of a linear ramp is 0 everywhere.
        let ramp = frame(16, 9, |x, _| (x * 10) as u8);
        assert_eq!(laplacian_variance(&ramp, 16, 9), 0.0);
    }

    #[test]
    fn a_checkerboard_is_sharper_than_its_blur() {
        let sharp = frame(
            32,
            32,
            |x, y| if (x + y).is_multiple_of(2) { 255 } else { 0 },
        );
        // A box blur of the same board: every interior pixel becomes about mid-grey.
        let mut blurred = sharp.clone();
        for y in 1..31 {
            for x in 1..31 {
                let sum: u32 = [(0, 0), (1, 0), (0, 1), (1, 1)]
                    .iter()
                    .map(|&(dx, dy)| u32::from(sharp[(y + dy - 1) * 32 + x + dx - 1]))
                    .sum();
                blurred[y * 32 + x] = (sum / 4) as u8;
            }
        }
        let (s, b) = (
            laplacian_variance(&sharp, 32, 32),
            laplacian_variance(&blurred, 32, 32),
        );
        // Every interior response of the board is ±1020 (4·255 around a 0, or −4·255).
        assert!((s - 1020.0 * 1020.0).abs() < 1.0, "{s}");
        assert!(b < s / 100.0, "blurred {b} vs sharp {s}");
    }

    #[test]
    fn single_spike_has_the_expected_variance() {
        // One bright pixel in a 5×5 black frame: the 3×3 interior sees responses −4v at the
        // centre and v at its four neighbours: mean 0, variance (16v² + 4v²) / 9.
        let mut f = vec![0u8; 25];
        f[12] = 100;
        let expected = (16.0 * 100.0 * 100.0 + 4.0 * 100.0 * 100.0) / 9.0;
        assert!((laplacian_variance(&f, 5, 5) - expected).abs() < 1e-6);
    }

    #[test]
    fn wrong_sizes_give_zero() {
        assert_eq!(laplacian_variance(&[1, 2, 3], 2, 2), 0.0);
        assert_eq!(laplacian_variance(&[0; 4], 2, 2), 0.0);
        assert_eq!(mean_abs_difference(&[1, 2], &[1]), 0.0);
    }

    #[test]
    fn frame_difference_is_the_mean_absolute_change() {
        assert_eq!(
            mean_abs_difference(&[0, 10, 200, 255], &[0, 20, 100, 255]),
            27.5
        );
        assert_eq!(mean_abs_difference(&[9; 100], &[9; 100]), 0.0);
    }

    #[test]
    fn luma_stats_of_two_levels() {
        let (mean, std) = luma_stats(&[0, 200, 0, 200]);
        assert_eq!((mean, std), (100.0, 100.0));
        assert_eq!(luma_stats(&[]), (0.0, 0.0));
    }

    #[test]
    fn rms_levels_in_dbfs() {
        // Full-scale square wave: 0 dBFS; half scale: −6.02 dBFS; a sine of amplitude A: A/√2.
        let full = 32768.0f64 * 32768.0;
        assert!(rms_dbfs(full * 10.0, 10, -100.0).abs() < 1e-4);
        assert!((rms_dbfs(full / 4.0 * 10.0, 10, -100.0) + 6.0206).abs() < 1e-3);
        let sine: Vec<f64> = (0..8000)
            .map(|i| {
                (16384.0 * (2.0 * std::f64::consts::PI * 440.0 * f64::from(i) / 8000.0).sin())
                    .round()
            })
            .collect();
        let sum_sq: f64 = sine.iter().map(|s| s * s).sum();
        assert!((rms_dbfs(sum_sq, 8000, -100.0) + 9.03).abs() < 0.02);
        assert_eq!(rms_dbfs(0.0, 8000, -100.0), -100.0);
        assert_eq!(rms_dbfs(1.0, 0, -100.0), -100.0);
        assert_eq!(rms_dbfs(1.0, 1_000_000_000, -100.0), -100.0);
    }

    #[test]
    fn percentiles_interpolate() {
        let v = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(percentile(&v, 0.0), 0.0);
        assert_eq!(percentile(&v, 50.0), 20.0);
        assert_eq!(percentile(&v, 100.0), 40.0);
        assert_eq!(percentile(&v, 95.0), 38.0);
        assert_eq!(percentile(&[3.0], 5.0), 3.0);
        assert_eq!(percentile(&[], 5.0), 0.0);
    }

    #[test]
    fn normalisation_ignores_outliers() {
        // 100 values 0..99 plus one huge outlier: the outlier does not squash the rest.
        let mut values: Vec<f32> = (0..100).map(|v| v as f32).collect();
        values.push(1e6);
        let n = normalise_robust(&values, 1.0);
        assert_eq!(n[0], 0.0);
        assert!((n[50] - 0.5).abs() < 0.03, "{}", n[50]);
        assert_eq!(n[100], 1.0);
        assert!(n.iter().all(|v| (0.0..=1.0).contains(v)));
        // Min/max scaling would have put 99 at ~0.0001; here it is at the top.
        assert_eq!(n[99], 1.0);
    }

    #[test]
    fn nearly_constant_signals_stay_near_the_middle() {
        let n = normalise_robust(&[-30.0, -30.2, -29.9, -30.1], 6.0);
        assert!(n.iter().all(|v| (v - 0.5).abs() < 0.05), "{n:?}");
        assert_eq!(normalise_robust(&[5.0; 3], 1.0), [0.5; 3]);
        assert!(normalise_robust(&[], 1.0).is_empty());
        assert_eq!(normalise_robust(&[f32::NAN, 1.0, 2.0], 0.1)[0], 0.0);
    }
}
