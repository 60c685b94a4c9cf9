//! A deterministic synthetic library: users with their people, places, devices and home and
//! travel cities, and their media documents. The same seed always yields the same world, so a
//! cached index can be queried without regenerating its documents.

use super::vocabulary::{FIRST_NAMES, REAL_CITIES, TOWN_PREFIXES, TOWN_SUFFIXES, WORDS};
use crate::model::MediaDoc;
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sightline_core::coco::COCO_LABELS;
use sightline_core::media::MediaKind;
use sightline_core::{DeviceId, MediaId, PersonId, PlaceId, UserId};
use uuid::Uuid;

pub(super) const CITY_COUNT: usize = 200;
pub(super) const PEOPLE_PER_USER: usize = 30;
pub(super) const YEARS: i32 = 5;
pub(super) const FIRST_YEAR: i32 = 2021;

pub(super) struct City {
    pub name: String,
    pub region: String,
    pub country: String,
}

pub(super) struct Person {
    pub id: PersonId,
    /// Named people are written into the item's text.
    pub name: Option<&'static str>,
}

pub(super) struct UserProfile {
    pub id: UserId,
    /// "me" first, then partner and children: the most photographed.
    pub people: Vec<Person>,
    person_weights: WeightedIndex<f64>,
    pub home_city: usize,
    pub travel_cities: Vec<usize>,
    /// Home, work, parents, gym.
    pub places: Vec<PlaceId>,
    devices: Vec<DeviceId>,
}

pub(super) struct World {
    pub cities: Vec<City>,
    pub users: Vec<UserProfile>,
    label_weights: WeightedIndex<f64>,
    word_weights: WeightedIndex<f64>,
}

/// Weights 1, 1/2, 1/3…: a few items are common, most are rare.
fn zipf(n: usize) -> WeightedIndex<f64> {
    WeightedIndex::new((1..=n).map(|rank| 1.0 / rank as f64)).expect("n > 0")
}

fn random_uuid(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.r#gen()).into_uuid()
}

