//! Night vision on the device: an ambient-light sensor read every second drives the IR
//! illuminators (core [`NightVision`]: the write-up's thresholds with hysteresis) and switches
//! the motion tier to its night parameters.
//!
//! - light: `none`, `sysfs:PATH[*SCALE]` (an IIO illuminance file such as
//!   `/sys/bus/iio/devices/iio:device0/in_illuminance_raw`, times SCALE lux), or `simulated:LUX`
//!   (set later through the control API's `POST /light`);
//! - IR LEDs: `none` or `sysfs:PATH` (an LED class `brightness` file; its sibling
//!   `max_brightness` gives the scale, 100 if absent).

use sightline_core::night::{LightLevel, NightVision};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum LightSource {
    None,
    Sysfs { path: PathBuf, scale: f64 },
    Simulated(f64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IrSink {
    None,
    Sysfs(PathBuf),
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BadNightInput {
    #[error("light sensor {0:?}: expected none, sysfs:PATH[*SCALE] or simulated:LUX")]
    Light(String),
    #[error("IR LEDs {0:?}: expected none or sysfs:PATH")]
    Ir(String),
}

impl FromStr for LightSource {
    type Err = BadNightInput;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadNightInput::Light(text.to_owned());
        if text == "none" {
            return Ok(Self::None);
        }
        if let Some(lux) = text.strip_prefix("simulated:") {
            let lux: f64 = lux.parse().map_err(|_| bad())?;
            return (lux.is_finite() && lux >= 0.0)
                .then_some(Self::Simulated(lux))
                .ok_or_else(bad);
        }
        let path = text.strip_prefix("sysfs:").ok_or_else(bad)?;
        let (path, scale) = match path.rsplit_once('*') {
            Some((path, scale)) => (path, scale.parse::<f64>().map_err(|_| bad())?),
            None => (path, 1.0),
        };
        if path.is_empty() || !(scale.is_finite() && scale > 0.0) {
            return Err(bad());
        }
        Ok(Self::Sysfs {
            path: path.into(),
            scale,
        })
    }
}

impl FromStr for IrSink {
    type Err = BadNightInput;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.strip_prefix("sysfs:") {
            _ if text == "none" => Ok(Self::None),
            Some(path) if !path.is_empty() => Ok(Self::Sysfs(path.into())),
            _ => Err(BadNightInput::Ir(text.to_owned())),
        }
    }
}

/// What night vision is doing now, for status.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct NightState {
    pub lux: Option<f64>,
    pub level: Option<LightLevel>,
    pub ir_percent: u8,
}

/// The running night-vision loop.
#[derive(Clone)]
pub struct Night {
    simulated: Arc<Mutex<Option<f64>>>,
    state: Arc<Mutex<NightState>>,
}

const READ_EVERY: Duration = Duration::from_secs(1);

impl Night {
    /// Starts following `light`; `on_change(is_night)` is called whenever the level turns
    /// between day and night.
    pub fn start(
        light: LightSource,
        ir: IrSink,
        on_change: impl Fn(bool) + Send + 'static,
    ) -> Self {
        let simulated = Arc::new(Mutex::new(match light {
            LightSource::Simulated(lux) => Some(lux),
            _ => None,
        }));
        let state = Arc::new(Mutex::new(NightState {
            lux: None,
            level: None,
            ir_percent: 0,
        }));
        let night = Self {
            simulated: simulated.clone(),
            state: state.clone(),
        };
        if light == LightSource::None {
            return night;
        }
        tokio::spawn(async move {
            let mut vision = NightVision::new();
            let mut was_night = false;
            let mut warned = false;
            loop {
                let lux = match &light {
                    LightSource::Sysfs { path, scale } => read_lux(path, *scale).await,
                    _ => simulated
                        .lock()
                        .ok()
                        .and_then(|s| *s)
                        .ok_or_else(String::new),
                };
                match lux {
                    Ok(lux) => {
                        warned = false;
                        if let Some(level) = vision.update(lux) {
                            let percent = level.ir_intensity_percent();
                            if let Err(err) = set_ir(&ir, percent).await {
                                tracing::warn!(error = %err, "IR LEDs cannot be set");
                            }
                            tracing::info!(lux, level = level.as_str(), percent, "night vision");
                            if level.is_night() != was_night {
                                was_night = level.is_night();
                                on_change(was_night);
                            }
                        }
                        if let Ok(mut state) = state.lock() {
                            state.lux = Some(lux);
                            state.level = vision.level();
                            state.ir_percent =
                                vision.level().map_or(0, LightLevel::ir_intensity_percent);
                        }
                    }
                    Err(err) if !warned && !err.is_empty() => {
                        tracing::warn!(error = %err, "ambient light cannot be read");
                        warned = true;
                    }
                    Err(_) => {}
                }
                if Arc::strong_count(&simulated) == 1 {
                    return;
                }
                tokio::time::sleep(READ_EVERY).await;
            }
        });
        night
    }

