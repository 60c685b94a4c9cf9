//! Char-safe tokenizer and the token list the extractors share.
//!
//! Words are runs of alphanumeric characters. Apostrophes inside a word stay ("anna's",
//! "new year's"); digits joined by `-` `/` `.` `:` stay one token ("2024-05-12", "1.5", "1:30");
//! other hyphens split words ("1-minute" → "1" "minute"). A spaced or typographic dash becomes a
//! dash token, which range patterns read as "to". `&` reads as "and".

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Lower,
    Capitalised,
    Upper,
    /// No cased letters: digits, or scripts without case.
    Caseless,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Break {
    None,
    Comma,
    Sentence,
}

/// What an extractor decided a token is; later extractors skip claimed tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Free,
    Duration,
    Time,
    Person,
    Place,
    Thing,
    /// Consumed as part of a phrase without a meaning of its own ("my", "of", "house").
    Filler,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    /// Lower-case with apostrophes normalised to `'`.
    pub lower: String,
    /// `lower` without a possessive suffix ("anna's" → "anna", "kids'" → "kids").
    pub stem: String,
    pub possessive: bool,
    pub case: Case,
    pub break_before: Break,
    pub dash: bool,
    /// Written with a leading apostrophe: "'24", "'90s".
    pub apostrophe_before: bool,
}

pub(crate) struct Tokens<'q> {
    pub query: &'q str,
    pub list: Vec<Token>,
    pub roles: Vec<Role>,
    /// False when the text is all caps or all Title Case: capitals then say nothing.
    pub capitals_informative: bool,
}

