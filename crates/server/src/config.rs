//! Typed configuration, layered: defaults → TOML file → `SIGHTLINE__*` environment → flags
//! (the binary merges flags last). The loader takes the environment as an argument so tests can
//! pass their own.

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Base URL clients use to reach this server; signed URLs are built on it.
    /// Empty: `http://{listen}`.
    pub public_url: String,
    /// Everything the embedded profile keeps lives here.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `memory://`. Empty: `sqlite://{data_dir}/sightline.db`.
    pub metadata_url: String,
    /// `file://…` or `memory://`. Empty: `file://{data_dir}/blobs`.
    pub blob_url: String,
    /// The search index: `tantivy://…` or `memory://`. Empty: `tantivy://{data_dir}/index`.
    pub search_url: String,
    /// Secret for tokens and URL signatures. Empty: read from (or created at) `secret_file`.
    pub secret: String,
    /// Empty: `{data_dir}/secret`.
    pub secret_file: PathBuf,
    /// Bearer token `GET /metrics` asks for. Empty: open to whoever reaches the server (the
    /// default listens on loopback only).
    pub metrics_token: String,
    pub auth: AuthConfig,
    pub uploads: UploadConfig,
    pub workers: WorkerConfig,
    pub media: MediaToolsConfig,
    pub retention: RetentionConfig,
    pub ai: AiConfig,
}

/// The cloud AI tier: an object detector over each doorbell event's clip.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AiConfig {
    /// Off: events keep the device's type and notify as they are.
    pub enabled: bool,
    /// A YOLO-format ONNX (v5 or v8 layout) to use instead of the NanoDet model from
    /// `scripts/install-models.sh`; empty: NanoDet.
    pub yolo_model: String,
    /// Its class names in order; empty: the 80 COCO classes.
    pub yolo_labels: Vec<String>,
    /// Keyframes of an alert clip looked at: one every `every_secs`, at most `max_frames`.
    pub every_secs: f32,
    pub max_frames: usize,
}

impl Default for AiConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            yolo_model: String::new(),
            yolo_labels: Vec::new(),
            every_secs: 1.0,
            max_frames: 6,
        }
    }
}

/// How long doorbell events are kept, where their clips go as they age, and the off-site copy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Days events and their clips are kept, by plan (the seed's 30 and 60).
    pub standard_days: u32,
    pub premium_days: u32,
    /// How often the retention and lifecycle job runs.
    pub interval_secs: u64,
    /// Storage tiers as blob stores (`file://…`); empty: every clip stays in the main store.
    /// A cold tier without a warm one is refused.
    pub warm_url: String,
    pub cold_url: String,
    pub warm_after_days: u32,
    pub cold_after_days: u32,
    /// A second blob store that receives a copy of every event clip; empty: none.
    pub offsite_url: String,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            standard_days: 30,
            premium_days: 60,
            interval_secs: 3600,
            warm_url: String::new(),
            cold_url: String::new(),
            warm_after_days: 7,
            cold_after_days: 30,
            offsite_url: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub access_token_secs: u64,
    pub refresh_token_days: u64,
    pub signed_url_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UploadConfig {
    /// Largest accepted upload (tus `Tus-Max-Size`), bytes.
    pub max_size: u64,
    /// Largest body of the one-shot multipart endpoints, bytes.
    pub max_oneshot_size: u64,
    /// Unfinished uploads older than this are removed.
    pub expire_after_secs: u64,
    pub janitor_interval_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
    /// Jobs run at once per consumer; 0 disables processing on this node.
    pub concurrency: usize,
    /// A job not heartbeating for this long is handed to another worker.
    pub lease_secs: u64,
    pub poll_interval_ms: u64,
    pub max_attempts: u32,
    pub retry_base_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaToolsConfig {
    pub ffmpeg: String,
    pub ffprobe: String,
    pub probe_timeout_secs: u64,
    pub transcode_timeout_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: String::new(),
            data_dir: PathBuf::from("data"),
            metadata_url: String::new(),
            search_url: String::new(),
            blob_url: String::new(),
            secret: String::new(),
            secret_file: PathBuf::new(),
            metrics_token: String::new(),
            auth: AuthConfig::default(),
            uploads: UploadConfig::default(),
            workers: WorkerConfig::default(),
            media: MediaToolsConfig::default(),
            retention: RetentionConfig::default(),
            ai: AiConfig::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            access_token_secs: 900,
            refresh_token_days: 30,
            signed_url_secs: 3600,
        }
    }
}

impl Default for UploadConfig {
    fn default() -> Self {
        Self {
            max_size: 20 * 1024 * 1024 * 1024,
            max_oneshot_size: 200 * 1024 * 1024,
            expire_after_secs: 24 * 3600,
            janitor_interval_secs: 300,
        }
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 1,
            lease_secs: 60,
            poll_interval_ms: 250,
            max_attempts: 5,
            retry_base_secs: 5,
        }
    }
}

