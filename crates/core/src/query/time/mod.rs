//! Time expressions, resolved against `today` into `start..end` date ranges.
//!
//! Occurrence rules (documented in the module docs of `query`): a bare "March", "summer",
//! "Christmas", "May 12" or weekday is the latest one that has started on or before today;
//! "last summer"/"last March"/"last Christmas" is the latest one that is over; "this summer" is
//! the one containing today, else this calendar year's.

mod birthday;
mod relative;
mod units;

use super::calendar::{
    Holiday, MIN_YEAR, Season, Span, holiday_span, latest_started, month_span, season_span,
    year_span,
};
use super::error::QueryError;
use super::model::{Gazetteer, TimeRange};
use super::people::PeopleIndex;
use super::token::{Role, Tokens};
use chrono::{Datelike, Days, NaiveDate};

/// A time expression before it is placed in the calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spec {
    Span(Span),
    Year(i32),
    Month {
        month: u32,
        year: Option<i32>,
    },
    Day {
        month: u32,
        day: u32,
        year: Option<i32>,
    },
    /// A season, holiday or birthday; without a year, the latest that has started.
    Yearly {
        event: Yearly,
        year: Option<i32>,
    },
}

/// Something that happens once a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Yearly {
    Season(Season),
    Holiday(Holiday),
    Birthday(NaiveDate),
}

impl Yearly {
    pub(crate) fn in_year(self, year: i32) -> Option<Span> {
        match self {
            Self::Season(season) => season_span(season, year),
            Self::Holiday(holiday) => holiday_span(holiday, year),
            Self::Birthday(birthday) => birthday::birthday_in(birthday, year),
        }
    }
}

pub(crate) struct Parser<'p, 'q> {
    t: &'p Tokens<'q>,
    today: NaiveDate,
    people: &'p PeopleIndex<'p>,
    gazetteer: &'p dyn Gazetteer,
    /// Tokens at or past this index are out of reach (claimed, or in the next sentence).
    limit: usize,
}

type Parsed = Result<Option<(Spec, usize)>, QueryError>;

/// Claims every time expression; several combine by intersection when they overlap ("March"
/// … "2024"), else by the range covering them all.
pub(crate) fn extract(
    t: &mut Tokens,
    today: NaiveDate,
    people: &PeopleIndex,
    gazetteer: &dyn Gazetteer,
) -> Result<Option<TimeRange>, QueryError> {
    let mut found: Vec<(Spec, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let parsed = Parser::new(t, i, today, people, gazetteer).expression(i)?;
        match parsed {
            Some((spec, end)) => {
                found.push((spec, i, end));
                i = end;
            }
            None => i += 1,
        }
    }
    for &(_, start, end) in &found {
        t.claim(start, end, Role::Time);
    }
    let mut found: Vec<(Spec, String)> = found
        .into_iter()
        .map(|(spec, start, end)| (spec, t.text(start, end)))
        .collect();
    // "in March … 2024": a lone year completes yearless months and days.
    let years: Vec<(i32, String)> = found
        .iter()
        .filter_map(|(spec, phrase)| match spec {
            Spec::Year(year) => Some((*year, phrase.clone())),
            _ => None,
        })
        .collect();
    let yearless = |spec: &Spec| {
        matches!(
            spec,
            Spec::Month { year: None, .. }
                | Spec::Day { year: None, .. }
                | Spec::Yearly { year: None, .. }
        )
    };
    if let [(year, year_phrase)] = &years[..]
        && found.iter().any(|(spec, _)| yearless(spec))
    {
        found.retain(|(spec, _)| !matches!(spec, Spec::Year(_)));
        for (spec, phrase) in &mut found {
            if let Spec::Month { year: y @ None, .. }
            | Spec::Day { year: y @ None, .. }
            | Spec::Yearly { year: y @ None, .. } = spec
            {
                *y = Some(*year);
                *phrase = format!("{phrase} … {year_phrase}");
            }
        }
    }
    let mut range: Option<TimeRange> = None;
    for (spec, phrase) in found {
        let Some(span) = resolve(spec, today)? else {
            return Err(QueryError::InvalidDate { phrase });
        };
        range = Some(match range {
            None => TimeRange {
                start: span.start,
                end: span.end,
                phrase,
            },
            Some(before) => merge(before, span, &phrase),
        });
    }
    Ok(range)
}

