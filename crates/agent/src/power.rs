//! The power manager: reads the battery (Linux sysfs, a simulated battery, or none on mains),
//! picks the power mode with the policy of `sightline_core::power`, and publishes what that
//! means for the rest of the agent: the encoding profile of new recordings, how uploads batch,
//! and whether low-priority work waits.

use chrono::Utc;
use serde::Serialize;
use sightline_core::power::{
    BatteryReading, Connectivity, EncodingProfile, PowerError, PowerMode, PowerModel, PowerPolicy,
    SimulatedBattery, UploadBatching, UsageProfile, defer_low_priority, encoding_for, parse_sysfs,
    upload_batching,
};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

const POWER_SUPPLY: &str = "/sys/class/power_supply";

#[derive(Debug, Clone, PartialEq)]
pub enum BatterySource {
    /// No battery (a wired doorbell, a bench setup): always high performance.
    Mains,
    /// A `power_supply` directory with `capacity` and `status` files.
    Sysfs(PathBuf),
    /// Drains by the power model as time passes, `speedup` times faster than real time.
    Simulated { level_percent: f32, speedup: f64 },
}

#[derive(Debug, thiserror::Error)]
#[error("battery source {0:?}: use none, sysfs, sysfs:DIR or simulated:LEVEL[xSPEEDUP]")]
pub struct BadBatterySource(pub String);

impl FromStr for BatterySource {
    type Err = BadBatterySource;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadBatterySource(text.to_owned());
        match text.split_once(':') {
            None if text == "none" || text == "mains" => Ok(Self::Mains),
            None if text == "sysfs" => find_sysfs_battery().map(Self::Sysfs).ok_or_else(bad),
            Some(("sysfs", dir)) if !dir.is_empty() => Ok(Self::Sysfs(dir.into())),
            Some(("simulated", spec)) => {
                let (level, speedup) = spec.split_once('x').unwrap_or((spec, "1"));
                let level: f32 = level.parse().map_err(|_| bad())?;
                let speedup: f64 = speedup.parse().map_err(|_| bad())?;
                let valid = (0.0..=100.0).contains(&level) && (1.0..=1e6).contains(&speedup);
                valid
                    .then_some(Self::Simulated {
                        level_percent: level,
                        speedup,
                    })
                    .ok_or_else(bad)
            }
            _ => Err(bad()),
        }
    }
}

/// The first supply of type `Battery`, as laptops and boards expose it.
fn find_sysfs_battery() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(POWER_SUPPLY)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    dirs.into_iter()
        .find(|dir| std::fs::read_to_string(dir.join("type")).is_ok_and(|t| t.trim() == "Battery"))
}

fn read_sysfs(dir: &Path) -> Result<BatteryReading, PowerError> {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    Ok(parse_sysfs(&read("capacity"), &read("status"))?.at(Utc::now()))
}

/// What the current power state asks of the agent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerState {
    pub source: String,
    pub battery: Option<BatteryReading>,
    pub mode: PowerMode,
    /// Background uploads wait (battery under 30% and not charging).
    pub defer_low_priority: bool,
    pub batching: UploadBatching,
    /// Recordings are encoded like this (never above the camera's own format).
    pub encoding: EncodingProfile,
    /// Hours left at this level in this mode while the wearer uses the device / while idle.
    pub active_hours_left: Option<f64>,
    pub standby_hours_left: Option<f64>,
    /// Why the battery could not be read, when it could not.
    pub error: Option<String>,
}

#[derive(Clone)]
pub struct PowerManager {
    inner: Arc<Inner>,
}

struct Inner {
    source: BatterySource,
    model: PowerModel,
    native: (u32, u32, u32),
    max_bitrate_kbps: AtomicU32,
    policy: Mutex<PowerPolicy>,
    simulated: Mutex<Option<(SimulatedBattery, Instant)>>,
    state: watch::Sender<PowerState>,
}

