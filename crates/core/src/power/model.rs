//! Per-component current draw and the battery life it gives. Currents are mA from the battery
//! at its nominal voltage; a component draws `active_ma` for the fraction of time a usage
//! profile keeps it active and `idle_ma` for the rest, both scaled by the power mode.

use super::PowerMode;
use super::usage::UsageProfile;
use serde::{Deserialize, Serialize};

/// A part of the device whose draw the model tracks separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// Application processor / MCU (CPU, ISP, memory).
    Soc,
    /// Wi-Fi (and the Bluetooth link to a phone, which shares the chip).
    Radio,
    Camera,
    /// Hardware video encoder.
    Encoder,
    /// Display, or indicator LEDs on devices without one.
    Display,
    /// Microphones and speaker.
    Audio,
    /// Passive-infrared motion sensor, the doorbell's wake source.
    Pir,
    /// Night-vision illuminators.
    IrLeds,
    /// What the board draws with everything asleep (PMIC, RTC, wake circuitry): always on.
    SleepFloor,
}

impl Component {
    pub const ALL: [Component; 9] = [
        Self::Soc,
        Self::Radio,
        Self::Camera,
        Self::Encoder,
        Self::Display,
        Self::Audio,
        Self::Pir,
        Self::IrLeds,
        Self::SleepFloor,
    ];

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ComponentDraw {
    pub active_ma: f64,
    /// Draw while not active: off, suspended, or listening in a low-power state.
    pub idle_ma: f64,
}

impl ComponentDraw {
    pub const ABSENT: Self = Self::new(0.0, 0.0);

