//! The file DB of cninfra: a [`KvStore`](cninfra_kv::KvStore) over key-value data kept in
//! JSON and YAML files, which any editor may change while the agent runs.
//!
//! # Quick start
//! ```
//! use std::time::Duration;
//! use futures::StreamExt;
//! use cninfra_kv::{KvStore, WatchEvent};
//! use cninfra_kv_filedb::{FileDbConfig, FileDbStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let file = dir.path().join("routes.yaml");
//! std::fs::write(&file, "data:\n  - key: /vnf-agent/vpp1/config/route/1\n    value: {metric: 5}\n")?;
//! let store = FileDbStore::open(FileDbConfig {
//!     configuration_paths: vec![file.clone()],
//!     ..FileDbConfig::default()
//! })
//! .await?;
//! let mut watch = store.watch(&["/vnf-agent/vpp1/config/"], None).await?;
//!
//! // Someone edits the file: the change arrives as a put with the previous value.
//! std::fs::write(&file, "data:\n  - key: /vnf-agent/vpp1/config/route/1\n    value: {metric: 7}\n")?;
//! let event = tokio::time::timeout(Duration::from_secs(10), watch.next()).await?;
//! let Some(Ok(WatchEvent::Change(change))) = event else { panic!("{event:?}") };
//! assert_eq!(change.value, r#"{"metric":7}"#);
//! assert_eq!(change.prev_value.as_deref(), Some(&br#"{"metric":5}"#[..]));
//! # Ok(()) }
//! ```
//! As an agent plugin: [`FileDbPlugin`] (name `filedb`, config `filedb.conf`, see
//! [`FileDbConfig`]).
//!
//! # File layout (upstream's)
//! A data file (`.json`, `.yaml` or `.yml`) holds a top-level `data` list; each entry has a
//! `key` and a `value`, any JSON/YAML value, stored as compact JSON bytes:
//! ```yaml
//! data:
//!   - key: /vnf-agent/vpp1/config/interface/eth0
//!     value: {name: eth0, mtu: 1500, enabled: true}
//! ```
//! Two more forms, written by this crate into the status file so that any bytes read back
//! unchanged: `raw: <text>` (the text as is) and `base64: <bytes>`. An entry has exactly
//! one of the three. Unknown fields (`dat:`, `vaule:`) make the file malformed rather than
//! silently empty.
//!
//! # Semantics
//! - **Precedence.** A key in several files: the status file wins; among configuration
//!   files, the last in path order (a warning names the files).
//! - **Edits.** A file watcher gathers events for `debounce` (50 ms), then re-reads the
//!   changed files and turns the difference into per-key puts and deletes, one revision
//!   per batch. Unchanged values give no event; a key moving between files in one batch
//!   gives none either.
//! - **Malformed files** are logged with file, line and column and listed by
//!   [`FileDbStore::problems`]; their previous values stay (no deletes) until they parse
//!   again. An empty (0-byte) file is taken as one being written and also keeps its values.
//! - **Removed files** (or renamed out of the configured paths) delete their keys; files
//!   added to a configured folder add theirs. Hidden files (`.name`) are ignored.
//! - **Writes** (`put`, `delete`, `txn`) rewrite the status file atomically (temporary
//!   file, fsync, rename, folder fsync) and return after that. A delete of a key that a
//!   configuration file defines is refused ([`Unsupported`](cninfra_kv::KvError::Unsupported)).
//!   Removing the status file by hand does not delete its keys; the next write recreates it.
//! - **Revisions** are process-local (see [`FileDbStore`]); TTLs are refused.
//!
//! # Upstream quirks fixed
//! Every watcher whose prefix matches gets the event (upstream: only the first, by
//! substring); `get` of an absent key is `Ok(None)` (upstream: a crash); prefixed listing
//! honours the prefix; delete and transactions work on the status file (upstream: not
//! supported).

mod config;
mod core;
mod error;
mod format;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod paths;
mod plugin;
mod sources;
mod status;
mod store;
mod watcher;
mod writer;

pub use config::FileDbConfig;
pub use error::FileDbError;
pub use format::FileProblem;
pub use plugin::{FileDbPlugin, FileDbPluginBuilder};
pub use store::FileDbStore;

/// The tracing target of this crate: the plugin's name.
const LOG: &str = <FileDbStore as cninfra_kv::Connect>::PLUGIN;
/// The store's name in errors.
const STORE_NAME: &str = LOG;
