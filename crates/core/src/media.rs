//! Media items, devices and what processing learns about them.

use crate::geo::GeoPoint;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{what} must be one of {allowed}, got {got:?}")]
pub struct InvalidEnum {
    pub what: &'static str,
    pub allowed: &'static str,
    pub got: String,
}

macro_rules! text_enum {
    ($name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = InvalidEnum;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok(Self::$variant),)+
                    _ => Err(InvalidEnum {
                        what: $what,
                        allowed: concat!($($text, " "),+),
                        got: s.chars().take(64).collect(),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(MediaKind, "kind", { Photo => "photo", Video => "video" });

text_enum!(MediaStatus, "status", {
    Pending => "pending",
    Processing => "processing",
    Ready => "ready",
    Failed => "failed",
});

text_enum!(DeviceType, "type", {
    SmartGlass => "smart_glass",
    Doorbell => "doorbell",
    PhoneApp => "phone_app",
});

text_enum!(Connectivity, "connectivity", {
    Wifi => "wifi",
    Bluetooth => "bluetooth",
    Cellular => "cellular",
    Offline => "offline",
});

impl MediaKind {
    /// Guess from a filename extension; used when a client does not say.
    pub fn from_extension(ext: &str) -> Option<Self> {
        match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" | "png" | "webp" | "heic" | "heif" | "gif" | "bmp" | "tif" | "tiff" => {
                Some(Self::Photo)
            }
            "mp4" | "mov" | "m4v" | "mkv" | "webm" | "avi" | "3gp" | "ts" | "mts" => {
                Some(Self::Video)
            }
            _ => None,
        }
    }

    pub fn default_extension(self) -> &'static str {
        match self {
            Self::Photo => "jpg",
            Self::Video => "mp4",
        }
    }
}

/// What probing learns about a media file. Every field is optional: containers omit things.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaFacts {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_secs: Option<f64>,
    pub fps: Option<f64>,
    pub video_codec: Option<String>,
    pub audio_codec: Option<String>,
    pub container: Option<String>,
    /// Clockwise rotation the player must apply (0, 90, 180, 270).
    pub rotation: Option<i32>,
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub location: Option<GeoPoint>,
    pub camera: Option<String>,
}

impl MediaFacts {
    /// Width and height as displayed, after rotation.
    pub fn display_size(&self) -> Option<(u32, u32)> {
        let (w, h) = (self.width?, self.height?);
        Some(match self.rotation.unwrap_or(0).rem_euclid(180) {
            90 => (h, w),
            _ => (w, h),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_enums_round_trip_and_reject() {
        assert_eq!(
            "smart_glass".parse::<DeviceType>(),
            Ok(DeviceType::SmartGlass)
        );
        assert_eq!(DeviceType::Doorbell.to_string(), "doorbell");
        let err = "toaster".parse::<DeviceType>().unwrap_err();
        assert!(err.to_string().contains("smart_glass"));
    }

    #[test]
    fn rotation_swaps_display_size() {
        let facts = MediaFacts {
            width: Some(1920),
            height: Some(1080),
            rotation: Some(-90),
            ..Default::default()
        };
        assert_eq!(facts.display_size(), Some((1080, 1920)));
    }
}
