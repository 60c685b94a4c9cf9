//! Connected components of the motion mask (8-connected, two passes with union-find) and their
//! bounding boxes.

use serde::{Deserialize, Serialize};

/// One moving region, in pixels of the analysed frame.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MotionBox {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// Moving pixels in the region.
    pub area: u32,
    /// 0..=1: half from the area (full at four times the minimum), half from how far the
    /// pixels are past their threshold (full at three times).
    pub confidence: f32,
}

impl MotionBox {
    /// `(x, y, width, height)` as fractions of the frame.
    pub fn normalised(&self, frame_width: u32, frame_height: u32) -> (f32, f32, f32, f32) {
        let (fw, fh) = (frame_width.max(1) as f32, frame_height.max(1) as f32);
        (
            self.x as f32 / fw,
            self.y as f32 / fh,
            self.width as f32 / fw,
            self.height as f32 / fh,
        )
    }

    /// The smallest box holding both.
    pub fn union(&self, other: &MotionBox) -> MotionBox {
        let x = self.x.min(other.x);
        let y = self.y.min(other.y);
        let right = (self.x + self.width).max(other.x + other.width);
        let bottom = (self.y + self.height).max(other.y + other.height);
        MotionBox {
            x,
            y,
            width: right - x,
            height: bottom - y,
            area: self.area + other.area,
            confidence: self.confidence.max(other.confidence),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    area: u32,
    strength: u32,
    min_x: u32,
    min_y: u32,
    max_x: u32,
    max_y: u32,
}

/// Reusable buffers of the labelling. Most of a doorbell's frame is still: rows without a
/// moving pixel are skipped by a quick test, and only the rows labelled last time are cleared.
#[derive(Debug, Clone, Default)]
pub(crate) struct Labeller {
    labels: Vec<u32>,
    /// Rows of `labels` that hold labels (the rest are all 0).
    used_rows: Vec<bool>,
    parent: Vec<u32>,
    stats: Vec<Option<Stats>>,
}

impl Labeller {
    /// Boxes of the components of `mask` (0/1) with at least `min_area` pixels, largest first,
    /// into `out`. `strength` is the detector's per-pixel strength (32 = at threshold).
    pub(crate) fn boxes(
        &mut self,
        mask: &[u8],
        strength: &[u8],
        width: usize,
        height: usize,
        min_area: u32,
        out: &mut Vec<MotionBox>,
    ) {
        out.clear();
        if self.labels.len() != width * height || self.used_rows.len() != height {
            self.labels.clear();
            self.labels.resize(width * height, 0);
            self.used_rows.clear();
            self.used_rows.resize(height, false);
        }
        for (row, used) in self.used_rows.iter_mut().enumerate() {
            if std::mem::take(used) {
                self.labels[row * width..(row + 1) * width].fill(0);
            }
        }
        self.parent.clear();
        self.parent.push(0);
        for row in 0..height {
            let cells = &mask[row * width..(row + 1) * width];
            // An OR over the row vectorises where a search for the first set byte does not.
            if cells.iter().fold(0u8, |any, &m| any | m) == 0 {
                continue;
            }
            self.used_rows[row] = true;
            let mut next = set_from(cells, 0);
            while let Some(col) = next {
                next = set_from(cells, col + 1);
                let i = row * width + col;
                let mut label = 0;
                let mut neighbour = |j: usize, labels: &[u32], parent: &mut Vec<u32>| {
                    let l = labels[j];
                    if l != 0 {
                        label = if label == 0 {
                            l
                        } else {
                            union(parent, label, l)
                        };
                    }
                };
                if col > 0 {
                    neighbour(i - 1, &self.labels, &mut self.parent);
                }
                if row > 0 {
                    let up = i - width;
                    if col > 0 {
                        neighbour(up - 1, &self.labels, &mut self.parent);
                    }
                    neighbour(up, &self.labels, &mut self.parent);
                    if col + 1 < width {
                        neighbour(up + 1, &self.labels, &mut self.parent);
                    }
                }
                if label == 0 {
                    label = self.parent.len() as u32;
                    self.parent.push(label);
                }
                self.labels[i] = label;
            }
        }
        self.stats.clear();
        self.stats.resize(self.parent.len(), None);
        for row in (0..height).filter(|&r| self.used_rows[r]) {
            let cells = &mask[row * width..(row + 1) * width];
            let mut next = set_from(cells, 0);
            while let Some(col) = next {
                next = set_from(cells, col + 1);
                let i = row * width + col;
                let root = find(&mut self.parent, self.labels[i]) as usize;
                let (x, y, s) = (col as u32, row as u32, strength[i] as u32);
                let st = self.stats[root].get_or_insert(Stats {
                    area: 0,
                    strength: 0,
                    min_x: x,
                    min_y: y,
                    max_x: x,
                    max_y: y,
                });
                st.area += 1;
                st.strength += s;
                st.min_x = st.min_x.min(x);
                st.max_x = st.max_x.max(x);
                st.min_y = st.min_y.min(y);
                st.max_y = st.max_y.max(y);
            }
        }
        let min_area = min_area.max(1);
        for st in self.stats.iter().flatten() {
            if st.area < min_area {
                continue;
            }
            let area_score = (st.area as f32 / (4 * min_area) as f32).min(1.0);
            let mean_ratio = st.strength as f32 / st.area as f32 / 32.0;
            let contrast_score = (mean_ratio / 3.0).min(1.0);
            out.push(MotionBox {
                x: st.min_x,
                y: st.min_y,
                width: st.max_x - st.min_x + 1,
                height: st.max_y - st.min_y + 1,
                area: st.area,
                confidence: 0.5 * area_score + 0.5 * contrast_score,
            });
        }
        out.sort_by(|a, b| b.area.cmp(&a.area).then(a.y.cmp(&b.y)).then(a.x.cmp(&b.x)));
    }
}

/// The first set cell at or after `from`, skipping clear cells eight at a time.
fn set_from(cells: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 8 <= cells.len() {
        let word = u64::from_le_bytes(cells[i..i + 8].try_into().ok()?);
        if word != 0 {
            return Some(i + (word.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    (i..cells.len()).find(|&j| cells[j] != 0)
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let grand = parent[parent[x as usize] as usize];
        parent[x as usize] = grand;
        x = grand;
    }
    x
}

/// Joins the sets of `a` and `b`; the smaller root wins. Returns it.
fn union(parent: &mut [u32], a: u32, b: u32) -> u32 {
    let (ra, rb) = (find(parent, a), find(parent, b));
    let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
    parent[hi as usize] = lo;
    lo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(rows: &[&str]) -> (Vec<u8>, usize, usize) {
        let w = rows[0].len();
        let v = rows
            .iter()
            .flat_map(|r| r.bytes().map(|b| u8::from(b == b'#')))
            .collect();
        (v, w, rows.len())
    }

    #[test]
    fn u_shapes_and_diagonals_join_and_small_ones_drop() {
        let (mask, w, h) = parse(&[
            "#.#....#", //
            "#.#...#.", //
            "###..#..", //
            "........", //
            "......##", //
        ]);
        let strength: Vec<u8> = mask.iter().map(|&m| m * 64).collect();
        let mut labeller = Labeller::default();
        let mut out = Vec::new();
        labeller.boxes(&mask, &strength, w, h, 3, &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(
            (out[0].x, out[0].y, out[0].width, out[0].height),
            (0, 0, 3, 3)
        );
        assert_eq!(out[0].area, 7);
        assert_eq!(
            (out[1].x, out[1].y, out[1].width, out[1].height),
            (5, 0, 3, 3)
        );
        assert_eq!(out[1].area, 3);
        assert!(out[0].confidence > 0.0 && out[0].confidence <= 1.0);
        // Reused buffers give the same answer.
        labeller.boxes(&mask, &strength, w, h, 3, &mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn a_staircase_merges_through_many_labels() {
        // Each row's run starts a new label that only meets the previous one to the right.
        let (mask, w, h) = parse(&[
            "......##", //
            ".....##.", //
            "....##..", //
            "...##...", //
            "##.#....", //
            ".##.....", //
        ]);
        let mut out = Vec::new();
        Labeller::default().boxes(&mask, &mask, w, h, 1, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!((out[0].width, out[0].height, out[0].area), (8, 6, 13));
    }
}
