//! The labels shared by the query parser and the detectors: the 80 COCO object classes (named
//! exactly as COCO/YOLO name them) and common scenes, each with plurals and synonyms.

use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VocabularyKind {
    /// A COCO object class, found by an object detector.
    Object,
    /// A scene or event, found by a scene classifier.
    Scene,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VocabularyEntry {
    /// The canonical label, as stored on detections and returned in `Understood::things`.
    pub label: &'static str,
    pub kind: VocabularyKind,
    /// Other phrasings (lower-case, single-spaced), including the plural.
    pub synonyms: &'static [&'static str],
}

const fn object(label: &'static str, synonyms: &'static [&'static str]) -> VocabularyEntry {
    VocabularyEntry {
        label,
        kind: VocabularyKind::Object,
        synonyms,
    }
}

const fn scene(label: &'static str, synonyms: &'static [&'static str]) -> VocabularyEntry {
    VocabularyEntry {
        label,
        kind: VocabularyKind::Scene,
        synonyms,
    }
}

#[rustfmt::skip]
static VOCABULARY: &[VocabularyEntry] = &[
    // "kid(s)"/"children" are matched to the user's own children first (see relationship.rs);
    // they land here only when the user has none.
    object("person", &["people", "persons", "man", "men", "woman", "women", "boy", "boys", "girl",
        "girls", "guy", "guys", "lady", "ladies", "baby", "babies", "toddler", "toddlers", "kid",
        "kids", "child", "children", "crowd", "crowds", "someone", "somebody", "human", "humans"]),
    object("bicycle", &["bicycles", "bike", "bikes", "cycle", "cycles"]),
    object("car", &["cars", "automobile", "automobiles", "auto"]),
    object("motorcycle", &["motorcycles", "motorbike", "motorbikes", "moped", "mopeds"]),
    object("airplane", &["airplanes", "aeroplane", "aeroplanes", "plane", "planes", "jet", "jets",
        "aircraft"]),
    object("bus", &["buses", "busses"]),
    object("train", &["trains"]),
    object("truck", &["trucks", "lorry", "lorries", "pickup truck", "pickup trucks"]),
    object("boat", &["boats", "ship", "ships", "sailboat", "sailboats", "yacht", "yachts", "canoe",
        "canoes", "kayak", "kayaks"]),
    object("traffic light", &["traffic lights", "stoplight", "stoplights", "traffic signal",
        "traffic signals"]),
    object("fire hydrant", &["fire hydrants", "hydrant", "hydrants"]),
    object("stop sign", &["stop signs"]),
    object("parking meter", &["parking meters"]),
    object("bench", &["benches"]),
    object("bird", &["birds", "pigeon", "pigeons", "seagull", "seagulls", "gull", "gulls", "duck",
        "ducks", "parrot", "parrots"]),
    object("cat", &["cats", "kitten", "kittens", "kitty", "kitties"]),
    object("dog", &["dogs", "puppy", "puppies", "pup", "pups", "doggy", "doggie", "doggies"]),
    object("horse", &["horses", "pony", "ponies"]),
    object("sheep", &["lamb", "lambs"]),
    object("cow", &["cows", "cattle", "calf", "calves"]),
    object("elephant", &["elephants"]),
    object("bear", &["bears"]),
    object("zebra", &["zebras"]),
    object("giraffe", &["giraffes"]),
    object("backpack", &["backpacks", "rucksack", "rucksacks"]),
    object("umbrella", &["umbrellas"]),
    object("handbag", &["handbags", "purse", "purses"]),
    object("tie", &["ties", "necktie", "neckties"]),
    object("suitcase", &["suitcases", "luggage"]),
    object("frisbee", &["frisbees"]),
    object("skis", &["ski"]),
    object("snowboard", &["snowboards"]),
    object("sports ball", &["sports balls", "ball", "balls", "football", "footballs", "soccer ball",
        "basketball", "basketballs", "volleyball", "tennis ball"]),
    object("kite", &["kites"]),
    object("baseball bat", &["baseball bats"]),
    object("baseball glove", &["baseball gloves", "baseball mitt"]),
    object("skateboard", &["skateboards"]),
    object("surfboard", &["surfboards"]),
    object("tennis racket", &["tennis rackets", "racket", "rackets", "racquet", "racquets"]),
    object("bottle", &["bottles"]),
    object("wine glass", &["wine glasses"]),
    object("cup", &["cups", "mug", "mugs"]),
    object("fork", &["forks"]),
    object("knife", &["knives"]),
    object("spoon", &["spoons"]),
    object("bowl", &["bowls"]),
    object("banana", &["bananas"]),
    object("apple", &["apples"]),
    object("sandwich", &["sandwiches"]),
    object("orange", &["oranges"]),
    object("broccoli", &[]),
    object("carrot", &["carrots"]),
    object("hot dog", &["hot dogs", "hotdog", "hotdogs"]),
    object("pizza", &["pizzas"]),
    object("donut", &["donuts", "doughnut", "doughnuts"]),
    object("cake", &["cakes"]),
    object("chair", &["chairs"]),
    object("couch", &["couches", "sofa", "sofas"]),
    object("potted plant", &["potted plants", "houseplant", "houseplants", "plant", "plants"]),
    object("bed", &["beds"]),
    object("dining table", &["dining tables", "table", "tables"]),
    object("toilet", &["toilets"]),
    object("tv", &["tvs", "television", "televisions", "tv set"]),
    object("laptop", &["laptops", "notebook computer"]),
    object("mouse", &["computer mouse"]),
    object("remote", &["remotes", "remote control", "remote controls"]),
    object("keyboard", &["keyboards"]),
    object("cell phone", &["cell phones", "phone", "phones", "smartphone", "smartphones",
        "mobile phone", "mobile phones", "cellphone", "cellphones"]),
    object("microwave", &["microwaves"]),
    object("oven", &["ovens"]),
    object("toaster", &["toasters"]),
    object("sink", &["sinks"]),
    object("refrigerator", &["refrigerators", "fridge", "fridges"]),
    object("book", &["books"]),
    object("clock", &["clocks"]),
    object("vase", &["vases"]),
    object("scissors", &[]),
    object("teddy bear", &["teddy bears", "teddy", "teddies"]),
    object("hair drier", &["hair driers", "hair dryer", "hair dryers", "hairdryer", "hairdryers"]),
    object("toothbrush", &["toothbrushes"]),
    scene("beach", &["beaches", "seaside", "shore"]),
    scene("sunset", &["sunsets", "dusk"]),
    scene("sunrise", &["sunrises", "dawn"]),
    scene("snow", &["snowy", "snowing", "snowfall"]),
    scene("mountains", &["mountain", "alps", "peak", "peaks"]),
    scene("city", &["cities", "cityscape", "downtown", "skyline"]),
    scene("park", &["parks"]),
    scene("forest", &["forests", "woods", "woodland"]),
    scene("lake", &["lakes"]),
    scene("sea", &["seas", "ocean", "oceans"]),
    scene("river", &["rivers"]),
    scene("waterfall", &["waterfalls"]),
    scene("desert", &["deserts", "dunes"]),
    scene("garden", &["gardens"]),
    scene("swimming pool", &["pool", "pools", "swimming pools"]),
    scene("playground", &["playgrounds"]),
    scene("zoo", &["zoos"]),
    scene("stadium", &["stadiums"]),
    scene("street", &["streets"]),
    scene("market", &["markets"]),
    scene("church", &["churches", "cathedral", "cathedrals"]),
    scene("castle", &["castles"]),
    scene("island", &["islands"]),
    scene("party", &["parties"]),
    scene("concert", &["concerts", "gig", "gigs"]),
    scene("festival", &["festivals"]),
    scene("wedding", &["weddings"]),
    scene("birthday party", &["birthday parties"]),
    scene("graduation", &["graduations"]),
    scene("picnic", &["picnics"]),
    scene("barbecue", &["barbecues", "bbq", "barbeque"]),
    scene("fireworks", &["firework"]),
    scene("restaurant", &["restaurants", "cafe", "cafes", "café", "cafés", "bistro"]),
    scene("museum", &["museums", "art gallery", "art galleries"]),
    scene("camping", &["campsite", "tent", "tents"]),
    scene("hiking", &["hike", "hikes", "trail", "trails"]),
    scene("skiing", &["ski slope", "ski slopes"]),
    scene("night", &["nighttime", "night time"]),
];

/// Every label the detectors and the query parser share.
pub fn vocabulary() -> &'static [VocabularyEntry] {
    VOCABULARY
}

/// Phrase (label or synonym) → canonical label.
static LOOKUP: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for entry in VOCABULARY {
        map.insert(entry.label, entry.label);
        for synonym in entry.synonyms {
            map.entry(*synonym).or_insert(entry.label);
        }
    }
    map
});

