//! From an RGB frame to the model's input tensor: letterbox (keep the aspect ratio, centre,
//! pad), antialiased resampling, per-channel normalisation and channel order — and back from
//! model-input pixels to boxes normalised to the original frame.

/// How one model wants its input channels: for each tensor channel, which RGB component it
/// takes and the mean and standard deviation subtracted and divided; `pad` is the raw pixel
/// value of the letterbox bars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Normalise {
    pub channels: [(usize, f32, f32); 3],
    pub pad: u8,
}

/// NanoDet: BGR, ImageNet mean/std on 0..255 (the `normalize` of its COCO configs), black bars.
pub(crate) const NANODET: Normalise = Normalise {
    channels: [
        (2, 103.53, 57.375),
        (1, 116.28, 57.12),
        (0, 123.675, 58.395),
    ],
    pad: 0,
};

/// YOLO (v5/v8 exports): RGB scaled to 0..1, grey (114) bars as in Ultralytics' letterbox.
pub(crate) const YOLO: Normalise = Normalise {
    channels: [(0, 0.0, 255.0), (1, 0.0, 255.0), (2, 0.0, 255.0)],
    pad: 114,
};

/// Where the frame sits inside the model input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Letterbox {
    pub scale: f32,
    pub pad_x: usize,
    pub pad_y: usize,
    pub inner_w: usize,
    pub inner_h: usize,
    pub src_w: u32,
    pub src_h: u32,
}

impl Letterbox {
    pub fn new(src_w: u32, src_h: u32, dst_w: usize, dst_h: usize) -> Self {
        let scale = (dst_w as f32 / src_w as f32).min(dst_h as f32 / src_h as f32);
        let inner_w = ((src_w as f32 * scale).round() as usize).clamp(1, dst_w);
        let inner_h = ((src_h as f32 * scale).round() as usize).clamp(1, dst_h);
        Self {
            scale,
            pad_x: (dst_w - inner_w) / 2,
            pad_y: (dst_h - inner_h) / 2,
            inner_w,
            inner_h,
            src_w,
            src_h,
        }
    }

    /// A box in model-input pixels (corners) → `(x, y, w, h)` normalised to the source frame,
    /// clipped to it.
    pub fn source_box(&self, x1: f32, y1: f32, x2: f32, y2: f32) -> (f32, f32, f32, f32) {
        let sx = self.inner_w as f32 / self.src_w as f32;
        let sy = self.inner_h as f32 / self.src_h as f32;
        let nx = |x: f32| ((x - self.pad_x as f32) / sx / self.src_w as f32).clamp(0.0, 1.0);
        let ny = |y: f32| ((y - self.pad_y as f32) / sy / self.src_h as f32).clamp(0.0, 1.0);
        let (ax, ay, bx, by) = (nx(x1), ny(y1), nx(x2), ny(y2));
        (ax, ay, (bx - ax).max(0.0), (by - ay).max(0.0))
    }
}

/// The `1×3×dst_h×dst_w` (CHW) input tensor of `rgb` (already checked to be `w×h×3`).
pub(crate) fn to_tensor(
    rgb: &[u8],
    w: u32,
    h: u32,
    dst_w: usize,
    dst_h: usize,
    norm: &Normalise,
) -> (Vec<f32>, Letterbox) {
    let lb = Letterbox::new(w, h, dst_w, dst_h);
    let plane = dst_w * dst_h;
    let mut tensor = vec![0.0f32; 3 * plane];
    for (c, &(_, mean, std)) in norm.channels.iter().enumerate() {
        tensor[c * plane..(c + 1) * plane].fill((f32::from(norm.pad) - mean) / std);
    }

    let (w, h) = (w as usize, h as usize);
    let xs = taps(w, lb.inner_w);
    let ys = taps(h, lb.inner_h);
    // Horizontal pass over every source row: h × inner_w × 3.
    let mut rows = vec![0.0f32; h * lb.inner_w * 3];
    for y in 0..h {
        let src_row = &rgb[y * w * 3..(y + 1) * w * 3];
        let out_row = &mut rows[y * lb.inner_w * 3..(y + 1) * lb.inner_w * 3];
        for (ox, tap) in xs.iter().enumerate() {
            let mut acc = [0.0f32; 3];
            for (k, &wt) in tap.weights.iter().enumerate() {
                let i = (tap.start + k) * 3;
                acc[0] += wt * f32::from(src_row[i]);
                acc[1] += wt * f32::from(src_row[i + 1]);
                acc[2] += wt * f32::from(src_row[i + 2]);
            }
            out_row[ox * 3..ox * 3 + 3].copy_from_slice(&acc);
        }
    }
    // Vertical pass straight into the normalised planes.
    let row_len = lb.inner_w * 3;
    let mut acc = vec![0.0f32; row_len];
    for (oy, tap) in ys.iter().enumerate() {
        acc.fill(0.0);
        for (k, &wt) in tap.weights.iter().enumerate() {
            let row = &rows[(tap.start + k) * row_len..(tap.start + k + 1) * row_len];
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += wt * v;
            }
        }
        let ty = lb.pad_y + oy;
        for (c, &(src, mean, std)) in norm.channels.iter().enumerate() {
            let base = c * plane + ty * dst_w + lb.pad_x;
            let out = &mut tensor[base..base + lb.inner_w];
            for (ox, o) in out.iter_mut().enumerate() {
                *o = (acc[ox * 3 + src] - mean) / std;
            }
        }
    }
    (tensor, lb)
}