    /// A simulated reading (tests, demos).
    pub fn set_simulated_lux(&self, lux: f64) -> Result<(), String> {
        if !(lux.is_finite() && lux >= 0.0) {
            return Err("lux must be a number of zero or more".into());
        }
        match self.simulated.lock() {
            Ok(mut slot) if slot.is_some() => {
                *slot = Some(lux);
                Ok(())
            }
            _ => Err("the light sensor is not simulated (start with --light simulated:LUX)".into()),
        }
    }

    pub fn state(&self) -> NightState {
        self.state.lock().map(|s| *s).unwrap_or(NightState {
            lux: None,
            level: None,
            ir_percent: 0,
        })
    }
}

async fn read_lux(path: &Path, scale: f64) -> Result<f64, String> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| format!("{}: {e}", path.display()))?;
    text.trim()
        .parse::<f64>()
        .map(|raw| raw * scale)
        .map_err(|_| format!("{}: {:?} is not a number", path.display(), text.trim()))
}

/// Writes `percent` of the LED's maximum brightness.
async fn set_ir(ir: &IrSink, percent: u8) -> std::io::Result<()> {
    let IrSink::Sysfs(path) = ir else {
        return Ok(());
    };
    let max = match path.parent().map(|dir| dir.join("max_brightness")) {
        Some(file) => tokio::fs::read_to_string(file)
            .await
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
            .unwrap_or(100),
        None => 100,
    };
    let value = u64::from(max) * u64::from(percent) / 100;
    tokio::fs::write(path, format!("{value}\n")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sources_and_sinks() {
        assert_eq!("none".parse(), Ok(LightSource::None));
        assert_eq!("simulated:50".parse(), Ok(LightSource::Simulated(50.0)));
        assert_eq!(
            "sysfs:/sys/bus/iio/devices/iio:device0/in_illuminance_raw*0.01".parse(),
            Ok(LightSource::Sysfs {
                path: "/sys/bus/iio/devices/iio:device0/in_illuminance_raw".into(),
                scale: 0.01
            })
        );
        assert!("simulated:-1".parse::<LightSource>().is_err());
        assert!("sysfs:/x*0".parse::<LightSource>().is_err());
        assert!("lux".parse::<LightSource>().is_err());
        assert_eq!(
            "sysfs:/sys/class/leds/ir/brightness".parse(),
            Ok(IrSink::Sysfs("/sys/class/leds/ir/brightness".into()))
        );
        assert!("sysfs:".parse::<IrSink>().is_err());
    }

    #[tokio::test]
    async fn darkness_turns_the_ir_leds_up_and_motion_to_night() {
        let dir = tempfile::tempdir().unwrap();
        let led = dir.path().join("brightness");
        std::fs::write(dir.path().join("max_brightness"), "255\n").unwrap();
        std::fs::write(&led, "0\n").unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let night = Night::start(
            LightSource::Simulated(200.0),
            IrSink::Sysfs(led.clone()),
            move |is_night| {
                let _ = tx.send(is_night);
            },
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while night.state().level != Some(LightLevel::Day) {
            assert!(std::time::Instant::now() < deadline);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        night.set_simulated_lux(0.05).unwrap();
        let is_night = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await;
        assert_eq!(is_night.unwrap(), Some(true));
        assert_eq!(std::fs::read_to_string(&led).unwrap().trim(), "255");
        assert_eq!(night.state().ir_percent, 100);
        night.set_simulated_lux(5.0).unwrap();
        while night.state().ir_percent != 30 {
            assert!(std::time::Instant::now() < deadline + Duration::from_secs(5));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(std::fs::read_to_string(&led).unwrap().trim(), "76");
        assert!(night.set_simulated_lux(f64::NAN).is_err());
    }
}
