//! Geographic points and the ISO 6709 strings cameras write into containers.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("coordinates out of range: lat {lat}, lon {lon}")]
pub struct InvalidGeo {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Result<Self, InvalidGeo> {
        if lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0 {
            Ok(Self { lat, lon })
        } else {
            Err(InvalidGeo { lat, lon })
        }
    }

    /// Great-circle distance in metres (haversine on a spherical Earth; ~0.5% error, plenty for
    /// "is this photo at home").
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_008.8;
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }

    /// Parses ISO 6709 decimal degrees as written by phones and ffmpeg, e.g. `+48.8584+002.2945/`
    /// or `+48.8584+002.2945+035.000/`.
    pub fn parse_iso6709(text: &str) -> Option<Self> {
        let text = text.trim().trim_end_matches('/');
        let mut numbers = Vec::with_capacity(3);
        let mut start = None;
        for (i, c) in text.char_indices() {
            if c == '+' || c == '-' {
                if let Some(s) = start {
                    numbers.push(&text[s..i]);
                }
                start = Some(i);
            } else if !(c.is_ascii_digit() || c == '.') {
                return None;
            }
        }
        if let Some(s) = start {
            numbers.push(&text[s..]);
        }
        if numbers.len() < 2 {
            return None;
        }
        let lat = numbers[0].parse().ok()?;
        let lon = numbers[1].parse().ok()?;
        Self::new(lat, lon).ok()
    }

    pub fn to_iso6709(self) -> String {
        format!("{:+08.4}{:+09.4}/", self.lat, self.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn distance_between_known_cities() {
        let paris = GeoPoint::new(48.8566, 2.3522).unwrap();
        let rome = GeoPoint::new(41.9028, 12.4964).unwrap();
        let km = paris.distance_m(rome) / 1000.0;
        assert!((km - 1105.0).abs() < 10.0, "{km}");
        assert_eq!(paris.distance_m(paris), 0.0);
    }

    #[test]
    fn parses_apple_and_ffmpeg_forms() {
        assert_eq!(
            GeoPoint::parse_iso6709("+48.8584+002.2945/"),
            Some(GeoPoint {
                lat: 48.8584,
                lon: 2.2945
            })
        );
        assert_eq!(
            GeoPoint::parse_iso6709("-33.8568+151.2153+010.000/"),
            Some(GeoPoint {
                lat: -33.8568,
                lon: 151.2153
            })
        );
        assert_eq!(GeoPoint::parse_iso6709("garbage"), None);
        assert_eq!(GeoPoint::parse_iso6709("+95.0+10.0/"), None);
    }

    proptest! {
        #[test]
        fn round_trips(lat in -90.0f64..90.0, lon in -180.0f64..180.0) {
            let p = GeoPoint::new(lat, lon).unwrap();
            let back = GeoPoint::parse_iso6709(&p.to_iso6709()).unwrap();
            prop_assert!((back.lat - lat).abs() < 1e-4 && (back.lon - lon).abs() < 1e-4);
        }

        #[test]
        fn never_panics(s in ".*") {
            let _ = GeoPoint::parse_iso6709(&s);
        }
    }
}
