//! Which files hold data: the configured files and folders (walked recursively), what to
//! watch for them, and reading the data files at or under a path.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use crate::error::FileDbError;
use crate::format::{self, Content, FileProblem, Format};

/// The configured data locations, made absolute (so they match watcher events).
#[derive(Debug, Clone)]
pub(crate) struct Roots {
    /// Configured folders.
    dirs: Vec<PathBuf>,
    /// Configured single files.
    files: Vec<PathBuf>,
    /// The status file, which is read separately even when it lies in a configured folder.
    status: Option<PathBuf>,
}

impl Roots {
    /// Resolves the configured paths; each must exist.
    pub(crate) fn resolve(
        configured: &[PathBuf],
        status: Option<PathBuf>,
    ) -> Result<Self, FileDbError> {
        let mut roots = Self {
            dirs: Vec::new(),
            files: Vec::new(),
            status,
        };
        for path in configured {
            let missing = |source| FileDbError::ConfigurationPath {
                path: path.clone(),
                source,
            };
            let absolute = std::fs::canonicalize(path).map_err(missing)?;
            if absolute.is_dir() {
                roots.dirs.push(absolute);
            } else if Format::of(&absolute).is_some() {
                roots.files.push(absolute);
            } else {
                return Err(FileDbError::UnsupportedFormat { path: path.clone() });
            }
        }
        Ok(roots)
    }

    /// The configured paths and the status file, for a full scan.
    pub(crate) fn all(&self) -> BTreeSet<PathBuf> {
        self.dirs
            .iter()
            .chain(&self.files)
            .chain(&self.status)
            .cloned()
            .collect()
    }

    /// What to watch: folders recursively, the folders of single files (and of the status
    /// file) without their subfolders (editors replace files, so a file's own watch would
    /// be lost).
    pub(crate) fn watch_targets(&self) -> BTreeMap<PathBuf, bool> {
        let mut targets: BTreeMap<PathBuf, bool> =
            self.dirs.iter().map(|d| (d.clone(), true)).collect();
        for file in self.files.iter().chain(&self.status) {
            if let Some(parent) = file.parent()
                && !self.dirs.iter().any(|d| file.starts_with(d))
            {
                targets.entry(parent.to_owned()).or_insert(false);
            }
        }
        targets
    }

    /// True when an event on `path` may concern data: it lies in a configured folder or is
    /// a configured file or the status file.
    pub(crate) fn is_relevant(&self, path: &Path) -> bool {
        self.dirs.iter().any(|d| path.starts_with(d))
            || self.files.iter().any(|f| f == path)
            || self.is_status(path)
    }

    /// True for the status file.
    pub(crate) fn is_status(&self, path: &Path) -> bool {
        self.status.as_deref() == Some(path)
    }

    /// True when `path` is a data file of the configuration: a configured file, or a
    /// `.json`/`.yaml`/`.yml` file (not hidden, not the status file) in a configured folder.
    fn is_data_file(&self, path: &Path) -> bool {
        if self.files.iter().any(|f| f == path) {
            return true;
        }
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        !hidden
            && !self.is_status(path)
            && Format::of(path).is_some()
            && self.dirs.iter().any(|d| path.starts_with(d))
    }

    /// The data files at or under `path` as they are on disk now.
    fn data_files_under(&self, path: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut pending = vec![path.to_owned()];
        while let Some(next) = pending.pop() {
            match std::fs::read_dir(&next) {
                Ok(entries) => pending.extend(entries.flatten().map(|e| e.path())),
                // Not a folder (or gone): a file candidate.
                Err(_) if self.is_data_file(&next) && next.is_file() => found.push(next),
                Err(_) => {}
            }
        }
        found
    }
}

/// What the disk holds for some changed paths.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// New content of each file read, or `None` for a file that is gone.
    pub(crate) updates: BTreeMap<PathBuf, Option<Content>>,
    /// Files that could not be read or parsed (their previous content stays).
    pub(crate) problems: Vec<FileProblem>,
}

