//! The simulated VPP's file: an append-only journal of the calls that changed it, one JSON
//! line each, so that its objects outlive the agent process (as VPP's outlive a crash of
//! vpp-agent) and a restarted agent finds them.
//!
//! A line is written before the call takes effect in memory, with one `write` of the whole
//! line (`{"op":"create","object":{"kind":"interface","value":{..}}}`), so a `kill -9` loses no object the agent was told exists; a line cut short by a
//! crash (no final newline) is ignored, and cut off when the file is opened again.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry};
use serde::{Deserialize, Serialize};

use crate::BdBinding;

/// Why the dataplane file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading, opening or appending to the file failed.
    #[error("dataplane file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// A complete line of the file is not a call record.
    #[error("dataplane file {}, line {line}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The line (from 1).
        line: usize,
        /// Why it does not decode.
        #[source]
        source: serde_json::Error,
    },
    /// A call record cannot be written as JSON.
    #[error("cannot encode a dataplane call")]
    Encode(#[source] serde_json::Error),
}

/// What a call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

/// An object of the dataplane (for a delete, only its identity is filled in).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "kebab-case")]
pub(crate) enum Object {
    Interface(Interface),
    /// Without its members (they are objects of their own).
    BridgeDomain(BridgeDomain),
    BdInterface(BdBinding),
    Fib(FibEntry),
}

impl Object {
    /// `interface`, `bridge-domain`, `bd-interface` or `fib`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Interface(_) => "interface",
            Self::BridgeDomain(_) => "bridge-domain",
            Self::BdInterface(_) => "bd-interface",
            Self::Fib(_) => "fib",
        }
    }

    /// `tap1`, `bd1`, `bd1/tap1`, `bd1/62:89:c6:a3:7e:3a`.
    pub(crate) fn name(&self) -> String {
        match self {
            Self::Interface(i) => i.name.clone(),
            Self::BridgeDomain(bd) => bd.name.clone(),
            Self::BdInterface(b) => format!("{}/{}", b.bridge_domain, b.interface),
            Self::Fib(f) => format!("{}/{}", f.bridge_domain, f.phys_address),
        }
    }
}

/// One line of the file.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Record {
    pub(crate) op: Op,
    pub(crate) object: Object,
}

/// The open file, appended to.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// The records of the file at `path` (none if it does not exist), and the length of
    /// its complete lines.
    pub(crate) fn read(path: &Path) -> Result<(Vec<Record>, u64), JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_owned(),
            source,
        };
        let mut text = Vec::new();
        match File::open(path) {
            Ok(mut file) => {
                file.read_to_end(&mut text).map_err(io)?;
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(err) => return Err(io(err)),
        }
        // Only complete lines: a last one without its newline was cut by a crash.
        let complete = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let records = text[..complete]
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .enumerate()
            .map(|(index, line)| {
                serde_json::from_slice(line).map_err(|source| JournalError::Corrupt {
                    path: path.to_owned(),
                    line: index + 1,
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((records, complete as u64))
    }

    /// Opens the file for appending after its first `valid` bytes (creating it if needed).
    pub(crate) fn append_after(path: &Path, valid: u64) -> Result<Self, JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_owned(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .append(true)
            .open(path)
            .map_err(io)?;
        file.set_len(valid).map_err(io)?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    /// Appends one record, with one write of the whole line.
    pub(crate) fn append(&mut self, op: Op, object: &Object) -> Result<(), JournalError> {
        let record = RecordRef { op, object };
        let mut line = serde_json::to_vec(&record).map_err(JournalError::Encode)?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|source| JournalError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// [`Record`] by reference, for writing.
#[derive(Serialize)]
struct RecordRef<'a> {
    op: Op,
    object: &'a Object,
}
