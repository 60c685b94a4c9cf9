//! Names nobody knows: a capitalised word in a person's position ("with Bob", "Bob and me",
//! "of Bob", "Bob's wedding", "my friend Bob") that no extractor claimed is reported, so the user
//! is not silently shown everything.

use super::error::QueryError;
use super::lexicon::{is_common_word, is_place_preposition};
use super::people::name_text;
use super::relationship::is_relationship_word;
use super::token::{Break, Role, Tokens};

const PERSON_LEADS: &[&str] = &[
    "with",
    "featuring",
    "starring",
    "including",
    "plus",
    "alongside",
    "of",
];

pub(crate) fn check(t: &Tokens) -> Result<(), QueryError> {
    if !t.capitals_informative {
        return Ok(());
    }
    let mut i = 0;
    while i < t.len() {
        if !name_like(t, i) {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < t.len() && name_like(t, end) && t.tight(end) && !t.list[end - 1].possessive {
            end += 1;
        }
        if in_person_position(t, i, end) {
            return Err(QueryError::UnknownPerson {
                word: name_text(t, i, end),
            });
        }
        i = end;
    }
    Ok(())
}

fn name_like(t: &Tokens, i: usize) -> bool {
    t.is_free(i)
        && !t.list[i].dash
        && (t.strong_capital(i) || t.weak_capital(i))
        && t.stem(i).chars().any(char::is_alphabetic)
        && !is_common_word(t.stem(i))
}

fn in_person_position(t: &Tokens, i: usize, end: usize) -> bool {
    let is_person = |j: Option<usize>| j.is_some_and(|j| t.roles.get(j) == Some(&Role::Person));
    let prev = t.prev_word(i);
    let led = PERSON_LEADS.contains(&prev) && t.tight(i);
    let listed_after = (matches!(prev, "and" | "or") && is_person(i.checked_sub(2)))
        || (t.list[i].break_before == Break::Comma && is_person(i.checked_sub(1)));
    let listed_before = matches!(t.word(end), "and" | "or")
        && end + 1 < t.len()
        && (is_person(Some(end + 1)) || matches!(t.word(end + 1), "me" | "i" | "us"));
    let possessive = t.list[end - 1].possessive && !is_place_preposition(prev);
    let appositive = i > 0 && t.tight(i) && is_relationship_word(t.stem(i - 1));
    led || listed_after || listed_before || possessive || appositive
}
