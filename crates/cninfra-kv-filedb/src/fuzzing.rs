//! The data file parser and writer on their own, for the fuzz targets in `fuzz/` (feature
//! `fuzzing`; no stable API).

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;

use crate::FileProblem;
use crate::format::{Format, Renderer, parse};

/// The entries of a data file with this `path` (`.json`, `.yaml`, `.yml`) and `text`;
/// `None` for a path that is not a data file.
///
/// # Errors
/// The problem that makes the file unusable.
pub fn parse_data_file(
    path: &Path,
    text: &str,
) -> Option<Result<BTreeMap<String, Bytes>, FileProblem>> {
    Format::of(path).map(|format| parse(path, format, text))
}

/// The text of a data file like `path` (`.json`, `.yaml`, `.yml`) holding `content`, as the
/// status file is written; `None` for a path that is not a data file.
///
/// # Errors
/// When an entry cannot be written.
pub fn render_data_file(
    path: &Path,
    content: &BTreeMap<String, Bytes>,
) -> Option<Result<Vec<u8>, String>> {
    Format::of(path).map(|format| Renderer::new(format).render(content))
}
