//! The data file layout (upstream's): a top-level `data` list of `{key, value}` entries,
//! as JSON (`.json`) or YAML (`.yaml`, `.yml`); how files parse and how the status file is
//! written.
//!
//! A `value` is any JSON/YAML value and is stored as compact JSON bytes, as upstream. Two
//! forms of ours carry values that are not JSON, so that any bytes written to the status
//! file read back unchanged: `raw` (text stored as is) and `base64` (any bytes).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// The key-value pairs of one file, by key.
pub(crate) type Content = BTreeMap<String, Bytes>;

/// A data file that cannot be used, with where in it the problem is.
///
/// # Examples
/// ```
/// let problem = cninfra_kv_filedb::FileProblem {
///     path: "/etc/agent/data/routes.yaml".into(),
///     line: Some(3),
///     column: Some(5),
///     message: "missing field `key`".into(),
/// };
/// assert_eq!(problem.to_string(), "/etc/agent/data/routes.yaml:3:5: missing field `key`");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// The file.
    pub path: PathBuf,
    /// Line of the problem (1-based), when known.
    pub line: Option<usize>,
    /// Column of the problem (1-based), when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileProblem {}

/// How a data file is encoded, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Yaml,
}

impl Format {
    /// The format of `path`, if it is a data file (`.json`, `.yaml`, `.yml`).
    pub(crate) fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "json" => Some(Self::Json),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// A file as read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct InFile {
    #[serde(default)]
    data: Vec<InEntry>,
}

/// A checked entry: its key and stored bytes.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawEntry")]
struct InEntry {
    key: String,
    bytes: Bytes,
}

/// An entry as written in the file, before its checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    key: String,
    // `value: null` counts as present: the JSON value `null`.
    #[serde(default, deserialize_with = "present")]
    value: Option<serde_json::Value>,
    raw: Option<String>,
    base64: Option<String>,
}

fn present<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(de).map(Some)
}

impl TryFrom<RawEntry> for InEntry {
    type Error = String;

    fn try_from(raw: RawEntry) -> Result<Self, String> {
        if raw.key.is_empty() {
            return Err("an entry has an empty `key`".to_owned());
        }
        let bytes = match (raw.value, raw.raw, raw.base64) {
            (Some(value), None, None) => Bytes::from(value.to_string()),
            (None, Some(text), None) => Bytes::from(text),
            (None, None, Some(text)) => BASE64
                .decode(text)
                .map(Bytes::from)
                .map_err(|err| format!("entry `{}` has invalid `base64`: {err}", raw.key))?,
            _ => {
                return Err(format!(
                    "entry `{}` needs exactly one of `value`, `raw` or `base64`",
                    raw.key
                ));
            }
        };
        Ok(Self {
            key: raw.key,
            bytes,
        })
    }
}

/// An entry as written: the form that reads back as exactly its bytes.
#[derive(Serialize)]
struct OutEntry<'a> {
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
}

impl<'a> OutEntry<'a> {
    /// `value` when the bytes are compact JSON (what upstream files hold), else `raw` for
    /// text, else `base64`.
    fn of(key: &'a str, bytes: &'a [u8]) -> Self {
        let mut entry = Self {
            key,
            value: None,
            raw: None,
            base64: None,
        };
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(value) if value.to_string().as_bytes() == bytes => entry.value = Some(value),
            _ => match std::str::from_utf8(bytes) {
                Ok(text) => entry.raw = Some(text),
                Err(_) => entry.base64 = Some(BASE64.encode(bytes)),
            },
        }
        entry
    }
}

