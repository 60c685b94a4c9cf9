//! Battery readings: parsing the Linux `power_supply` class files and a simulated battery
//! that drains by the model, for tests and demos without hardware.

use super::model::PowerModel;
use super::usage::UsageProfile;
use super::{PowerError, PowerMode, excerpt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatteryReading {
    /// 0..=100.
    pub level_percent: f32,
    /// On external power (charging or full).
    pub charging: bool,
    pub at: DateTime<Utc>,
}

/// The kernel's `status` values (Documentation/ABI/testing/sysfs-class-power).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    Charging,
    Discharging,
    /// Plugged in but held (charge limit, temperature). Some fuel-gauge drivers also report
    /// it unplugged, so it does not count as external power.
    NotCharging,
    Full,
    Unknown,
}

impl ChargeStatus {
    pub fn on_external_power(self) -> bool {
        matches!(self, Self::Charging | Self::Full)
    }
}

/// What `capacity` and `status` say, before a time is attached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SysfsBattery {
    pub level_percent: f32,
    pub status: ChargeStatus,
}

impl SysfsBattery {
    pub fn at(self, at: DateTime<Utc>) -> BatteryReading {
        BatteryReading {
            level_percent: self.level_percent,
            charging: self.status.on_external_power(),
            at,
        }
    }
}

/// Parses the contents of `/sys/class/power_supply/<bat>/capacity` and `.../status`.
pub fn parse_sysfs(capacity: &str, status: &str) -> Result<SysfsBattery, PowerError> {
    Ok(SysfsBattery {
        level_percent: parse_capacity(capacity)?,
        status: parse_status(status)?,
    })
}

/// Parses `/sys/class/power_supply/<bat>/uevent` (`POWER_SUPPLY_CAPACITY=57` lines).
pub fn parse_uevent(contents: &str) -> Result<SysfsBattery, PowerError> {
    let field = |name: &'static str| {
        contents
            .lines()
            .find_map(|line| line.trim().strip_prefix(name)?.strip_prefix('='))
            .ok_or(PowerError::MissingField(name))
    };
    parse_sysfs(
        field("POWER_SUPPLY_CAPACITY")?,
        field("POWER_SUPPLY_STATUS")?,
    )
}

fn parse_capacity(text: &str) -> Result<f32, PowerError> {
    let trimmed = text.trim();
    let level: f32 = trimmed
        .parse()
        .map_err(|_| PowerError::CapacityNotANumber(excerpt(trimmed)))?;
    if !level.is_finite() {
        return Err(PowerError::CapacityNotANumber(excerpt(trimmed)));
    }
    if !(0.0..=100.0).contains(&level) {
        return Err(PowerError::CapacityOutOfRange(level));
    }
    Ok(level)
}

fn parse_status(text: &str) -> Result<ChargeStatus, PowerError> {
    match text.trim() {
        "Charging" => Ok(ChargeStatus::Charging),
        "Discharging" => Ok(ChargeStatus::Discharging),
        "Not charging" => Ok(ChargeStatus::NotCharging),
        "Full" => Ok(ChargeStatus::Full),
        "Unknown" => Ok(ChargeStatus::Unknown),
        other => Err(PowerError::UnknownStatus(excerpt(other))),
    }
}

/// A battery that drains as the model says: start level, then usage over time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulatedBattery {
    model: PowerModel,
    remaining_mah: f64,
    charging: bool,
}

impl SimulatedBattery {
    /// `level_percent` is clamped to 0..=100 (NaN counts as empty).
    pub fn new(model: PowerModel, level_percent: f32) -> Self {
        let level = if level_percent.is_nan() {
            0.0
        } else {
            level_percent.clamp(0.0, 100.0)
        };
        Self {
            remaining_mah: model.battery_mah * f64::from(level) / 100.0,
            model,
            charging: false,
        }
    }

    pub fn level_percent(&self) -> f32 {
        if self.model.battery_mah > 0.0 {
            (self.remaining_mah / self.model.battery_mah * 100.0) as f32
        } else {
            0.0
        }
    }

    /// Runs `profile` in `mode` for `elapsed_secs` off the battery; returns the new level.
    pub fn drain(&mut self, elapsed_secs: f64, mode: PowerMode, profile: &UsageProfile) -> f32 {
        self.charging = false;
        let hours = elapsed_secs.max(0.0) / 3600.0;
        let used = self.model.average_draw_ma(profile, mode).max(0.0) * hours;
        self.remaining_mah = (self.remaining_mah - used).max(0.0);
        self.level_percent()
    }

    /// Puts `current_ma` into the battery for `elapsed_secs`; returns the new level.
    pub fn charge(&mut self, elapsed_secs: f64, current_ma: f64) -> f32 {
        self.charging = true;
        let added = current_ma.max(0.0) * elapsed_secs.max(0.0) / 3600.0;
        self.remaining_mah = (self.remaining_mah + added).min(self.model.battery_mah);
        self.level_percent()
    }

