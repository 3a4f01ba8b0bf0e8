//! Test helper run as a child process by this crate's tests; not meant for other use.
//!
//! - `redb-test-child put <db-file> <count>`: puts `k/00000`, `k/00001`, ... and prints
//!   `ack <key> <revision>` after each put returned (the crash test kills it with SIGKILL
//!   at some point and checks that every acknowledged put is in the file).
//! - `redb-test-child hold <db-file>`: opens the store, prints `open`, and keeps it open
//!   until its standard input closes (the lock tests open the same file meanwhile).

use std::io::{BufRead, Write};

use cninfra_kv::{KvStore, PutOptions};
use cninfra_kv_redb::{RedbConfig, RedbStore};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["put", db, count] => put(db, count.parse()?).await,
        ["hold", db] => hold(db).await,
        _ => Err("usage: redb-test-child put <db-file> <count> | hold <db-file>".into()),
    }
}

async fn put(db: &str, count: usize) -> Result<(), Error> {
    let store = RedbStore::open(RedbConfig::at(db)).await?;
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let key = format!("k/{i:05}");
        let revision = store
            .put(&key, i.to_string().into(), PutOptions::default())
            .await?;
        writeln!(out, "ack {key} {revision}")?;
        out.flush()?;
    }
    store.close().await?;
    Ok(())
}

async fn hold(db: &str) -> Result<(), Error> {
    let store = RedbStore::open(RedbConfig::at(db)).await?;
    println!("open");
    std::io::stdout().flush()?;
    // Blocks this (only) thread until the parent closes our stdin.
    for line in std::io::stdin().lock().lines() {
        line?;
    }
    store.close().await?;
    Ok(())
}