/// Parses the text of `path`. A file of only blanks and comments has no entries; when a
/// key appears twice, the later entry wins (a warning names it).
pub(crate) fn parse(path: &Path, format: Format, text: &str) -> Result<Content, FileProblem> {
    let problem = |line, column, message: String| FileProblem {
        path: path.to_owned(),
        line,
        column,
        message,
    };
    let parsed: InFile = match format {
        Format::Json => serde_json::from_str(text).map_err(|err| {
            let message = strip_location(&err.to_string());
            problem(Some(err.line()), Some(err.column()), message)
        })?,
        Format::Yaml => {
            let blank = text
                .lines()
                .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'));
            if blank {
                InFile::default()
            } else {
                serde_yaml_ng::from_str(text).map_err(|err| {
                    let location = err.location();
                    let message = strip_location(&err.to_string());
                    problem(
                        location.as_ref().map(|l| l.line()),
                        location.as_ref().map(|l| l.column()),
                        message,
                    )
                })?
            }
        }
    };
    let mut content = Content::new();
    for InEntry { key, bytes } in parsed.data {
        if content.insert(key.clone(), bytes).is_some() {
            tracing::warn!(target: crate::LOG, path = %path.display(), %key, "key appears twice in one file; the later entry wins");
        }
    }
    Ok(content)
}

/// serde_json and serde_yaml_ng end messages with " at line L column C"; the problem
/// carries those apart.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Writes the text of data files, re-rendering only the entries that changed since the
/// last call (a status file is rewritten whole for every write).
#[derive(Debug)]
pub(crate) struct Renderer {
    format: Format,
    /// Each key's value with the text of its entry.
    cache: HashMap<String, (Bytes, String)>,
}

impl Renderer {
    pub(crate) fn new(format: Format) -> Self {
        Self {
            format,
            cache: HashMap::new(),
        }
    }

    /// The text of a file holding `content`.
    pub(crate) fn render(&mut self, content: &Content) -> Result<Vec<u8>, String> {
        let mut cache = HashMap::with_capacity(content.len());
        let mut entries = Vec::with_capacity(content.len());
        for (key, value) in content {
            let text = match self.cache.remove(key) {
                Some((cached, text)) if cached == *value => text,
                _ => self.entry(key, value)?,
            };
            entries.push(text);
            cache.insert(key.clone(), (value.clone(), String::new()));
        }
        let text = self.assemble(&entries);
        // Keep the entry texts for next time.
        for ((key, _), text) in content.iter().zip(entries) {
            if let Some(slot) = cache.get_mut(key) {
                slot.1 = text;
            }
        }
        self.cache = cache;
        Ok(text)
    }

    /// One entry: a YAML list item, or a JSON object on one line.
    fn entry(&self, key: &str, value: &[u8]) -> Result<String, String> {
        let entry = OutEntry::of(key, value);
        match self.format {
            Format::Json => serde_json::to_string(&entry).map_err(|e| e.to_string()),
            Format::Yaml => serde_yaml_ng::to_string(&[entry]).map_err(|e| e.to_string()),
        }
    }

