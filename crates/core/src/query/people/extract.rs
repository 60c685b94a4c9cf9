//! Finding every person reference in a query, and merging "or" lists into groups.

use super::{Kind, Owner, PeopleIndex};
use crate::ids::PersonId;
use crate::query::error::QueryError;
use crate::query::lexicon::{is_common_word, is_recipient_marker};
use crate::query::model::{Gazetteer, PeopleGroup, PersonMention};
use crate::query::token::{Break, Case, Role, Tokens};

#[derive(Debug, Default)]
pub(crate) struct FoundPeople {
    pub all: Vec<PersonMention>,
    pub any: Vec<PeopleGroup>,
}

/// A reference as found at tokens `start..end`, before "or" lists are merged.
struct Mention {
    start: usize,
    end: usize,
    members: Vec<PersonId>,
    plural: bool,
}

/// Claims every person reference in the query.
pub(crate) fn extract(
    t: &mut Tokens,
    index: &PeopleIndex,
    gazetteer: &dyn Gazetteer,
) -> Result<FoundPeople, QueryError> {
    let ids = |members: &[usize]| {
        members
            .iter()
            .map(|&k| index.people[k].id)
            .collect::<Vec<_>>()
    };
    let mut mentions = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let Some(reference) = index.reference_at(t, i, gazetteer) else {
            if t.is_free(i) && pronoun_is_me(t, i) {
                mentions.push(me_at(t, i, index)?);
            }
            i += 1;
            continue;
        };
        let end = reference.end;
        let mut plural = false;
        if let Kind::Relation {
            plural: many,
            strict,
        } = reference.kind
        {
            let generic = reference.owner == Owner::None
                && matches!(
                    t.prev_word(i),
                    "a" | "an" | "any" | "another" | "some" | "other"
                );
            if generic {
                i = end;
                continue;
            }
            if appositive_follows(t, end, index, gazetteer) {
                // "my wife Anna": the name decides.
                t.claim(i, end, Role::Filler);
                i = end;
                continue;
            }
            if reference.members.is_empty() {
                if strict {
                    return Err(QueryError::UnknownRelationship {
                        word: reference.core,
                    });
                }
                i = end;
                continue;
            }
            plural = many;
        }
        // "my wife's mother", "Tom's friends"
        if reference.possessive
            && t.tight(end)
            && let Some(relative) = index.relation_at(t, end, Owner::None)
        {
            let in_laws = index.in_laws(&reference, &relative);
            if !in_laws.is_empty() {
                let plural = matches!(relative.kind, Kind::Relation { plural: true, .. });
                mentions.push(Mention {
                    start: i,
                    end: relative.end,
                    members: ids(&in_laws),
                    plural,
                });
                t.claim(i, relative.end, Role::Person);
                i = relative.end;
                continue;
            }
            // Someone else's relatives are not the user's: the words stay free.
            mentions.push(Mention {
                start: i,
                end,
                members: ids(&reference.members),
                plural,
            });
            t.claim(i, end, Role::Person);
            i = relative.end;
            continue;
        }
        mentions.push(Mention {
            start: i,
            end,
            members: ids(&reference.members),
            plural,
        });
        t.claim(i, end, Role::Person);
        i = end;
    }
    // "Anna and I": "I" names the user only next to another person.
    for i in 0..t.len() {
        let beside_person =
            |j: Option<usize>| j.is_some_and(|j| t.roles.get(j) == Some(&Role::Person));
        let joined_before = t.prev_word(i) == "and" && beside_person(i.checked_sub(2));
        let joined_after = t.word(i + 1) == "and" && beside_person(Some(i + 2));
        if t.word(i) == "i" && t.is_free(i) && (joined_before || joined_after) {
            mentions.push(me_at(t, i, index)?);
        }
    }
    mentions.sort_by_key(|m| m.start);
    let mut found = FoundPeople::default();
    for mention in merge_or_lists(t, mentions) {
        let said = t.text(mention.start, mention.end);
        match mention.members[..] {
            [one] if !mention.plural => found.all.push(PersonMention { person: one, said }),
            _ => found.any.push(PeopleGroup {
                said,
                members: mention.members,
            }),
        }
    }
    tidy(&mut found);
    Ok(found)
}

