//! Birthdays: "my birthday", "Anna's birthday", "my wife's 40th birthday", "mom's birthday
//! 2024", "my last birthday". The day itself; a birthday without a year is the latest one on or
//! before today.

use super::{Parsed, Parser, Spec, Yearly};
use crate::query::calendar::{Span, latest_ended};
use crate::query::error::QueryError;
use crate::query::lexicon::is_common_word;
use crate::query::model::KnownPerson;
use crate::query::people::{Kind, name_text};
use crate::query::token::integer;
use chrono::{Datelike, NaiveDate};

/// The birthday in `year`; 29 February falls on the 28th in other years.
pub(super) fn birthday_in(birthday: NaiveDate, year: i32) -> Option<Span> {
    let day = NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day() - 1))?;
    Span::day(day)
}

enum Occurrence {
    /// The latest on or before today (or in the year that follows).
    Latest,
    /// "last birthday": the latest that is over.
    Last,
    /// "40th birthday"
    Nth(i32),
}

fn ordinal(word: &str) -> Option<i32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| word.strip_suffix(s))?;
    integer(digits, 3)
        .and_then(|n| i32::try_from(n).ok())
        .filter(|n| (1..=150).contains(n))
}

impl Parser<'_, '_> {
    pub(super) fn birthday(&self, i: usize) -> Parsed {
        let reference = self
            .people
            .reference_at(self.t, i, self.gazetteer)
            .filter(|r| r.possessive && r.end < self.limit);
        let whose_end = match &reference {
            Some(r) => r.end,
            None if self.w(i) == "my" => i + 1,
            None => {
                let unknown_name = self.t.list[i].possessive
                    && (self.t.strong_capital(i) || self.t.weak_capital(i))
                    && !is_common_word(self.t.stem(i));
                if unknown_name && self.birthday_word_at(i + 1).is_some() {
                    return Err(QueryError::UnknownPerson {
                        word: name_text(self.t, i, i + 1),
                    });
                }
                return Ok(None);
            }
        };
        let Some((which, end)) = self.birthday_word_at(whose_end) else {
            return Ok(None);
        };
        let person = match reference {
            None => &self.people.people[self.people.me()?],
            Some(r) => match r.members[..] {
                [one] => &self.people.people[one],
                [] if matches!(r.kind, Kind::Relation { .. }) => {
                    return Err(QueryError::UnknownRelationship { word: r.core });
                }
                _ => {
                    let names: Vec<&str> = r
                        .members
                        .iter()
                        .map(|&k| self.people.people[k].name.as_str())
                        .collect();
                    return Err(QueryError::AmbiguousPerson {
                        word: name_text(self.t, i, r.end),
                        candidates: names.join(" or "),
                    });
                }
            },
        };
        let Some(birthday) = person.birthday else {
            return Err(QueryError::UnknownBirthday {
                whose: whose(person),
            });
        };
        let (span, end) = match which {
            Occurrence::Nth(nth) => (birthday_in(birthday, birthday.year() + nth), end),
            Occurrence::Last => (latest_ended(self.today, |y| birthday_in(birthday, y)), end),
            Occurrence::Latest => {
                let (year, end) = self.optional_year(end);
                return Ok(Some((
                    Spec::Yearly {
                        event: Yearly::Birthday(birthday),
                        year,
                    },
                    end,
                )));
            }
        };
        Ok(span.map(|s| (Spec::Span(s), end)))
    }

    /// "birthday", "30th birthday", "last birthday" at `j`, and the next index.
    fn birthday_word_at(&self, j: usize) -> Option<(Occurrence, usize)> {
        let is_birthday = |k: usize| matches!(self.w(k), "birthday" | "bday");
        if is_birthday(j) {
            return Some((Occurrence::Latest, j + 1));
        }
        if self.w(j) == "last" && is_birthday(j + 1) {
            return Some((Occurrence::Last, j + 2));
        }
        let nth = ordinal(self.w(j))?;
        is_birthday(j + 1).then_some((Occurrence::Nth(nth), j + 2))
    }
}

fn whose(person: &KnownPerson) -> String {
    if person.is_me {
        "your".to_owned()
    } else {
        format!("{}'s", person.name)
    }
}
