//! Relative time expressions: "today", "yesterday", "this week", "last weekend", "the last 7
//! days", "3 days ago", "recently", "earlier this month", "this time last year".

use super::{Parser, Spec};
use crate::query::calendar::{
    Span, latest_ended, month_span, month_word, shift_days, shift_months, week_span,
    weekend_of_week, year_span,
};
use crate::query::lexicon::number_at;
use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// Only for "the last 24 hours", "3 hours ago": rounded to whole days.
    Hour,
    Day,
    Week,
    Month,
    Year,
}

fn unit_word(word: &str) -> Option<Unit> {
    Some(match word {
        "hour" | "hours" => Unit::Hour,
        "day" | "days" => Unit::Day,
        "week" | "weeks" => Unit::Week,
        "month" | "months" => Unit::Month,
        "year" | "years" => Unit::Year,
        _ => return None,
    })
}

impl Parser<'_, '_> {
    /// "today", "yesterday", "this week", "last weekend", "the last 7 days", "3 days ago", ...
    pub(super) fn relative(&self, i: usize) -> Option<(Spec, usize)> {
        let today = self.today;
        let day = |d: Option<NaiveDate>, end: usize| Some((Spec::Span(Span::day(d?)?), end));
        match self.w(i) {
            "today" | "tonight" => return day(Some(today), i + 1),
            "yesterday" => return day(shift_days(today, -1), i + 1),
            "recently" | "lately" => return self.rolling(30, Unit::Day, i + 1),
            "weekend" => return self.latest_weekend(i + 1),
            "this" => return self.this(i + 1),
            "last" | "previous" => return self.last(i + 1),
            "past" => return self.rolling_from(i + 1),
            "earlier" => return self.earlier(i + 1),
            _ => {}
        }
        let words = [self.w(i), self.w(i + 1), self.w(i + 2), self.w(i + 3)];
        match words {
            ["the", "day", "before", "yesterday"] => return day(shift_days(today, -2), i + 4),
            ["day", "before", "yesterday", _] => return day(shift_days(today, -2), i + 3),
            ["the", "weekend", ..] => return self.latest_weekend(i + 2),
            ["the", "past" | "last", ..] => return self.rolling_from(i + 2),
            _ => {}
        }
        // "3 days ago", "a week ago", "a couple of years ago"
        let (count, k) = number_at(self.t, i).filter(|&(_, k)| k < self.limit)?;
        let unit = unit_word(self.w(k))?;
        if self.w(k + 1) != "ago" || count.fract() != 0.0 || !(1.0..=1000.0).contains(&count) {
            return None;
        }
        let n = count as i64;
        let span = match unit {
            Unit::Hour => Span::day(shift_days(today, -n / 24)?),
            Unit::Day => Span::day(shift_days(today, -n)?),
            Unit::Week => week_span(shift_days(today, -7 * n)?),
            Unit::Month => {
                let d = shift_months(today, -n)?;
                month_span(d.year(), d.month())
            }
            Unit::Year => year_span(today.year() - i32::try_from(n).ok()?),
        };
        Some((Spec::Span(span?), k + 2))
    }

    fn this(&self, j: usize) -> Option<(Spec, usize)> {
        let today = self.today;
        let span = match [self.w(j), self.w(j + 1), self.w(j + 2)] {
            ["week", ..] => week_span(today),
            ["weekend", ..] => weekend_of_week(today),
            ["month", ..] => month_span(today.year(), today.month()),
            ["year", ..] => year_span(today.year()),
            ["morning" | "afternoon" | "evening", ..] => Span::day(today),
            ["time", "last", "year"] => {
                let day = shift_months(today, -12)?;
                let span = Span::new(shift_days(day, -7)?, shift_days(day, 8)?);
                return Some((Spec::Span(span?), j + 3));
            }
            _ => {
                let (month, _) = month_word(self.w(j))?;
                month_span(today.year(), month)
            }
        };
        Some((Spec::Span(span?), j + 1))
    }

    fn last(&self, j: usize) -> Option<(Spec, usize)> {
        let today = self.today;
        let span = match self.w(j) {
            "night" => Span::day(shift_days(today, -1)?),
            "week" => week_span(shift_days(today, -7)?),
            "weekend" => {
                let this = weekend_of_week(today)?;
                if this.end <= today {
                    Some(this)
                } else {
                    weekend_of_week(shift_days(today, -7)?)
                }
            }
            "month" => {
                let d = shift_months(today, -1)?;
                month_span(d.year(), d.month())
            }
            "year" => year_span(today.year() - 1),
            word => match month_word(word) {
                Some((month, _)) => latest_ended(today, |y| month_span(y, month)),
                None => return self.rolling_from(j),
            },
        };
        Some((Spec::Span(span?), j + 1))
    }

    /// Most recent weekend that has started: this one on Saturday and Sunday, else the last.
    fn latest_weekend(&self, end: usize) -> Option<(Spec, usize)> {
        let this = weekend_of_week(self.today)?;
        let span = if this.start <= self.today {
            this
        } else {
            weekend_of_week(shift_days(self.today, -7)?)?
        };
        Some((Spec::Span(span), end))
    }

    /// "7 days", "month", "couple of weeks" after "the last"/"past": a window ending today.
    fn rolling_from(&self, j: usize) -> Option<(Spec, usize)> {
        if let Some(unit) = unit_word(self.w(j)) {
            return self.rolling(1, unit, j + 1);
        }
        let (count, k) = number_at(self.t, j).filter(|&(_, k)| k < self.limit)?;
        let unit = unit_word(self.w(k))?;
        if count.fract() != 0.0 || !(1.0..=1000.0).contains(&count) {
            return None;
        }
        self.rolling(count as i64, unit, k + 1)
    }

    fn rolling(&self, count: i64, unit: Unit, end: usize) -> Option<(Spec, usize)> {
        let back = match unit {
            // 24 hours back from some time today reaches into yesterday.
            Unit::Hour => shift_days(self.today, -(count + 23) / 24),
            Unit::Day => shift_days(self.today, -count),
            Unit::Week => shift_days(self.today, -7 * count),
            Unit::Month => shift_months(self.today, -count),
            Unit::Year => shift_months(self.today, -12 * count),
        };
        let start = if unit == Unit::Hour {
            back?
        } else {
            shift_days(back?, 1)?
        };
        let span = Span::new(start, shift_days(self.today, 1)?)?;
        Some((Spec::Span(span), end))
    }

    /// "earlier this week/month/year", "earlier today".
    fn earlier(&self, j: usize) -> Option<(Spec, usize)> {
        match self.w(j) {
            "today" => Some((Spec::Span(Span::day(self.today)?), j + 1)),
            "this" => {
                let (Spec::Span(period), end) = self.this(j + 1)? else {
                    return None;
                };
                Some((
                    Spec::Span(Span::new(period.start, shift_days(self.today, 1)?)?),
                    end,
                ))
            }
            _ => None,
        }
    }
}
