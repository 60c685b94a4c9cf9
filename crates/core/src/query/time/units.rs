//! Single time expressions: dates, months, seasons, years, decades, holidays and weekdays; the
//! relative ones ("last week", "3 days ago") are in `relative.rs`.

use super::{Parsed, Parser, Spec, Yearly};
use crate::query::calendar::{
    Holiday, MAX_YEAR, MIN_YEAR, Span, current, latest_ended, latest_started, month_span,
    month_word, season_word, shift_days, shift_months, week_span, weekday_word, year_span,
};
use crate::query::token::integer;
use chrono::{Datelike, Days, NaiveDate};

/// One kind of single expression, tried in turn.
type SingleParser<'p, 'q> = fn(&Parser<'p, 'q>, usize) -> Option<(Spec, usize)>;

/// Words after which "may", "march", "fall" and month names that are also people's names are
/// read as dates.
const DATE_CONTEXT: &[&str] = &[
    "in",
    "on",
    "during",
    "since",
    "from",
    "between",
    "until",
    "till",
    "through",
    "before",
    "after",
    "of",
    "by",
    "around",
    "throughout",
    "early",
    "mid",
    "late",
];

const HOLIDAYS: &[(&[&str], Holiday)] = &[
    (&["new", "year's", "eve"], Holiday::NewYearsEve),
    (&["new", "years", "eve"], Holiday::NewYearsEve),
    (&["new", "years'", "eve"], Holiday::NewYearsEve),
    (&["new", "year", "eve"], Holiday::NewYearsEve),
    (&["new", "year's", "day"], Holiday::NewYearsDay),
    (&["new", "years", "day"], Holiday::NewYearsDay),
    (&["new", "year", "day"], Holiday::NewYearsDay),
    (&["fourth", "of", "july"], Holiday::IndependenceDay),
    (&["christmas", "eve"], Holiday::ChristmasEve),
    (&["xmas", "eve"], Holiday::ChristmasEve),
    (&["christmas", "day"], Holiday::ChristmasDay),
    (&["xmas", "day"], Holiday::ChristmasDay),
    (&["christmas", "time"], Holiday::Christmas),
    (&["boxing", "day"], Holiday::BoxingDay),
    (&["new", "year's"], Holiday::NewYear),
    (&["new", "years"], Holiday::NewYear),
    (&["new", "year"], Holiday::NewYear),
    (&["valentine's", "day"], Holiday::Valentines),
    (&["valentines", "day"], Holiday::Valentines),
    (&["valentine", "day"], Holiday::Valentines),
    (&["easter", "sunday"], Holiday::EasterSunday),
    (&["easter", "weekend"], Holiday::Easter),
    (&["independence", "day"], Holiday::IndependenceDay),
    (&["christmas"], Holiday::Christmas),
    (&["xmas"], Holiday::Christmas),
    (&["christmastime"], Holiday::Christmas),
    (&["nye"], Holiday::NewYearsEve),
    (&["halloween"], Holiday::Halloween),
    (&["valentine's"], Holiday::Valentines),
    (&["valentines"], Holiday::Valentines),
    (&["easter"], Holiday::Easter),
    (&["thanksgiving"], Holiday::Thanksgiving),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Which {
    /// Latest that has started (bare word).
    Latest,
    /// "this …"
    This,
    /// "last …"
    Last,
}

impl Parser<'_, '_> {
    /// One expression at `i`, without range words around it.
    pub(super) fn unit(&self, i: usize) -> Parsed {
        if i >= self.limit {
            return Ok(None);
        }
        if let Some(found) = self.birthday(i)? {
            return Ok(Some(found));
        }
        let parsers: [SingleParser<'_, '_>; 8] = [
            Self::holiday,
            Self::relative,
            Self::part_of_period,
            Self::numeric_date,
            Self::month_or_day,
            Self::season,
            Self::year,
            Self::weekday,
        ];
        Ok(parsers.iter().find_map(|parse| parse(self, i)))
    }

    pub(super) fn year_at(&self, i: usize) -> Option<i32> {
        let word = self.w(i);
        // "'24": the latest year ending in 24 that is not in the future.
        if word.len() == 2 && self.t.list[i].apostrophe_before {
            let short = i32::try_from(integer(word, 2)?).ok()?;
            let century = self.today.year() - self.today.year() % 100;
            let year = century + short;
            return Some(if year > self.today.year() {
                year - 100
            } else {
                year
            });
        }
        let year = i32::try_from(integer(word, 4)?).ok()?;
        (word.len() == 4 && (MIN_YEAR..=MAX_YEAR).contains(&year)).then_some(year)
    }

    /// "2024", "of 2024", "in 2024" after a date; returns the year and the next index.
    pub(super) fn optional_year(&self, j: usize) -> (Option<i32>, usize) {
        if let Some(year) = self.year_at(j) {
            (Some(year), j + 1)
        } else if matches!(self.w(j), "of" | "in") && self.year_at(j + 1).is_some() {
            (self.year_at(j + 1), j + 2)
        } else {
            (None, j)
        }
    }

    /// "12", "12th", "1st", "22nd", "3rd".
    fn day_at(&self, i: usize) -> Option<u32> {
        let word = self.w(i);
        let digits = ["st", "nd", "rd", "th"]
            .iter()
            .find_map(|suffix| word.strip_suffix(suffix))
            .unwrap_or(word);
        integer(digits, 2).filter(|d| (1..=31).contains(d))
    }

    /// A date word before `i`, skipping one "the" ("in the fall").
    fn has_date_context(&self, i: usize) -> bool {
        let prev = self.t.prev_word(i);
        let prev = if prev == "the" && i > 0 {
            self.t.prev_word(i - 1)
        } else {
            prev
        };
        DATE_CONTEXT.contains(&prev)
    }

    fn holiday_at(&self, j: usize) -> Option<(Holiday, usize)> {
        HOLIDAYS.iter().find_map(|(words, holiday)| {
            let matches = words.iter().enumerate().all(|(k, w)| self.w(j + k) == *w);
            matches.then_some((*holiday, j + words.len()))
        })
    }

    fn which(&self, i: usize) -> (Which, usize) {
        match self.w(i) {
            "this" => (Which::This, i + 1),
            "last" | "previous" => (Which::Last, i + 1),
            _ => (Which::Latest, i),
        }
    }

    fn occurrence(&self, which: Which, of_year: impl Fn(i32) -> Option<Span>) -> Option<Span> {
        match which {
            Which::Latest => latest_started(self.today, of_year),
            Which::This => current(self.today, of_year),
            Which::Last => latest_ended(self.today, of_year),
        }
    }

    fn holiday(&self, i: usize) -> Option<(Spec, usize)> {
        let (which, j) = self.which(i);
        let (holiday, k) = self.holiday_at(j)?;
        self.yearly(Yearly::Holiday(holiday), which, k)
    }

    /// A yearly event ending before `end`: a bare one may take a year after it.
    fn yearly(&self, event: Yearly, which: Which, end: usize) -> Option<(Spec, usize)> {
        if which == Which::Latest {
            let (year, end) = self.optional_year(end);
            return Some((Spec::Yearly { event, year }, end));
        }
        Some((
            Spec::Span(self.occurrence(which, |y| event.in_year(y))?),
            end,
        ))
    }

    fn season(&self, i: usize) -> Option<(Spec, usize)> {
        let (which, j) = self.which(i);
        let (season, needs_context) = season_word(self.w(j))?;
        // "fall" alone is a verb; "in the fall", "fall 2024", "last fall" are dates.
        let dated = which != Which::Latest
            || self.optional_year(j + 1).0.is_some()
            || self.has_date_context(i);
        if needs_context && !dated {
            return None;
        }
        self.yearly(Yearly::Season(season), which, j + 1)
    }

    fn weekday(&self, i: usize) -> Option<(Spec, usize)> {
        let (which, j) = self.which(i);
        let weekday = weekday_word(self.w(j))?;
        let back =
            (7 + self.today.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
        let day = match which {
            Which::Latest => shift_days(self.today, -i64::from(back)),
            Which::Last => shift_days(self.today, -i64::from(if back == 0 { 7 } else { back })),
            Which::This => week_span(self.today)?
                .start
                .checked_add_days(Days::new(u64::from(weekday.num_days_from_monday()))),
        };
        Some((Spec::Span(Span::day(day?)?), j + 1))
    }

    fn year(&self, i: usize) -> Option<(Spec, usize)> {
        if self.w(i) == "year" {
            return self.year_at(i + 1).map(|y| (Spec::Year(y), i + 2));
        }
        self.year_at(i).map(|y| (Spec::Year(y), i + 1))
    }

    fn month_or_day(&self, i: usize) -> Option<(Spec, usize)> {
        if let Some((month, ambiguous)) = month_word(self.w(i)) {
            let day_at = if self.w(i + 1) == "the" { i + 2 } else { i + 1 };
            if let Some(day) = self.day_at(day_at) {
                let (year, end) = self.optional_year(day_at + 1);
                return Some((Spec::Day { month, day, year }, end));
            }
            if let (Some(year), end) = self.optional_year(i + 1) {
                return Some((
                    Spec::Month {
                        month,
                        year: Some(year),
                    },
                    end,
                ));
            }
            let needs_context = ambiguous || self.people.has_first_name(self.w(i));
            let starts_range = self.is_to(i + 1) && month_word(self.w(i + 2)).is_some();
            if needs_context && !self.has_date_context(i) && !starts_range {
                return None;
            }
            return Some((Spec::Month { month, year: None }, i + 1));
        }
        let day = self.day_at(i)?;
        let j = if self.w(i + 1) == "of" { i + 2 } else { i + 1 };
        let Some((month, _)) = month_word(self.w(j)) else {
            return self.day_of_latest_month(i, day);
        };
        let (year, end) = self.optional_year(j + 1);
        Some((Spec::Day { month, day, year }, end))
    }

    /// "the 12th" alone: the latest 12th of a month, on or before today.
    fn day_of_latest_month(&self, i: usize, day: u32) -> Option<(Spec, usize)> {
        let ordinal = !self.w(i).bytes().all(|b| b.is_ascii_digit());
        if !ordinal || self.t.prev_word(i) != "the" {
            return None;
        }
        let span = (0..12)
            .filter_map(|back| {
                let month = shift_months(self.today, -back)?;
                NaiveDate::from_ymd_opt(month.year(), month.month(), day)
            })
            .find(|&date| date <= self.today)
            .and_then(Span::day)?;
        Some((Spec::Span(span), i + 1))
    }

    /// "2024-05-12", "2024/05/12", "12.05.2024", "2019-2021", "1990s", "the 90s".
    fn numeric_date(&self, i: usize) -> Option<(Spec, usize)> {
        let word = self.w(i);
        let number = |part: &str, digits: usize| {
            (part.len() <= digits && !part.is_empty())
                .then(|| integer(part, digits))
                .flatten()
        };
        let year = |part: &str| {
            number(part, 4)
                .filter(|_| part.len() == 4)
                .and_then(|y| i32::try_from(y).ok())
        };
        let day = |year: Option<i32>, month: Option<u32>, day: Option<u32>| {
            Some((
                Spec::Day {
                    month: month?,
                    day: day?,
                    year: Some(year?),
                },
                i + 1,
            ))
        };
        if let Some(decade) = word.strip_suffix('s') {
            let start = match decade.len() {
                4 => year(decade)?,
                2 if self.t.prev_word(i) == "the" || self.t.list[i].apostrophe_before => {
                    let tens = i32::try_from(number(decade, 2)?).ok()?;
                    if tens >= 30 { 1900 + tens } else { 2000 + tens }
                }
                _ => return None,
            };
            if start % 10 != 0 {
                return None;
            }
            let span = Span::new(
                year_span(start)?.start,
                year_span((start + 9).min(MAX_YEAR))?.end,
            )?;
            return Some((Spec::Span(span), i + 1));
        }
        let parts: Vec<&str> = word.split(['-', '/', '.']).collect();
        match parts[..] {
            [y, m, d] if y.len() == 4 && !word.contains('.') => {
                day(year(y), number(m, 2), number(d, 2))
            }
            [d, m, y] if y.len() == 4 && word.contains('.') => {
                day(year(y), number(m, 2), number(d, 2))
            }
            [a, b] if word.contains('-') => {
                let (a, b) = (year(a)?, year(b)?);
                let span = Span::new(year_span(a)?.start, year_span(b)?.end)?;
                Some((Spec::Span(span), i + 1))
            }
            _ => None,
        }
    }

    /// "early 2024", "mid-March", "late May 2023", "early this year".
    fn part_of_period(&self, i: usize) -> Option<(Spec, usize)> {
        let part = match self.w(i) {
            "early" => 0,
            "mid" => 1,
            "late" => 2,
            _ => return None,
        };
        let j = i + 1;
        let (base, is_year, end) = if let Some((month, _)) = month_word(self.w(j)) {
            let (year, end) = self.optional_year(j + 1);
            let span = match year {
                Some(year) => month_span(year, month),
                None => latest_started(self.today, |y| month_span(y, month)),
            };
            (span?, false, end)
        } else if let Some(year) = self.year_at(j) {
            (year_span(year)?, true, j + 1)
        } else {
            let (which, k) = self.which(j);
            let year = match (which, self.w(k)) {
                (Which::This, "year") => self.today.year(),
                (Which::Last, "year") => self.today.year() - 1,
                _ => return None,
            };
            (year_span(year)?, true, k + 1)
        };
        let span = if is_year {
            let start = shift_months(base.start, 4 * part)?;
            Span::new(start, shift_months(start, 4)?)?
        } else {
            let start = shift_days(base.start, 10 * part)?;
            let end = if part == 2 {
                base.end
            } else {
                shift_days(start, 10)?
            };
            Span::new(start, end)?
        };
        Some((Spec::Span(span), end))
    }
}
