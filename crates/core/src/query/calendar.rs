//! Calendar arithmetic for time expressions: months, ISO weeks (Monday first), northern-
//! hemisphere seasons, holidays, and "which occurrence" rules. Every function is checked: out of
//! range dates give `None`, never a panic.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// Dates `start..end` (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Span {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Option<Self> {
        (start < end).then_some(Self { start, end })
    }

    pub fn day(day: NaiveDate) -> Option<Self> {
        Self::new(day, day.checked_add_days(Days::new(1))?)
    }

    /// `days` days starting at `start`.
    pub fn days(start: NaiveDate, days: u64) -> Option<Self> {
        Self::new(start, start.checked_add_days(Days::new(days))?)
    }
}

pub(crate) const MIN_YEAR: i32 = 1900;
pub(crate) const MAX_YEAR: i32 = 2100;

pub(crate) fn year_span(year: i32) -> Option<Span> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return None;
    }
    Span::new(
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
    )
}

pub(crate) fn month_span(year: i32, month: u32) -> Option<Span> {
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    Span::new(start, start.checked_add_months(Months::new(1))?)
}

/// The Monday-to-Sunday week containing `day`.
pub(crate) fn week_span(day: NaiveDate) -> Option<Span> {
    let monday =
        day.checked_sub_days(Days::new(u64::from(day.weekday().num_days_from_monday())))?;
    Span::days(monday, 7)
}

/// Saturday and Sunday of the Monday-to-Sunday week containing `day`.
pub(crate) fn weekend_of_week(day: NaiveDate) -> Option<Span> {
    Span::days(week_span(day)?.start.checked_add_days(Days::new(5))?, 2)
}

pub(crate) fn shift_months(day: NaiveDate, months: i64) -> Option<NaiveDate> {
    let magnitude = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months >= 0 {
        day.checked_add_months(magnitude)
    } else {
        day.checked_sub_months(magnitude)
    }
}

