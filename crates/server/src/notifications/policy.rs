//! Whether an event may notify, before its device's cooldown is asked: the user's event types,
//! the device's AI classes, and quiet hours. Pure, so every branch is tested here.

use chrono::{DateTime, Timelike, Utc};
use sightline_core::doorbell_event::EventType;
use sightline_core::settings::{AiDetection, MotionSettings};
use sightline_store::notifications::{NotificationPreferences, QuietHours, SuppressReason};
use std::time::Duration;

/// The cooldown of a device without motion settings (the seed's default).
pub const DEFAULT_COOLDOWN_SECS: u32 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Suppress(SuppressReason),
    /// Notify without asking the cooldown (a visitor ringing, or a cooldown of 0).
    Notify,
    /// Notify if the device's cooldown slot is free.
    Cooldown(Duration),
}

/// The device's notification cooldown and AI classes: its motion settings, else the defaults.
pub fn device_rules(motion: Option<&MotionSettings>) -> (u32, AiDetection) {
    motion.map_or((DEFAULT_COOLDOWN_SECS, AiDetection::default()), |m| {
        (m.notification_cooldown_seconds, m.ai_detection)
    })
}

fn type_on(prefs: &NotificationPreferences, kind: EventType) -> bool {
    let t = &prefs.notify_types;
    match kind {
        EventType::Motion => t.motion,
        EventType::DoorbellPress => t.doorbell_press,
        EventType::Person => t.person,
        EventType::Package => t.package,
        EventType::Vehicle => t.vehicle,
        EventType::Animal => t.animal,
    }
}

/// Motion and presses are not AI classes: only the user's preferences turn them off.
fn class_on(ai: &AiDetection, kind: EventType) -> bool {
    match kind {
        EventType::Motion | EventType::DoorbellPress => true,
        EventType::Person => ai.person_detection,
        EventType::Package => ai.package_detection,
        EventType::Vehicle => ai.vehicle_detection,
        EventType::Animal => ai.animal_detection,
    }
}

/// Whether `at` falls in the quiet window, read in the user's time zone (or offset). `end`
/// before `start` spans midnight; `start == end` is an empty window.
pub fn in_quiet_hours(quiet: &QuietHours, at: DateTime<Utc>) -> bool {
    if !quiet.enabled {
        return false;
    }
    let seconds = match quiet.time_zone {
        Some(zone) => at.with_timezone(&zone).num_seconds_from_midnight(),
        None => {
            let local = at + chrono::Duration::minutes(i64::from(quiet.utc_offset_minutes));
            local.num_seconds_from_midnight()
        }
    };
    let minute = (seconds / 60) as u16;
    let (start, end) = (quiet.start_minute, quiet.end_minute);
    if start <= end {
        (start..end).contains(&minute)
    } else {
        minute >= start || minute < end
    }
}

/// Events older than this when their notification would go out are not pushed: after the
/// server or the device was offline, "someone is at your door" would be news from the past.
pub const MAX_ALERT_AGE: Duration = Duration::from_secs(15 * 60);

/// Whether an event that happened at `occurred_at` (the device's clock) and was accepted at
/// `accepted_at` (the server's) is too old to push at `now`. The earlier of the two counts, so
/// that a device whose clock runs ahead cannot make an old event look new.
pub fn is_stale(
    occurred_at: DateTime<Utc>,
    accepted_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    let happened = occurred_at.min(accepted_at);
    (now - happened)
        .to_std()
        .is_ok_and(|age| age > MAX_ALERT_AGE)
}

