//! The query mix: what parsed requests like "my wife and me in Paris last summer" turn into.

use super::world::{FIRST_YEAR, UserProfile, World, YEARS, start_of_year};
use crate::model::{CityFilter, SearchQuery, TimeRange};
use chrono::{TimeZone, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sightline_core::media::MediaKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum QueryClass {
    PeopleCitySummer,
    PeopleCitySummerWord,
    PersonCountryWords,
    PlaceThingYear,
    WordsOnly,
    ThingOnly,
    YearNewestFirst,
    VideosPersonYear,
}

impl QueryClass {
    pub const ALL: [QueryClass; 8] = [
        Self::PeopleCitySummer,
        Self::PeopleCitySummerWord,
        Self::PersonCountryWords,
        Self::PlaceThingYear,
        Self::WordsOnly,
        Self::ThingOnly,
        Self::YearNewestFirst,
        Self::VideosPersonYear,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::PeopleCitySummer => "2 people + city + summer (limit 100)",
            Self::PeopleCitySummerWord => "2 people + city + summer + word",
            Self::PersonCountryWords => "any person + country + 2 words",
            Self::PlaceThingYear => "user place + thing + year",
            Self::WordsOnly => "1-2 words only",
            Self::ThingOnly => "thing only",
            Self::YearNewestFirst => "year, newest first",
            Self::VideosPersonYear => "videos + person + year",
        }
    }
}

fn random_year(rng: &mut StdRng) -> i32 {
    FIRST_YEAR + rng.gen_range(0..YEARS)
}

fn year(rng: &mut StdRng) -> TimeRange {
    let year = random_year(rng);
    TimeRange {
        start: start_of_year(year),
        end: start_of_year(year + 1),
    }
}

fn summer(rng: &mut StdRng) -> TimeRange {
    let year = random_year(rng);
    let day = |month| {
        Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    };
    TimeRange {
        start: day(6),
        end: day(9),
    }
}

/// Home half the time, otherwise a travel city.
fn some_city(world: &World, user: &UserProfile, rng: &mut StdRng) -> CityFilter {
    let index = if rng.gen_bool(0.5) || user.travel_cities.is_empty() {
        user.home_city
    } else {
        user.travel_cities[rng.gen_range(0..user.travel_cities.len())]
    };
    let city = &world.cities[index];
    CityFilter {
        name: city.name.clone(),
        country_code: Some(city.country.clone()),
    }
}

pub(super) fn query(
    class: QueryClass,
    world: &World,
    user: &UserProfile,
    rng: &mut StdRng,
) -> SearchQuery {
    let mut q = SearchQuery::for_user(user.id);
    let me = user.people[0].id;
    let partner = user.people[1].id;
    match class {
        QueryClass::PeopleCitySummer | QueryClass::PeopleCitySummerWord => {
            q.limit = 100;
            q.all_people = vec![me, partner];
            q.cities = vec![some_city(world, user, rng)];
            q.time = Some(summer(rng));
            if class == QueryClass::PeopleCitySummerWord {
                q.text = vec![world.random_word(rng).to_string()];
            }
        }
        QueryClass::PersonCountryWords => {
            q.any_people = vec![user.people[rng.gen_range(0..10)].id];
            let city = some_city(world, user, rng);
            q.countries = city.country_code.into_iter().collect();
            q.text = vec![format!(
                "{} {}",
                world.random_word(rng),
                world.random_word(rng)
            )];
        }
        QueryClass::PlaceThingYear => {
            q.place_ids = vec![user.places[rng.gen_range(0..user.places.len())]];
            q.things = vec![world.random_label(rng).to_string()];
            q.time = Some(year(rng));
        }
        QueryClass::WordsOnly => {
            let count = rng.gen_range(1..=2);
            q.text = (0..count)
                .map(|_| world.random_word(rng).to_string())
                .collect();
        }
        QueryClass::ThingOnly => q.things = vec![world.random_label(rng).to_string()],
        QueryClass::YearNewestFirst => q.time = Some(year(rng)),
        QueryClass::VideosPersonYear => {
            q.kinds = vec![MediaKind::Video];
            q.all_people = vec![me];
            q.time = Some(year(rng));
        }
    }
    q
}