/// Every single word that occurs in a label or synonym.
static WORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| LOOKUP.keys().flat_map(|phrase| phrase.split(' ')).collect());

/// The canonical label for a phrase (lower-case, single-spaced), if it is in the vocabulary.
pub fn label_for(phrase: &str) -> Option<&'static str> {
    LOOKUP.get(phrase).copied()
}

pub(crate) fn is_vocabulary_word(word: &str) -> bool {
    WORDS.contains(word)
}

/// Longest vocabulary phrase (up to 3 words) is tried first.
pub(crate) const MAX_PHRASE_WORDS: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_all_coco_classes_once_and_no_clashing_synonyms() {
        let objects = VOCABULARY
            .iter()
            .filter(|e| e.kind == VocabularyKind::Object)
            .count();
        assert_eq!(objects, 80);
        let mut seen = HashSet::new();
        for entry in VOCABULARY {
            assert!(seen.insert(entry.label), "duplicate label {}", entry.label);
            for phrase in std::iter::once(&entry.label).chain(entry.synonyms) {
                assert!(phrase.split(' ').count() <= MAX_PHRASE_WORDS, "{phrase}");
                assert_eq!(
                    label_for(phrase),
                    Some(entry.label),
                    "{phrase} claimed twice"
                );
            }
        }
    }

    #[test]
    fn maps_synonyms_and_plurals() {
        assert_eq!(label_for("puppies"), Some("dog"));
        assert_eq!(label_for("cars"), Some("car"));
        assert_eq!(label_for("people"), Some("person"));
        assert_eq!(label_for("birthday parties"), Some("birthday party"));
        assert_eq!(label_for("weather"), None);
    }
}