    pub const fn new(active_ma: f64, idle_ma: f64) -> Self {
        Self { active_ma, idle_ma }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerModel {
    pub battery_mah: f64,
    /// Voltage the mA figures refer to; only used to express energy in Wh.
    pub nominal_voltage_v: f64,
    pub soc: ComponentDraw,
    pub radio: ComponentDraw,
    pub camera: ComponentDraw,
    pub encoder: ComponentDraw,
    pub display: ComponentDraw,
    pub audio: ComponentDraw,
    pub pir: ComponentDraw,
    pub ir_leds: ComponentDraw,
    pub sleep_floor_ma: f64,
}

impl PowerModel {
    /// The battery doorbell of the doorbell seed's power table (Qualcomm QCS605-class SoC,
    /// 5000 mAh). Idle draws are zero where the seed powers the part off; Wi-Fi idles in
    /// 802.11 power save (50 mA) so the bell stays reachable for live view.
    pub fn doorbell() -> Self {
        Self {
            battery_mah: 5000.0,
            nominal_voltage_v: 3.7,
            soc: ComponentDraw::new(2000.0, 0.0),
            radio: ComponentDraw::new(300.0, 50.0),
            camera: ComponentDraw::new(500.0, 0.0),
            encoder: ComponentDraw::new(1000.0, 0.0),
            display: ComponentDraw::ABSENT,
            audio: ComponentDraw::new(100.0, 0.0),
            pir: ComponentDraw::new(0.05, 0.0),
            ir_leds: ComponentDraw::new(200.0, 0.0),
            sleep_floor_ma: 10.0,
        }
    }

    /// Ray-Ban-Meta-class camera glasses. Assumptions, not measurements:
    /// - battery: 154 mAh at 3.85 V (the 2023 Ray-Ban Meta cell; Meta rates it "up to 4 h"
    ///   of typical use, with the charging case supplying the rest of the day);
    /// - recording video (SoC + camera + encoder) draws about 250 mA, ~1 W, which a frame can
    ///   shed only for minutes — the reason such glasses cap clips at 1–3 min;
    /// - SoC (Snapdragon AR1-class) 120 mA awake, 0.8 mA suspended with RAM in self-refresh;
    /// - 12 MP sensor streaming video 60 mA; hardware H.264 at 1080p30 70 mA;
    /// - Wi-Fi 6 transmitting 220 mA; idle 6 mA = associated in power save plus the phone's
    ///   Bluetooth LE link (power save turns Wi-Fi off between batches);
    /// - open-ear speakers + mic array 40 mA in use; 1 mA idle for wake-word listening on the
    ///   always-on DSP; no display, only the 3 mA capture LED; no PIR or IR illuminators;
    /// - 1.2 mA floor: PMIC, RTC, IMU and wear sensor.
    pub fn glasses() -> Self {
        Self {
            battery_mah: 154.0,
            nominal_voltage_v: 3.85,
            soc: ComponentDraw::new(120.0, 0.8),
            radio: ComponentDraw::new(220.0, 6.0),
            camera: ComponentDraw::new(60.0, 0.0),
            encoder: ComponentDraw::new(70.0, 0.0),
            display: ComponentDraw::new(3.0, 0.0),
            audio: ComponentDraw::new(40.0, 1.0),
            pir: ComponentDraw::ABSENT,
            ir_leds: ComponentDraw::ABSENT,
            sleep_floor_ma: 1.2,
        }
    }

    pub fn draw(&self, component: Component) -> ComponentDraw {
        match component {
            Component::Soc => self.soc,
            Component::Radio => self.radio,
            Component::Camera => self.camera,
            Component::Encoder => self.encoder,
            Component::Display => self.display,
            Component::Audio => self.audio,
            Component::Pir => self.pir,
            Component::IrLeds => self.ir_leds,
            Component::SleepFloor => ComponentDraw::new(self.sleep_floor_ma, self.sleep_floor_ma),
        }
    }

    /// Average draw of one component under `profile` in `mode`.
    pub fn component_draw_ma(
        &self,
        component: Component,
        profile: &UsageProfile,
        mode: PowerMode,
    ) -> f64 {
        let draw = self.draw(component);
        let scaling = ModeScaling::of(mode, component);
        let duty = profile.duty(component);
        duty * draw.active_ma * scaling.active + (1.0 - duty) * draw.idle_ma * scaling.idle
    }

    pub fn average_draw_ma(&self, profile: &UsageProfile, mode: PowerMode) -> f64 {
        Component::ALL
            .iter()
            .map(|&component| self.component_draw_ma(component, profile, mode))
            .sum()
    }

    /// Hours from full to empty under `profile` in `mode`; infinite if nothing draws.
    pub fn hours(&self, profile: &UsageProfile, mode: PowerMode) -> f64 {
        let draw = self.average_draw_ma(profile, mode);
        if draw > 0.0 {
            self.battery_mah / draw
        } else {
            f64::INFINITY
        }
    }

    pub fn battery_wh(&self) -> f64 {
        self.battery_mah * self.nominal_voltage_v / 1000.0
    }
}

/// Multipliers a power mode applies to a component's active and idle draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModeScaling {
    pub active: f64,
    pub idle: f64,
}

impl ModeScaling {
    pub fn of(mode: PowerMode, component: Component) -> Self {
        use Component::*;
        use PowerMode::*;
        let (active, idle) = match (component, mode) {
            // The doorbell seed's encoder profiles: 1080p30 1000 mA, 720p30 600, 480p15 300.
            (Encoder, Balanced) => (0.6, 1.0),
            (Encoder, PowerSave) => (0.3, 1.0),
            // Binned 720p readout; 480p at half the frame rate.
            (Camera, Balanced) => (0.8, 1.0),
            (Camera, PowerSave) => (0.5, 1.0),
            // Capped clocks (DVFS).
            (Soc, Balanced) => (0.8, 1.0),
            (Soc, PowerSave) => (0.6, 1.0),
            // Batches amortise association and tail time; idle listens less often, and
            // power save drops the Wi-Fi association between batches.
            (Radio, Balanced) => (0.85, 0.25),
            (Radio, PowerSave) => (0.7, 0.0),
            // Dimmer illuminators: shorter night range.
            (IrLeds, Balanced) => (0.75, 1.0),
            (IrLeds, PowerSave) => (0.5, 1.0),
            // Audio is what the user asked for, a capture LED must stay visible, PIR and the
            // floor are wake sources.
            _ => (1.0, 1.0),
        };
        Self { active, idle }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doorbell_reproduces_the_seed_table() {
        // The seed counts Wi-Fi as off between uploads and every part at full draw.
        let model = PowerModel {
            radio: ComponentDraw::new(300.0, 0.0),
            ..PowerModel::doorbell()
        };
        let seed = UsageProfile::doorbell_seed();
        let draw = model.average_draw_ma(&seed, PowerMode::HighPerformance);
        assert!((draw - 66.56).abs() < 0.01, "{draw}");
        let hours = model.hours(&seed, PowerMode::HighPerformance);
        assert!((hours - 75.1).abs() < 0.1, "{hours}");
    }

    #[test]
    fn average_is_the_sum_of_components() {
        let model = PowerModel::glasses();
        let profile = UsageProfile::active_use();
        let sum: f64 = Component::ALL
            .iter()
            .map(|&c| model.component_draw_ma(c, &profile, PowerMode::Balanced))
            .sum();
        assert_eq!(sum, model.average_draw_ma(&profile, PowerMode::Balanced));
        let floor = model.component_draw_ma(Component::SleepFloor, &profile, PowerMode::PowerSave);
        assert_eq!(floor, model.sleep_floor_ma);
    }

    #[test]
    fn nothing_drawing_lasts_forever() {
        let model = PowerModel {
            soc: ComponentDraw::ABSENT,
            radio: ComponentDraw::ABSENT,
            audio: ComponentDraw::ABSENT,
            sleep_floor_ma: 0.0,
            ..PowerModel::glasses()
        };
        let hours = model.hours(&UsageProfile::all_idle(), PowerMode::PowerSave);
        assert!(hours.is_infinite());
        assert!((PowerModel::glasses().battery_wh() - 0.5929).abs() < 1e-9);
    }

    fn any_profile() -> impl Strategy<Value = UsageProfile> {
        proptest::collection::vec(0.0..=1.0f64, Component::ALL.len()).prop_map(|duties| {
            Component::ALL
                .iter()
                .zip(duties)
                .fold(UsageProfile::all_idle(), |p, (&c, d)| p.with(c, d))
        })
    }

    proptest! {
        // Both default models have a Wi-Fi idle draw every mode scales, so every profile is
        // non-trivial for them.
        #[test]
        fn each_mode_lasts_longer_than_the_one_before(profile in any_profile()) {
            for model in [PowerModel::glasses(), PowerModel::doorbell()] {
                let high = model.hours(&profile, PowerMode::HighPerformance);
                let balanced = model.hours(&profile, PowerMode::Balanced);
                let save = model.hours(&profile, PowerMode::PowerSave);
                prop_assert!(high < balanced, "{high} {balanced}");
                prop_assert!(balanced < save, "{balanced} {save}");
            }
        }
    }
}