impl Default for MediaToolsConfig {
    fn default() -> Self {
        Self {
            ffmpeg: "ffmpeg".into(),
            ffprobe: "ffprobe".into(),
            probe_timeout_secs: 60,
            transcode_timeout_secs: 3600,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field("data_dir", &self.data_dir)
            .field("metadata_url", &self.metadata_url)
            .field("blob_url", &self.blob_url)
            .field(
                "secret",
                &if self.secret.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("secret_file", &self.secret_file)
            .field(
                "metrics_token",
                &if self.metrics_token.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("auth", &self.auth)
            .field("uploads", &self.uploads)
            .field("workers", &self.workers)
            .field("retention", &self.retention)
            .field("ai", &self.ai)
            .field("media", &self.media)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("secret file {path}: {source}")]
    Secret {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("configuration: {0}")]
    Check(String),
}

impl Config {
    /// Defaults, then the TOML file (when given), then `SIGHTLINE__SECTION__KEY` variables from
    /// `env`, then `overrides` (the command line).
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: impl Serialize,
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        let vars: Vec<(String, String)> = env
            .into_iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("SIGHTLINE__")
                    .map(|rest| (rest.to_ascii_lowercase(), v))
            })
            .collect();
        for (key, value) in vars {
            let path = key.replace("__", ".");
            figment = figment.merge((path, parse_env_value(&value)));
        }
        figment = figment.merge(Serialized::defaults(overrides));
        let config: Config = figment.extract().map_err(Box::new)?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.workers.lease_secs == 0 {
            return Err(ConfigError::Check("workers.lease_secs must be > 0".into()));
        }
        if self.uploads.max_size == 0 {
            return Err(ConfigError::Check("uploads.max_size must be > 0".into()));
        }
        Ok(())
    }

    pub fn public_url(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.trim_end_matches('/').to_string()
        }
    }

    pub fn metadata_url(&self) -> String {
        if self.metadata_url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("sightline.db").display())
        } else {
            self.metadata_url.clone()
        }
    }

    pub fn blob_url(&self) -> String {
        if self.blob_url.is_empty() {
            format!("file://{}", self.data_dir.join("blobs").display())
        } else {
            self.blob_url.clone()
        }
    }

    pub fn search_url(&self) -> String {
        if self.search_url.is_empty() {
            format!("tantivy://{}", self.data_dir.join("index").display())
        } else {
            self.search_url.clone()
        }
    }

    pub fn staging_dir(&self) -> PathBuf {
        self.data_dir.join("staging")
    }

    /// The configured secret, or the one kept in the secret file (created on first start).
    pub fn resolve_secret(&self) -> Result<Vec<u8>, ConfigError> {
        if !self.secret.is_empty() {
            return Ok(self.secret.as_bytes().to_vec());
        }
        let path = if self.secret_file.as_os_str().is_empty() {
            self.data_dir.join("secret")
        } else {
            self.secret_file.clone()
        };
        let err = |source| ConfigError::Secret {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().len() >= 32 => Ok(text.trim().as_bytes().to_vec()),
            Ok(_) => Err(err(std::io::Error::other("shorter than 32 characters"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = crate::auth::tokens::random_token("");
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(err)?;
                }
                write_private(&path, &secret).map_err(err)?;
                Ok(secret.into_bytes())
            }
            Err(e) => Err(err(e)),
        }
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Environment values are strings; numbers and booleans are typed so `u64` fields accept them.
fn parse_env_value(value: &str) -> figment::value::Value {
    use figment::value::Value;
    if let Ok(n) = value.parse::<u64>() {
        return Value::from(n);
    }
    if let Ok(b) = value.parse::<bool>() {
        return Value::from(b);
    }
    Value::from(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sightline.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\n[uploads]\nmax_size = 100\n",
        )
        .unwrap();
        let env = vec![
            (
                "SIGHTLINE__UPLOADS__MAX_SIZE".to_string(),
                "200".to_string(),
            ),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let config = Config::load(
            Some(&file),
            env,
            serde_json::json!({"public_url": "https://x"}),
        )
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.uploads.max_size, 200);
        assert_eq!(config.public_url(), "https://x");
        assert_eq!(config.workers.lease_secs, 60);
    }

    #[test]
    fn rejects_unknown_keys_with_a_message() {
        let env = vec![("SIGHTLINE__UPLOADS__MAX_SIZ".to_string(), "1".to_string())];
        let err = Config::load(None, env, serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("max_siz"), "{err}");
    }

    #[test]
    fn secret_is_created_once_and_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let first = config.resolve_secret().unwrap();
        assert_eq!(config.resolve_secret().unwrap(), first);
        let shown = format!(
            "{:?}",
            Config {
                secret: "hunter2".into(),
                ..Config::default()
            }
        );
        assert!(!shown.contains("hunter2"));
    }
}
