//! Fixture for the table tests: a fixed today (Sunday 2026-11-22), a small gazetteer, the
//! user's people and places, and a one-line rendering of every field of a result.

use super::*;
use crate::ids::{PersonId, PlaceId};
use chrono::NaiveDate;
use std::collections::HashMap;
use uuid::Uuid;

pub(crate) struct TestGazetteer(HashMap<&'static str, GazetteerHit>);

impl Gazetteer for TestGazetteer {
    fn lookup(&self, phrase: &str) -> Option<GazetteerHit> {
        self.0.get(phrase).cloned()
    }
}

fn city(name: &str, country_code: &str) -> GazetteerHit {
    GazetteerHit::City {
        name: name.into(),
        country_code: country_code.into(),
    }
}

fn region(name: &str, country_code: &str) -> GazetteerHit {
    GazetteerHit::Region {
        name: name.into(),
        country_code: country_code.into(),
    }
}

fn country(code: &str, name: &str) -> GazetteerHit {
    GazetteerHit::Country {
        code: code.into(),
        name: name.into(),
    }
}

pub(crate) fn gazetteer() -> TestGazetteer {
    TestGazetteer(HashMap::from([
        ("paris", city("Paris", "FR")),
        ("paris texas", city("Paris", "US")),
        ("texas", region("Texas", "US")),
        ("rome", city("Rome", "IT")),
        ("new york", city("New York", "US")),
        ("new york city", city("New York", "US")),
        ("rio de janeiro", city("Rio de Janeiro", "BR")),
        ("nice", city("Nice", "FR")),
        ("reading", city("Reading", "GB")),
        ("bath", city("Bath", "GB")),
        ("london", city("London", "GB")),
        ("tokyo", city("Tokyo", "JP")),
        ("san francisco", city("San Francisco", "US")),
        ("berlin", city("Berlin", "DE")),
        ("barcelona", city("Barcelona", "ES")),
        ("venice", city("Venice", "IT")),
        ("florence", city("Florence", "IT")),
        ("anna", city("Anna", "US")),
        ("orange", city("Orange", "FR")),
        ("mobile", city("Mobile", "US")),
        ("march", city("March", "GB")),
        ("sunset", city("Sunset", "US")),
        ("victoria", city("Victoria", "CA")),
        ("são paulo", city("São Paulo", "BR")),
        ("st louis", city("St. Louis", "US")),
        ("long beach", city("Long Beach", "US")),
        ("california", region("California", "US")),
        ("georgia", region("Georgia", "US")),
        ("italy", country("IT", "Italy")),
        ("france", country("FR", "France")),
        ("japan", country("JP", "Japan")),
        ("germany", country("DE", "Germany")),
        ("spain", country("ES", "Spain")),
        ("turkey", country("TR", "Turkey")),
        ("us", country("US", "United States")),
        ("usa", country("US", "United States")),
        ("united kingdom", country("GB", "United Kingdom")),
    ]))
}

fn id(n: u128) -> PersonId {
    PersonId(Uuid::from_u128(n))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn person(
    n: u128,
    name: &str,
    relationship: Option<&str>,
    birthday: Option<NaiveDate>,
) -> KnownPerson {
    KnownPerson {
        id: id(n),
        name: name.into(),
        relationship: relationship.map(Into::into),
        is_me: false,
        birthday,
    }
}

/// Anna (wife), Tom (son), Maria (mom), Sam Lee (friend) and the user, Alex.
pub(crate) fn people() -> Vec<KnownPerson> {
    vec![
        person(1, "Anna", Some("wife"), None),
        person(2, "Tom", Some("son"), None),
        person(3, "Maria", Some("Mom"), Some(date(1960, 3, 14))),
        person(4, "Sam Lee", Some("friend"), None),
        KnownPerson {
            is_me: true,
            ..person(5, "Alex", None, Some(date(1990, 7, 4)))
        },
    ]
}

/// A second household: two children, two people called Jo, a "June", no one marked as me.
pub(crate) fn other_people() -> Vec<KnownPerson> {
    vec![
        person(11, "Tom", Some("son"), Some(date(2015, 2, 3))),
        person(12, "Lily", Some("daughter"), None),
        person(13, "Jo Smith", Some("Sister-in-law"), None),
        person(14, "Jo Brown", Some("godmother"), None),
        person(15, "June", Some("neighbor"), None),
        person(16, "Ben", Some("Husband"), Some(date(1988, 2, 29))),
    ]
}

pub(crate) fn places() -> Vec<KnownPlace> {
    ["home", "grandma's", "the office"]
        .iter()
        .enumerate()
        .map(|(n, name)| KnownPlace {
            id: PlaceId(Uuid::from_u128(100 + n as u128)),
            name: (*name).into(),
        })
        .collect()
}

pub(crate) fn today() -> NaiveDate {
    date(2026, 11, 22)
}

/// Runs `query` against the given people and renders the whole result on one line.
pub(crate) fn run_with(query: &str, people: &[KnownPerson]) -> String {
    let gazetteer = gazetteer();
    let places = places();
    let ctx = QueryContext {
        today: today(),
        people,
        places: &places,
        gazetteer: &gazetteer,
    };
    match understand(query, &ctx) {
        Ok(understood) => summarize(&understood, people),
        Err(error) => format!("err={}", error_text(&error)),
    }
}

pub(crate) fn run(query: &str) -> String {
    run_with(query, &people())
}

fn error_text(error: &QueryError) -> String {
    match error {
        QueryError::Empty => "Empty".into(),
        QueryError::TooLong { chars, .. } => format!("TooLong({chars})"),
        QueryError::UnknownPerson { word } => format!("UnknownPerson({word})"),
        QueryError::UnknownRelationship { word } => format!("UnknownRelationship({word})"),
        QueryError::UnknownBirthday { whose } => format!("UnknownBirthday({whose})"),
        QueryError::UnknownSelf => "UnknownSelf".into(),
        QueryError::AmbiguousPerson { word, candidates } => {
            format!("AmbiguousPerson({word}: {candidates})")
        }
        QueryError::InvalidDate { phrase } => format!("InvalidDate({phrase})"),
    }
}

/// Every field, in a fixed order; empty fields are left out, so equality checks them too.
pub(crate) fn summarize(u: &Understood, people: &[KnownPerson]) -> String {
    let name = |id: PersonId| {
        people
            .iter()
            .find(|p| p.id == id)
            .map_or("?".to_owned(), |p| p.name.clone())
    };
    let mut parts = vec![match u.intent {
        Intent::CreateMemory => "create".to_owned(),
        Intent::Search => "search".to_owned(),
    }];
    if let Some(seconds) = u.duration_seconds {
        parts.push(format!("dur={seconds}"));
    }
    if !u.people_all.is_empty() {
        let all: Vec<String> = u
            .people_all
            .iter()
            .map(|m| format!("{}<{}>", name(m.person), m.said))
            .collect();
        parts.push(format!("all={}", all.join(",")));
    }
    if !u.people_any.is_empty() {
        let groups: Vec<String> = u
            .people_any
            .iter()
            .map(|g| {
                format!(
                    "[{}: {}]",
                    g.said,
                    g.members
                        .iter()
                        .map(|&m| name(m))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        parts.push(format!("any={}", groups.join(",")));
    }
    if !u.places.is_empty() {
        let places: Vec<String> = u
            .places
            .iter()
            .map(|p| match p {
                Place::City { name, country_code } => format!("city:{name},{country_code}"),
                Place::Region { name, country_code } => format!("region:{name},{country_code}"),
                Place::Country { code, name } => format!("country:{code}:{name}"),
                Place::UserPlace { name, .. } => format!("user:{name}"),
            })
            .collect();
        parts.push(format!("places={}", places.join(";")));
    }
    if let Some(time) = &u.time {
        parts.push(format!(
            "time={}..{}<{}>",
            time.start, time.end, time.phrase
        ));
    }
    if !u.things.is_empty() {
        parts.push(format!("things={}", u.things.join(",")));
    }
    if !u.words.is_empty() {
        parts.push(format!("words={}", u.words.join(",")));
    }
    parts.join(" | ")
}

/// Checks a table and reports every mismatch at once.
pub(crate) fn check_table(cases: &[(&str, &str)], run: impl Fn(&str) -> String) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(query, expected)| {
            let got = run(query);
            (got != *expected)
                .then(|| format!("query:    {query:?}\nexpected: {expected}\ngot:      {got}\n"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
