//! Detection zones and privacy masks: polygons in normalised frame coordinates (0..1, origin top
//! left), rasterised once per frame size into one mask of the pixels where motion counts.

use super::MotionError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NormPoint {
    pub x: f64,
    pub y: f64,
}

/// A closed polygon of at least three points, all within the frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<NormPoint>", into = "Vec<NormPoint>")]
pub struct Polygon {
    points: Vec<NormPoint>,
}

impl Polygon {
    pub fn new(points: Vec<NormPoint>) -> Result<Self, MotionError> {
        if points.len() < 3 {
            return Err(MotionError::PolygonTooFewPoints {
                points: points.len(),
            });
        }
        for p in &points {
            let inside = (0.0..=1.0).contains(&p.x) && (0.0..=1.0).contains(&p.y);
            if !inside {
                return Err(MotionError::CoordinateOutOfRange { x: p.x, y: p.y });
            }
        }
        Ok(Self { points })
    }

    /// `[(x, y), …]` shorthand.
    pub fn from_pairs(pairs: &[(f64, f64)]) -> Result<Self, MotionError> {
        Self::new(pairs.iter().map(|&(x, y)| NormPoint { x, y }).collect())
    }

    /// The axis-aligned rectangle from `(x0, y0)` to `(x1, y1)`.
    pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Result<Self, MotionError> {
        Self::from_pairs(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    }

    pub fn points(&self) -> &[NormPoint] {
        &self.points
    }

    /// Even-odd rule; points exactly on an edge may fall either way.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let mut inside = false;
        let n = self.points.len();
        let mut j = n - 1;
        for i in 0..n {
            let (a, b) = (self.points[i], self.points[j]);
            if (a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            j = i;
        }
        inside
    }
}

impl TryFrom<Vec<NormPoint>> for Polygon {
    type Error = MotionError;
    fn try_from(points: Vec<NormPoint>) -> Result<Self, Self::Error> {
        Self::new(points)
    }
}

impl From<Polygon> for Vec<NormPoint> {
    fn from(polygon: Polygon) -> Self {
        polygon.points
    }
}

/// One byte per pixel: 1 where motion counts (inside a zone, or anywhere when there are no
/// zones, and outside every privacy mask), 0 elsewhere. Pixel centres are tested.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneMask {
    width: usize,
    height: usize,
    active: Vec<u8>,
    active_count: usize,
}

impl ZoneMask {
    pub fn rasterise(
        width: usize,
        height: usize,
        zones: &[Polygon],
        privacy_masks: &[Polygon],
    ) -> Self {
        let mut active = vec![0u8; width * height];
        let mut active_count = 0;
        for row in 0..height {
            let y = (row as f64 + 0.5) / height as f64;
            for col in 0..width {
                let x = (col as f64 + 0.5) / width as f64;
                let in_zone = zones.is_empty() || zones.iter().any(|z| z.contains(x, y));
                let masked = privacy_masks.iter().any(|m| m.contains(x, y));
                if in_zone && !masked {
                    active[row * width + col] = 1;
                    active_count += 1;
                }
            }
        }
        Self {
            width,
            height,
            active,
            active_count,
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// 1 where motion counts, row-major.
    pub fn as_slice(&self) -> &[u8] {
        &self.active
    }

    pub fn active_count(&self) -> usize {
        self.active_count
    }

    pub fn is_active(&self, col: usize, row: usize) -> bool {
        col < self.width && row < self.height && self.active[row * self.width + col] == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polygons_are_validated() {
        assert_eq!(
            Polygon::from_pairs(&[(0.0, 0.0), (1.0, 0.0)]),
            Err(MotionError::PolygonTooFewPoints { points: 2 })
        );
        assert_eq!(
            Polygon::from_pairs(&[(0.0, 0.0), (1.2, 0.0), (0.5, 0.5)]),
            Err(MotionError::CoordinateOutOfRange { x: 1.2, y: 0.0 })
        );
        assert!(matches!(
            Polygon::from_pairs(&[(0.0, f64::NAN), (1.0, 0.0), (0.5, 0.5)]),
            Err(MotionError::CoordinateOutOfRange { .. })
        ));
        let json = r#"[{"x":0.0,"y":0.0},{"x":1.0,"y":0.0}]"#;
        assert!(serde_json::from_str::<Polygon>(json).is_err());
    }

    #[test]
    fn point_in_polygon_handles_concave_shapes() {
        // An L shape: the bottom-right square is outside.
        let l = Polygon::from_pairs(&[
            (0.0, 0.0),
            (0.5, 0.0),
            (0.5, 0.5),
            (1.0, 0.5),
            (1.0, 1.0),
            (0.0, 1.0),
        ])
        .unwrap();
        assert!(l.contains(0.25, 0.25));
        assert!(l.contains(0.75, 0.75));
        assert!(!l.contains(0.75, 0.25));
    }

    #[test]
    fn masks_cut_holes_in_zones() {
        let zone = Polygon::rect(0.0, 0.0, 0.5, 1.0).unwrap();
        let mask = Polygon::rect(0.0, 0.0, 0.25, 0.5).unwrap();
        let m = ZoneMask::rasterise(8, 4, &[zone], &[mask]);
        // Zone: columns 0..4; mask: columns 0..2, rows 0..2.
        assert_eq!(m.active_count(), 16 - 4);
        assert!(!m.is_active(0, 0));
        assert!(m.is_active(3, 0));
        assert!(m.is_active(0, 3));
        assert!(!m.is_active(5, 3));
        assert!(!m.is_active(100, 0));
        let everywhere = ZoneMask::rasterise(8, 4, &[], &[]);
        assert_eq!(everywhere.active_count(), 32);
    }
}
