//! Relationship words. Both the query ("my mum") and the person's stored relationship ("Mother")
//! are mapped to canonical relationships, so any synonym on either side matches.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

/// What a relationship word in a query refers to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RelationWord {
    /// Canonical relationships that satisfy the word; the first is the word's own canonical form.
    pub means: &'static [&'static str],
    /// Plural or collective ("kids", "my family"): any of the matching people.
    pub plural: bool,
}

const SPOUSE: &[&str] = &["spouse", "wife", "husband", "partner"];
const PARTNER: &[&str] = &[
    "partner",
    "spouse",
    "wife",
    "husband",
    "girlfriend",
    "boyfriend",
    "fiance",
];
const PARENT: &[&str] = &["parent", "mother", "father", "stepmother", "stepfather"];
const CHILD: &[&str] = &["child", "son", "daughter", "stepson", "stepdaughter"];
const SIBLING: &[&str] = &["sibling", "brother", "sister"];
const GRANDPARENT: &[&str] = &["grandparent", "grandmother", "grandfather"];
const GRANDCHILD: &[&str] = &["grandchild", "grandson", "granddaughter"];
#[rustfmt::skip]
const IN_LAW: &[&str] = &[
    "in law", "mother in law", "father in law", "brother in law", "sister in law", "son in law",
    "daughter in law",
];
/// Relationships that "my family" covers. Friends, partners who are not spouses, colleagues and
/// neighbours are not family.
#[rustfmt::skip]
pub(crate) const FAMILY: &[&str] = &[
    "family", "spouse", "wife", "husband", "fiance", "parent", "mother", "father", "stepmother",
    "stepfather", "child", "son", "daughter", "stepson", "stepdaughter", "sibling", "brother",
    "sister", "grandparent", "grandmother", "grandfather", "grandchild", "grandson",
    "granddaughter", "aunt", "uncle", "cousin", "niece", "nephew", "in law", "mother in law",
    "father in law", "brother in law", "sister in law", "son in law", "daughter in law",
];

type Row = (&'static [&'static str], &'static [&'static str], bool);

#[rustfmt::skip]
const ROWS: &[Row] = &[
    (&["wife", "wifey", "missus", "missis"], &["wife", "spouse"], false),
    (&["wives"], &["wife", "spouse"], true),
    (&["husband", "hubby"], &["husband", "spouse"], false),
    (&["husbands"], &["husband", "spouse"], true),
    (&["spouse", "other half", "better half"], SPOUSE, false),
    (&["partner"], PARTNER, false),
    (&["girlfriend", "gf"], &["girlfriend"], false),
    (&["boyfriend", "bf"], &["boyfriend"], false),
    (&["fiance", "fiancé", "fiancee", "fiancée"], &["fiance"], false),
    (&["mother", "mom", "mum", "mommy", "mummy", "mama", "mamma", "momma", "mammy"], &["mother"],
        false),
    (&["father", "dad", "daddy", "papa"], &["father"], false),
    (&["parent"], PARENT, false),
    (&["parents", "folks"], PARENT, true),
    (&["son"], &["son"], false),
    (&["sons"], &["son"], true),
    (&["daughter"], &["daughter"], false),
    (&["daughters"], &["daughter"], true),
    (&["child", "kid"], CHILD, false),
    (&["children", "kids", "kiddos", "little ones"], CHILD, true),
    (&["brother", "bro"], &["brother"], false),
    (&["brothers"], &["brother"], true),
    (&["sister", "sis"], &["sister"], false),
    (&["sisters"], &["sister"], true),
    (&["sibling"], SIBLING, false),
    (&["siblings"], SIBLING, true),
    (&["grandmother", "grandma", "granny", "grannie", "gran", "nana", "nanna", "grandmom",
        "grandmum", "grandmama", "oma", "abuela"], &["grandmother"], false),
    (&["grandfather", "grandpa", "granddad", "grandad", "gramps", "grandpapa", "opa", "abuelo"],
        &["grandfather"], false),
    (&["grandparent"], GRANDPARENT, false),
    (&["grandparents"], GRANDPARENT, true),
    (&["grandson"], &["grandson"], false),
    (&["granddaughter"], &["granddaughter"], false),
    (&["grandchild", "grandkid"], GRANDCHILD, false),
    (&["grandchildren", "grandkids"], GRANDCHILD, true),
    (&["aunt", "auntie", "aunty"], &["aunt"], false),
    (&["aunts", "aunties"], &["aunt"], true),
    (&["uncle"], &["uncle"], false),
    (&["uncles"], &["uncle"], true),
    (&["cousin"], &["cousin"], false),
    (&["cousins"], &["cousin"], true),
    (&["niece"], &["niece"], false),
    (&["nieces"], &["niece"], true),
    (&["nephew"], &["nephew"], false),
    (&["nephews"], &["nephew"], true),
    (&["mother in law"], &["mother in law"], false),
    (&["father in law"], &["father in law"], false),
    (&["brother in law"], &["brother in law"], false),
    (&["sister in law"], &["sister in law"], false),
    (&["son in law"], &["son in law"], false),
    (&["daughter in law"], &["daughter in law"], false),
    (&["in laws", "inlaws"], IN_LAW, true),
    (&["stepmother", "stepmom", "stepmum", "step mom", "step mum", "step mother"], &["stepmother"],
        false),
    (&["stepfather", "stepdad", "step dad", "step father"], &["stepfather"], false),
    (&["stepson", "step son"], &["stepson"], false),
    (&["stepdaughter", "step daughter"], &["stepdaughter"], false),
    (&["friend", "buddy", "pal", "bestie", "bff", "best friend"], &["friend"], false),
    (&["friends", "buddies", "pals", "besties", "best friends"], &["friend"], true),
    (&["colleague", "coworker", "co worker", "workmate"], &["colleague"], false),
    (&["colleagues", "coworkers", "co workers", "workmates"], &["colleague"], true),
    (&["neighbour", "neighbor"], &["neighbour"], false),
    (&["neighbours", "neighbors"], &["neighbour"], true),
    (&["roommate", "flatmate", "housemate"], &["roommate"], false),
    (&["roommates", "flatmates", "housemates"], &["roommate"], true),
    (&["family", "relatives", "relations", "loved ones"], FAMILY, true),
];