fn merge(before: TimeRange, span: Span, phrase: &str) -> TimeRange {
    let (start, end) = if before.start < span.end && span.start < before.end {
        (before.start.max(span.start), before.end.min(span.end))
    } else {
        (before.start.min(span.start), before.end.max(span.end))
    };
    TimeRange {
        start,
        end,
        phrase: format!("{}, {phrase}", before.phrase),
    }
}

/// Places a spec in the calendar. `Ok(None)` means it names no real date ("30 February").
pub(crate) fn resolve(spec: Spec, today: NaiveDate) -> Result<Option<Span>, QueryError> {
    Ok(match spec {
        Spec::Span(span) => Some(span),
        Spec::Year(year) => year_span(year),
        Spec::Month {
            month,
            year: Some(year),
        } => month_span(year, month),
        Spec::Month { month, year: None } => latest_started(today, |y| month_span(y, month)),
        Spec::Day {
            month,
            day,
            year: Some(year),
        } => NaiveDate::from_ymd_opt(year, month, day).and_then(Span::day),
        Spec::Day {
            month,
            day,
            year: None,
        } => latest_started(today, |y| {
            NaiveDate::from_ymd_opt(y, month, day).and_then(Span::day)
        }),
        Spec::Yearly {
            event,
            year: Some(year),
        } => event.in_year(year),
        Spec::Yearly { event, year: None } => latest_started(today, |y| event.in_year(y)),
    })
}

/// Month and day a spec starts on, for ordering the two ends of "between May and July".
fn month_day(spec: Spec) -> Option<(u32, u32)> {
    match spec {
        Spec::Month { month, .. } => Some((month, 1)),
        Spec::Day { month, day, .. } => Some((month, day)),
        _ => None,
    }
}

fn with_year(spec: Spec, year: i32) -> Spec {
    match spec {
        Spec::Month { month, .. } => Spec::Month {
            month,
            year: Some(year),
        },
        Spec::Day { month, day, .. } => Spec::Day {
            month,
            day,
            year: Some(year),
        },
        other => other,
    }
}

fn year_of(spec: Spec) -> Option<i32> {
    match spec {
        Spec::Month { year, .. } | Spec::Day { year, .. } => year,
        _ => None,
    }
}

/// "between May and July" (the latest such span that has started), "from March 2023 to June",
/// "between 2019 and 2021".
pub(crate) fn resolve_pair(
    from: Spec,
    to: Spec,
    today: NaiveDate,
) -> Result<Option<Span>, QueryError> {
    let (Some(from_key), Some(to_key)) = (month_day(from), month_day(to)) else {
        let (Some(a), Some(b)) = (resolve(from, today)?, resolve(to, today)?) else {
            return Ok(None);
        };
        return Ok(Span::new(a.start.min(b.start), a.end.max(b.end)));
    };
    let wraps = to_key < from_key;
    let (from_year, to_year) = match (year_of(from), year_of(to)) {
        (Some(a), Some(b)) => (a, b),
        (None, Some(b)) => (if wraps { b - 1 } else { b }, b),
        (Some(a), None) => (a, if wraps { a + 1 } else { a }),
        (None, None) => {
            let this_year = resolve(with_year(from, today.year()), today)?;
            let a = if this_year.is_some_and(|s| s.start <= today) {
                today.year()
            } else {
                today.year() - 1
            };
            (a, if wraps { a + 1 } else { a })
        }
    };
    let (Some(a), Some(b)) = (
        resolve(with_year(from, from_year), today)?,
        resolve(with_year(to, to_year), today)?,
    ) else {
        return Ok(None);
    };
    Ok(Span::new(a.start, b.end))
}

impl<'p, 'q> Parser<'p, 'q> {
    fn new(
        t: &'p Tokens<'q>,
        start: usize,
        today: NaiveDate,
        people: &'p PeopleIndex<'p>,
        gazetteer: &'p dyn Gazetteer,
    ) -> Self {
        let limit = (start..t.len())
            .find(|&k| !t.is_free(k) || (k > start && t.sentence_start(k)))
            .unwrap_or(t.len());
        Self {
            t,
            today,
            people,
            gazetteer,
            limit,
        }
    }

