//! Places: the user's own named places first, then world names from the gazetteer.

use super::lexicon::{is_common_word, is_place_preposition, is_stop_word};
use super::model::{Gazetteer, GazetteerHit, KnownPlace, Place};
use super::people::phrase_of;
use super::token::{Break, Case, Role, Tokens};
use super::vocabulary::is_vocabulary_word;

/// Longest gazetteer phrase, in words.
const MAX_GAZETTEER_WORDS: usize = 4;

/// Words that may follow a possessive place ("at grandma's house").
const DWELLING: &[&str] = &[
    "house",
    "place",
    "home",
    "flat",
    "apartment",
    "cottage",
    "farm",
];

/// Claims mentions of the user's own places ("home", "grandma's", "the office").
pub(crate) fn extract_user_places(t: &mut Tokens, places: &[KnownPlace]) -> Vec<Place> {
    let names: Vec<Vec<String>> = places.iter().map(|p| place_words(&p.name)).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let longest = names
            .iter()
            .map(Vec::len)
            .filter(|&n| {
                n > 0 && t.free_run(i, i + n) && names_at(t, i, &names, n).next().is_some()
            })
            .max();
        let Some(n) = longest else {
            i += 1;
            continue;
        };
        for k in names_at(t, i, &names, n).collect::<Vec<_>>() {
            let place = Place::UserPlace {
                id: places[k].id,
                name: places[k].name.clone(),
            };
            if !found.contains(&place) {
                found.push(place);
            }
        }
        t.claim(i, i + n, Role::Place);
        let dwelling = i + n;
        if t.list[i + n - 1].possessive
            && t.free_run(dwelling, dwelling + 1)
            && t.tight(dwelling)
            && DWELLING.contains(&t.word(dwelling))
        {
            t.claim(dwelling, dwelling + 1, Role::Filler);
        }
        i += n;
    }
    found
}

fn names_at<'n>(
    t: &'n Tokens,
    i: usize,
    names: &'n [Vec<String>],
    n: usize,
) -> impl Iterator<Item = usize> + 'n {
    names.iter().enumerate().filter_map(move |(k, words)| {
        (words.len() == n && words.iter().enumerate().all(|(j, w)| t.word(i + j) == w)).then_some(k)
    })
}

/// A place name's words, without a leading "the"/"my"/"our".
fn place_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Tokens::new(name)
        .list
        .into_iter()
        .map(|t| t.lower)
        .collect();
    if words
        .first()
        .is_some_and(|w| matches!(w.as_str(), "the" | "my" | "our"))
    {
        words.remove(0);
    }
    words
}

/// Claims world place names, longest phrase first at each position.
pub(crate) fn extract_world_places(t: &mut Tokens, gazetteer: &dyn Gazetteer) -> Vec<Place> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let mut matched = 0;
        for n in (1..=MAX_GAZETTEER_WORDS).rev() {
            if !candidate(t, i, n) {
                continue;
            }
            let Some(hit) = gazetteer.lookup(&phrase_of(t, i, i + n)) else {
                continue;
            };
            if !accept(t, i, n, &hit) {
                continue;
            }
            let place = match hit {
                GazetteerHit::City { name, country_code } => Place::City { name, country_code },
                GazetteerHit::Region { name, country_code } => Place::Region { name, country_code },
                GazetteerHit::Country { code, name } => Place::Country { code, name },
            };
            if !found.contains(&place) {
                found.push(place);
            }
            t.claim(i, i + n, Role::Place);
            matched = n;
            break;
        }
        i += matched.max(1);
    }
    found
}

/// Tokens `i..i+n` could be a place name: free, in one sentence, not starting or ending with a
/// stop word, no numbers. A comma inside is allowed ("Paris, Texas").
fn candidate(t: &Tokens, i: usize, n: usize) -> bool {
    // An acronym in mixed-case text is a name even if it spells a word: "the US".
    let content = |k: usize| {
        !is_stop_word(t.stem(k)) || (t.list[k].case == Case::Upper && t.strong_capital(k))
    };
    t.free_run(i, i + n)
        && content(i)
        && content(i + n - 1)
        && (i..i + n).all(|k| t.word(k).chars().any(char::is_alphabetic))
}

fn accept(t: &Tokens, i: usize, n: usize, hit: &GazetteerHit) -> bool {
    let stem = t.stem(i);
    let prev = t.prev_word(i);
    // "with Victoria": a person's position; an unknown name there is reported, not mapped.
    if n == 1
        && matches!(prev, "with" | "featuring" | "starring")
        && !matches!(hit, GazetteerHit::Country { .. })
    {
        return false;
    }
    if t.strong_capital(i) {
        return true;
    }
    let single_common = n == 1 && (is_vocabulary_word(stem) || is_stop_word(stem));
    let look_alike = n == 1 && is_common_word(stem);
    if is_place_preposition(prev) && !single_common {
        return true;
    }
    // "in paris, rome and venice"; but "at home, nice weather" is not a list of places.
    if continues_place_list(t, i) && !look_alike {
        return true;
    }
    if matches!(hit, GazetteerHit::Country { .. }) && !look_alike {
        return true;
    }
    if t.weak_capital(i) {
        let last_capital = t.weak_capital(i + n - 1) || t.strong_capital(i + n - 1);
        return if n > 1 { last_capital } else { !look_alike };
    }
    false
}

/// "in paris and rome", "in paris, rome": a list that began with an accepted place.
fn continues_place_list(t: &Tokens, i: usize) -> bool {
    let before = if t.list[i].break_before == Break::Comma {
        i.checked_sub(1)
    } else if matches!(t.prev_word(i), "and" | "or") {
        i.checked_sub(2)
    } else {
        None
    };
    before.is_some_and(|b| t.roles[b] == Role::Place)
}