impl PowerManager {
    /// `native` is the camera's width, height and fps; `max_bitrate_kbps` the configured
    /// bitrate, which high performance uses as it is.
    pub fn new(
        source: BatterySource,
        model: PowerModel,
        native: (u32, u32, u32),
        max_bitrate_kbps: u32,
    ) -> Self {
        let simulated = match &source {
            BatterySource::Simulated { level_percent, .. } => {
                Some((SimulatedBattery::new(model, *level_percent), Instant::now()))
            }
            _ => None,
        };
        let inner = Inner {
            source,
            model,
            native,
            max_bitrate_kbps: AtomicU32::new(max_bitrate_kbps),
            policy: Mutex::new(PowerPolicy::new(PowerMode::HighPerformance)),
            simulated: Mutex::new(simulated),
            state: watch::channel(PowerState {
                source: String::new(),
                battery: None,
                mode: PowerMode::HighPerformance,
                defer_low_priority: false,
                batching: upload_batching(PowerMode::HighPerformance, Connectivity::Wifi),
                encoding: encoding_for(PowerMode::HighPerformance, native.0, native.1, native.2),
                active_hours_left: None,
                standby_hours_left: None,
                error: None,
            })
            .0,
        };
        let manager = Self {
            inner: Arc::new(inner),
        };
        manager.refresh();
        manager
    }

    pub fn state(&self) -> PowerState {
        self.inner.state.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<PowerState> {
        self.inner.state.subscribe()
    }

    /// Sets the simulated battery (tests, demos); refused for a real battery.
    pub fn set_simulated_level(&self, level_percent: f32, charging: bool) -> Result<(), String> {
        if !(0.0..=100.0).contains(&level_percent) {
            return Err(format!("level {level_percent} is not 0–100"));
        }
        let mut simulated = self.inner.simulated.lock().map_err(|e| e.to_string())?;
        let Some((battery, since)) = simulated.as_mut() else {
            return Err("the battery is not simulated".into());
        };
        *battery = SimulatedBattery::new(self.inner.model, level_percent);
        *since = Instant::now();
        drop(simulated);
        self.refresh_with(charging);
        Ok(())
    }

    /// Reads the battery every `every` for as long as the agent runs.
    pub async fn run(self, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            self.refresh();
        }
    }

    fn refresh(&self) {
        self.refresh_with(false);
    }

    /// The bitrate at full power (the owner's setting); lower modes scale down from it.
    pub fn set_max_bitrate_kbps(&self, kbps: u32) {
        self.inner.max_bitrate_kbps.store(kbps, Ordering::Relaxed);
        self.refresh();
    }

    fn refresh_with(&self, simulated_charging: bool) {
        let inner = &self.inner;
        let mode_now = self.state().mode;
        let reading = match &inner.source {
            BatterySource::Mains => Ok(None),
            BatterySource::Sysfs(dir) => read_sysfs(dir).map(Some),
            BatterySource::Simulated { speedup, .. } => {
                Ok(inner.simulated.lock().ok().and_then(|mut simulated| {
                    let (battery, since) = simulated.as_mut()?;
                    let elapsed = since.elapsed().as_secs_f64() * speedup;
                    *since = Instant::now();
                    battery.drain(elapsed, mode_now, &UsageProfile::active_use());
                    let mut reading = battery.reading(Utc::now());
                    reading.charging = simulated_charging;
                    Some(reading)
                }))
            }
        };
        let (battery, error) = match reading {
            Ok(battery) => (battery, None),
            Err(err) => (None, Some(err.to_string())),
        };
        let mode = match (&battery, inner.policy.lock()) {
            (Some(reading), Ok(mut policy)) => {
                policy.observe(reading);
                policy.mode()
            }
            // Unknown battery: keep the last mode rather than guess.
            (None, Ok(policy)) if error.is_some() => policy.mode(),
            _ => PowerMode::HighPerformance,
        };
        let state = self.state_for(&battery, mode, error);
        inner.state.send_if_modified(|current| {
            let changed = *current != state;
            *current = state;
            changed
        });
    }

