//! Where the device is, for the GPS tags of its captures: a fixed point, the last fix in an
//! NMEA log (a GPS receiver's serial output written to a file), or gpsd over TCP.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[derive(Debug, Clone, PartialEq)]
pub enum LocationSource {
    None,
    Fixed {
        lat: f64,
        lon: f64,
    },
    /// The last valid fix in this file, read again at every capture (receivers append to it).
    NmeaFile(PathBuf),
    /// gpsd's JSON protocol, e.g. `127.0.0.1:2947`.
    Gpsd(String),
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("location source {0:?}: expected none, fixed:LAT,LON, nmea:PATH or gpsd:HOST:PORT")]
pub struct BadLocationSource(pub String);

impl FromStr for LocationSource {
    type Err = BadLocationSource;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || BadLocationSource(text.to_owned());
        match text.split_once(':') {
            None if text == "none" => Ok(Self::None),
            Some(("fixed", point)) => {
                let (lat, lon) = point.split_once(',').ok_or_else(bad)?;
                let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
                let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
                valid_point(lat, lon)
                    .then_some(Self::Fixed { lat, lon })
                    .ok_or_else(bad)
            }
            Some(("nmea", path)) if !path.is_empty() => Ok(Self::NmeaFile(path.into())),
            Some(("gpsd", addr)) if !addr.is_empty() => Ok(Self::Gpsd(addr.to_owned())),
            _ => Err(bad()),
        }
    }
}

fn valid_point(lat: f64, lon: f64) -> bool {
    lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0
}

/// Answers "where are we now" without blocking a capture: gpsd fixes arrive in the background.
#[derive(Clone)]
pub struct Locator {
    source: LocationSource,
    latest: Arc<Mutex<Option<(f64, f64)>>>,
}

impl Locator {
    /// Starts following gpsd when that is the source (reconnecting while the agent runs).
    pub fn start(source: LocationSource) -> Self {
        let locator = Self {
            source,
            latest: Arc::new(Mutex::new(None)),
        };
        if let LocationSource::Gpsd(addr) = &locator.source {
            let latest = locator.latest.clone();
            let addr = addr.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(err) = follow_gpsd(&addr, &latest).await {
                        tracing::debug!(%addr, error = %err, "gpsd connection lost");
                    }
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            });
        }
        locator
    }

    pub async fn current(&self) -> Option<(f64, f64)> {
        match &self.source {
            LocationSource::None => None,
            LocationSource::Fixed { lat, lon } => Some((*lat, *lon)),
            LocationSource::NmeaFile(path) => {
                let text = tokio::fs::read(path).await.ok()?;
                last_fix(&String::from_utf8_lossy(&text))
            }
            LocationSource::Gpsd(_) => *self.latest.lock().ok()?,
        }
    }
}

async fn follow_gpsd(addr: &str, latest: &Mutex<Option<(f64, f64)>>) -> std::io::Result<()> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (read, mut write) = stream.into_split();
    write
        .write_all(b"?WATCH={\"enable\":true,\"json\":true};\n")
        .await?;
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        if let Some(fix) = gpsd_fix(&line)
            && let Ok(mut slot) = latest.lock()
        {
            *slot = Some(fix);
        }
    }
    Ok(())
}

/// A gpsd `TPV` report with a 2D or 3D fix.
fn gpsd_fix(line: &str) -> Option<(f64, f64)> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value.get("class")?.as_str()? != "TPV" || value.get("mode")?.as_i64()? < 2 {
        return None;
    }
    let lat = value.get("lat")?.as_f64()?;
    let lon = value.get("lon")?.as_f64()?;
    valid_point(lat, lon).then_some((lat, lon))
}

/// The last valid position in NMEA 0183 text: `RMC` with status A, or `GGA` with a fix.
/// Sentences with a wrong checksum are skipped (serial lines garble bytes).
pub fn last_fix(text: &str) -> Option<(f64, f64)> {
    text.lines().rev().find_map(nmea_fix)
}

