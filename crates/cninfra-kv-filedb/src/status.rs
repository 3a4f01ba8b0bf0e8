//! The status file: where writes go, rewritten whole and atomically (temporary file in the
//! same folder, synced, renamed over the old one, folder synced).

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::FileDbError;
use crate::format::{self, Content, FileProblem, Format, Renderer};
use crate::sources::digest;

/// The status file, its format, and the text of its entries as last written.
#[derive(Debug, Clone)]
pub(crate) struct StatusFile {
    pub(crate) path: PathBuf,
    format: Format,
    renderer: Arc<Mutex<Renderer>>,
}

/// What reading the status file gave.
#[derive(Debug)]
pub(crate) enum Read {
    /// Its content and the digest of its bytes.
    Content(Content, u64),
    /// The bytes are the ones with this digest (the caller already knows them).
    Unchanged,
    /// It is empty or gone (being replaced, or removed by someone).
    Missing,
}

impl StatusFile {
    /// The status file at `path` (made absolute), creating it and its folder if missing.
    pub(crate) fn open(path: &Path) -> Result<Self, FileDbError> {
        let format = Format::of(path).ok_or_else(|| FileDbError::UnsupportedFormat {
            path: path.to_owned(),
        })?;
        let error = |action, source| FileDbError::Status {
            action,
            path: path.to_owned(),
            source,
        };
        let name = path
            .file_name()
            .ok_or_else(|| error("create", io::Error::other("the path has no file name")))?;
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| error("create", e))?;
        let parent = std::fs::canonicalize(&parent).map_err(|e| error("create", e))?;
        let file = Self {
            path: parent.join(name),
            format,
            renderer: Arc::new(Mutex::new(Renderer::new(format))),
        };
        if !file.path.exists() {
            file.write(&Content::new())
                .map_err(|e| error("create", e))?;
            tracing::info!(target: crate::LOG, path = %file.path.display(), "created the status file");
        }
        Ok(file)
    }

    /// Reads and parses the file, unless its bytes have digest `known`.
    pub(crate) fn read(&self, known: Option<u64>) -> Result<Read, FileProblem> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) if bytes.is_empty() => return Ok(Read::Missing),
            Ok(bytes) => bytes,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Read::Missing),
            Err(err) => {
                return Err(FileProblem {
                    path: self.path.clone(),
                    line: None,
                    column: None,
                    message: format!("cannot read the file: {err}"),
                });
            }
        };
        let hash = digest(&bytes);
        if known == Some(hash) {
            return Ok(Read::Unchanged);
        }
        let text = String::from_utf8(bytes).map_err(|err| FileProblem {
            path: self.path.clone(),
            line: None,
            column: None,
            message: format!("the file is not UTF-8: {err}"),
        })?;
        format::parse(&self.path, self.format, &text).map(|content| Read::Content(content, hash))
    }

    /// Replaces the file with `content` atomically; returns the digest of the bytes written.
    pub(crate) fn write(&self, content: &Content) -> io::Result<u64> {
        let bytes = self
            .renderer
            .lock()
            .render(content)
            .map_err(io::Error::other)?;
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let temp = self.path.with_file_name(format!(".{name}.tmp"));
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, &self.path)?;
        if let Some(parent) = self.path.parent() {
            std::fs::File::open(parent)?.sync_all()?;
        }
        Ok(digest(&bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn created_when_missing_then_written_atomically_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/status.json");
        let file = StatusFile::open(&path).unwrap();
        assert!(matches!(file.read(None).unwrap(), Read::Content(c, _) if c.is_empty()));

        let content: Content = [("k".to_owned(), Bytes::from_static(b"{\"a\":1}"))].into();
        let written = file.write(&content).unwrap();
        assert!(matches!(file.read(Some(written)).unwrap(), Read::Unchanged));
        match file.read(None).unwrap() {
            Read::Content(read, hash) => assert_eq!((read, hash), (content, written)),
            other => panic!("{other:?}"),
        }
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["status.json"], "no temporary file is left behind");
    }

    #[test]
    fn an_unknown_extension_is_refused() {
        let err = StatusFile::open(Path::new("/tmp/status.txt")).unwrap_err();
        assert!(
            matches!(err, FileDbError::UnsupportedFormat { .. }),
            "{err:?}"
        );
    }
}
