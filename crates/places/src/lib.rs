//! Offline place names. GPS → nearest GeoNames place with ≥ 1,000 inhabitants (the `cities1000`
//! set shipped by crate `reverse_geocoder`; data © GeoNames, CC BY 4.0) → city, region and
//! country; and which of the user's own named places (a point and a radius) contain a point.

use serde::{Deserialize, Serialize};
use sightline_core::geo::GeoPoint;
use std::sync::LazyLock;

/// Beyond this, the nearest town says little about where a photo was taken (open sea, desert):
/// only the country is reported, and only when the nearest town is within `COUNTRY_MAX_M`.
pub const CITY_MAX_M: f64 = 40_000.0;
pub const COUNTRY_MAX_M: f64 = 250_000.0;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceName {
    pub city: Option<String>,
    /// Other towns whose area the point is in or next to (same country). GeoNames places are
    /// points, so a photo at the Eiffel Tower is nearest to Neuilly-sur-Seine's centre; people
    /// still call it Paris, and a search for Paris must find it.
    pub nearby: Vec<String>,
    pub region: Option<String>,
    pub country_code: String,
    pub country: String,
}

/// Loading builds a k-d tree of ~145K places (a few hundred ms): done once, on first use.
static GEOCODER: LazyLock<reverse_geocoder::ReverseGeocoder> =
    LazyLock::new(reverse_geocoder::ReverseGeocoder::new);

/// Loads the data now rather than on the first request that needs it.
pub fn warm_up() {
    LazyLock::force(&GEOCODER);
}

/// The place names of a point, or `None` far from any town.
pub fn locate(point: GeoPoint) -> Option<PlaceName> {
    let found = GEOCODER.search((point.lat, point.lon));
    let record = found.record;
    let distance = point.distance_m(GeoPoint {
        lat: record.lat,
        lon: record.lon,
    });
    if distance > COUNTRY_MAX_M {
        return None;
    }
    let country = country_name(&record.cc).unwrap_or(&record.cc).to_string();
    let near = distance <= CITY_MAX_M;
    let nearby = if near {
        nearby_towns(point, &record.name, &record.cc)
    } else {
        Vec::new()
    };
    Some(PlaceName {
        city: near.then(|| record.name.clone()),
        nearby,
        region: (near && !record.admin1.is_empty()).then(|| record.admin1.clone()),
        country_code: record.cc.clone(),
        country,
    })
}

/// Rings sampled around a point to find the towns it lies among, in metres.
const NEIGHBOURHOOD_RINGS_M: [f64; 2] = [2_500.0, 5_000.0];
const NEIGHBOURHOOD_BEARINGS: usize = 8;

/// The towns nearest to points on small rings around `point`: the areas it borders. Cheap
/// (16 k-d tree lookups), and needs nothing the crate does not expose.
fn nearby_towns(point: GeoPoint, own: &str, country_code: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for radius in NEIGHBOURHOOD_RINGS_M {
        for step in 0..NEIGHBOURHOOD_BEARINGS {
            let bearing = std::f64::consts::TAU * step as f64 / NEIGHBOURHOOD_BEARINGS as f64;
            let dlat = radius * bearing.cos() / 111_320.0;
            let dlon =
                radius * bearing.sin() / (111_320.0 * point.lat.to_radians().cos().max(0.01));
            let Ok(probe) = GeoPoint::new(point.lat + dlat, point.lon + dlon) else {
                continue;
            };
            let record = GEOCODER.search((probe.lat, probe.lon)).record;
            if record.cc == country_code && record.name != own && !names.contains(&record.name) {
                names.push(record.name.clone());
            }
        }
    }
    names
}

/// English short name of an ISO 3166-1 alpha-2 code.
pub fn country_name(code: &str) -> Option<&'static str> {
    isocountry::CountryCode::for_alpha2_caseless(code)
        .ok()
        .map(|c| common_name(c.name()))
}

/// Every country as (alpha-2 code, English name), for recognising countries in queries.
pub fn countries() -> impl Iterator<Item = (&'static str, &'static str)> {
    isocountry::CountryCode::iter().map(|c| (c.alpha2(), common_name(c.name())))
}

/// ISO names such as "United Kingdom of Great Britain and Northern Ireland" are not what people
/// say; map the ones that differ most to their everyday name.
fn common_name(iso: &'static str) -> &'static str {
    match iso {
        "United Kingdom of Great Britain and Northern Ireland" => "United Kingdom",
        "United States of America" => "United States",
        "Russian Federation" => "Russia",
        "Korea (Republic of)" | "Korea, Republic of" => "South Korea",
        "Iran (Islamic Republic of)" => "Iran",
        "Viet Nam" => "Vietnam",
        "Netherlands, Kingdom of the" => "Netherlands",
        "Türkiye" => "Turkey",
        "Czechia" => "Czech Republic",
        "Bolivia (Plurinational State of)" => "Bolivia",
        "Venezuela (Bolivarian Republic of)" => "Venezuela",
        "Tanzania, United Republic of" => "Tanzania",
        "Syrian Arab Republic" => "Syria",
        "Lao People's Democratic Republic" => "Laos",
        "Taiwan, Province of China" => "Taiwan",
        other => other,
    }
}

/// A place the user named: a point and a radius in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    pub center: GeoPoint,
    pub radius_m: f64,
}

impl Circle {
    pub fn contains(&self, point: GeoPoint) -> bool {
        self.center.distance_m(point) <= self.radius_m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap()
    }

    #[test]
    fn names_cities_in_three_countries() {
        let eiffel = locate(at(48.8584, 2.2945)).unwrap();
        assert_eq!(eiffel.country_code, "FR");
        // Nearest to a suburb's centre, but in Paris' neighbourhood.
        assert!(eiffel.nearby.iter().any(|n| n == "Paris"), "{eiffel:?}");
        assert!(!eiffel.nearby.contains(eiffel.city.as_ref().unwrap()));
        assert_eq!(eiffel.country, "France");
        assert_eq!(eiffel.region.as_deref(), Some("Ile-de-France"));
        let colosseum = locate(at(41.8902, 12.4922)).unwrap();
        assert_eq!(colosseum.city.as_deref(), Some("Rome"));
        assert_eq!(colosseum.country, "Italy");
        let times_square = locate(at(40.758, -73.9855)).unwrap();
        assert_eq!(times_square.country, "United States");
        assert!(times_square.city.is_some());
    }

    #[test]
    fn open_ocean_has_no_place() {
        assert_eq!(locate(at(0.0, -140.0)), None);
    }

    #[test]
    fn countries_have_everyday_names() {
        assert_eq!(country_name("gb"), Some("United Kingdom"));
        assert_eq!(country_name("XX"), None);
        assert!(countries().any(|(code, name)| code == "IT" && name == "Italy"));
    }

    #[test]
    fn circle_contains_nearby_points_only() {
        let home = Circle {
            center: at(48.8566, 2.3522),
            radius_m: 200.0,
        };
        assert!(home.contains(at(48.8570, 2.3525)));
        assert!(!home.contains(at(48.87, 2.36)));
    }
}