const ABBREVIATIONS: &[&str] = &["st", "mt", "ft", "dr", "mr", "mrs", "ms", "jr", "sr"];

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`')
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

impl<'q> Tokens<'q> {
    pub fn new(query: &'q str) -> Self {
        let chars: Vec<(usize, char)> = query.char_indices().collect();
        let char_at = |k: usize| chars.get(k).map(|&(_, c)| c);
        let byte_at = |k: usize| chars.get(k).map_or(query.len(), |&(b, _)| b);
        let mut list = Vec::new();
        let mut pending = Break::Sentence;
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k].1;
            if c.is_alphanumeric() {
                let begin = k;
                k += 1;
                while let Some(next) = char_at(k) {
                    let prev = chars[k - 1].1;
                    let after = char_at(k + 1);
                    let joins = next.is_alphanumeric()
                        || (is_apostrophe(next) && after.is_some_and(char::is_alphanumeric))
                        || (matches!(next, '-' | '/' | '.' | ':')
                            && prev.is_ascii_digit()
                            && after.is_some_and(|a| a.is_ascii_digit()));
                    if !joins {
                        break;
                    }
                    k += 1;
                }
                // Plural possessive: "the kids' toys".
                if char_at(k).is_some_and(is_apostrophe)
                    && matches!(chars[k - 1].1, 's' | 'S')
                    && !char_at(k + 1).is_some_and(char::is_alphanumeric)
                {
                    k += 1;
                }
                let mut token = make_token(query, byte_at(begin), byte_at(k), pending);
                token.apostrophe_before = begin > 0
                    && is_apostrophe(chars[begin - 1].1)
                    && (begin < 2 || !chars[begin - 2].1.is_alphanumeric());
                if token.apostrophe_before {
                    // Keep the apostrophe in phrases echoed back ("'24").
                    token.start = byte_at(begin - 1);
                }
                list.push(token);
                pending = Break::None;
                continue;
            }
            if is_dash(c) {
                let intra_word = c == '-'
                    && k > 0
                    && chars[k - 1].1.is_alphanumeric()
                    && char_at(k + 1).is_some_and(char::is_alphanumeric);
                if !intra_word {
                    let mut token = make_token(query, byte_at(k), byte_at(k + 1), pending);
                    token.dash = true;
                    list.push(token);
                    pending = Break::None;
                }
            } else if c == '&' {
                let mut token = make_token(query, byte_at(k), byte_at(k + 1), pending);
                token.lower = "and".to_owned();
                token.stem = "and".to_owned();
                list.push(token);
                pending = Break::None;
            } else if matches!(c, '.' | '!' | '?' | ';' | '\u{2026}') {
                let after_abbreviation = c == '.'
                    && list
                        .last()
                        .is_some_and(|t: &Token| ABBREVIATIONS.contains(&t.lower.as_str()));
                if !after_abbreviation {
                    pending = Break::Sentence;
                }
            } else if matches!(c, ',' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '\n') {
                pending = pending.max(Break::Comma);
            }
            k += 1;
        }
        let capitals_informative = list.iter().any(|t| t.case == Case::Lower);
        let roles = vec![Role::Free; list.len()];
        Self {
            query,
            list,
            roles,
            capitals_informative,
        }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Lower-case text of token `i`, or "" past the end.
    pub fn word(&self, i: usize) -> &str {
        self.list.get(i).map_or("", |t| t.lower.as_str())
    }

    pub fn stem(&self, i: usize) -> &str {
        self.list.get(i).map_or("", |t| t.stem.as_str())
    }

    /// The word before `i` in the same sentence, or "".
    pub fn prev_word(&self, i: usize) -> &str {
        if i == 0 || i > self.len() || self.sentence_start(i) {
            ""
        } else {
            self.word(i - 1)
        }
    }

    pub fn is_free(&self, i: usize) -> bool {
        self.roles.get(i) == Some(&Role::Free)
    }

    /// True if tokens `from..to` are all free and no sentence break lies between them.
    pub fn free_run(&self, from: usize, to: usize) -> bool {
        to <= self.len()
            && (from..to).all(|i| self.is_free(i) && !self.list[i].dash)
            && (from + 1..to).all(|i| self.list[i].break_before != Break::Sentence)
    }

    /// True if `i` continues the sentence of `i - 1`, with no punctuation in between.
    pub fn tight(&self, i: usize) -> bool {
        self.list
            .get(i)
            .is_some_and(|t| t.break_before == Break::None)
    }

    pub fn claim(&mut self, from: usize, to: usize, role: Role) {
        for slot in &mut self.roles[from..to.min(self.list.len())] {
            *slot = role;
        }
    }

    /// The original text of tokens `from..to`.
    pub fn text(&self, from: usize, to: usize) -> String {
        if from >= to || to > self.len() {
            return String::new();
        }
        self.query[self.list[from].start..self.list[to - 1].end].to_owned()
    }

    pub fn sentence_start(&self, i: usize) -> bool {
        self.list
            .get(i)
            .is_some_and(|t| t.break_before == Break::Sentence)
    }

    /// Upper-case initial that says "proper noun": not first in a sentence, in mixed-case text.
    pub fn strong_capital(&self, i: usize) -> bool {
        let Some(token) = self.list.get(i) else {
            return false;
        };
        match token.case {
            Case::Capitalised | Case::Upper => {
                self.capitals_informative && token.break_before != Break::Sentence
            }
            Case::Caseless => token.lower.chars().any(char::is_alphabetic),
            Case::Lower => false,
        }
    }

    /// Upper-case initial that may only be there because the sentence starts (or all is caps).
    pub fn weak_capital(&self, i: usize) -> bool {
        self.list
            .get(i)
            .is_some_and(|t| matches!(t.case, Case::Capitalised | Case::Upper))
            && !self.strong_capital(i)
    }
}

fn make_token(query: &str, start: usize, end: usize, break_before: Break) -> Token {
    let raw = &query[start..end];
    let lower: String = raw
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if is_apostrophe(c) { '\'' } else { c })
        .collect();
    let (stem, possessive) = if let Some(stem) = lower.strip_suffix("'s") {
        (stem.to_owned(), true)
    } else if let Some(stem) = lower.strip_suffix('\'') {
        (stem.to_owned(), true)
    } else {
        (lower.clone(), false)
    };
    Token {
        start,
        end,
        lower,
        stem,
        possessive,
        case: case_of(raw),
        break_before,
        dash: false,
        apostrophe_before: false,
    }
}

fn case_of(raw: &str) -> Case {
    let mut cased = raw.chars().filter(|c| c.is_uppercase() || c.is_lowercase());
    let Some(first) = cased.next() else {
        return Case::Caseless;
    };
    if first.is_lowercase() {
        return Case::Lower;
    }
    let rest: Vec<char> = cased.collect();
    if !rest.is_empty() && rest.iter().all(|c| c.is_uppercase()) {
        Case::Upper
    } else {
        Case::Capitalised
    }
}

/// Parses a plain decimal number token ("7", "1.5").
pub(crate) fn decimal(word: &str) -> Option<f64> {
    if word.is_empty() || word.len() > 9 || !word.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    word.parse().ok()
}

/// Parses an integer token of at most `max_digits` ASCII digits.
pub(crate) fn integer(word: &str, max_digits: usize) -> Option<u32> {
    if word.is_empty() || word.len() > max_digits || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(query: &str) -> Vec<String> {
        Tokens::new(query)
            .list
            .into_iter()
            .map(|t| t.lower)
            .collect()
    }

    #[test]
    fn splits_words_dates_and_dashes() {
        assert_eq!(
            words("Anna's 1-minute video, 2024-05-12!"),
            ["anna's", "1", "minute", "video", "2024-05-12"]
        );
        assert_eq!(words("May–July"), ["may", "\u{2013}", "july"]);
        assert_eq!(
            words("mother-in-law & me"),
            ["mother", "in", "law", "and", "me"]
        );
        assert_eq!(
            words("the kids\u{2019} toys 1.5 min"),
            ["the", "kids'", "toys", "1.5", "min"]
        );
        assert_eq!(words("St. Louis. Rome"), ["st", "louis", "rome"]);
        assert!(words("  \u{200b} ,.;").is_empty());
    }

    #[test]
    fn records_case_breaks_and_possessives() {
        let tokens = Tokens::new("Nice weather in Paris, Texas. Rome's");
        let cases: Vec<Case> = tokens.list.iter().map(|t| t.case).collect();
        assert_eq!(
            cases,
            [
                Case::Capitalised,
                Case::Lower,
                Case::Lower,
                Case::Capitalised,
                Case::Capitalised,
                Case::Capitalised
            ]
        );
        assert!(tokens.weak_capital(0) && !tokens.strong_capital(0));
        assert!(tokens.strong_capital(3) && tokens.strong_capital(4));
        assert_eq!(tokens.list[4].break_before, Break::Comma);
        assert!(tokens.sentence_start(5) && tokens.weak_capital(5));
        assert_eq!((tokens.stem(5), tokens.list[5].possessive), ("rome", true));
        assert_eq!(tokens.text(3, 5), "Paris, Texas");
        let shouting = Tokens::new("VIDEOS OF BOB");
        assert!(!shouting.capitals_informative && shouting.weak_capital(2));
    }
}
