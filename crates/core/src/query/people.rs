//! People: names, relationships ("my wife", "the kids", "mom's") and "me"/"us"/"we"/"I".

use super::error::QueryError;
use super::lexicon::{is_common_word, is_place_preposition, is_recipient_marker, is_stop_word};
use super::model::{Gazetteer, KnownPerson, PeopleGroup, PersonMention};
use super::relationship::{self, MAX_PHRASE_WORDS};
use super::token::{Break, Case, Role, Tokens};
use super::vocabulary::is_vocabulary_word;
use crate::ids::PersonId;

/// The user's people, prepared once per query.
pub(crate) struct PeopleIndex<'a> {
    pub people: &'a [KnownPerson],
    me: Option<usize>,
    /// Lower-case name words ("sam lee" → ["sam", "lee"]).
    names: Vec<Vec<String>>,
    relations: Vec<Option<String>>,
    /// The stored relationship text, normalised, for relationships no table knows.
    custom_relations: Vec<Option<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    None,
    /// "my", "our"
    Mine,
    The,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Name,
    Relation { plural: bool, strict: bool },
}

/// A phrase naming people, at tokens `start..end`.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub end: usize,
    /// The name or relationship as looked up (lower-case, possessive removed): "sister", "anna".
    pub core: String,
    pub owner: Owner,
    pub kind: Kind,
    /// Indexes into `PeopleIndex::people`.
    pub members: Vec<usize>,
    pub possessive: bool,
}

impl<'a> PeopleIndex<'a> {
    pub fn new(people: &'a [KnownPerson]) -> Self {
        let names = people
            .iter()
            .map(|p| {
                Tokens::new(&p.name)
                    .list
                    .into_iter()
                    .map(|t| t.lower)
                    .collect()
            })
            .collect();
        let relations = people
            .iter()
            .map(|p| p.relationship.as_deref().map(relationship::canonical))
            .collect();
        let custom_relations = people
            .iter()
            .map(|p| p.relationship.as_deref().map(relationship::normalise))
            .collect();
        let me = people.iter().position(|p| p.is_me);
        Self {
            people,
            me,
            names,
            relations,
            custom_relations,
        }
    }

    pub fn me(&self) -> Result<usize, QueryError> {
        self.me.ok_or(QueryError::UnknownSelf)
    }

    pub fn has_first_name(&self, word: &str) -> bool {
        self.names
            .iter()
            .any(|n| n.first().is_some_and(|f| f == word))
    }

    /// Reads a name or relationship phrase starting at `i`, if there is one.
    pub fn reference_at(
        &self,
        t: &Tokens,
        i: usize,
        gazetteer: &dyn Gazetteer,
    ) -> Option<Reference> {
        if !t.is_free(i) {
            return None;
        }
        let owner = match t.word(i) {
            "my" | "our" => Owner::Mine,
            "the" => Owner::The,
            _ => Owner::None,
        };
        let core_start = if owner == Owner::None { i } else { i + 1 };
        if core_start > i && (!t.is_free(core_start) || t.sentence_start(core_start)) {
            return None;
        }
        if let Some(found) = self.relation_at(t, core_start, owner) {
            return Some(found);
        }
        if owner != Owner::None {
            return None;
        }
        self.name_at(t, i, gazetteer)
    }

    fn relation_at(&self, t: &Tokens, j: usize, owner: Owner) -> Option<Reference> {
        for n in (1..=MAX_PHRASE_WORDS).rev() {
            if !t.free_run(j, j + n) {
                continue;
            }
            let phrase = phrase_of(t, j, j + n);
            let (members, plural) = if let Some(word) = relationship::relation_word(&phrase) {
                let members = self.matching(|k| {
                    self.relations[k]
                        .as_deref()
                        .is_some_and(|r| word.means.contains(&r))
                });
                (members, word.plural)
            } else {
                let members =
                    self.matching(|k| self.custom_relations[k].as_deref() == Some(phrase.as_str()));
                if members.is_empty() {
                    continue;
                }
                (members, false)
            };
            let strict = owner == Owner::Mine || (!plural && !is_vocabulary_word(&phrase));
            return Some(Reference {
                end: j + n,
                core: phrase,
                owner,
                kind: Kind::Relation { plural, strict },
                members,
                possessive: t.list[j + n - 1].possessive,
            });
        }
        None
    }

    fn matching(&self, keep: impl Fn(usize) -> bool) -> Vec<usize> {
        (0..self.people.len())
            .filter(|&k| Some(k) != self.me && keep(k))
            .collect()
    }

    fn name_at(&self, t: &Tokens, i: usize, gazetteer: &dyn Gazetteer) -> Option<Reference> {
        let mut best_len = 0;
        let mut members = Vec::new();
        for (k, name) in self.names.iter().enumerate() {
            let full = name.len();
            let matched = if full > 1 && t.free_run(i, i + full) && name_matches(t, i, name) {
                full
            } else if name.first().is_some_and(|f| t.stem(i) == f) {
                1
            } else {
                0
            };
            if matched > best_len {
                best_len = matched;
                members.clear();
            }
            if matched > 0 && matched == best_len {
                members.push(k);
            }
        }
        if best_len == 0 || !looks_like_name(t, i, best_len) {
            return None;
        }
        // "in Florence": a place preposition and a gazetteer hit make it a place.
        if best_len == 1
            && is_place_preposition(t.prev_word(i))
            && gazetteer.lookup(t.stem(i)).is_some()
        {
            return None;
        }
        Some(Reference {
            end: i + best_len,
            core: phrase_of(t, i, i + best_len),
            owner: Owner::None,
            kind: Kind::Name,
            members,
            possessive: t.list[i + best_len - 1].possessive,
        })
    }
}

fn name_matches(t: &Tokens, i: usize, name: &[String]) -> bool {
    let last = name.len() - 1;
    name.iter().enumerate().all(|(k, part)| {
        let word = if k == last {
            t.stem(i + k)
        } else {
            t.word(i + k)
        };
        word == part
    })
}

/// A name typed in lower case must not be an ordinary word ("will", "rose").
fn looks_like_name(t: &Tokens, i: usize, len: usize) -> bool {
    let stem = t.stem(i);
    if t.strong_capital(i) || len > 1 {
        return true;
    }
    if t.weak_capital(i) {
        return !is_stop_word(stem);
    }
    t.list[i].case == Case::Lower && !is_common_word(stem)
}

/// Lower-case words `from..to`, the last without its possessive.
pub(crate) fn phrase_of(t: &Tokens, from: usize, to: usize) -> String {
    let mut phrase = String::new();
    for k in from..to {
        if k > from {
            phrase.push(' ');
        }
        phrase.push_str(if k + 1 == to { t.stem(k) } else { t.word(k) });
    }
    phrase
}

/// The original text of tokens `from..to` without a trailing possessive ("Bob's" → "Bob").
pub(crate) fn name_text(t: &Tokens, from: usize, to: usize) -> String {
    let mut chars: Vec<char> = t.text(from, to).chars().collect();
    let apostrophe = |c: &char| matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`');
    if to > from && t.list[to - 1].possessive {
        if chars.last().is_some_and(|c| matches!(c, 's' | 'S'))
            && chars.len() >= 2
            && apostrophe(&chars[chars.len() - 2])
        {
            chars.truncate(chars.len() - 2);
        } else if chars.last().is_some_and(apostrophe) {
            chars.pop();
        }
    }
    chars.into_iter().collect()
}

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