    /// Word `i` if it is within reach, else "".
    fn w(&self, i: usize) -> &str {
        if i < self.limit { self.t.word(i) } else { "" }
    }

    fn is_to(&self, i: usize) -> bool {
        matches!(self.w(i), "to" | "until" | "till" | "through" | "thru")
            || (i < self.limit && self.t.list[i].dash)
    }

    fn tomorrow(&self) -> Option<NaiveDate> {
        self.today.checked_add_days(Days::new(1))
    }

    /// The end of a range: an expression, or "now" ("from June 2023 until now").
    fn range_end(&self, j: usize) -> Parsed {
        if matches!(self.w(j), "now" | "present" | "date") {
            return Ok(Span::day(self.today).map(|s| (Spec::Span(s), j + 1)));
        }
        self.unit(j)
    }

    /// A full expression at `i`, including ranges and "since"/"before"/"until".
    fn expression(&self, i: usize) -> Parsed {
        let open_start = NaiveDate::from_ymd_opt(MIN_YEAR, 1, 1);
        let paired = |from: usize, joiner: &[&str]| -> Parsed {
            let Some((a, j)) = self.unit(from)? else {
                return Ok(None);
            };
            let joined = if joiner.is_empty() {
                self.is_to(j)
            } else {
                joiner.contains(&self.w(j))
            };
            if !joined {
                return Ok(None);
            }
            let Some((b, k)) = self.range_end(j + 1)? else {
                return Ok(None);
            };
            Ok(resolve_pair(a, b, self.today)?.map(|s| (Spec::Span(s), k)))
        };
        let bounded = |from: usize, make: &dyn Fn(Span) -> Option<Span>| -> Parsed {
            let Some((a, j)) = self.unit(from)? else {
                return Ok(None);
            };
            let Some(a) = resolve(a, self.today)? else {
                return Ok(None);
            };
            Ok(make(a).map(|s| (Spec::Span(s), j)))
        };
        let found = match self.w(i) {
            "between" => paired(i + 1, &["and"])?,
            "from" => paired(i + 1, &[])?,
            "since" => bounded(i + 1, &|a| Span::new(a.start, self.tomorrow()?))?,
            "after" => bounded(i + 1, &|a| Span::new(a.end, self.tomorrow()?))?,
            "before" => bounded(i + 1, &|a| Span::new(open_start?, a.start))?,
            "until" | "till" => bounded(i + 1, &|a| Span::new(open_start?, a.end))?,
            _ => None,
        };
        if found.is_some() {
            return Ok(found);
        }
        let Some((a, j)) = self.unit(i)? else {
            return Ok(None);
        };
        if self.is_to(j)
            && let Some((b, k)) = self.range_end(j + 1)?
        {
            return Ok(resolve_pair(a, b, self.today)?.map(|s| (Spec::Span(s), k)));
        }
        Ok(Some((a, j)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn pairs_pick_the_latest_started_span() {
        let today = date(2026, 6, 10);
        let may = Spec::Month {
            month: 5,
            year: None,
        };
        let july = Spec::Month {
            month: 7,
            year: None,
        };
        let nov = Spec::Month {
            month: 11,
            year: None,
        };
        let feb = Spec::Month {
            month: 2,
            year: None,
        };
        assert_eq!(
            resolve_pair(may, july, today).unwrap(),
            Span::new(date(2026, 5, 1), date(2026, 8, 1))
        );
        assert_eq!(
            resolve_pair(nov, feb, today).unwrap(),
            Span::new(date(2025, 11, 1), date(2026, 3, 1))
        );
        let july_2024 = Spec::Month {
            month: 7,
            year: Some(2024),
        };
        assert_eq!(
            resolve_pair(may, july_2024, today).unwrap(),
            Span::new(date(2024, 5, 1), date(2024, 8, 1))
        );
        assert_eq!(
            resolve_pair(Spec::Year(2019), Spec::Year(2021), today).unwrap(),
            Span::new(date(2019, 1, 1), date(2022, 1, 1))
        );
    }
}
