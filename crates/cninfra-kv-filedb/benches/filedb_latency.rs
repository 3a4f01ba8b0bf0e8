//! File DB timings against baselines measured in the same run, with the ratio.
//!
//! Run with `cargo bench -p cninfra-kv-filedb --bench filedb_latency`.
//!
//! - `edit->event`: a file edit until the change event arrives, p50/p99 over 50 edits, with
//!   the default 50 ms debounce and with 5 ms. Baseline: the same edit until a bare notify
//!   watcher reports it (the floor any watcher has).
//! - `load 10k`: opening a store over a folder of 100 files with 100 keys each (10 000
//!   keys). Baseline: reading and parsing the same files with serde_yaml_ng alone.
//! - `list 10k`: a full `list_values` of those keys (what a resync reads). Baseline: the
//!   same list from a `MemoryStore` holding the same entries.

use std::path::Path;
use std::time::{Duration, Instant};

use cninfra_kv::{KvStore, MemoryStore, PutOptions, WatchEvent};
use cninfra_kv_filedb::{FileDbConfig, FileDbStore};
use futures::{StreamExt, TryStreamExt};
use notify::Watcher;

type Error = Box<dyn std::error::Error + Send + Sync>;

const EDITS: usize = 50;
const FILES: usize = 100;
const KEYS_PER_FILE: usize = 100;

fn main() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), Error> {
    println!("case                      store            baseline         ratio");
    let floor = notify_floor()?;
    for debounce in [Duration::from_millis(50), Duration::from_millis(5)] {
        let latencies = edit_to_event(debounce).await?;
        for (name, q) in [("p50", 0.5), ("p99", 0.99)] {
            let (ours, base) = (quantile(&latencies, q), quantile(&floor, q));
            println!(
                "edit->event {name} ({:>2} ms)  {:>9.1} ms  {:>9.2} ms (notify)  {:>6.1}x  goal < 100 ms",
                debounce.as_millis(),
                ms(ours),
                ms(base),
                ms(ours) / ms(base)
            );
        }
    }
    resync().await
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index]
}

fn file_text(key_base: &str, version: usize, keys: usize) -> String {
    let mut text = String::from("data:\n");
    for k in 0..keys {
        text.push_str(&format!(
            "  - key: {key_base}/{k:03}\n    value: {{name: item-{k}, version: {version}, enabled: true}}\n"
        ));
    }
    text
}

/// Edit → change event through the store.
async fn edit_to_event(debounce: Duration) -> Result<Vec<Duration>, Error> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("edited.yaml");
    std::fs::write(&file, file_text("/cfg/e", 0, 10))?;
    let store = FileDbStore::open(FileDbConfig {
        configuration_paths: vec![dir.path().to_owned()],
        debounce,
        ..FileDbConfig::default()
    })
    .await?;
    let mut watch = store.watch(&["/cfg/"], None).await?;
    let mut latencies = Vec::with_capacity(EDITS);
    for version in 1..=EDITS {
        let text = file_text("/cfg/e", version, 10);
        let start = Instant::now();
        std::fs::write(&file, &text)?;
        // One edit changes 10 keys in one batch; the first event is the latency.
        for i in 0..10 {
            match tokio::time::timeout(Duration::from_secs(10), watch.next()).await? {
                Some(Ok(WatchEvent::Change(_))) if i == 0 => latencies.push(start.elapsed()),
                Some(Ok(WatchEvent::Change(_))) => {}
                other => return Err(format!("unexpected watch item {other:?}").into()),
            }
        }
    }
    store.close().await?;
    Ok(latencies)
}

/// Edit → first event of a bare notify watcher on the same kind of folder.
fn notify_floor() -> Result<Vec<Duration>, Error> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("edited.yaml");
    std::fs::write(&file, file_text("/cfg/e", 0, 10))?;
    let (sender, events) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        let _ = sender.send(event);
    })?;
    watcher.watch(dir.path(), notify::RecursiveMode::Recursive)?;
    let mut latencies = Vec::with_capacity(EDITS);
    for version in 1..=EDITS {
        let text = file_text("/cfg/e", version, 10);
        while events.try_recv().is_ok() {}
        let start = Instant::now();
        std::fs::write(&file, &text)?;
        events.recv_timeout(Duration::from_secs(10))??;
        latencies.push(start.elapsed());
    }
    Ok(latencies)
}

/// Loading and listing a folder of 100 files with 10 000 keys.
async fn resync() -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    for f in 0..FILES {
        std::fs::write(
            dir.path().join(format!("file-{f:03}.yaml")),
            file_text(&format!("/vnf-agent/vpp1/config/f{f:03}"), 0, KEYS_PER_FILE),
        )?;
    }
    let config = FileDbConfig {
        configuration_paths: vec![dir.path().to_owned()],
        ..FileDbConfig::default()
    };
    let mut load = Vec::new();
    let mut parse = Vec::new();
    let mut list = Vec::new();
    let mut list_memory = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        let keys = parse_all(dir.path())?;
        parse.push(start.elapsed());
        assert_eq!(keys, FILES * KEYS_PER_FILE);

        let start = Instant::now();
        let store = FileDbStore::open(config.clone()).await?;
        load.push(start.elapsed());

        let memory = MemoryStore::new();
        let entries: Vec<_> = store.list_values("").try_collect().await?;
        for entry in &entries {
            memory
                .put(&entry.key, entry.value.clone(), PutOptions::default())
                .await?;
        }
        for _ in 0..3 {
            let start = Instant::now();
            let listed = store.list_values("").try_collect::<Vec<_>>().await?;
            list.push(start.elapsed());
            assert_eq!(listed.len(), FILES * KEYS_PER_FILE);
            let start = Instant::now();
            let listed = memory.list_values("").try_collect::<Vec<_>>().await?;
            list_memory.push(start.elapsed());
            assert_eq!(listed.len(), FILES * KEYS_PER_FILE);
        }
        store.close().await?;
    }
    for (name, ours, base, what) in [
        ("load 10k (open)", &load, &parse, "parse only"),
        ("list 10k (resync)", &list, &list_memory, "MemoryStore"),
    ] {
        let (ours, base) = (quantile(ours, 0.5), quantile(base, 0.5));
        println!(
            "{name:<24}  {:>9.1} ms  {:>9.1} ms ({what})  {:>4.2}x",
            ms(ours),
            ms(base),
            ms(ours) / ms(base)
        );
    }
    Ok(())
}

/// Reads and parses every file of `dir` with serde_yaml_ng into key-value pairs.
fn parse_all(dir: &Path) -> Result<usize, Error> {
    #[derive(serde::Deserialize)]
    struct File {
        data: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        key: String,
        value: serde_json::Value,
    }
    let mut pairs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let text = std::fs::read_to_string(entry?.path())?;
        let file: File = serde_yaml_ng::from_str(&text)?;
        pairs.extend(file.data.into_iter().map(|e| (e.key, e.value.to_string())));
    }
    Ok(pairs.len())
}