static WORDS: LazyLock<HashMap<&'static str, RelationWord>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (phrases, means, plural) in ROWS {
        for phrase in *phrases {
            map.insert(
                *phrase,
                RelationWord {
                    means,
                    plural: *plural,
                },
            );
        }
    }
    map
});

static SINGLE_WORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| WORDS.keys().flat_map(|p| p.split(' ')).collect());

/// Longest relationship phrase, in words.
pub(crate) const MAX_PHRASE_WORDS: usize = 3;

/// A relationship phrase (lower-case, single-spaced) as used in a query.
pub(crate) fn relation_word(phrase: &str) -> Option<RelationWord> {
    WORDS.get(phrase).copied()
}

pub(crate) fn is_relationship_word(word: &str) -> bool {
    SINGLE_WORDS.contains(word)
}

/// Normalises a stored relationship: lower-case, hyphens and repeated spaces collapsed, a
/// leading "my " dropped ("My Mother-in-law" → "mother in law").
pub(crate) fn normalise(stored: &str) -> String {
    let lower = stored.to_lowercase().replace(['-', '_'], " ");
    let words: Vec<&str> = lower.split_whitespace().collect();
    let words = match words.split_first() {
        Some((&"my", rest)) => rest,
        _ => &words[..],
    };
    words.join(" ")
}

/// The canonical relationship of a stored relationship text; unknown texts stay as written
/// (normalised), so a custom "godmother" still matches the word "godmother".
pub(crate) fn canonical(stored: &str) -> String {
    let normalised = normalise(stored);
    match relation_word(&normalised) {
        Some(word) => word.means[0].to_owned(),
        None => normalised,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_stored_relationships_to_canonical() {
        assert_eq!(canonical("Mum"), "mother");
        assert_eq!(canonical("My Mother-in-Law"), "mother in law");
        assert_eq!(canonical("best friend"), "friend");
        assert_eq!(canonical(" Godmother "), "godmother");
        assert!(
            FAMILY.contains(&"mother")
                && !FAMILY.contains(&"friend")
                && !FAMILY.contains(&"girlfriend")
        );
    }

    #[test]
    fn query_words_cover_synonyms() {
        let mom = relation_word("mommy").map(|w| w.means);
        assert_eq!(mom, Some(&["mother"][..]));
        assert!(relation_word("kids").is_some_and(|w| w.plural && w.means.contains(&"son")));
        assert!(relation_word("wife").is_some_and(|w| !w.plural));
        assert!(relation_word("dogs").is_none());
        for (phrases, _, _) in ROWS {
            for phrase in *phrases {
                assert!(phrase.split(' ').count() <= MAX_PHRASE_WORDS);
            }
        }
    }
}
