//! People: names, relationships ("my wife", "the kids", "mom's") and "me"/"us"/"we"/"I".

mod extract;

pub(crate) use extract::extract;

use super::error::QueryError;
use super::lexicon::{is_common_word, is_place_preposition, is_stop_word};
use super::model::{Gazetteer, KnownPerson};
use super::relationship::{self, MAX_PHRASE_WORDS};
use super::token::{Case, Tokens};
use super::vocabulary::is_vocabulary_word;

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

/// A phrase naming people, ending before token `end`.
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

    /// "my wife's mother", "Anna's parents" (Anna being the wife): the people whose stored
    /// relationship is the matching in-law. Empty unless the possessor is the user's spouse.
    fn in_laws(&self, possessor: &Reference, relative: &Reference) -> Vec<usize> {
        const SPOUSES: &[&str] = &["wife", "husband", "spouse", "partner"];
        let is_spouse = |r: &Option<String>| r.as_deref().is_some_and(|r| SPOUSES.contains(&r));
        let spouse = match possessor.kind {
            Kind::Relation { .. } => relationship::relation_word(&possessor.core)
                .is_some_and(|w| SPOUSES.contains(&w.means[0])),
            Kind::Name => possessor
                .members
                .iter()
                .all(|&k| is_spouse(&self.relations[k])),
        };
        let Some(word) = relationship::relation_word(&relative.core).filter(|_| spouse) else {
            return Vec::new();
        };
        let in_law: Vec<String> = word
            .means
            .iter()
            .filter(|m| {
                matches!(
                    **m,
                    "mother" | "father" | "brother" | "sister" | "son" | "daughter"
                )
            })
            .map(|m| format!("{m} in law"))
            .collect();
        self.matching(|k| {
            self.relations[k]
                .as_ref()
                .is_some_and(|r| in_law.contains(r))
        })
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
            } else if name.first().is_some_and(|f| t.stem(i) == f)
                || (full > 1 && name.last().is_some_and(|l| t.stem(i) == l))
            {
                // First name, or family name alone ("Lee" for Sam Lee).
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
