//! Put, get and list throughput through [`RedisStore`] against the raw `redis` crate on
//! the same kind of connection (one `ConnectionManager`) with the same concurrency, in one
//! run; prints the ratios (goal: >= 0.95). The store is measured twice: with its defaults
//! (plain `SET`/`DEL`, what the raw client does) and with `exact-watch-values: true`
//! (writes through the announcing Lua scripts).
//!
//!
//! Then, in the same run: watch latency put → event (p50/p99) of the store's watch against
//! the raw client's `SET` → keyspace notification on a `PSUBSCRIBE`, and a resync-sized
//! listing of 100 000 keys (time and the peak RSS it adds) against the raw SCAN + MGET.
//!
//! Run: `source scripts/services.sh; services_start redis;
//! cargo bench -p cninfra-kv-redis --bench redis_throughput; services_stop`

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cninfra_kv::{DeleteOptions, KvStore, PutOptions, WatchEvent};
use cninfra_kv_redis::{RedisConfig, RedisStore};
use cninfra_testsupport::measure::{peak_rss_kib, percentile};
use futures::{StreamExt, TryStreamExt};
use redis::aio::ConnectionManager;

/// Concurrent tasks of each measurement.
const TASKS: usize = 16;
/// Keys written and read (put/get) by each task.
const KEYS_PER_TASK: usize = 250;
/// Keys under the listed prefix.
const LIST_KEYS: usize = 1_000;
/// How long each side of each round runs.
const ROUND: Duration = Duration::from_millis(500);
/// Rounds per operation (the median ratio counts).
const ROUNDS: usize = 9;
const VALUE: &[u8] = &[b'v'; 100];
/// Puts timed one at a time for the watch latency.
const LATENCY_SAMPLES: usize = 2_000;
/// Keys of the resync listing.
const RESYNC_KEYS: usize = 100_000;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Put,
    Get,
    List,
}