/// What to do with an event of `kind` accepted at `at`.
pub fn rule(
    kind: EventType,
    prefs: &NotificationPreferences,
    motion: Option<&MotionSettings>,
    at: DateTime<Utc>,
) -> Rule {
    let (cooldown_secs, ai) = device_rules(motion);
    if !type_on(prefs, kind) {
        return Rule::Suppress(SuppressReason::TypeOff);
    }
    if !class_on(&ai, kind) {
        return Rule::Suppress(SuppressReason::ClassOff);
    }
    let press = kind == EventType::DoorbellPress;
    if in_quiet_hours(&prefs.quiet_hours, at) && !(press && prefs.press_during_quiet_hours) {
        return Rule::Suppress(SuppressReason::QuietHours);
    }
    // The visitor is ringing now: no cooldown applies, and a press does not start one.
    if press || cooldown_secs == 0 {
        return Rule::Notify;
    }
    Rule::Cooldown(Duration::from_secs(u64::from(cooldown_secs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use sightline_store::notifications::NotifyTypes;

    fn utc(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 2, 5, h, m, 0)
            .single()
            .expect("time")
    }

    fn quiet(start: u16, end: u16, offset: i16) -> NotificationPreferences {
        NotificationPreferences {
            quiet_hours: QuietHours {
                enabled: true,
                start_minute: start,
                end_minute: end,
                utc_offset_minutes: offset,
                time_zone: None,
            },
            ..NotificationPreferences::default()
        }
    }

    #[test]
    fn old_events_are_stale_by_the_earlier_clock() {
        let now = utc(12, 0);
        assert!(!is_stale(utc(11, 50), utc(11, 50), now));
        assert!(
            !is_stale(utc(11, 46), utc(12, 0), now),
            "14 minutes is still news"
        );
        assert!(
            is_stale(utc(11, 0), utc(11, 59), now),
            "posted late by an offline device"
        );
        assert!(
            is_stale(utc(11, 0), utc(11, 0), now),
            "caught up after a server outage"
        );
        assert!(
            is_stale(utc(13, 0), utc(11, 0), now),
            "a clock ahead does not make it new"
        );
        assert!(
            !is_stale(utc(12, 5), utc(12, 0), now),
            "the device's clock a bit ahead"
        );
    }

    #[test]
    fn quiet_hours_follow_the_users_time_zone_across_daylight_saving() {
        let mut paris = quiet(22 * 60, 7 * 60, 0).quiet_hours;
        paris.time_zone = Some(chrono_tz::Europe::Paris);
        let at = |month, h, m| {
            Utc.with_ymd_and_hms(2026, month, 15, h, m, 0)
                .single()
                .expect("time")
        };
        assert!(in_quiet_hours(&paris, at(7, 20, 30)), "22:30 CEST");
        assert!(!in_quiet_hours(&paris, at(7, 19, 30)), "21:30 CEST");
        assert!(!in_quiet_hours(&paris, at(1, 20, 30)), "21:30 CET");
        assert!(in_quiet_hours(&paris, at(1, 21, 30)), "22:30 CET");
        assert!(in_quiet_hours(&paris, at(1, 5, 30)), "06:30 CET");
        assert!(!in_quiet_hours(&paris, at(7, 5, 30)), "07:30 CEST");
        // The zone wins over a stale fixed offset.
        paris.utc_offset_minutes = 600;
        assert!(in_quiet_hours(&paris, at(7, 20, 30)));
    }

    #[test]
    fn quiet_hours_span_midnight_in_the_users_offset() {
        let night = quiet(22 * 60, 7 * 60, 0).quiet_hours;
        assert!(in_quiet_hours(&night, utc(23, 0)));
        assert!(in_quiet_hours(&night, utc(0, 0)));
        assert!(in_quiet_hours(&night, utc(6, 59)));
        assert!(!in_quiet_hours(&night, utc(7, 0)));
        assert!(!in_quiet_hours(&night, utc(21, 59)));
        assert!(in_quiet_hours(&night, utc(22, 0)));
        // 20:30 UTC is 22:30 at UTC+2; 05:30 UTC is 00:30 at UTC-5.
        let plus_two = quiet(22 * 60, 7 * 60, 120).quiet_hours;
        assert!(in_quiet_hours(&plus_two, utc(20, 30)));
        assert!(!in_quiet_hours(&plus_two, utc(5, 30)));
        let minus_five = quiet(22 * 60, 7 * 60, -300).quiet_hours;
        assert!(in_quiet_hours(&minus_five, utc(5, 30)));
        assert!(!in_quiet_hours(&minus_five, utc(20, 30)));
        // A daytime window, an empty one, a disabled one.
        let lunch = quiet(12 * 60, 13 * 60, 0).quiet_hours;
        assert!(in_quiet_hours(&lunch, utc(12, 30)));
        assert!(!in_quiet_hours(&lunch, utc(13, 0)));
        assert!(!in_quiet_hours(&quiet(600, 600, 0).quiet_hours, utc(10, 0)));
        let off = QuietHours {
            enabled: false,
            ..night
        };
        assert!(!in_quiet_hours(&off, utc(23, 0)));
    }

    #[test]
    fn presses_skip_the_cooldown_and_may_ring_through_quiet_hours() {
        let defaults = NotificationPreferences::default();
        let at = utc(23, 0);
        assert_eq!(
            rule(EventType::Motion, &defaults, None, at),
            Rule::Cooldown(Duration::from_secs(60))
        );
        assert_eq!(
            rule(EventType::DoorbellPress, &defaults, None, at),
            Rule::Notify
        );
        let night = quiet(22 * 60, 7 * 60, 0);
        assert_eq!(
            rule(EventType::Motion, &night, None, at),
            Rule::Suppress(SuppressReason::QuietHours)
        );
        assert_eq!(
            rule(EventType::DoorbellPress, &night, None, at),
            Rule::Notify
        );
        let silent = NotificationPreferences {
            press_during_quiet_hours: false,
            ..night
        };
        assert_eq!(
            rule(EventType::DoorbellPress, &silent, None, at),
            Rule::Suppress(SuppressReason::QuietHours)
        );
        assert_eq!(
            rule(EventType::Motion, &night, None, utc(12, 0)),
            Rule::Cooldown(Duration::from_secs(60))
        );
    }

    #[test]
    fn ai_classes_of_the_device_and_types_of_the_user_decide() {
        let defaults = NotificationPreferences::default();
        let at = utc(12, 0);
        // The seed's defaults: person and package on, vehicle and animal off.
        assert!(matches!(
            rule(EventType::Person, &defaults, None, at),
            Rule::Cooldown(_)
        ));
        assert_eq!(
            rule(EventType::Vehicle, &defaults, None, at),
            Rule::Suppress(SuppressReason::ClassOff)
        );
        let motion = MotionSettings {
            ai_detection: AiDetection {
                person_detection: false,
                vehicle_detection: true,
                animal_detection: true,
                package_detection: false,
            },
            notification_cooldown_seconds: 0,
            ..MotionSettings::default()
        };
        let m = Some(&motion);
        assert_eq!(
            rule(EventType::Person, &defaults, m, at),
            Rule::Suppress(SuppressReason::ClassOff)
        );
        assert_eq!(
            rule(EventType::Package, &defaults, m, at),
            Rule::Suppress(SuppressReason::ClassOff)
        );
        assert_eq!(rule(EventType::Vehicle, &defaults, m, at), Rule::Notify);
        assert_eq!(rule(EventType::Animal, &defaults, m, at), Rule::Notify);
        // Motion is not a class; a cooldown of 0 never asks for the slot.
        assert_eq!(rule(EventType::Motion, &defaults, m, at), Rule::Notify);
        let no_motion = NotificationPreferences {
            notify_types: NotifyTypes {
                motion: false,
                doorbell_press: false,
                ..NotifyTypes::default()
            },
            ..defaults
        };
        assert_eq!(
            rule(EventType::Motion, &no_motion, m, at),
            Rule::Suppress(SuppressReason::TypeOff)
        );
        assert_eq!(
            rule(EventType::DoorbellPress, &no_motion, m, at),
            Rule::Suppress(SuppressReason::TypeOff)
        );
    }
}