    fn assemble(&self, entries: &[String]) -> Vec<u8> {
        let size: usize = entries.iter().map(|e| e.len() + 8).sum();
        let mut text = String::with_capacity(size + 32);
        match (self.format, entries.is_empty()) {
            (Format::Yaml, true) => text.push_str("data: []\n"),
            (Format::Yaml, false) => {
                text.push_str("data:\n");
                entries.iter().for_each(|e| text.push_str(e));
            }
            (Format::Json, true) => text.push_str("{\"data\": []}\n"),
            (Format::Json, false) => {
                text.push_str("{\"data\": [\n");
                for (i, entry) in entries.iter().enumerate() {
                    text.push_str(if i == 0 { "  " } else { ",\n  " });
                    text.push_str(entry);
                }
                text.push_str("\n]}\n");
            }
        }
        text.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Result<Content, FileProblem> {
        parse(Path::new("/d/a.yaml"), Format::Yaml, text)
    }

    #[test]
    fn upstream_layout_parses_values_to_compact_json() {
        let content = yaml(
            "data:\n  - key: /vnf-agent/vpp1/config/if/eth0\n    value:\n      name: eth0\n      mtu: 1500\n  - key: k2\n    value: 5\n",
        )
        .unwrap();
        assert_eq!(
            content["/vnf-agent/vpp1/config/if/eth0"],
            r#"{"mtu":1500,"name":"eth0"}"#
        );
        assert_eq!(content["k2"], "5");
        let json = parse(
            Path::new("a.json"),
            Format::Json,
            r#"{"data":[{"key":"k","value":{"a":[1,2]}}]}"#,
        )
        .unwrap();
        assert_eq!(json["k"], r#"{"a":[1,2]}"#);
    }

    #[test]
    fn every_byte_string_survives_render_and_parse() {
        let mut content = Content::new();
        content.insert("json".into(), Bytes::from_static(br#"{"a":1}"#));
        content.insert("spaced json".into(), Bytes::from_static(br#"{ "a" : 1 }"#));
        content.insert("text".into(), Bytes::from_static(b"value of a"));
        content.insert("null".into(), Bytes::from_static(b"null"));
        content.insert("yes".into(), Bytes::from_static(b"\"yes\""));
        content.insert("empty".into(), Bytes::new());
        content.insert(
            "binary".into(),
            Bytes::from_static(&[0, 159, 146, 150, 255]),
        );
        for (format, name) in [(Format::Yaml, "s.yaml"), (Format::Json, "s.json")] {
            let mut renderer = Renderer::new(format);
            for _ in 0..2 {
                // Fresh, then from the cache.
                let text = String::from_utf8(renderer.render(&content).unwrap()).unwrap();
                assert_eq!(
                    parse(Path::new(name), format, &text).unwrap(),
                    content,
                    "{text}"
                );
            }
            content.insert("text".into(), Bytes::from_static(b"changed"));
            let text = String::from_utf8(renderer.render(&content).unwrap()).unwrap();
            assert_eq!(
                parse(Path::new(name), format, &text).unwrap(),
                content,
                "{text}"
            );
            content.insert("text".into(), Bytes::from_static(b"value of a"));
            let empty = String::from_utf8(renderer.render(&Content::new()).unwrap()).unwrap();
            assert!(
                parse(Path::new(name), format, &empty).unwrap().is_empty(),
                "{empty}"
            );
        }
    }

    #[test]
    fn problems_name_file_and_line() {
        let err = yaml("data:\n  - key: a\n    value: 1\n  - kee: b\n    value: 2\n").unwrap_err();
        assert_eq!(
            (err.path.as_path(), err.line),
            (Path::new("/d/a.yaml"), Some(4))
        );
        assert!(err.message.contains("kee"), "{err}");

        let err = yaml("data:\n  - key: a\n    value: [1,\n").unwrap_err();
        assert!(err.line.is_some(), "{err}");

        let err = parse(
            Path::new("b.json"),
            Format::Json,
            "{\"data\": [\n  {\"key\": \"\", \"value\": 1}\n]}",
        )
        .unwrap_err();
        // serde reports a check of a whole entry where the entry ends.
        assert!(matches!(err.line, Some(2 | 3)), "{err}");
        assert!(err.message.contains("empty `key`"), "{err}");

        let err = yaml("data:\n  - key: a\n    value: 1\n    raw: x\n").unwrap_err();
        assert!(err.message.contains("exactly one"), "{err}");
        assert!(err.to_string().starts_with("/d/a.yaml:"), "{err}");

        let err = yaml("dat:\n  - key: a\n").unwrap_err();
        assert!(
            err.message.contains("dat"),
            "a misspelt `data` is an error, not an empty file: {err}"
        );
    }

    #[test]
    fn blank_files_and_repeated_keys() {
        assert!(yaml("# nothing yet\n\n").unwrap().is_empty());
        assert!(yaml("data: []\n").unwrap().is_empty());
        let content = yaml("data:\n  - key: a\n    value: 1\n  - key: a\n    value: 2\n").unwrap();
        assert_eq!(content["a"], "2");
    }

    #[test]
    fn extensions_pick_the_format() {
        assert_eq!(Format::of(Path::new("a/b.yml")), Some(Format::Yaml));
        assert_eq!(Format::of(Path::new("a/b.json")), Some(Format::Json));
        assert_eq!(Format::of(Path::new("a/.b.json.tmp")), None);
        assert_eq!(Format::of(Path::new("a/b")), None);
    }
}