/// Ops per second of `op` with `TASKS` tasks for [`ROUND`].
async fn measure(op: Op, store: Option<RedisStore>, raw: ConnectionManager, base: Arc<str>) -> f64 {
    let deadline = Instant::now() + ROUND;
    let started = Instant::now();
    let tasks = (0..TASKS).map(|t| {
        let (store, mut raw, base) = (store.clone(), raw.clone(), base.clone());
        tokio::spawn(async move {
            let mut done = 0u64;
            let mut i = 0;
            while Instant::now() < deadline {
                let key = format!("{base}kv/{t}/{}", i % KEYS_PER_TASK);
                i += 1;
                match (op, &store) {
                    (Op::Put, Some(s)) => {
                        s.put(&key, Bytes::from_static(VALUE), PutOptions::default())
                            .await
                            .expect("put");
                    }
                    (Op::Put, None) => {
                        let () = redis::cmd("SET")
                            .arg(&key)
                            .arg(VALUE)
                            .query_async(&mut raw)
                            .await
                            .expect("SET");
                    }
                    (Op::Get, Some(s)) => {
                        s.get(&key).await.expect("get").expect("written");
                    }
                    (Op::Get, None) => {
                        let v: Option<Vec<u8>> = redis::cmd("GET")
                            .arg(&key)
                            .query_async(&mut raw)
                            .await
                            .expect("GET");
                        v.expect("written");
                    }
                    (Op::List, Some(s)) => {
                        let n = s
                            .list_values(&format!("{base}list/"))
                            .try_fold(0, |n, _| async move { Ok(n + 1) })
                            .await
                            .expect("list");
                        assert_eq!(n, LIST_KEYS);
                    }
                    (Op::List, None) => {
                        assert_eq!(
                            raw_list(&mut raw, &format!("{base}list/*")).await,
                            LIST_KEYS
                        );
                    }
                }
                done += 1;
            }
            done
        })
    });
    let mut total = 0;
    for task in futures::future::join_all(tasks).await {
        total += task.expect("bench task");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// A listing with the raw client: SCAN pages with MGET of each, dropping the repeats that
/// SCAN may return (as the store does, and as SCAN's contract asks of a careful user).
async fn raw_list(con: &mut ConnectionManager, pattern: &str) -> usize {
    let mut cursor = 0u64;
    let mut count = 0;
    let mut seen = std::collections::HashSet::new();
    loop {
        let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(con)
            .await
            .expect("SCAN");
        let keys: Vec<Vec<u8>> = keys
            .into_iter()
            .filter(|k| seen.insert(k.clone()))
            .collect();
        if !keys.is_empty() {
            let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
                .arg(&keys)
                .query_async(con)
                .await
                .expect("MGET");
            count += values.into_iter().flatten().count();
        }
        if next == 0 {
            return count;
        }
        cursor = next;
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() {
    let Ok(endpoint) = std::env::var("CNINFRA_TEST_REDIS") else {
        eprintln!(
            "CNINFRA_TEST_REDIS is not set: `source scripts/services.sh; services_start redis` first"
        );
        std::process::exit(2);
    };
    let store = RedisStore::connect(&RedisConfig::node(endpoint.clone()))
        .await
        .expect("connect store");
    let exact = RedisConfig {
        exact_watch_values: true,
        ..RedisConfig::node(endpoint.clone())
    };
    let exact = RedisStore::connect(&exact)
        .await
        .expect("connect exact-values store");
    let raw = redis::Client::open(format!("redis://{endpoint}/"))
        .expect("client")
        .get_connection_manager()
        .await
        .expect("connect raw");
    let base: Arc<str> = format!("/bench/redis/{}/", std::process::id()).into();
    for t in 0..TASKS {
        for i in 0..KEYS_PER_TASK {
            store
                .put(
                    &format!("{base}kv/{t}/{i}"),
                    Bytes::from_static(VALUE),
                    PutOptions::default(),
                )
                .await
                .expect("seed");
        }
    }
    for i in 0..LIST_KEYS {
        store
            .put(
                &format!("{base}list/{i:04}"),
                Bytes::from_static(VALUE),
                PutOptions::default(),
            )
            .await
            .expect("seed");
    }
    println!(
        "redis at {endpoint}, {TASKS} tasks, {ROUNDS} rounds of {ROUND:?} per side, 100-byte values"
    );
    println!("rates: median per side; ratios: median of the per-round ratios to raw redis");
    println!(
        "{:<6} {:>14} {:>7} {:>14} {:>7} {:>14}",
        "op", "store/s", "ratio", "exact store/s", "ratio", "raw redis/s"
    );
    // Sides: raw redis, the store, the store with `exact-watch-values: true`. Per round they
    // run back to back in a rotating order, so load drifts hit each side alike; each round
    // gives a ratio and the median counts.
    let sides = [None, Some(store.clone()), Some(exact)];
    for (name, op) in [("put", Op::Put), ("get", Op::Get), ("list", Op::List)] {
        let mut rates: [Vec<f64>; 3] = Default::default();
        let (mut ratios, mut exact_ratios) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let mut rate = [0.0; 3];
            for k in 0..3 {
                let side = (round + k) % 3;
                rate[side] = measure(op, sides[side].clone(), raw.clone(), base.clone()).await;
            }
            for (side, value) in rate.iter().enumerate() {
                rates[side].push(*value);
            }
            ratios.push(rate[1] / rate[0]);
            exact_ratios.push(rate[2] / rate[0]);
        }
        let [theirs, ours, ours_exact] = rates.map(median);
        println!(
            "{name:<6} {ours:>14.0} {:>7.3} {ours_exact:>14.0} {:>7.3} {theirs:>14.0}",
            median(ratios),
            median(exact_ratios)
        );
    }
    watch_latency(&store, &endpoint, &raw, &base).await;
    resync(&store, &raw, &base).await;
    store
        .delete(&base, DeleteOptions::prefix())
        .await
        .expect("cleanup");
}

/// Put → event, one put at a time: the store's watch vs a raw keyspace subscription.
async fn watch_latency(store: &RedisStore, endpoint: &str, raw: &ConnectionManager, base: &str) {
    let ours_prefix = format!("{base}latency/ours/");
    let mut watch = store.watch(&[&ours_prefix], None).await.expect("watch");
    let mut ours = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        let started = Instant::now();
        store
            .put(
                &format!("{ours_prefix}{i}"),
                Bytes::from_static(VALUE),
                PutOptions::default(),
            )
            .await
            .expect("put");
        loop {
            match watch.next().await {
                Some(Ok(WatchEvent::Change(_))) => break,
                Some(Ok(_)) => continue,
                other => panic!("unexpected watch item {other:?}"),
            }
        }
        ours.push(started.elapsed());
    }
    drop(watch);

    let raw_prefix = format!("{base}latency/raw/");
    let client = redis::Client::open(format!("redis://{endpoint}/")).expect("client");
    let mut pubsub = client.get_async_pubsub().await.expect("pubsub");
    pubsub
        .psubscribe(format!("__keyspace@0__:{raw_prefix}*"))
        .await
        .expect("psubscribe");
    let mut notifications = pubsub.on_message();
    let mut con = raw.clone();
    let mut theirs = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        let started = Instant::now();
        let () = redis::cmd("SET")
            .arg(format!("{raw_prefix}{i}"))
            .arg(VALUE)
            .query_async(&mut con)
            .await
            .expect("SET");
        notifications.next().await.expect("notification");
        theirs.push(started.elapsed());
    }
    ours.sort();
    theirs.sort();
    let (o50, o99) = (percentile(&ours, 0.5), percentile(&ours, 0.99));
    let (r50, r99) = (percentile(&theirs, 0.5), percentile(&theirs, 0.99));
    println!(
        "watch put->event ({LATENCY_SAMPLES} puts): store p50 {o50:?} p99 {o99:?}; raw SET->notification p50 {r50:?} p99 {r99:?}; RATIO p50 {:.2}, p99 {:.2}",
        o50.as_secs_f64() / r50.as_secs_f64(),
        o99.as_secs_f64() / r99.as_secs_f64()
    );
}

/// Lists 100 000 keys through the store (what a resync reads), then with the raw client.
async fn resync(store: &RedisStore, raw: &ConnectionManager, base: &str) {
    let prefix = format!("{base}resync/");
    let mut con = raw.clone();
    for chunk in (0..RESYNC_KEYS).collect::<Vec<_>>().chunks(1_000) {
        let mut mset = redis::cmd("MSET");
        for i in chunk {
            mset.arg(format!("{prefix}{i:06}")).arg(VALUE);
        }
        let () = mset.query_async(&mut con).await.expect("MSET");
    }
    let before = peak_rss_kib();
    let started = Instant::now();
    let listed: Vec<_> = store
        .list_values(&prefix)
        .try_collect()
        .await
        .expect("list");
    let ours = started.elapsed();
    assert_eq!(listed.len(), RESYNC_KEYS, "the store listed every key");
    drop(listed);
    let after_ours = peak_rss_kib();
    let started = Instant::now();
    let count = raw_list(&mut con, &format!("{prefix}*")).await;
    let theirs = started.elapsed();
    assert_eq!(count, RESYNC_KEYS, "the raw listing found every key");
    println!(
        "resync {RESYNC_KEYS} keys: store {ours:?} (+{} KiB peak RSS, all entries held); raw SCAN+MGET {theirs:?} (counts only); RATIO time {:.2}",
        after_ours.saturating_sub(before),
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
}
