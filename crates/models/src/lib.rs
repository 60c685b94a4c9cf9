//! The model cache shared by every crate that runs a downloaded model (voice activity, object
//! detection, …). The set-up scripts (`scripts/install-models.sh` and the scripts it calls)
//! fetch the models from the packages that ship them; this side only finds and verifies, so a
//! device never downloads at run time. Each caller maps [`ModelError`] into its own error with
//! the name of its model and the script that fetches it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use thiserror::Error;

/// The variable that points at the model cache.
pub const MODELS_DIR_VAR: &str = "SIGHTLINE_MODELS_DIR";

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("model not found at {}", path.display())]
    Missing { path: PathBuf },
    #[error("model at {} has SHA-256 {actual}, expected {expected}", path.display())]
    Checksum {
        path: PathBuf,
        expected: &'static str,
        actual: String,
    },
    #[error("no model directory: neither SIGHTLINE_MODELS_DIR nor HOME is set")]
    NoModelsDir,
    #[error("could not read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// `$SIGHTLINE_MODELS_DIR`, else `$HOME/.cache/sightline/models`, read through `env` so that
/// tests and callers with their own configuration need not touch the process environment.
pub fn models_dir_from(env: impl Fn(&str) -> Option<OsString>) -> Result<PathBuf, ModelError> {
    if let Some(dir) = env(MODELS_DIR_VAR).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = env("HOME")
        .filter(|h| !h.is_empty())
        .ok_or(ModelError::NoModelsDir)?;
    Ok(PathBuf::from(home).join(".cache/sightline/models"))
}

/// [`models_dir_from`] over the process environment.
pub fn models_dir() -> Result<PathBuf, ModelError> {
    models_dir_from(|key| std::env::var_os(key))
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a model file and checks its SHA-256, so that a truncated download or a different
/// model version fails here with a clear message instead of producing odd outputs.
pub fn read_verified(path: &Path, expected_sha256: &'static str) -> Result<Vec<u8>, ModelError> {
    let bytes = read(path)?;
    let actual = sha256_hex(&bytes);
    if actual != expected_sha256 {
        return Err(ModelError::Checksum {
            path: path.to_owned(),
            expected: expected_sha256,
            actual,
        });
    }
    Ok(bytes)
}

/// Reads a model file the user supplied (no checksum to compare against), with the same
/// distinction between a missing file and an unreadable one.
pub fn read(path: &Path) -> Result<Vec<u8>, ModelError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            ModelError::Missing {
                path: path.to_owned(),
            }
        } else {
            ModelError::Io {
                path: path.to_owned(),
                source,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_dir_prefers_the_variable_then_home() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |key: &str| {
                vars.iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let dir = models_dir_from(env(&[("SIGHTLINE_MODELS_DIR", "/m"), ("HOME", "/h")]));
        assert_eq!(dir.ok(), Some(PathBuf::from("/m")));
        let dir = models_dir_from(env(&[("SIGHTLINE_MODELS_DIR", ""), ("HOME", "/h")]));
        assert_eq!(dir.ok(), Some(PathBuf::from("/h/.cache/sightline/models")));
        assert!(matches!(
            models_dir_from(env(&[])),
            Err(ModelError::NoModelsDir)
        ));
    }

    #[test]
    fn read_verified_tells_missing_from_wrong() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.onnx");
        assert!(matches!(
            read_verified(&path, "00"),
            Err(ModelError::Missing { .. })
        ));

        std::fs::write(&path, b"abc").expect("write");
        // SHA-256 of "abc".
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(read_verified(&path, abc).ok(), Some(b"abc".to_vec()));
        match read_verified(&path, "00") {
            Err(ModelError::Checksum { actual, .. }) => assert_eq!(actual, abc),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(read(dir.path()), Err(ModelError::Io { .. })));
    }
}
