//! NanoDet's head: per stride (8, 16, 32) a `1×N×classes` map of sigmoid scores and a
//! `1×N×4(reg_max+1)` map of distance distributions (Generalised Focal Loss). Each side's
//! distance from the cell centre is the expectation of the softmax over `0..=reg_max`, in units
//! of the stride.

use crate::boxes::Candidate;

/// The strides NanoDet heads use, finest first.
const STRIDES: [usize; 4] = [8, 16, 32, 64];

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Level {
    pub stride: usize,
    pub grid_w: usize,
    pub grid_h: usize,
    /// Output index of the scores.
    pub cls: usize,
    /// Output index of the distance distributions.
    pub reg: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NanoDetHead {
    pub levels: Vec<Level>,
    pub classes: usize,
    /// `reg_max + 1` bins per side.
    pub bins: usize,
    pub input_w: usize,
    pub input_h: usize,
}

impl NanoDetHead {
    /// Matches the model's outputs (`shapes[i]` of output `i`) to strides.
    pub fn from_outputs(
        shapes: &[Vec<usize>],
        input_w: usize,
        input_h: usize,
        classes: usize,
    ) -> Result<Self, String> {
        let mut levels = Vec::new();
        let mut bins = None;
        for stride in STRIDES {
            let (grid_w, grid_h) = (input_w.div_ceil(stride), input_h.div_ceil(stride));
            let cells = grid_w * grid_h;
            let find = |pred: &dyn Fn(usize) -> bool| {
                shapes
                    .iter()
                    .position(|s| s.len() == 3 && s[0] == 1 && s[1] == cells && pred(s[2]))
            };
            let Some(cls) = find(&|c| c == classes) else {
                continue;
            };
            let reg = find(&|c| c != classes && c % 4 == 0 && c >= 8)
                .ok_or_else(|| format!("stride {stride} has scores but no box distributions"))?;
            let level_bins = shapes[reg][2] / 4;
            if *bins.get_or_insert(level_bins) != level_bins {
                return Err("box distributions differ between strides".into());
            }
            levels.push(Level {
                stride,
                grid_w,
                grid_h,
                cls,
                reg,
            });
        }
        if levels.is_empty() {
            return Err(format!(
                "no output of shape 1×cells×{classes} for strides {STRIDES:?} of a {input_w}×{input_h} input \
                 (outputs {shapes:?})"
            ));
        }
        Ok(Self {
            levels,
            classes,
            bins: bins.unwrap_or(1),
            input_w,
            input_h,
        })
    }

    /// Every (cell, class) with a score above `threshold`, as a box in input pixels.
    /// `outputs[i]` is the flat data of output `i`, of the shape checked at load.
    pub fn decode(&self, outputs: &[&[f32]], threshold: f32) -> Vec<Candidate> {
        let mut found = Vec::new();
        let (w, h) = (self.input_w as f32, self.input_h as f32);
        for level in &self.levels {
            let (Some(cls), Some(reg)) = (outputs.get(level.cls), outputs.get(level.reg)) else {
                continue;
            };
            let per_cell = 4 * self.bins;
            for cell in 0..level.grid_w * level.grid_h {
                let Some(scores) = cls.get(cell * self.classes..(cell + 1) * self.classes) else {
                    break;
                };
                if !scores.iter().any(|&s| s > threshold) {
                    continue;
                }
                let Some(dists) = reg.get(cell * per_cell..(cell + 1) * per_cell) else {
                    break;
                };
                let stride = level.stride as f32;
                let cx = ((cell % level.grid_w) as f32 + 0.5) * stride;
                let cy = ((cell / level.grid_w) as f32 + 0.5) * stride;
                let side =
                    |k: usize| expectation(&dists[k * self.bins..(k + 1) * self.bins]) * stride;
                let (x1, y1) = ((cx - side(0)).max(0.0), (cy - side(1)).max(0.0));
                let (x2, y2) = ((cx + side(2)).min(w), (cy + side(3)).min(h));
                for (class, &score) in scores.iter().enumerate() {
                    if score > threshold {
                        found.push(Candidate {
                            class,
                            score,
                            x1,
                            y1,
                            x2,
                            y2,
                        });
                    }
                }
            }
        }
        found
    }
}

/// `Σ softmax(logits)_i · i`: the expected bin of a distance distribution.
fn expectation(logits: &[f32]) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let (mut sum, mut weighted) = (0.0f32, 0.0f32);
    for (i, &l) in logits.iter().enumerate() {
        let e = (l - max).exp();
        sum += e;
        weighted += e * i as f32;
    }
    if sum > 0.0 && sum.is_finite() {
        weighted / sum
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes_416() -> Vec<Vec<usize>> {
        // The converted NanoDet's order: scores for 8/16/32, then distributions for 8/16/32.
        vec![
            vec![1, 2704, 80],
            vec![1, 676, 80],
            vec![1, 169, 80],
            vec![1, 2704, 44],
            vec![1, 676, 44],
            vec![1, 169, 44],
        ]
    }

    #[test]
    fn outputs_are_matched_to_strides() {
        let head = NanoDetHead::from_outputs(&shapes_416(), 416, 416, 80).expect("matches");
        assert_eq!(head.bins, 11);
        let found: Vec<_> = head
            .levels
            .iter()
            .map(|l| (l.stride, l.cls, l.reg))
            .collect();
        assert_eq!(found, vec![(8, 0, 3), (16, 1, 4), (32, 2, 5)]);
        assert!(NanoDetHead::from_outputs(&shapes_416(), 320, 320, 80).is_err());
        assert!(NanoDetHead::from_outputs(&shapes_416()[..3], 416, 416, 80).is_err());
    }

    #[test]
    fn expectation_of_peaked_and_flat_distributions() {
        let mut peaked = [-50.0f32; 11];
        peaked[3] = 50.0;
        assert!((expectation(&peaked) - 3.0).abs() < 1e-4);
        assert!((expectation(&[0.0; 11]) - 5.0).abs() < 1e-4);
    }

    #[test]
    fn one_hot_cell_decodes_to_its_box() {
        // 32×32 input, stride 8 only: a 4×4 grid; cell (x 2, y 1) sees class 1 with
        // distances 1, 2, 1, 0 strides (left, top, right, bottom).
        let shapes = vec![vec![1, 16, 2], vec![1, 16, 12]];
        let head = NanoDetHead::from_outputs(&shapes, 32, 32, 2).expect("matches");
        assert_eq!(head.bins, 3);
        let mut cls = vec![0.0f32; 16 * 2];
        let cell = 4 + 2;
        cls[cell * 2 + 1] = 0.8;
        let mut reg = vec![-50.0f32; 16 * 12];
        for (side, bin) in [1usize, 2, 1, 0].into_iter().enumerate() {
            reg[cell * 12 + side * 3 + bin] = 50.0;
        }
        let found = head.decode(&[&cls, &reg], 0.5);
        assert_eq!(found.len(), 1);
        let c = found[0];
        assert_eq!((c.class, c.score), (1, 0.8));
        // Centre (20, 12): x 20-8..20+8, y 12-16 (clipped to 0)..12.
        assert!((c.x1 - 12.0).abs() < 1e-3 && (c.x2 - 28.0).abs() < 1e-3);
        assert!(c.y1.abs() < 1e-3 && (c.y2 - 12.0).abs() < 1e-3);
    }
}