/// The source pixels and weights that make one output pixel.
#[derive(Debug)]
struct Tap {
    start: usize,
    weights: Vec<f32>,
}

/// Triangle-filter taps from `src` samples to `dst` samples, the filter widened by the
/// reduction factor when shrinking (so downscaling averages instead of aliasing).
fn taps(src: usize, dst: usize) -> Vec<Tap> {
    let ratio = src as f32 / dst as f32;
    let support = ratio.max(1.0);
    (0..dst)
        .map(|o| {
            let centre = (o as f32 + 0.5) * ratio;
            let lo = ((centre - support).floor().max(0.0) as usize).min(src - 1);
            let hi = ((centre + support).ceil() as usize).clamp(lo + 1, src);
            let mut weights: Vec<f32> = (lo..hi)
                .map(|i| (1.0 - ((i as f32 + 0.5 - centre) / support).abs()).max(0.0))
                .collect();
            let sum: f32 = weights.iter().sum();
            if sum > 0.0 {
                weights.iter_mut().for_each(|w| *w /= sum);
            } else {
                // Only when a single sample sits exactly on the filter's edge.
                weights.iter_mut().for_each(|w| *w = 1.0 / (hi - lo) as f32);
            }
            Tap { start: lo, weights }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Normalise = Normalise {
        channels: [(0, 0.0, 1.0), (1, 0.0, 1.0), (2, 0.0, 1.0)],
        pad: 7,
    };

    #[test]
    fn taps_are_normalised_and_in_range() {
        for (src, dst) in [
            (768, 416),
            (416, 416),
            (100, 416),
            (1, 5),
            (5, 1),
            (1920, 234),
        ] {
            let t = taps(src, dst);
            assert_eq!(t.len(), dst);
            for tap in &t {
                assert!(tap.start + tap.weights.len() <= src, "{src}->{dst}");
                let sum: f32 = tap.weights.iter().sum();
                assert!((sum - 1.0).abs() < 1e-4, "{src}->{dst}: {sum}");
            }
        }
    }

    #[test]
    fn letterbox_centres_a_wide_frame() {
        let lb = Letterbox::new(800, 400, 416, 416);
        assert_eq!((lb.inner_w, lb.inner_h), (416, 208));
        assert_eq!((lb.pad_x, lb.pad_y), (0, 104));
        // The whole inner area maps back onto the whole frame.
        let (x, y, w, h) = lb.source_box(0.0, 104.0, 416.0, 312.0);
        assert!(x.abs() < 1e-6 && y.abs() < 1e-6);
        assert!((w - 1.0).abs() < 1e-6 && (h - 1.0).abs() < 1e-6);
        // Boxes in the bars are clipped away.
        let (_, _, _, h) = lb.source_box(10.0, 0.0, 20.0, 100.0);
        assert_eq!(h, 0.0);
    }

    #[test]
    fn tensor_keeps_flat_colours_and_pads() {
        // A 4×2 frame of one colour into an 8×8 input: 8×4 inner, bars of 2 rows above/below.
        let rgb: Vec<u8> = std::iter::repeat_n([10u8, 20, 30], 8).flatten().collect();
        let (t, lb) = to_tensor(&rgb, 4, 2, 8, 8, &PLAIN);
        assert_eq!((lb.inner_w, lb.inner_h, lb.pad_y), (8, 4, 2));
        let at = |c: usize, y: usize, x: usize| t[c * 64 + y * 8 + x];
        assert_eq!(at(0, 0, 0), 7.0);
        assert_eq!(at(2, 7, 7), 7.0);
        for (y, x) in [(2, 0), (3, 4), (5, 7)] {
            assert!((at(0, y, x) - 10.0).abs() < 1e-4);
            assert!((at(1, y, x) - 20.0).abs() < 1e-4);
            assert!((at(2, y, x) - 30.0).abs() < 1e-4);
        }
    }

    #[test]
    fn nanodet_takes_bgr() {
        // Pure red: the first (blue) plane is at its minimum, the last (red) at its maximum.
        let rgb: Vec<u8> = std::iter::repeat_n([255u8, 0, 0], 4).flatten().collect();
        let (t, _) = to_tensor(&rgb, 2, 2, 2, 2, &NANODET);
        assert!((t[0] - (0.0 - 103.53) / 57.375).abs() < 1e-4);
        assert!((t[8] - (255.0 - 123.675) / 58.395).abs() < 1e-4);
    }
}
