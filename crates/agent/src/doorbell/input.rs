//! The doorbell's two digital inputs, the PIR sensor and the button. Each is a GPIO line read
//! through sysfs (`gpio:/sys/class/gpio/gpio17/value`, any file holding `0` or `1`), or only the
//! local control API's `POST /trigger` (`simulated`). A line is polled, and a rising edge (or a
//! falling one for an active-low line) is one trigger.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// Triggers only arrive through the control API.
    Simulated,
    Gpio {
        value_file: PathBuf,
        active_low: bool,
    },
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("input {0:?}: expected simulated or gpio:PATH[:active_low]")]
pub struct BadInputSource(pub String);

impl FromStr for InputSource {
    type Err = BadInputSource;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "simulated" {
            return Ok(Self::Simulated);
        }
        let Some(path) = text.strip_prefix("gpio:") else {
            return Err(BadInputSource(text.to_owned()));
        };
        let (path, active_low) = match path.strip_suffix(":active_low") {
            Some(path) => (path, true),
            None => (path, false),
        };
        if path.is_empty() {
            return Err(BadInputSource(text.to_owned()));
        }
        Ok(Self::Gpio {
            value_file: path.into(),
            active_low,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Pir,
    Button,
}

/// How often a GPIO line is read: a press of 50 ms is not missed.
const POLL: Duration = Duration::from_millis(20);

/// Reads the line's level: `Some(true)` when asserted.
fn asserted(text: &str, active_low: bool) -> Option<bool> {
    match text.trim() {
        "1" => Some(!active_low),
        "0" => Some(active_low),
        _ => None,
    }
}

/// Polls `source` and sends `trigger` on every assertion, until the receiver is gone.
pub fn watch(source: &InputSource, trigger: Trigger, sink: mpsc::Sender<Trigger>) {
    let InputSource::Gpio {
        value_file,
        active_low,
    } = source.clone()
    else {
        return;
    };
    tokio::spawn(async move {
        let mut was = None;
        let mut warned = false;
        loop {
            match tokio::fs::read_to_string(&value_file).await {
                Ok(text) => match asserted(&text, active_low) {
                    Some(now) => {
                        // The level at start-up is not an edge.
                        if now && was == Some(false) && sink.send(trigger).await.is_err() {
                            return;
                        }
                        was = Some(now);
                        warned = false;
                    }
                    None if !warned => {
                        tracing::warn!(file = %value_file.display(), ?text, "GPIO value is neither 0 nor 1");
                        warned = true;
                    }
                    None => {}
                },
                Err(err) if !warned => {
                    tracing::warn!(file = %value_file.display(), error = %err, "GPIO line cannot be read");
                    warned = true;
                }
                Err(_) => {}
            }
            if sink.is_closed() {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_inputs() {
        assert_eq!("simulated".parse(), Ok(InputSource::Simulated));
        assert_eq!(
            "gpio:/sys/class/gpio/gpio17/value".parse(),
            Ok(InputSource::Gpio {
                value_file: "/sys/class/gpio/gpio17/value".into(),
                active_low: false
            })
        );
        assert_eq!(
            "gpio:/tmp/v:active_low".parse(),
            Ok(InputSource::Gpio {
                value_file: "/tmp/v".into(),
                active_low: true
            })
        );
        assert!("gpio:".parse::<InputSource>().is_err());
        assert!("pir".parse::<InputSource>().is_err());
    }

    #[tokio::test]
    async fn a_rising_edge_is_one_trigger() {
        let dir = tempfile::tempdir().unwrap();
        let value = dir.path().join("value");
        std::fs::write(&value, "1\n").unwrap();
        let (tx, mut rx) = mpsc::channel(8);
        let source = InputSource::Gpio {
            value_file: value.clone(),
            active_low: false,
        };
        watch(&source, Trigger::Pir, tx);
        // High at start-up: no trigger.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_err());
        std::fs::write(&value, "0\n").unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        std::fs::write(&value, "1\n").unwrap();
        let got = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await;
        assert_eq!(got.unwrap(), Some(Trigger::Pir));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(rx.try_recv().is_err(), "a held line triggers once");
    }
}