    pub fn reading(&self, at: DateTime<Utc>) -> BatteryReading {
        BatteryReading {
            level_percent: self.level_percent(),
            charging: self.charging,
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_real_sysfs_contents() {
        let cases = [
            (
                "57\n",
                "Discharging\n",
                57.0,
                ChargeStatus::Discharging,
                false,
            ),
            ("100\n", "Charging", 100.0, ChargeStatus::Charging, true),
            ("100", "Full\n", 100.0, ChargeStatus::Full, true),
            (
                "80",
                "Not charging\n",
                80.0,
                ChargeStatus::NotCharging,
                false,
            ),
            (" 0 ", "Unknown", 0.0, ChargeStatus::Unknown, false),
        ];
        for (capacity, status, level, expected_status, charging) in cases {
            let parsed = parse_sysfs(capacity, status).unwrap();
            assert_eq!(parsed.level_percent, level);
            assert_eq!(parsed.status, expected_status);
            let reading = parsed.at(DateTime::UNIX_EPOCH);
            assert_eq!(reading.charging, charging, "{status:?}");
        }
    }

    #[test]
    fn rejects_garbage() {
        let not_a_number = |s: &str| Err(PowerError::CapacityNotANumber(s.into()));
        assert_eq!(
            parse_sysfs("150\n", "Charging"),
            Err(PowerError::CapacityOutOfRange(150.0))
        );
        assert_eq!(
            parse_sysfs("-1", "Charging"),
            Err(PowerError::CapacityOutOfRange(-1.0))
        );
        assert_eq!(parse_sysfs("abc", "Charging"), not_a_number("abc"));
        assert_eq!(parse_sysfs("", "Charging"), not_a_number(""));
        assert_eq!(parse_sysfs("NaN", "Charging"), not_a_number("NaN"));
        assert_eq!(parse_sysfs("inf", "Charging"), not_a_number("inf"));
        assert_eq!(
            parse_sysfs("57", "charging?"),
            Err(PowerError::UnknownStatus("charging?".into()))
        );
        let long = "x".repeat(500);
        match parse_sysfs(&long, "Full") {
            Err(PowerError::CapacityNotANumber(echoed)) => assert_eq!(echoed.len(), 32),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_uevent() {
        let uevent = "POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_TYPE=Battery\n\
            POWER_SUPPLY_STATUS=Not charging\nPOWER_SUPPLY_PRESENT=1\n\
            POWER_SUPPLY_CAPACITY_LEVEL=Normal\nPOWER_SUPPLY_CAPACITY=83\n";
        let parsed = parse_uevent(uevent).unwrap();
        assert_eq!(parsed.level_percent, 83.0);
        assert_eq!(parsed.status, ChargeStatus::NotCharging);
        assert_eq!(
            parse_uevent("POWER_SUPPLY_STATUS=Full\n"),
            Err(PowerError::MissingField("POWER_SUPPLY_CAPACITY"))
        );
    }

    #[test]
    fn simulated_battery_follows_the_model() {
        let model = PowerModel::glasses();
        let standby = UsageProfile::standby();
        let mut battery = SimulatedBattery::new(model, 100.0);
        let level = battery.drain(3600.0, PowerMode::Balanced, &standby);
        let expected = 100.0 - model.average_draw_ma(&standby, PowerMode::Balanced) / 154.0 * 100.0;
        assert!(
            (f64::from(level) - expected).abs() < 1e-3,
            "{level} {expected}"
        );
        let life = model.hours(&UsageProfile::active_use(), PowerMode::Balanced);
        battery.drain(
            life * 3600.0,
            PowerMode::Balanced,
            &UsageProfile::active_use(),
        );
        assert_eq!(battery.level_percent(), 0.0);
        assert!(!battery.reading(DateTime::UNIX_EPOCH).charging);
        assert_eq!(battery.charge(7200.0, 154.0), 100.0);
        assert!(battery.reading(DateTime::UNIX_EPOCH).charging);
        assert_eq!(SimulatedBattery::new(model, 250.0).level_percent(), 100.0);
        assert_eq!(SimulatedBattery::new(model, f32::NAN).level_percent(), 0.0);
    }

    proptest! {
        #[test]
        fn simulated_level_only_goes_down_and_stops_at_zero(
            start in 0.0f32..=100.0,
            steps in proptest::collection::vec((1.0f64..36_000.0, 0usize..3, any::<bool>()), 1..40),
        ) {
            for model in [PowerModel::glasses(), PowerModel::doorbell()] {
                let mut battery = SimulatedBattery::new(model, start);
                let mut previous = battery.level_percent();
                for &(secs, mode, active) in &steps {
                    let profile = if active { UsageProfile::active_use() } else { UsageProfile::standby() };
                    let level = battery.drain(secs, PowerMode::ALL[mode], &profile);
                    prop_assert!(level >= 0.0);
                    prop_assert!(level < previous || (level == 0.0 && previous == 0.0));
                    previous = level;
                }
            }
        }
    }
}