fn me_at(t: &mut Tokens, i: usize, index: &PeopleIndex) -> Result<Mention, QueryError> {
    let me = index.people[index.me()?].id;
    t.claim(i, i + 1, Role::Person);
    Ok(Mention {
        start: i,
        end: i + 1,
        members: vec![me],
        plural: false,
    })
}

/// "Anna or Tom", "Anna, Tom or Maria": a list joined by "or" (and commas) is one group.
fn merge_or_lists(t: &Tokens, mentions: Vec<Mention>) -> Vec<Mention> {
    let joiner = |before: &Mention, next: &Mention| -> Option<&'static str> {
        let start = &t.list[next.start];
        if next.start == before.end && start.break_before == Break::Comma {
            return Some(",");
        }
        let between = t.list.get(before.end)?;
        if next.start != before.end + 1
            || between.break_before != Break::None
            || start.break_before != Break::None
        {
            return None;
        }
        match between.lower.as_str() {
            "or" => Some("or"),
            "and" => Some("and"),
            _ => None,
        }
    };
    let mut merged = Vec::new();
    let mut run: Vec<Mention> = Vec::new();
    let mut joiners = Vec::new();
    let flush = |run: &mut Vec<Mention>, joiners: &mut Vec<&str>, merged: &mut Vec<Mention>| {
        if joiners.contains(&"or") && !joiners.contains(&"and") {
            let mut members = Vec::new();
            for id in run.iter().flat_map(|m| m.members.iter()) {
                if !members.contains(id) {
                    members.push(*id);
                }
            }
            let (start, end) = (run[0].start, run[run.len() - 1].end);
            merged.push(Mention {
                start,
                end,
                members,
                plural: true,
            });
            run.clear();
        } else {
            merged.append(run);
        }
        joiners.clear();
    };
    for mention in mentions {
        match run.last().and_then(|last| joiner(last, &mention)) {
            Some(j) => joiners.push(j),
            None => flush(&mut run, &mut joiners, &mut merged),
        }
        run.push(mention);
    }
    flush(&mut run, &mut joiners, &mut merged);
    merged
}

fn appositive_follows(
    t: &Tokens,
    at: usize,
    index: &PeopleIndex,
    gazetteer: &dyn Gazetteer,
) -> bool {
    if at >= t.len() || !t.is_free(at) || !t.tight(at) {
        return false;
    }
    let named = index
        .reference_at(t, at, gazetteer)
        .is_some_and(|r| r.kind == Kind::Name);
    let unknown_capital =
        (t.strong_capital(at) || t.weak_capital(at)) && !is_common_word(t.stem(at));
    named || unknown_capital
}

fn pronoun_is_me(t: &Tokens, i: usize) -> bool {
    let prev = t.prev_word(i);
    match t.word(i) {
        "myself" => true,
        "me" => !is_recipient_marker(prev),
        "us" => {
            // "US" in mixed-case text is the country.
            let acronym = t.list[i].case == Case::Upper && t.capitals_informative;
            !acronym && !is_recipient_marker(prev)
        }
        "we" => {
            let asking = matches!(
                prev,
                "can" | "could" | "shall" | "should" | "would" | "will" | "may" | "might"
            );
            let next = t.word(i + 1);
            let acting = matches!(
                next,
                "see"
                    | "watch"
                    | "view"
                    | "look"
                    | "get"
                    | "make"
                    | "create"
                    | "have"
                    | "find"
                    | "show"
                    | "build"
                    | "do"
            );
            !asking && !acting
        }
        _ => false,
    }
}

/// Drops repeated people, and group members who must appear anyway ("Anna and my family"
/// then means Anna plus at least one other family member).
fn tidy(found: &mut FoundPeople) {
    let mut seen = Vec::new();
    found.all.retain(|m| {
        let new = !seen.contains(&m.person);
        seen.push(m.person);
        new
    });
    for group in &mut found.any {
        group.members.retain(|id| !seen.contains(id));
    }
    found.any.retain(|g| !g.members.is_empty());
    let mut groups_seen: Vec<Vec<_>> = Vec::new();
    found.any.retain(|g| {
        let mut key = g.members.clone();
        key.sort();
        let new = !groups_seen.contains(&key);
        groups_seen.push(key);
        new
    });
}
