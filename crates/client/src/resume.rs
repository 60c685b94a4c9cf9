//! Resume state: the upload URL of each partly sent file, so an interrupted import picks up
//! with one HEAD. Only a shortcut: creating again with the same media id also resumes, but
//! costs a round trip and fails over to a fresh upload once the server expired the old one.

use serde::{Deserialize, Serialize};
use sightline_core::MediaId;
use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Bumped when the file's shape changes; other versions are ignored, not misread.
const FORMAT_VERSION: u32 = 1;

/// Identifies one version of one file bound for one server. A changed size or mtime means
/// different bytes, so the saved upload no longer applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeKey {
    pub server: String,
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
}

impl ResumeKey {
    /// Canonicalises the path and reads size and mtime. Blocking.
    pub fn for_file(server: &str, path: &Path) -> io::Result<Self> {
        let path = std::fs::canonicalize(path)?;
        let meta = std::fs::metadata(&path)?;
        let mtime_ns = match meta.modified()?.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_nanos()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_nanos()).map_or(i64::MIN, |n| -n),
        };
        Ok(Self {
            server: server.to_string(),
            path,
            size: meta.len(),
            mtime_ns,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    #[serde(flatten)]
    key: ResumeKey,
    upload_url: String,
    /// Saved so a resumed run need not hash a large file again.
    media_id: MediaId,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    version: u32,
    uploads: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct ResumeState {
    path: PathBuf,
    entries: Vec<Entry>,
}

impl ResumeState {
    /// `$XDG_STATE_HOME/sightline/uploads.json`, else `~/.local/state/sightline/uploads.json`.
    pub fn default_path() -> Option<PathBuf> {
        Self::default_path_from(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
    }

    /// [`Self::default_path`] with the environment passed in.
    pub fn default_path_from(
        xdg_state_home: Option<OsString>,
        home: Option<OsString>,
    ) -> Option<PathBuf> {
        // The XDG spec says relative values are invalid and must be ignored.
        let state_home = xdg_state_home
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home.map(|h| PathBuf::from(h).join(".local/state")))?;
        Some(state_home.join("sightline").join("uploads.json"))
    }

    /// Loads the state kept at `path`. A missing, unreadable-as-JSON or other-version file
    /// counts as empty: losing the shortcut only costs round trips.
    pub fn load(path: &Path) -> io::Result<Self> {
        let entries = match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice::<StateFile>(&bytes) {
                Ok(file) if file.version == FORMAT_VERSION => file.uploads,
                Ok(file) => {
                    tracing::warn!(path = %path.display(), version = file.version, "ignoring resume state of another version");
                    Vec::new()
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "ignoring unreadable resume state");
                    Vec::new()
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(Self {
            path: path.to_path_buf(),
            entries,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The saved upload URL and media id of this file version.
    pub fn get(&self, key: &ResumeKey) -> Option<(&str, MediaId)> {
        self.entries
            .iter()
            .find(|e| &e.key == key)
            .map(|e| (e.upload_url.as_str(), e.media_id))
    }

    pub fn insert(&mut self, key: ResumeKey, upload_url: String, media_id: MediaId) {
        // Older versions of the same file on the same server are dead weight now.
        self.entries
            .retain(|e| !(e.key.server == key.server && e.key.path == key.path));
        self.entries.push(Entry {
            key,
            upload_url,
            media_id,
        });
    }

    /// True when there was an entry to remove.
    pub fn remove(&mut self, key: &ResumeKey) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| &e.key != key);
        self.entries.len() != before
    }

    /// Writes the state atomically: a crash leaves the old file or the new one, never half.
    pub fn save(&self) -> io::Result<()> {
        write_atomic(&self.path, &self.to_bytes()?)
    }

    pub(crate) fn to_bytes(&self) -> io::Result<Vec<u8>> {
        let file = StateFile {
            version: FORMAT_VERSION,
            uploads: self.entries.clone(),
        };
        Ok(serde_json::to_vec_pretty(&file)?)
    }
}

/// Temp file in the same directory (so rename stays on one filesystem), synced, renamed over.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".uploads.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str, size: u64) -> ResumeKey {
        ResumeKey {
            server: "http://s/".into(),
            path: path.into(),
            size,
            mtime_ns: 1,
        }
    }

    #[test]
    fn round_trips_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/sightline/uploads.json");
        let mut state = ResumeState::load(&path).unwrap();
        assert!(state.is_empty());
        let id = MediaId::new_random();
        state.insert(key("/a.mp4", 10), "http://s/api/v1/uploads/1".into(), id);
        state.insert(
            key("/b.mp4", 20),
            "http://s/api/v1/uploads/2".into(),
            MediaId::new_random(),
        );
        state.save().unwrap();

        let mut loaded = ResumeState::load(&path).unwrap();
        assert_eq!(
            loaded.get(&key("/a.mp4", 10)),
            Some(("http://s/api/v1/uploads/1", id))
        );
        // Another size is another file version.
        assert_eq!(loaded.get(&key("/a.mp4", 11)), None);
        assert!(loaded.remove(&key("/b.mp4", 20)));
        assert!(!loaded.remove(&key("/b.mp4", 20)));
        loaded.save().unwrap();
        assert_eq!(ResumeState::load(&path).unwrap().len(), 1);
    }

    #[test]
    fn a_new_version_replaces_the_old_entry() {
        let mut state = ResumeState::load(Path::new("/nonexistent/uploads.json")).unwrap();
        state.insert(key("/a.mp4", 10), "u1".into(), MediaId::new_random());
        state.insert(key("/a.mp4", 12), "u2".into(), MediaId::new_random());
        assert_eq!(state.len(), 1);
        assert_eq!(
            state.get(&key("/a.mp4", 12)).map(|(url, _)| url),
            Some("u2")
        );
    }

    #[test]
    fn writes_atomically_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uploads.json");
        std::fs::write(&path, b"old").unwrap();
        let mut state = ResumeState::load(&path).unwrap(); // unreadable: starts empty
        assert!(state.is_empty());
        state.insert(key("/a.mp4", 10), "u1".into(), MediaId::new_random());
        state.save().unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["uploads.json"]);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(json["version"], 1);
        assert_eq!(json["uploads"][0]["upload_url"], "u1");
    }

    #[test]
    fn ignores_other_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("uploads.json");
        std::fs::write(&path, br#"{"version": 99, "uploads": []}"#).unwrap();
        assert!(ResumeState::load(&path).unwrap().is_empty());
    }

    #[test]
    fn key_sees_content_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jpg");
        std::fs::write(&path, b"abc").unwrap();
        let first = ResumeKey::for_file("http://s/", &path).unwrap();
        assert!(first.path.is_absolute());
        std::fs::write(&path, b"abcd").unwrap();
        assert_ne!(ResumeKey::for_file("http://s/", &path).unwrap(), first);
    }

    #[test]
    fn default_path_follows_xdg() {
        let path = ResumeState::default_path_from(Some("/state".into()), Some("/home/u".into()));
        assert_eq!(path, Some(PathBuf::from("/state/sightline/uploads.json")));
        let path = ResumeState::default_path_from(Some("relative".into()), Some("/home/u".into()));
        assert_eq!(
            path,
            Some(PathBuf::from("/home/u/.local/state/sightline/uploads.json"))
        );
        assert_eq!(ResumeState::default_path_from(None, None), None);
    }
}
