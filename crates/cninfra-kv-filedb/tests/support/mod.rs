//! Shared fixture of the file DB tests: a temporary folder of data files, the store over
//! it, and watch reading with a deadline.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use cninfra_kv::{KeyChange, KvStore, WatchEvent, WatchStream};
use cninfra_kv_filedb::{FileDbConfig, FileDbStore};
use futures::StreamExt;

/// How long a test waits for an expected event.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: FileDbStore,
}

impl Fixture {
    /// A store over `<tmp>/data` (created with `files`) and `<tmp>/status.yaml`.
    pub async fn new(files: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        for (name, text) in files {
            write(&dir.path().join("data").join(name), text);
        }
        let store = FileDbStore::open(config(dir.path())).await.unwrap();
        Self { dir, store }
    }

    pub fn data(&self, name: &str) -> PathBuf {
        self.dir.path().join("data").join(name)
    }

    pub async fn value(&self, key: &str) -> Option<String> {
        let found = self.store.get(key).await.unwrap();
        found.map(|v| String::from_utf8(v.value.to_vec()).unwrap())
    }
}

/// The config of a store over `<dir>/data` with `<dir>/status.yaml`.
pub fn config(dir: &Path) -> FileDbConfig {
    FileDbConfig {
        configuration_paths: vec![dir.join("data")],
        status_path: dir.join("status.yaml"),
        ..FileDbConfig::default()
    }
}

/// Writes a file (creating folders) the way a simple editor does: truncate and write.
pub fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// YAML data file text with these keys and (JSON) values.
pub fn yaml(entries: &[(&str, &str)]) -> String {
    let mut text = String::from("data:\n");
    for (key, value) in entries {
        text.push_str(&format!("  - key: {key}\n    value: {value}\n"));
    }
    text
}

/// The next change of `watch`, failing after [`WAIT`] or on a resync/error/end.
pub async fn next_change(watch: &mut WatchStream) -> KeyChange {
    match tokio::time::timeout(WAIT, watch.next()).await {
        Ok(Some(Ok(WatchEvent::Change(change)))) => change,
        other => panic!("expected a change within {WAIT:?}, got {other:?}"),
    }
}

/// Polls `condition` until it holds, failing after [`WAIT`].
pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not happen within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