/// Reads the data files at or under each of `dirty` and finds which of the `known` files
/// under them are gone. An empty (0-byte) file is skipped: editors truncate before they
/// write, and its previous content stays until it has content again.
pub(crate) fn scan(roots: &Roots, dirty: &BTreeSet<PathBuf>, known: &BTreeSet<PathBuf>) -> Scan {
    let mut scan = Scan::default();
    for path in dirty {
        let present = roots.data_files_under(path);
        for file in &present {
            match read(file) {
                Ok(Some(content)) => {
                    scan.updates.insert(file.clone(), Some(content));
                }
                Ok(None) => {}
                Err(Gone) => {
                    scan.updates.insert(file.clone(), None);
                }
                Err(Problem(problem)) => scan.problems.push(problem),
            }
        }
        for file in known.iter().filter(|k| k.starts_with(path)) {
            if !present.contains(file) {
                scan.updates.insert(file.clone(), None);
            }
        }
    }
    // A file that vanished while being read is gone, not a problem.
    scan.updates
        .retain(|path, content| content.is_some() || known.contains(path));
    scan
}

/// Why a file could not be read.
enum ReadError {
    Gone,
    Problem(FileProblem),
}
use ReadError::{Gone, Problem};

/// The content of a data file; `None` for an empty file.
fn read(path: &Path) -> Result<Option<Content>, ReadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Err(Gone),
        Err(err) => {
            return Err(Problem(FileProblem {
                path: path.to_owned(),
                line: None,
                column: None,
                message: format!("cannot read the file: {err}"),
            }));
        }
    };
    if text.is_empty() {
        tracing::debug!(target: crate::LOG, path = %path.display(), "file is empty (being written?); keeping its previous content");
        return Ok(None);
    }
    let format = Format::of(path).unwrap_or(Format::Yaml);
    format::parse(path, format, &text)
        .map(Some)
        .map_err(Problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_walked_and_non_data_files_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        for name in [
            "x.yaml",
            "a/y.json",
            "a/b/z.yml",
            "a/notes.txt",
            "a/.hidden.yaml",
            "status.yaml",
        ] {
            // JSON, which is YAML too.
            std::fs::write(root.join(name), "{\"data\": []}").unwrap();
        }
        let roots =
            Roots::resolve(std::slice::from_ref(&root), Some(root.join("status.yaml"))).unwrap();
        let scan = scan(&roots, &roots.all(), &BTreeSet::new());
        let files: Vec<_> = scan
            .updates
            .keys()
            .map(|p| p.strip_prefix(&root).unwrap().to_owned())
            .collect();
        assert_eq!(
            files,
            [
                Path::new("a/b/z.yml"),
                Path::new("a/y.json"),
                Path::new("x.yaml")
            ]
        );
        assert!(roots.is_relevant(&root.join("a/new-folder")));
        assert!(!roots.is_relevant(Path::new("/elsewhere/x.yaml")));
    }

    #[test]
    fn known_files_that_are_gone_are_reported_gone() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let roots = Roots::resolve(std::slice::from_ref(&root), None).unwrap();
        let known: BTreeSet<PathBuf> = [root.join("old.yaml")].into();
        let scan = scan(&roots, &[root.join("old.yaml")].into(), &known);
        assert_eq!(scan.updates.get(&root.join("old.yaml")), Some(&None));
    }

    #[test]
    fn missing_paths_and_unknown_extensions_are_refused() {
        let err = Roots::resolve(&["/no/such/folder".into()], None).unwrap_err();
        assert!(err.to_string().contains("/no/such/folder"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("data.txt"), "").unwrap();
        let err = Roots::resolve(&[dir.path().join("data.txt")], None).unwrap_err();
        assert!(err.to_string().contains("data.txt"), "{err}");
    }
}
