//! A user's words → [`Understood`], with the user's own people, places and the place names of
//! their library; and [`Understood`] → a search of the read model.

use crate::state::AppState;
use chrono::{NaiveDate, Utc};
use sightline_core::UserId;
use sightline_core::media::MediaKind;
use sightline_core::query::{
    Gazetteer, GazetteerHit, KnownPerson, KnownPlace, Place, QueryContext, QueryError, Understood,
    understand,
};
use sightline_search::{CityFilter, SearchQuery, TimeRange};
use std::collections::HashMap;

/// Country names that are everyday words or first names more often than they are countries;
/// they count as countries only when the user has media there.
const AMBIGUOUS_COUNTRIES: &[&str] = &[
    "chad", "china", "georgia", "guinea", "jersey", "jordan", "turkey", "niger", "cuba", "peru",
];

/// Place names a query can mention: the cities and regions of the user's own media (where a
/// search can find something) and the world's countries.
#[derive(Default)]
pub struct LibraryGazetteer {
    names: HashMap<String, GazetteerHit>,
}

impl LibraryGazetteer {
    pub fn new(library: &[sightline_store::library::Annotations]) -> Self {
        let mut names = HashMap::new();
        for (code, name) in sightline_places::countries() {
            let key = normalise(name);
            if !AMBIGUOUS_COUNTRIES.contains(&key.as_str()) {
                names.insert(
                    key,
                    GazetteerHit::Country {
                        code: code.to_string(),
                        name: name.to_string(),
                    },
                );
            }
        }
        for place in library {
            let Some(code) = &place.country_code else {
                continue;
            };
            if let Some(country) = &place.country {
                names.insert(
                    normalise(country),
                    GazetteerHit::Country {
                        code: code.clone(),
                        name: country.clone(),
                    },
                );
            }
            // Cities win over regions of the same name ("Paris" the city, not a region).
            if let Some(region) = &place.region {
                names
                    .entry(normalise(region))
                    .or_insert_with(|| GazetteerHit::Region {
                        name: region.clone(),
                        country_code: code.clone(),
                    });
            }
            for town in &place.nearby {
                names
                    .entry(normalise(town))
                    .or_insert_with(|| GazetteerHit::City {
                        name: town.clone(),
                        country_code: code.clone(),
                    });
            }
            if let Some(city) = &place.city {
                names.insert(
                    normalise(city),
                    GazetteerHit::City {
                        name: city.clone(),
                        country_code: code.clone(),
                    },
                );
            }
        }
        Self { names }
    }
}

/// Lower-case, single-spaced, hyphens and dots as spaces: the form the parser looks up.
fn normalise(name: &str) -> String {
    name.split(|c: char| c.is_whitespace() || c == '-' || c == '.')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Gazetteer for LibraryGazetteer {
    fn lookup(&self, phrase: &str) -> Option<GazetteerHit> {
        self.names.get(phrase).cloned()
    }
}

/// What understanding a query of this user needs.
pub struct Vocabulary {
    pub people: Vec<KnownPerson>,
    pub places: Vec<KnownPlace>,
    pub gazetteer: LibraryGazetteer,
    pub today: NaiveDate,
}

/// Users' vocabularies, reused while their library version and the day stay the same: the
/// cached path of a memory then costs one indexed read instead of a scan of the library's
/// place names.
#[derive(Default)]
pub struct VocabularyCache {
    entries: std::sync::Mutex<HashMap<UserId, CachedVocabulary>>,
}

/// A vocabulary with the library version and day it holds for.
type CachedVocabulary = (i64, NaiveDate, std::sync::Arc<Vocabulary>);

/// Past this many users the cache starts over rather than tracking recency.
const VOCABULARY_CACHE_USERS: usize = 10_000;

impl VocabularyCache {
    /// The user's vocabulary and the library version it was read at.
    pub async fn get(
        &self,
        state: &AppState,
        user: UserId,
    ) -> anyhow::Result<(std::sync::Arc<Vocabulary>, i64)> {
        let version = state.backends.library.library_version(user).await?;
        let today = Utc::now().date_naive();
        if let Ok(entries) = self.entries.lock()
            && let Some((v, day, vocabulary)) = entries.get(&user)
            && *v == version
            && *day == today
        {
            return Ok((vocabulary.clone(), version));
        }
        let vocabulary = std::sync::Arc::new(Vocabulary::load(state, user).await?);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= VOCABULARY_CACHE_USERS {
                entries.clear();
            }
            entries.insert(user, (version, today, vocabulary.clone()));
        }
        Ok((vocabulary, version))
    }
}

