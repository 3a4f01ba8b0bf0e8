//! The redb store against raw redb doing the same work, in one run, with the ratio.
//!
//! Run with `cargo bench -p cninfra-kv-redb --bench redb_vs_raw`. The databases live in one
//! temporary folder on the same disk and commit with redb's default durability (fsync).
//! Samples of the two sides alternate (the order flips every sample) and each side reports
//! its median sample, so disk noise from other processes hits both alike.
//!
//! Cases: `get` (a hit among 10 000 keys), `put` (one durable put), `txn100` (100 puts in
//! one transaction), the same two on a store with `history-limit: 0` (`nolog`: no change
//! log), and `put x32` (32 concurrent writers: our writer commits them together, raw redb
//! commits each alone).

use std::future::Future;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cninfra_kv::{KvStore, PutOptions, Txn};
use cninfra_kv_redb::{RedbConfig, RedbStore};
use redb::{Database, ReadableDatabase, TableDefinition};

const RAW: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("raw");
const KEYS: usize = 10_000;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

fn key(i: usize) -> String {
    format!("/vnf-agent/vpp1/config/key/{i:06}")
}

async fn run() -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let value = Bytes::from(vec![7u8; 100]);
    let logged = RedbStore::open(RedbConfig::at(dir.path().join("store.redb"))).await?;
    let bare = RedbStore::open(RedbConfig {
        history_limit: 0,
        ..RedbConfig::at(dir.path().join("bare.redb"))
    })
    .await?;
    let raw = Database::create(dir.path().join("raw.redb"))?;

    // The same 10 000 keys everywhere, one transaction each.
    for store in [&logged, &bare] {
        (0..KEYS)
            .fold(Txn::new(), |txn, i| txn.put(key(i), value.clone()))
            .commit(store)
            .await?;
    }
    raw_write(&raw, (0..KEYS).map(key), &value)?;

    println!("case         ops/sample samples  store ns/op    raw ns/op  ratio (goal <= 1.1)");
    let (logged, bare, raw, value) = (&logged, &bare, &raw, &value);

    compare(
        "get",
        200,
        200,
        |sample| async move {
            let start = Instant::now();
            for i in 0..200 {
                let got = logged.get(&key((sample * 200 + i) % KEYS)).await?;
                assert!(got.is_some());
            }
            Ok(start.elapsed())
        },
        |sample| {
            let start = Instant::now();
            for i in 0..200 {
                let txn = raw.begin_read()?;
                let table = txn.open_table(RAW)?;
                let got = table
                    .get(key((sample * 200 + i) % KEYS).as_str())?
                    .map(|v| Bytes::copy_from_slice(v.value()));
                assert!(got.is_some());
            }
            Ok(start.elapsed())
        },
    )
    .await?;

    for (suffix, store) in [("", logged), (" nolog", bare)] {
        compare(
            &format!("put{suffix}"),
            1,
            200,
            |sample| async move {
                let start = Instant::now();
                store
                    .put(&key(KEYS + sample), value.clone(), PutOptions::default())
                    .await?;
                Ok(start.elapsed())
            },
            |sample| {
                let start = Instant::now();
                raw_write(raw, [key(KEYS + sample)], value)?;
                Ok(start.elapsed())
            },
        )
        .await?;

        compare(
            &format!("txn100{suffix}"),
            100,
            100,
            |sample| async move {
                let start = Instant::now();
                (0..100)
                    .fold(Txn::new(), |txn, i| {
                        txn.put(key(sample * 100 + i), value.clone())
                    })
                    .commit(store)
                    .await?;
                Ok(start.elapsed())
            },
            |sample| {
                let start = Instant::now();
                raw_write(raw, (0..100).map(|i| key(sample * 100 + i)), value)?;
                Ok(start.elapsed())
            },
        )
        .await?;
    }

    compare(
        "put x32",
        320,
        5,
        |_| async {
            let start = Instant::now();
            let tasks: Vec<_> = (0..32)
                .map(|t| {
                    let store = logged.clone();
                    let value = value.clone();
                    tokio::spawn(async move {
                        for i in 0..10 {
                            store
                                .put(&key(t * 10 + i), value.clone(), PutOptions::default())
                                .await?;
                        }
                        Ok::<(), cninfra_kv::KvError>(())
                    })
                })
                .collect();
            for task in tasks {
                task.await??;
            }
            Ok(start.elapsed())
        },
        |_| {
            let start = Instant::now();
            std::thread::scope(|scope| {
                let threads: Vec<_> = (0..32)
                    .map(|t| {
                        scope.spawn(move || -> Result<(), Error> {
                            for i in 0..10 {
                                raw_write(raw, [key(t * 10 + i)], value)?;
                            }
                            Ok(())
                        })
                    })
                    .collect();
                threads
                    .into_iter()
                    .try_for_each(|t| t.join().map_err(|_| Error::from("a writer panicked"))?)
            })?;
            Ok(start.elapsed())
        },
    )
    .await?;

    logged.close().await?;
    bare.close().await?;
    Ok(())
}

/// Puts `keys` in one raw redb write transaction.
fn raw_write(
    raw: &Database,
    keys: impl IntoIterator<Item = String>,
    value: &[u8],
) -> Result<(), Error> {
    let write = raw.begin_write()?;
    {
        let mut table = write.open_table(RAW)?;
        for key in keys {
            table.insert(key.as_str(), value)?;
        }
    }
    write.commit()?;
    Ok(())
}

/// Takes `samples` samples of each side, alternating, and prints the median per-op times.
async fn compare<F, Fut, R>(
    case: &str,
    ops: usize,
    samples: usize,
    mut ours: F,
    mut raw: R,
) -> Result<(), Error>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<Duration, Error>>,
    R: FnMut(usize) -> Result<Duration, Error>,
{
    // Warm up both sides.
    ours(0).await?;
    raw(0)?;
    let mut store_times = Vec::with_capacity(samples);
    let mut raw_times = Vec::with_capacity(samples);
    for sample in 0..samples {
        if sample % 2 == 0 {
            store_times.push(ours(sample).await?);
            raw_times.push(raw(sample)?);
        } else {
            raw_times.push(raw(sample)?);
            store_times.push(ours(sample).await?);
        }
    }
    let per_op = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_nanos() as f64 / ops as f64
    };
    let (s, r) = (per_op(&mut store_times), per_op(&mut raw_times));
    println!(
        "{case:<12} {ops:>10} {samples:>7} {s:>12.0} {r:>12.0}  {:.2}x",
        s / r
    );
    Ok(())
}
