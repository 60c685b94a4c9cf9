//! Usage profiles (how much of the time each component is active) and the day estimate that
//! compares each power mode against the glasses' goals.

use super::PowerMode;
use super::model::{Component, PowerModel};

/// The glasses' goals: at least 4 h of active use, at least 24 h of standby.
pub const ACTIVE_HOURS_GOAL: f64 = 4.0;
pub const STANDBY_HOURS_GOAL: f64 = 24.0;

/// Fraction of time, 0..=1, each component spends active over a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsageProfile {
    duty: [f64; Component::ALL.len()],
}

impl UsageProfile {
    /// Everything idle; the sleep floor still draws.
    pub const fn all_idle() -> Self {
        Self {
            duty: [0.0; Component::ALL.len()],
        }
    }

    /// Sets one component's active fraction, clamped to 0..=1 (NaN counts as 0).
    pub fn with(mut self, component: Component, fraction: f64) -> Self {
        let fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        self.duty[component.index()] = fraction;
        self
    }

    pub fn duty(&self, component: Component) -> f64 {
        self.duty[component.index()]
    }

    /// The wearer is using the device: per hour ~3.5 min of video plus a few photos, voice
    /// commands and assistant answers, 15 min of music or calls, and uploading what was
    /// captured. Motion sensing stays armed.
    pub fn active_use() -> Self {
        Self::all_idle()
            .with(Component::Soc, 0.12)
            .with(Component::Camera, 0.06)
            .with(Component::Encoder, 0.05)
            .with(Component::Radio, 0.04)
            .with(Component::Display, 0.06)
            .with(Component::Audio, 0.25)
            .with(Component::Pir, 1.0)
            .with(Component::IrLeds, 0.02)
    }

    /// Waiting: brief wake-ups for notifications and sync, wake-word and motion sensing armed.
    pub fn standby() -> Self {
        Self::all_idle()
            .with(Component::Soc, 0.005)
            .with(Component::Radio, 0.002)
            .with(Component::Pir, 1.0)
    }

    /// The duty cycles of the doorbell seed's power table.
    pub fn doorbell_seed() -> Self {
        Self::all_idle()
            .with(Component::Soc, 0.01)
            .with(Component::Radio, 0.05)
            .with(Component::Camera, 0.001)
            .with(Component::Encoder, 0.001)
            .with(Component::Pir, 1.0)
            .with(Component::IrLeds, 0.10)
            .with(Component::Audio, 0.0001)
    }
}

/// One row of the benchmark table: a power mode against the goals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayEstimate {
    pub mode: PowerMode,
    /// Hours of active use a full battery gives.
    pub active_hours: f64,
    /// Hours of standby a full battery gives.
    pub standby_hours: f64,
    pub meets_active_goal: bool,
    pub meets_standby_goal: bool,
    /// Charge a day of `day_active_hours` active use and the rest standby needs.
    pub day_active_hours: f64,
    pub day_mah: f64,
    /// Whether that day fits in one charge.
    pub day_fits: bool,
}

/// How a full battery fares in `mode`; `active_hours` (clamped to 0..=24) of the day are
/// active use, the rest standby. [`ACTIVE_HOURS_GOAL`] is the usual value.
pub fn day_estimate(model: &PowerModel, mode: PowerMode, active_hours: f64) -> DayEstimate {
    let active = UsageProfile::active_use();
    let standby = UsageProfile::standby();
    let day_active_hours = if active_hours.is_nan() {
        0.0
    } else {
        active_hours.clamp(0.0, 24.0)
    };
    let active_life = model.hours(&active, mode);
    let standby_life = model.hours(&standby, mode);
    let day_mah = day_active_hours * model.average_draw_ma(&active, mode)
        + (24.0 - day_active_hours) * model.average_draw_ma(&standby, mode);
    DayEstimate {
        mode,
        active_hours: active_life,
        standby_hours: standby_life,
        meets_active_goal: active_life >= ACTIVE_HOURS_GOAL,
        meets_standby_goal: standby_life >= STANDBY_HOURS_GOAL,
        day_active_hours,
        day_mah,
        day_fits: day_mah <= model.battery_mah,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glasses_meet_the_goals_in_balanced_and_power_save_only() {
        let model = PowerModel::glasses();
        let row = |mode| day_estimate(&model, mode, ACTIVE_HOURS_GOAL);
        let high = row(PowerMode::HighPerformance);
        assert!(
            !high.meets_active_goal && !high.meets_standby_goal,
            "{high:?}"
        );
        for mode in [PowerMode::Balanced, PowerMode::PowerSave] {
            let estimate = row(mode);
            assert!(
                estimate.meets_active_goal && estimate.meets_standby_goal,
                "{estimate:?}"
            );
        }
    }

    #[test]
    fn day_estimate_adds_active_and_standby_charge() {
        let model = PowerModel::glasses();
        let mode = PowerMode::Balanced;
        let estimate = day_estimate(&model, mode, 4.0);
        let expected = 4.0 * model.average_draw_ma(&UsageProfile::active_use(), mode)
            + 20.0 * model.average_draw_ma(&UsageProfile::standby(), mode);
        assert!((estimate.day_mah - expected).abs() < 1e-9);
        // A 154 mAh frame cannot do 4 h active plus 20 h standby without its case.
        assert!(!estimate.day_fits);
        assert!(day_estimate(&PowerModel::doorbell(), mode, 4.0).day_fits);
        assert_eq!(day_estimate(&model, mode, 30.0).day_active_hours, 24.0);
        assert_eq!(day_estimate(&model, mode, f64::NAN).day_active_hours, 0.0);
    }

    #[test]
    fn duty_is_clamped() {
        let profile = UsageProfile::all_idle()
            .with(Component::Camera, 1.5)
            .with(Component::Soc, -0.2)
            .with(Component::Radio, f64::NAN);
        assert_eq!(profile.duty(Component::Camera), 1.0);
        assert_eq!(profile.duty(Component::Soc), 0.0);
        assert_eq!(profile.duty(Component::Radio), 0.0);
    }
}
