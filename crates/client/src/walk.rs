//! Finding the media files under the paths given to an import.

use crate::meta::kind_of_path;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundFile {
    pub path: PathBuf,
    pub size: u64,
}

#[derive(Debug, Default)]
pub struct Walk {
    /// Media files in a stable order (sorted within each folder), each once.
    pub files: Vec<FoundFile>,
    /// Files left out: unknown extension, hidden, empty, or not regular.
    pub skipped: usize,
    /// Paths that could not be read.
    pub errors: Vec<(PathBuf, String)>,
}

impl Walk {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Walks folders recursively and keeps files whose extension names a media kind. Hidden
/// entries (`.DS_Store`, macOS `._IMG_1.jpg` shadows, `.thumbnails/`) are skipped, and
/// symlinked folders are not followed (no cycles). Paths named directly are always followed.
/// Blocking.
pub fn walk_media(paths: &[PathBuf]) -> Walk {
    let mut walker = Walker {
        walk: Walk::default(),
        seen: HashSet::new(),
    };
    for path in paths {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walker.dir(path),
            Ok(meta) if meta.is_file() => walker.file(path, meta.len()),
            Ok(_) => walker.walk.skipped += 1,
            Err(e) => walker.walk.errors.push((path.clone(), e.to_string())),
        }
    }
    walker.walk
}

struct Walker {
    walk: Walk,
    /// Canonical paths already taken, so overlapping arguments upload a file once.
    seen: HashSet<PathBuf>,
}

impl Walker {
    fn dir(&mut self, dir: &Path) {
        let mut entries = Vec::new();
        match fs::read_dir(dir) {
            Ok(read) => {
                for entry in read {
                    match entry {
                        Ok(entry) => entries.push(entry),
                        Err(e) => self.walk.errors.push((dir.to_path_buf(), e.to_string())),
                    }
                }
            }
            Err(e) => return self.walk.errors.push((dir.to_path_buf(), e.to_string())),
        }
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            let Ok(file_type) = entry.file_type() else {
                self.walk
                    .errors
                    .push((path, "cannot read file type".into()));
                continue;
            };
            if file_type.is_dir() {
                if !hidden {
                    self.dir(&path);
                }
                continue;
            }
            if hidden {
                self.skip(&path);
                continue;
            }
            // `fs::metadata` follows a symlink to its target; `DirEntry::file_type` did not.
            match fs::metadata(&path) {
                Ok(meta) if meta.is_file() => self.file(&path, meta.len()),
                Ok(_) => self.skip(&path),
                Err(e) => self.walk.errors.push((path, e.to_string())),
            }
        }
    }

    fn file(&mut self, path: &Path, size: u64) {
        // An empty file is never a photo or a video, whatever its name.
        if size == 0 || kind_of_path(path).is_none() {
            return self.skip(path);
        }
        if self.first_visit(path) {
            self.walk.files.push(FoundFile {
                path: path.to_path_buf(),
                size,
            });
        }
    }

    fn skip(&mut self, path: &Path) {
        if self.first_visit(path) {
            self.walk.skipped += 1;
        }
    }

    /// Overlapping arguments reach an entry twice; it counts once either way.
    fn first_visit(&mut self, path: &Path) -> bool {
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.seen.insert(canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    #[test]
    fn keeps_media_and_counts_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("b.JPG"), b"jpeg");
        touch(&root.join("a.mp4"), b"video!");
        touch(&root.join("notes.txt"), b"text");
        touch(&root.join("empty.jpg"), b"");
        touch(&root.join(".DS_Store"), b"x");
        touch(&root.join("._b.JPG"), b"x");
        touch(&root.join("trip/day1/c.heic"), b"heic");
        touch(&root.join("trip/README"), b"x");
        touch(&root.join(".thumbnails/t.jpg"), b"thumb");

        // The folder twice and a file inside it: each file still once.
        let walk = walk_media(&[root.to_path_buf(), root.join("b.JPG"), root.to_path_buf()]);
        let names: Vec<_> = walk
            .files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.mp4", "b.JPG", "trip/day1/c.heic"]);
        assert_eq!(walk.total_bytes(), 6 + 4 + 4);
        // notes.txt, empty.jpg, README, and the hidden .DS_Store and ._b.JPG.
        assert_eq!(walk.skipped, 5);
        assert!(walk.errors.is_empty());
    }

    #[test]
    fn reports_missing_paths_and_explicit_non_media() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("doc.pdf"), b"pdf");
        let walk = walk_media(&[dir.path().join("missing"), dir.path().join("doc.pdf")]);
        assert!(walk.files.is_empty());
        assert_eq!(walk.skipped, 1);
        assert_eq!(walk.errors.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn does_not_follow_folder_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        touch(&dir.path().join("in/a.jpg"), b"a");
        std::os::unix::fs::symlink(dir.path(), dir.path().join("in/loop")).unwrap();
        let walk = walk_media(&[dir.path().join("in")]);
        assert_eq!(walk.files.len(), 1);
        assert_eq!(walk.skipped, 1); // the folder link
    }
}
