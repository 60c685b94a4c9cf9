//! Where the binaries are and how long each operation may take.

use crate::error::MediaError;
use crate::process::run_tool;
use crate::rendition::RenditionInfo;
use serde::{Deserialize, Serialize};
use sightline_core::media::{MediaFacts, MediaKind};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Paths to ffmpeg/ffprobe and per-operation timeouts. `Default` finds both on `PATH`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    pub probe_timeout: Duration,
    pub stills_timeout: Duration,
    pub normalise_timeout: Duration,
}

impl Default for Tools {
    fn default() -> Self {
        Self {
            ffmpeg: PathBuf::from("ffmpeg"),
            ffprobe: PathBuf::from("ffprobe"),
            probe_timeout: Duration::from_secs(30),
            stills_timeout: Duration::from_secs(60),
            normalise_timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl Tools {
    /// Checks at start-up that both binaries run; returns ffmpeg's version line.
    pub async fn check(&self) -> Result<String, MediaError> {
        let timeout = Duration::from_secs(10);
        run_tool(&self.ffprobe, &["-version"], timeout).await?;
        let out = run_tool(&self.ffmpeg, &["-version"], timeout).await?;
        let text = String::from_utf8_lossy(&out);
        Ok(text.lines().next().unwrap_or_default().trim().to_owned())
    }

    pub async fn probe(&self, path: &Path, kind: MediaKind) -> Result<MediaFacts, MediaError> {
        crate::probe::probe_with(self, path, kind, self.probe_timeout).await
    }

    pub async fn make_stills(
        &self,
        input: &Path,
        kind: MediaKind,
        facts: &MediaFacts,
        thumb_out: &Path,
        preview_out: &Path,
    ) -> Result<(), MediaError> {
        let timeout = self.stills_timeout;
        crate::thumbnail::make_stills_with(
            self,
            input,
            kind,
            facts,
            thumb_out,
            preview_out,
            timeout,
        )
        .await
    }

    pub async fn normalise(
        &self,
        input: &Path,
        facts: &MediaFacts,
        out: &Path,
    ) -> Result<RenditionInfo, MediaError> {
        crate::rendition::normalise_with(self, input, facts, out, self.normalise_timeout).await
    }
}
