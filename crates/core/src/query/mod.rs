//! Natural-language query understanding: "Create a memory video of my wife and me in Paris
//! last summer" → intent, people, places, dates, things and free words. Deterministic, linear in
//! the length of the query, no I/O; word tables are built once.
//!
//! Extractors run in a fixed order, each claiming the tokens it understood so later ones do not
//! read them again: duration → time → the user's places → people → world places → vocabulary →
//! unknown names → intent → free words.
//!
//! Decisions worth knowing:
//! - Weeks run Monday to Sunday. "this weekend" is Saturday–Sunday of the current week; "last
//!   weekend" the latest weekend that is over; "the weekend" the latest that has started.
//! - A bare "March", "summer", "Christmas", "May 12", weekday or birthday means the latest one
//!   that has started on or before today; "last summer" the latest one that is over (on
//!   2026-11-22 that is summer 2026, on 2026-07-10 summer 2025); "this summer" the one containing
//!   today, else this calendar year's. Seasons are northern-hemisphere meteorological seasons;
//!   "winter 2023" is December 2023 to February 2024.
//! - "N days ago" is that day; "N weeks/months/years ago" is that calendar week/month/year.
//!   "the last N days", "past month" are windows ending today (inclusive).
//! - "between May and July" is the latest such span that has started.
//! - Several time expressions intersect when they overlap, else the range covers them all; a
//!   lone year completes yearless months and days ("in March … in 2024").
//! - A birthday phrase ("Anna's birthday") is a date only; it does not require Anna in the media.
//! - Capitals are evidence of a name only when the text has lower-case words and the word does
//!   not start a sentence. A lower-case gazetteer name counts only after "in"/"at"/"from"/"to"/
//!   "near"/… or when it is a country ("nice weather" is not Nice, "reading a book" is not
//!   Reading).
//! - "me"/"us" after "show", "make", "for", … are the recipient, not someone in the picture.
//! - A capitalised word right after "with" is a person even when a town has that name: "with
//!   Victoria" asks for a person, so an unknown one is reported rather than mapped to a city.
//! - "Tom's friends" names Tom; someone else's relatives stay free words, except the spouse's
//!   parents and siblings, which match people marked "mother-in-law", "brother-in-law", ….

mod calendar;
mod duration;
mod error;
mod intent;
mod lexicon;
mod model;
mod people;
mod places;
mod proper_nouns;
mod relationship;
mod render;
mod things;
mod time;
mod token;
mod unknown;
mod vocabulary;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests_people;
#[cfg(test)]
mod tests_places;
#[cfg(test)]
mod tests_time;
#[cfg(test)]
mod tests_whole;

pub use error::{MAX_QUERY_CHARS, QueryError};
pub use model::{
    Gazetteer, GazetteerHit, Intent, KnownPerson, KnownPlace, PeopleGroup, PersonMention, Place,
    QueryContext, TimeRange, Understood,
};
pub use proper_nouns::proper_nouns;
pub use vocabulary::{VocabularyEntry, VocabularyKind, label_for, vocabulary};

use lexicon::is_stop_word;
use people::PeopleIndex;
use token::Tokens;

/// Understands one query typed or spoken by the user.
pub fn understand(query: &str, ctx: &QueryContext) -> Result<Understood, QueryError> {
    if query.trim().is_empty() {
        return Err(QueryError::Empty);
    }
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong {
            chars,
            max: MAX_QUERY_CHARS,
        });
    }
    let mut tokens = Tokens::new(query);
    if tokens.list.iter().all(|t| t.dash) {
        return Err(QueryError::Empty);
    }
    let people = PeopleIndex::new(ctx.people);
    let duration_seconds = duration::extract(&mut tokens);
    let time = time::extract(&mut tokens, ctx.today, &people, ctx.gazetteer)?;
    let mut places = places::extract_user_places(&mut tokens, ctx.places);
    let found = people::extract(&mut tokens, &people, ctx.gazetteer)?;
    for place in places::extract_world_places(&mut tokens, ctx.gazetteer) {
        if !places.contains(&place) {
            places.push(place);
        }
    }
    let things = things::extract(&mut tokens);
    unknown::check(&tokens)?;
    let intent = intent::detect(&tokens, duration_seconds.is_some());
    Ok(Understood {
        intent,
        people_all: found.all,
        people_any: found.any,
        places,
        time,
        things,
        words: free_words(&tokens),
        duration_seconds,
    })
}

/// Unclaimed words that carry meaning, lower-case, possessives removed, first mention only.
fn free_words(tokens: &Tokens) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for (i, token) in tokens.list.iter().enumerate() {
        let meaningful = tokens.is_free(i)
            && !token.dash
            && !is_stop_word(&token.lower)
            && !is_stop_word(&token.stem)
            && token.stem.chars().any(char::is_alphanumeric);
        if meaningful && !words.contains(&token.stem) {
            words.push(token.stem.clone());
        }
    }
    words
}