pub(crate) fn shift_days(day: NaiveDate, days: i64) -> Option<NaiveDate> {
    let magnitude = Days::new(days.unsigned_abs());
    if days >= 0 {
        day.checked_add_days(magnitude)
    } else {
        day.checked_sub_days(magnitude)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Season {
    Spring,
    Summer,
    Autumn,
    Winter,
}

/// Spring is March–May, summer June–August, autumn September–November; winter `year` runs from
/// December of `year` to the end of February of `year + 1`.
pub(crate) fn season_span(season: Season, year: i32) -> Option<Span> {
    let month = match season {
        Season::Spring => 3,
        Season::Summer => 6,
        Season::Autumn => 9,
        Season::Winter => 12,
    };
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    Span::new(start, start.checked_add_months(Months::new(3))?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holiday {
    Christmas,
    ChristmasEve,
    ChristmasDay,
    BoxingDay,
    NewYearsEve,
    NewYearsDay,
    /// New Year's Eve and New Year's Day; `year` is the year that begins.
    NewYear,
    Halloween,
    Valentines,
    /// Good Friday to Easter Monday.
    Easter,
    EasterSunday,
    /// Thanksgiving Thursday (fourth Thursday of November) to Sunday.
    Thanksgiving,
    IndependenceDay,
}

pub(crate) fn holiday_span(holiday: Holiday, year: i32) -> Option<Span> {
    let on = |month, day| NaiveDate::from_ymd_opt(year, month, day);
    match holiday {
        Holiday::Christmas => Span::days(on(12, 24)?, 3),
        Holiday::ChristmasEve => Span::day(on(12, 24)?),
        Holiday::ChristmasDay => Span::day(on(12, 25)?),
        Holiday::BoxingDay => Span::day(on(12, 26)?),
        Holiday::NewYearsEve => Span::day(on(12, 31)?),
        Holiday::NewYearsDay => Span::day(on(1, 1)?),
        Holiday::NewYear => Span::days(NaiveDate::from_ymd_opt(year - 1, 12, 31)?, 2),
        Holiday::Halloween => Span::day(on(10, 31)?),
        Holiday::Valentines => Span::day(on(2, 14)?),
        Holiday::Easter => Span::days(easter_sunday(year)?.checked_sub_days(Days::new(2))?, 4),
        Holiday::EasterSunday => Span::day(easter_sunday(year)?),
        Holiday::Thanksgiving => {
            let thursday = NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Thu, 4)?;
            Span::days(thursday, 4)
        }
        Holiday::IndependenceDay => Span::day(on(7, 4)?),
    }
}

/// Gregorian Easter Sunday (anonymous Gregorian algorithm).
pub(crate) fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// Years tried when looking for an occurrence: enough for Feb 29 and yearly events.
const LOOKBACK_YEARS: i32 = 9;

/// The latest occurrence that has started on or before `today`.
pub(crate) fn latest_started(
    today: NaiveDate,
    of_year: impl Fn(i32) -> Option<Span>,
) -> Option<Span> {
    (0..=LOOKBACK_YEARS)
        .filter_map(|back| of_year(today.year() + 1 - back))
        .find(|span| span.start <= today)
}

/// The latest occurrence that is over before `today`.
pub(crate) fn latest_ended(
    today: NaiveDate,
    of_year: impl Fn(i32) -> Option<Span>,
) -> Option<Span> {
    (0..=LOOKBACK_YEARS)
        .filter_map(|back| of_year(today.year() + 1 - back))
        .find(|span| span.end <= today)
}

/// The occurrence containing `today`, else this calendar year's.
pub(crate) fn current(today: NaiveDate, of_year: impl Fn(i32) -> Option<Span>) -> Option<Span> {
    [today.year() - 1, today.year()]
        .into_iter()
        .filter_map(&of_year)
        .find(|span| span.start <= today && today < span.end)
        .or_else(|| of_year(today.year()))
}

/// Month number for a month word, and whether the word needs context to count as a month
/// ("may" and "march" are also ordinary words, "jan" is also a name).
pub(crate) fn month_word(word: &str) -> Option<(u32, bool)> {
    let word = word.strip_suffix('.').unwrap_or(word);
    Some(match word {
        "january" => (1, false),
        "jan" => (1, true),
        "february" | "feb" => (2, false),
        "march" | "mar" => (3, true),
        "april" | "apr" => (4, false),
        "may" => (5, true),
        "june" | "jun" => (6, false),
        "july" | "jul" => (7, false),
        "august" | "aug" => (8, false),
        "september" | "sep" | "sept" => (9, false),
        "october" | "oct" => (10, false),
        "november" | "nov" => (11, false),
        "december" | "dec" => (12, false),
        _ => return None,
    })
}

pub(crate) fn weekday_word(word: &str) -> Option<Weekday> {
    Some(match word {
        "monday" => Weekday::Mon,
        "tuesday" => Weekday::Tue,
        "wednesday" => Weekday::Wed,
        "thursday" => Weekday::Thu,
        "friday" => Weekday::Fri,
        "saturday" => Weekday::Sat,
        "sunday" => Weekday::Sun,
        _ => return None,
    })
}

/// Season for a word, and whether it needs context ("fall" is also a verb).
pub(crate) fn season_word(word: &str) -> Option<(Season, bool)> {
    Some(match word {
        "spring" | "springtime" => (Season::Spring, false),
        "summer" | "summertime" => (Season::Summer, false),
        "autumn" => (Season::Autumn, false),
        "fall" => (Season::Autumn, true),
        "winter" | "wintertime" => (Season::Winter, false),
        _ => return None,
    })
}

#[rustfmt::skip]
const CALENDAR_WORDS: &[&str] = &[
    "today", "tonight", "yesterday", "week", "weeks", "weekend", "weekends", "month", "months",
    "year", "years", "day", "days", "ago", "recently", "lately", "morning", "afternoon", "evening",
    "night", "birthday", "bday", "christmas", "xmas", "eve", "easter", "halloween", "thanksgiving",
    "valentine", "valentine's", "valentines", "new", "year's", "years'", "boxing", "independence",
    "past", "last", "this", "early", "mid", "late", "earlier", "between", "since", "decade",
];

pub(crate) fn is_calendar_word(word: &str) -> bool {
    CALENDAR_WORDS.contains(&word)
        || month_word(word).is_some()
        || weekday_word(word).is_some()
        || season_word(word).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn span(a: NaiveDate, b: NaiveDate) -> Option<Span> {
        Span::new(a, b)
    }

    #[test]
    fn seasons_weeks_and_holidays() {
        assert_eq!(
            season_span(Season::Winter, 2023),
            span(date(2023, 12, 1), date(2024, 3, 1))
        );
        assert_eq!(
            week_span(date(2026, 11, 22)),
            span(date(2026, 11, 16), date(2026, 11, 23))
        );
        assert_eq!(
            weekend_of_week(date(2026, 11, 18)),
            span(date(2026, 11, 21), date(2026, 11, 23))
        );
        assert_eq!(easter_sunday(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(
            holiday_span(Holiday::Thanksgiving, 2026),
            span(date(2026, 11, 26), date(2026, 11, 30))
        );
        assert_eq!(
            holiday_span(Holiday::NewYear, 2026),
            span(date(2025, 12, 31), date(2026, 1, 2))
        );
    }

    #[test]
    fn occurrence_rules() {
        let summer = |y| season_span(Season::Summer, y);
        let in_july = date(2026, 7, 10);
        assert_eq!(latest_started(in_july, summer), summer(2026));
        assert_eq!(latest_ended(in_july, summer), summer(2025));
        assert_eq!(current(in_july, summer), summer(2026));
        let winter = |y| season_span(Season::Winter, y);
        assert_eq!(current(date(2026, 1, 15), winter), winter(2025));
        assert_eq!(current(date(2026, 11, 22), winter), winter(2026));
        let leap_day = |y| NaiveDate::from_ymd_opt(y, 2, 29).and_then(Span::day);
        assert_eq!(
            latest_started(date(2026, 11, 22), leap_day),
            Span::day(date(2024, 2, 29))
        );
    }
}