fn nmea_fix(sentence: &str) -> Option<(f64, f64)> {
    let sentence = sentence.trim();
    let body = sentence.strip_prefix('$')?;
    let (body, checksum) = match body.split_once('*') {
        Some((body, sum)) => (body, Some(sum)),
        None => (body, None),
    };
    if let Some(sum) = checksum {
        let expected = u8::from_str_radix(sum.get(..2)?, 16).ok()?;
        if body.bytes().fold(0u8, |acc, b| acc ^ b) != expected {
            return None;
        }
    }
    let fields: Vec<&str> = body.split(',').collect();
    let kind = fields.first()?.get(2..)?;
    let (lat_at, valid) = match kind {
        "RMC" => (3, *fields.get(2)? == "A"),
        "GGA" => (2, fields.get(6).is_some_and(|q| !q.is_empty() && *q != "0")),
        _ => return None,
    };
    if !valid {
        return None;
    }
    let lat = coordinate(fields.get(lat_at)?, fields.get(lat_at + 1)?, 2)?;
    let lon = coordinate(fields.get(lat_at + 2)?, fields.get(lat_at + 3)?, 3)?;
    valid_point(lat, lon).then_some((lat, lon))
}

/// `ddmm.mmmm` (or `dddmm.mmmm`) and a hemisphere letter → signed degrees.
fn coordinate(value: &str, hemisphere: &str, degree_digits: usize) -> Option<f64> {
    let degrees: f64 = value.get(..degree_digits)?.parse().ok()?;
    let minutes: f64 = value.get(degree_digits..)?.parse().ok()?;
    if minutes >= 60.0 {
        return None;
    }
    let unsigned = degrees + minutes / 60.0;
    match hemisphere {
        "N" | "E" => Some(unsigned),
        "S" | "W" => Some(-unsigned),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_last_good_fix_of_an_nmea_log() {
        let log = "\
$GPGGA,092750.000,5321.6802,N,00630.3372,W,1,8,1.03,61.7,M,55.2,M,,*76
$GPRMC,092751.000,A,4851.3000,N,00221.0000,E,0.02,31.66,280511,,,A*53
$GPRMC,092752.000,V,0000.0000,N,00000.0000,E,0.02,31.66,280511,,,A*4D
$GPRMC,092753.000,A,4151.3000,N,01229.0000,E,0.02,31.66,280511,,,A*00
";
        // The last line has a wrong checksum and the one before it no fix: Paris wins.
        let (lat, lon) = last_fix(log).unwrap();
        assert!((lat - 48.855).abs() < 1e-9, "{lat}");
        assert!((lon - 2.35).abs() < 1e-9, "{lon}");
        let (lat, lon) = last_fix(log.lines().next().unwrap()).unwrap();
        assert!((lat - 53.361_336_7).abs() < 1e-6 && (lon + 6.505_62).abs() < 1e-6);
        assert_eq!(last_fix("garbage\n$GPRMC,,V,,,,,,,,,,N*53\n"), None);
    }

    #[test]
    fn reads_gpsd_reports() {
        assert_eq!(
            gpsd_fix(r#"{"class":"TPV","mode":3,"lat":41.9,"lon":12.5}"#),
            Some((41.9, 12.5))
        );
        assert_eq!(gpsd_fix(r#"{"class":"TPV","mode":1}"#), None);
        assert_eq!(gpsd_fix(r#"{"class":"SKY"}"#), None);
        assert_eq!(gpsd_fix("not json"), None);
    }

    #[test]
    fn parses_source_specs() {
        assert_eq!(
            "fixed:48.85,2.35".parse(),
            Ok(LocationSource::Fixed {
                lat: 48.85,
                lon: 2.35
            })
        );
        assert_eq!("none".parse(), Ok(LocationSource::None));
        assert!("fixed:95,0".parse::<LocationSource>().is_err());
        assert!("satellite".parse::<LocationSource>().is_err());
        assert_eq!(
            "gpsd:127.0.0.1:2947".parse(),
            Ok(LocationSource::Gpsd("127.0.0.1:2947".into()))
        );
    }
}