pub(super) fn start_of_year(year: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn cities() -> Vec<City> {
    let mut cities: Vec<City> = REAL_CITIES
        .iter()
        .map(|(name, region, country)| City {
            name: name.to_string(),
            region: region.to_string(),
            country: country.to_string(),
        })
        .collect();
    let countries: Vec<&str> = REAL_CITIES.iter().map(|(_, _, cc)| *cc).collect();
    let mut made_up = 0;
    while cities.len() < CITY_COUNT {
        let prefix = TOWN_PREFIXES[made_up % TOWN_PREFIXES.len()];
        let suffix = TOWN_SUFFIXES[(made_up / TOWN_PREFIXES.len()) % TOWN_SUFFIXES.len()];
        let country = countries[made_up * 7 % countries.len()];
        cities.push(City {
            name: format!("{prefix}{suffix}"),
            region: format!("Region {} {country}", made_up % 6),
            country: country.to_string(),
        });
        made_up += 1;
    }
    cities
}

impl World {
    /// `users[0]` is the big user; the rest share the remaining documents.
    pub fn new(seed: u64, user_count: usize) -> Self {
        let cities = cities();
        let city_popularity = zipf(cities.len());
        let users = (0..user_count)
            .map(|index| {
                let mut rng =
                    StdRng::seed_from_u64(seed ^ (index as u64).wrapping_mul(0x9E37_79B9));
                UserProfile::new(&mut rng, &city_popularity, cities.len())
            })
            .collect();
        Self {
            cities,
            users,
            label_weights: zipf(COCO_LABELS.len()),
            word_weights: zipf(WORDS.len()),
        }
    }

    pub fn random_label(&self, rng: &mut StdRng) -> &'static str {
        COCO_LABELS[self.label_weights.sample(rng)]
    }

    pub fn random_word(&self, rng: &mut StdRng) -> &'static str {
        WORDS[self.word_weights.sample(rng)]
    }

    pub fn document(&self, user: &UserProfile, serial: usize, rng: &mut StdRng) -> MediaDoc {
        let seconds = rng.gen_range(0..i64::from(YEARS) * 365 * 86_400);
        let captured_at = start_of_year(FIRST_YEAR) + Duration::seconds(seconds);
        let is_video = rng.gen_bool(0.2);
        let city = match rng.gen_range(0..100) {
            0..5 => None,
            5..75 => Some(user.home_city),
            _ => user.travel_cities.choose(rng).copied(),
        };
        let place_ids = if city == Some(user.home_city) && rng.gen_bool(0.5) {
            vec![user.places[rng.gen_range(0..user.places.len())]]
        } else {
            Vec::new()
        };
        let people = user.random_people(rng);
        let things = (0..rng.gen_range(0..=3))
            .map(|_| self.random_label(rng).to_string())
            .collect();

        let mut text = if is_video {
            format!("VID_{serial:07}.mp4")
        } else {
            format!("IMG_{serial:07}.jpg")
        };
        let word_count = if is_video {
            rng.gen_range(4..16)
        } else {
            rng.gen_range(0..6)
        };
        for _ in 0..word_count {
            text.push(' ');
            text.push_str(self.random_word(rng));
        }
        for name in people
            .iter()
            .filter_map(|p| user.person(*p).and_then(|p| p.name))
        {
            text.push(' ');
            text.push_str(name);
        }
        let city = city.map(|index| &self.cities[index]);
        if let Some(city) = city {
            text.push(' ');
            text.push_str(&city.name);
        }
        MediaDoc {
            user: user.id,
            media: MediaId(random_uuid(rng)),
            kind: if is_video {
                MediaKind::Video
            } else {
                MediaKind::Photo
            },
            captured_at,
            duration_secs: is_video.then(|| rng.gen_range(3.0..120.0)),
            people,
            city: city.map(|c| c.name.clone()),
            nearby_cities: Vec::new(),
            region: city.map(|c| c.region.clone()),
            country_code: city.map(|c| c.country.clone()),
            place_ids,
            things,
            text,
            device_id: user.devices.choose(rng).copied(),
        }
    }
}

impl UserProfile {
    fn new(rng: &mut StdRng, city_popularity: &WeightedIndex<f64>, city_count: usize) -> Self {
        let people = (0..PEOPLE_PER_USER)
            .map(|index| Person {
                id: PersonId(random_uuid(rng)),
                name: (index < FIRST_NAMES.len() / 2)
                    .then(|| *FIRST_NAMES.choose(rng).expect("names")),
            })
            .collect();
        // Me, partner, two children, then everyone else rarely.
        let weights = [10.0, 7.0, 4.0, 4.0]
            .into_iter()
            .chain((4..PEOPLE_PER_USER).map(|rank| 2.0 / rank as f64));
        let travel_count = rng.gen_range(3..=8);
        Self {
            id: UserId(random_uuid(rng)),
            people,
            person_weights: WeightedIndex::new(weights).expect("weights"),
            home_city: city_popularity.sample(rng),
            travel_cities: (0..travel_count)
                .map(|_| rng.gen_range(0..city_count))
                .collect(),
            places: (0..4).map(|_| PlaceId(random_uuid(rng))).collect(),
            devices: (0..rng.gen_range(1..=3))
                .map(|_| DeviceId(random_uuid(rng)))
                .collect(),
        }
    }

    /// 0–4 distinct people, most often none or one.
    fn random_people(&self, rng: &mut StdRng) -> Vec<PersonId> {
        let count = [0, 0, 0, 1, 1, 1, 2, 2, 3, 4][rng.gen_range(0..10)];
        let mut chosen: Vec<PersonId> = Vec::with_capacity(count);
        while chosen.len() < count {
            let person = self.people[self.person_weights.sample(rng)].id;
            if !chosen.contains(&person) {
                chosen.push(person);
            }
        }
        chosen
    }

    fn person(&self, id: PersonId) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }
}