impl Vocabulary {
    pub async fn load(state: &AppState, user: UserId) -> anyhow::Result<Self> {
        let library = &state.backends.library;
        let (people, places, names) = tokio::try_join!(
            library.people(user),
            library.places(user),
            library.place_names(user)
        )?;
        Ok(Self {
            people: people
                .into_iter()
                .map(|p| KnownPerson {
                    id: p.id,
                    name: p.name,
                    relationship: p.relationship,
                    is_me: p.is_me,
                    birthday: p.birthday,
                })
                .collect(),
            places: places
                .into_iter()
                .map(|p| KnownPlace {
                    id: p.id,
                    name: p.name,
                })
                .collect(),
            gazetteer: LibraryGazetteer::new(&names),
            // Users have no time zone yet: calendar words are resolved in UTC.
            today: Utc::now().date_naive(),
        })
    }

    pub fn context(&self) -> QueryContext<'_> {
        QueryContext {
            today: self.today,
            people: &self.people,
            places: &self.places,
            gazetteer: &self.gazetteer,
        }
    }

    pub fn understand(&self, text: &str) -> Result<Understood, QueryError> {
        understand(text, &self.context())
    }

    pub fn describe(&self, understood: &Understood) -> String {
        understood.describe(&self.context())
    }
}

/// The read-model search for what a query asks. People in several "any of" groups (e.g. "my
/// family and my kids") are checked afterwards against appearances; the index takes one group.
pub fn search_query(user: UserId, understood: &Understood, kinds: Vec<MediaKind>) -> SearchQuery {
    let mut query = SearchQuery::for_user(user);
    query.all_people = understood.people_all.iter().map(|p| p.person).collect();
    if let [group] = understood.people_any.as_slice() {
        query.any_people = group.members.clone();
    }
    for place in &understood.places {
        match place {
            Place::City { name, country_code } => query.cities.push(CityFilter {
                name: name.clone(),
                country_code: (!country_code.is_empty()).then(|| country_code.clone()),
            }),
            Place::Region { name, .. } => query.regions.push(name.clone()),
            Place::Country { code, .. } => query.countries.push(code.clone()),
            Place::UserPlace { id, .. } => query.place_ids.push(*id),
        }
    }
    query.time = understood.time.as_ref().map(|t| TimeRange {
        start: t.start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
        end: t.end.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
    });
    query.kinds = kinds;
    query.things = understood.things.clone();
    query.text = understood.words.clone();
    query
}

#[cfg(test)]
mod tests {
    use super::*;
    use sightline_store::library::Annotations;

    fn paris() -> Annotations {
        Annotations {
            city: Some("Paris".into()),
            region: Some("Ile-de-France".into()),
            country_code: Some("FR".into()),
            country: Some("France".into()),
            nearby: vec!["Saint-Ouen".into()],
            interest: None,
        }
    }

    #[test]
    fn knows_library_cities_and_world_countries() {
        let g = LibraryGazetteer::new(&[paris()]);
        assert!(
            matches!(g.lookup("paris"), Some(GazetteerHit::City { name, .. }) if name == "Paris")
        );
        assert!(matches!(
            g.lookup("ile de france"),
            Some(GazetteerHit::Region { .. })
        ));
        assert!(
            matches!(g.lookup("japan"), Some(GazetteerHit::Country { code, .. }) if code == "JP")
        );
        assert!(matches!(
            g.lookup("saint ouen"),
            Some(GazetteerHit::City { .. })
        ));
        assert!(g.lookup("rome").is_none(), "no media there");
        assert!(
            g.lookup("turkey").is_none(),
            "ambiguous without media there"
        );
    }

    #[test]
    fn query_carries_every_filter() {
        let g = LibraryGazetteer::new(&[paris()]);
        let vocabulary = Vocabulary {
            people: vec![KnownPerson {
                id: sightline_core::PersonId::new_random(),
                name: "Anna".into(),
                relationship: Some("wife".into()),
                is_me: false,
                birthday: None,
            }],
            places: vec![],
            gazetteer: g,
            today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        };
        let understood = vocabulary
            .understand("make a video of my wife in Paris last summer")
            .unwrap();
        let user = UserId::new_random();
        let q = search_query(user, &understood, vec![MediaKind::Video]);
        assert_eq!(q.user, user);
        assert_eq!(q.all_people, [vocabulary.people[0].id]);
        assert_eq!(q.cities.len(), 1);
        assert_eq!(q.cities[0].name, "Paris");
        let time = q.time.unwrap();
        assert_eq!(
            time.start.date_naive(),
            NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
        );
        assert_eq!(
            time.end.date_naive(),
            NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()
        );
        assert_eq!(q.kinds, [MediaKind::Video]);
    }
}