    fn state_for(
        &self,
        battery: &Option<BatteryReading>,
        mode: PowerMode,
        error: Option<String>,
    ) -> PowerState {
        let inner = &self.inner;
        let (width, height, fps) = inner.native;
        let mut encoding = encoding_for(mode, width, height, fps);
        let max_bitrate_kbps = inner.max_bitrate_kbps.load(Ordering::Relaxed);
        encoding.bitrate_kbps = match mode {
            PowerMode::HighPerformance => max_bitrate_kbps,
            _ => encoding.bitrate_kbps.min(max_bitrate_kbps),
        };
        let left = |profile: UsageProfile| {
            battery.map(|b| {
                let charge = inner.model.battery_mah * f64::from(b.level_percent) / 100.0;
                charge / inner.model.average_draw_ma(&profile, mode)
            })
        };
        PowerState {
            source: match &inner.source {
                BatterySource::Mains => "mains".into(),
                BatterySource::Sysfs(dir) => format!("sysfs {}", dir.display()),
                BatterySource::Simulated { speedup, .. } => format!("simulated (x{speedup})"),
            },
            battery: *battery,
            mode,
            defer_low_priority: battery
                .is_some_and(|b| defer_low_priority(b.level_percent, b.charging)),
            batching: upload_batching(mode, Connectivity::Wifi),
            encoding,
            active_hours_left: left(UsageProfile::active_use()),
            standby_hours_left: left(UsageProfile::standby()),
            error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_sources_parse() {
        assert_eq!(
            "none".parse::<BatterySource>().unwrap(),
            BatterySource::Mains
        );
        assert_eq!(
            "simulated:80x60".parse::<BatterySource>().unwrap(),
            BatterySource::Simulated {
                level_percent: 80.0,
                speedup: 60.0
            }
        );
        assert_eq!(
            "sysfs:/tmp/bat".parse::<BatterySource>().unwrap(),
            BatterySource::Sysfs("/tmp/bat".into())
        );
        for bad in [
            "",
            "simulated:150",
            "simulated:x",
            "simulated:50x0",
            "solar",
            "sysfs:",
        ] {
            assert!(bad.parse::<BatterySource>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_sysfs_battery_sets_the_mode_and_what_follows_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let write = |capacity: &str, status: &str| {
            std::fs::write(dir.path().join("capacity"), capacity).unwrap();
            std::fs::write(dir.path().join("status"), status).unwrap();
        };
        write("90\n", "Discharging\n");
        let power = PowerManager::new(
            BatterySource::Sysfs(dir.path().into()),
            PowerModel::glasses(),
            (1920, 1080, 30),
            4000,
        );
        let full = power.state();
        assert_eq!(full.mode, PowerMode::HighPerformance);
        assert_eq!(
            (full.encoding.width, full.encoding.bitrate_kbps),
            (1920, 4000)
        );
        assert!(!full.defer_low_priority);

        write("25\n", "Discharging\n");
        power.refresh();
        let low = power.state();
        assert_eq!(low.mode, PowerMode::Balanced);
        assert_eq!(low.encoding.width, 1280);
        assert!(low.defer_low_priority);
        assert!(low.batching.min_batch > full.batching.min_batch);

        write("12\n", "Discharging\n");
        power.refresh();
        let save = power.state();
        assert_eq!(save.mode, PowerMode::PowerSave);
        assert_eq!((save.encoding.width, save.encoding.fps), (852, 15));
        assert!(save.encoding.bitrate_kbps <= 500);
        assert!(save.standby_hours_left.unwrap() > save.active_hours_left.unwrap());

        write("12\n", "Charging\n");
        power.refresh();
        assert_eq!(power.state().mode, PowerMode::HighPerformance);
        assert!(!power.state().defer_low_priority);

        write("garbage", "Discharging");
        power.refresh();
        let unreadable = power.state();
        assert!(unreadable.error.is_some());
        assert_eq!(
            unreadable.mode,
            PowerMode::HighPerformance,
            "keeps the last mode"
        );
    }

    #[test]
    fn a_simulated_battery_drains_and_can_be_set() {
        let power = PowerManager::new(
            BatterySource::Simulated {
                level_percent: 60.0,
                speedup: 1e6,
            },
            PowerModel::glasses(),
            (640, 480, 30),
            1500,
        );
        let start = power.state().battery.unwrap().level_percent;
        std::thread::sleep(Duration::from_millis(20));
        power.refresh();
        assert!(power.state().battery.unwrap().level_percent < start);
        power.set_simulated_level(15.0, false).unwrap();
        assert_eq!(power.state().mode, PowerMode::PowerSave);
        assert!(power.set_simulated_level(101.0, false).is_err());
        let mains = PowerManager::new(
            BatterySource::Mains,
            PowerModel::doorbell(),
            (640, 480, 30),
            1500,
        );
        assert!(mains.set_simulated_level(50.0, false).is_err());
        assert_eq!(mains.state().mode, PowerMode::HighPerformance);
        assert_eq!(mains.state().encoding.width, 640, "never above the camera");
    }
}
