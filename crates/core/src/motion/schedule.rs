//! Schedule windows: when motion detection is armed, in the device's local time, as in the
//! settings API (`{"start": "22:00", "end": "06:00", "days": ["all"]}`).

use super::{MotionError, excerpt};
use chrono::{Datelike, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// Days (bit 0 = Monday) and a local time range. A range whose end is not after its start runs
/// past midnight into the next day (equal ends: the whole day); the days are those it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleWindow {
    days: u8,
    start: NaiveTime,
    end: NaiveTime,
}

/// Armed when any window holds. A disabled schedule is always armed; an enabled one without
/// windows never is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Schedule {
    pub enabled: bool,
    pub windows: Vec<ScheduleWindow>,
}

impl ScheduleWindow {
    pub fn new(days: &[Weekday], start: NaiveTime, end: NaiveTime) -> Self {
        let days = days
            .iter()
            .fold(0u8, |m, d| m | 1 << d.num_days_from_monday());
        Self { days, start, end }
    }

    /// From the settings API's strings: `"HH:MM"` times and day names (`all`, `mon`…`sun`,
    /// `monday`…`sunday`, any case).
    pub fn parse(start: &str, end: &str, days: &[&str]) -> Result<Self, MotionError> {
        let mut mask = 0u8;
        for day in days {
            mask |= match day.trim().to_ascii_lowercase().as_str() {
                "all" | "every_day" | "daily" => 0x7f,
                name => {
                    let day: Weekday = name
                        .parse()
                        .map_err(|_| MotionError::UnknownDay(excerpt(day)))?;
                    1 << day.num_days_from_monday()
                }
            };
        }
        Ok(Self {
            days: mask,
            start: parse_time(start)?,
            end: parse_time(end)?,
        })
    }

    fn on(&self, day: Weekday) -> bool {
        self.days & (1 << day.num_days_from_monday()) != 0
    }

    pub fn is_active(&self, at: NaiveDateTime) -> bool {
        let (day, time) = (at.weekday(), at.time());
        if self.start < self.end {
            self.on(day) && self.start <= time && time < self.end
        } else {
            (self.on(day) && time >= self.start) || (self.on(day.pred()) && time < self.end)
        }
    }
}

impl Schedule {
    pub fn always() -> Self {
        Self::default()
    }

    pub fn is_active(&self, at: NaiveDateTime) -> bool {
        !self.enabled || self.windows.iter().any(|w| w.is_active(at))
    }
}

fn parse_time(text: &str) -> Result<NaiveTime, MotionError> {
    let bad = || MotionError::InvalidTime(excerpt(text));
    NaiveTime::parse_from_str(text.trim(), "%H:%M").map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
        // 2026-02-02 is a Monday.
        NaiveDate::from_ymd_opt(2026, 2, day)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn overnight_windows_run_into_the_next_day() {
        let w = ScheduleWindow::parse("22:00", "06:00", &["mon"]).unwrap();
        assert!(!w.is_active(at(2, 21, 59)));
        assert!(w.is_active(at(2, 22, 0)));
        assert!(w.is_active(at(3, 5, 59))); // Tuesday morning, started Monday
        assert!(!w.is_active(at(3, 6, 0)));
        assert!(!w.is_active(at(3, 23, 0))); // Tuesday night is not armed
        assert!(!w.is_active(at(2, 3, 0))); // Monday morning belongs to Sunday
    }

    #[test]
    fn day_windows_and_schedules() {
        let w = ScheduleWindow::parse("09:00", "17:30", &["Saturday", "sun"]).unwrap();
        assert!(w.is_active(at(7, 9, 0)));
        assert!(!w.is_active(at(7, 17, 30)));
        assert!(!w.is_active(at(6, 12, 0))); // Friday
        let all = ScheduleWindow::parse("00:00", "00:00", &["all"]).unwrap();
        assert!(all.is_active(at(4, 13, 7)));
        assert!(Schedule::always().is_active(at(4, 13, 7)));
        let armed = Schedule {
            enabled: true,
            windows: vec![w],
        };
        assert!(armed.is_active(at(8, 10, 0)));
        assert!(!armed.is_active(at(9, 10, 0)));
        let never = Schedule {
            enabled: true,
            windows: vec![],
        };
        assert!(!never.is_active(at(8, 10, 0)));
        let typed = ScheduleWindow::new(&[Weekday::Sat, Weekday::Sun], w.start, w.end);
        assert_eq!(typed, w);
    }

    #[test]
    fn bad_times_and_days_are_errors() {
        assert!(matches!(
            ScheduleWindow::parse("25:00", "06:00", &["all"]),
            Err(MotionError::InvalidTime(_))
        ));
        assert!(matches!(
            ScheduleWindow::parse("7pm", "06:00", &["all"]),
            Err(MotionError::InvalidTime(_))
        ));
        assert_eq!(
            ScheduleWindow::parse("22:00", "06:00", &["someday"]),
            Err(MotionError::UnknownDay("someday".into()))
        );
    }
}
