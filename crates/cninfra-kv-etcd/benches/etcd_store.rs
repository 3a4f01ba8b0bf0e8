//! Throughput and latency of `EtcdStore` against the raw `etcd-client` in the same run, on
//! the etcd named by `CNINFRA_TEST_ETCD`:
//! put, get and list throughput with the same concurrency (ratio ours / raw, goal ≥ 0.95),
//! watch latency put → event (p50/p99), and a resync (listing) of 100 000 keys with its
//! time and peak memory.
//!
//! Run: `source scripts/services.sh; services_start etcd;
//! cargo bench -p cninfra-kv-etcd --bench etcd_store; services_stop`

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use futures::future::join_all;

use cninfra_kv::{KvStore, PutOptions, WatchEvent};
use cninfra_kv_etcd::etcd_client::{Client, GetOptions, Txn, TxnOp, WatchOptions};
use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
use cninfra_testsupport::measure::{peak_rss_kib, percentile};

/// Concurrent tasks of the throughput runs.
const TASKS: usize = 16;
/// Operations per task and round.
const OPS: usize = 250;
/// Rounds per comparison (alternating which side goes first).
const ROUNDS: usize = 5;
/// Keys of the listed prefix, and concurrent listers.
const LIST_KEYS: usize = 1000;
const LISTERS: usize = 4;
const LISTS: usize = 10;
/// Samples of the watch latency.
const LATENCY_SAMPLES: usize = 1000;
/// Keys of the resync run.
const RESYNC_KEYS: usize = 100_000;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let endpoint = std::env::var("CNINFRA_TEST_ETCD").map_err(|_| {
        "CNINFRA_TEST_ETCD is not set: start etcd with `source scripts/services.sh; \
         services_start etcd` (or run scripts/test.sh)"
    })?;
    let store =
        Arc::new(EtcdStore::connect(&EtcdConfig::with_endpoints([endpoint.as_str()])).await?);
    let raw = Client::connect([endpoint.as_str()], None).await?;
    let base = format!("/cninfra-bench/{}/", std::process::id());
    println!("etcd at {endpoint}; {TASKS} tasks x {OPS} ops per round, {ROUNDS} rounds");

    let keys: Arc<Vec<String>> = Arc::new(
        (0..TASKS * OPS)
            .map(|i| format!("{base}kv/{i:06}"))
            .collect(),
    );
    let value = vec![b'v'; 128];

    let outcome = compare(
        "put",
        || put_ours(Arc::clone(&store), Arc::clone(&keys), value.clone()),
        || put_raw(raw.clone(), Arc::clone(&keys), value.clone()),
    )
    .await?;
    report("put", outcome);
    let outcome = compare(
        "get",
        || get_ours(Arc::clone(&store), Arc::clone(&keys)),
        || get_raw(raw.clone(), Arc::clone(&keys)),
    )
    .await?;
    report("get", outcome);

    let list_prefix = format!("{base}list/");
    load(&raw, &list_prefix, LIST_KEYS, 256).await?;
    let outcome = compare(
        "list",
        || list_ours(Arc::clone(&store), list_prefix.clone()),
        || list_raw(raw.clone(), list_prefix.clone()),
    )
    .await?;
    report(&format!("list of {LIST_KEYS} keys"), outcome);

    watch_latency(&store, &raw, &format!("{base}watch/")).await?;
    resync(&store, &raw, &format!("{base}resync/")).await?;

    let mut cleanup = raw.kv_client();
    cleanup
        .delete(
            base.clone(),
            Some(cninfra_kv_etcd::etcd_client::DeleteOptions::new().with_prefix()),
        )
        .await?;
    Ok(())
}

/// Rates of both sides over [`ROUNDS`] rounds, alternating which goes first: the median
/// rate of each side and the median of the per-round ratios (robust to load changing
/// between rounds on a shared machine).
async fn compare<O, OF, R, RF>(what: &str, ours: O, raw: R) -> Result<Outcome, BoxError>
where
    O: Fn() -> OF,
    OF: Future<Output = Result<usize, BoxError>>,
    R: Fn() -> RF,
    RF: Future<Output = Result<usize, BoxError>>,
{
    let (mut ours_rates, mut raw_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ours_cpu, mut raw_cpu) = (0, 0);
    for round in 0..ROUNDS {
        let (o, r) = if round % 2 == 0 {
            let r = timed(raw(), &mut raw_cpu).await?;
            (timed(ours(), &mut ours_cpu).await?, r)
        } else {
            let o = timed(ours(), &mut ours_cpu).await?;
            (o, timed(raw(), &mut raw_cpu).await?)
        };
        println!(
            "  {what} round {round}: raw {r:>8.0}/s  ours {o:>8.0}/s  ratio {:.3}",
            o / r
        );
        ours_rates.push(o);
        raw_rates.push(r);
        ratios.push(o / r);
    }
    Ok(Outcome {
        ours: median(ours_rates),
        raw: median(raw_rates),
        ratio: median(ratios),
        cpu_ratio: ours_cpu as f64 / raw_cpu.max(1) as f64,
    })
}

/// The medians of one comparison.
struct Outcome {
    ours: f64,
    raw: f64,
    ratio: f64,
    /// Client CPU time of our side over the raw side's (same operation count).
    cpu_ratio: f64,
}

/// Operations per second of a run that returns its operation count; adds the process CPU
/// time it took (clock ticks) to `cpu`.
async fn timed(
    run: impl Future<Output = Result<usize, BoxError>>,
    cpu: &mut u64,
) -> Result<f64, BoxError> {
    let (started, cpu_before) = (Instant::now(), cpu_ticks());
    let ops = run.await?;
    let rate = ops as f64 / started.elapsed().as_secs_f64();
    *cpu += cpu_ticks().saturating_sub(cpu_before);
    Ok(rate)
}

/// User + system CPU time of this process (all threads) in clock ticks, from
/// `/proc/self/stat`. Unlike throughput, it does not depend on the server or the load of
/// the machine.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are the
    // 12th and 13th of them.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(what: &str, outcome: Outcome) {
    println!(
        "{what:<18} ours {:>8.0}/s  raw etcd-client {:>8.0}/s  RATIO ours/raw = {:.3} (median of rounds)  \
         client CPU ours/raw = {:.2}",
        outcome.ours, outcome.raw, outcome.ratio, outcome.cpu_ratio
    );
}

/// Splits `keys` over [`TASKS`] tasks running `each` on their share.
async fn spread<F, Fut>(keys: &Arc<Vec<String>>, each: F) -> Result<usize, BoxError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    let tasks = keys
        .chunks(OPS)
        .map(|chunk| tokio::spawn(each(chunk.to_vec())));
    for joined in join_all(tasks).await {
        joined??;
    }
    Ok(keys.len())
}

async fn put_ours(
    store: Arc<EtcdStore>,
    keys: Arc<Vec<String>>,
    value: Vec<u8>,
) -> Result<usize, BoxError> {
    spread(&keys, |chunk| {
        let (store, value) = (Arc::clone(&store), value.clone());
        async move {
            for key in chunk {
                store
                    .put(&key, value.clone().into(), PutOptions::default())
                    .await?;
            }
            Ok(())
        }
    })
    .await
}

async fn put_raw(
    client: Client,
    keys: Arc<Vec<String>>,
    value: Vec<u8>,
) -> Result<usize, BoxError> {
    spread(&keys, |chunk| {
        let (mut kv, value) = (client.kv_client(), value.clone());
        async move {
            for key in chunk {
                kv.put(key, value.clone(), None).await?;
            }
            Ok(())
        }
    })
    .await
}

async fn get_ours(store: Arc<EtcdStore>, keys: Arc<Vec<String>>) -> Result<usize, BoxError> {
    spread(&keys, |chunk| {
        let store = Arc::clone(&store);
        async move {
            for key in chunk {
                store.get(&key).await?.ok_or("missing key")?;
            }
            Ok(())
        }
    })
    .await
}

async fn get_raw(client: Client, keys: Arc<Vec<String>>) -> Result<usize, BoxError> {
    spread(&keys, |chunk| {
        let mut kv = client.kv_client();
        async move {
            for key in chunk {
                let mut response = kv.get(key, None).await?;
                response
                    .take_kvs()
                    .into_iter()
                    .next()
                    .ok_or("missing key")?;
            }
            Ok(())
        }
    })
    .await
}

async fn list_ours(store: Arc<EtcdStore>, prefix: String) -> Result<usize, BoxError> {
    let tasks = (0..LISTERS).map(|_| {
        let (store, prefix) = (Arc::clone(&store), prefix.clone());
        tokio::spawn(async move {
            for _ in 0..LISTS {
                let mut count = 0;
                let mut entries = store.list_values(&prefix);
                while let Some(entry) = entries.next().await {
                    entry?;
                    count += 1;
                }
                if count != LIST_KEYS {
                    return Err(BoxError::from(format!("listed {count} keys")));
                }
            }
            Ok(())
        })
    });
    for joined in join_all(tasks).await {
        joined??;
    }
    Ok(LISTERS * LISTS)
}

async fn list_raw(client: Client, prefix: String) -> Result<usize, BoxError> {
    let tasks = (0..LISTERS).map(|_| {
        let (mut kv, prefix) = (client.kv_client(), prefix.clone());
        tokio::spawn(async move {
            for _ in 0..LISTS {
                let mut response = kv
                    .get(prefix.clone(), Some(GetOptions::new().with_prefix()))
                    .await?;
                let count = response.take_kvs().len();
                if count != LIST_KEYS {
                    return Err(BoxError::from(format!("listed {count} keys")));
                }
            }
            Ok(())
        })
    });
    for joined in join_all(tasks).await {
        joined??;
    }
    Ok(LISTERS * LISTS)
}

/// Writes `count` keys of `size`-byte values under `prefix`, 100 per transaction.
async fn load(client: &Client, prefix: &str, count: usize, size: usize) -> Result<(), BoxError> {
    let value = vec![b'x'; size];
    let batches: Vec<Vec<usize>> = (0..count)
        .collect::<Vec<_>>()
        .chunks(100)
        .map(<[usize]>::to_vec)
        .collect();
    let mut pending = futures::stream::iter(batches.into_iter().map(|batch| {
        let (mut kv, value) = (client.kv_client(), value.clone());
        let prefix = prefix.to_owned();
        async move {
            let ops: Vec<TxnOp> = batch
                .into_iter()
                .map(|i| TxnOp::put(format!("{prefix}{i:06}"), value.clone(), None))
                .collect();
            kv.txn(Txn::new().and_then(ops)).await.map(drop)
        }
    }))
    .buffer_unordered(8);
    while let Some(result) = pending.next().await {
        result?;
    }
    Ok(())
}

async fn watch_latency(store: &EtcdStore, client: &Client, prefix: &str) -> Result<(), BoxError> {
    let ours_prefix = format!("{prefix}ours/");
    let mut watch = store.watch(&[&ours_prefix], None).await?;
    let mut ours = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        let started = Instant::now();
        store
            .put(
                &format!("{ours_prefix}{i}"),
                "v".into(),
                PutOptions::default(),
            )
            .await?;
        match watch.next().await {
            Some(Ok(WatchEvent::Change(_))) => ours.push(started.elapsed()),
            other => return Err(format!("unexpected watch item {other:?}").into()),
        }
    }
    let raw_prefix = format!("{prefix}raw/");
    let mut watcher = client.watch_client();
    let mut stream = watcher
        .watch(
            raw_prefix.clone(),
            Some(WatchOptions::new().with_prefix().with_prev_key()),
        )
        .await?;
    stream.message().await?.ok_or("watch not created")?;
    let mut kv = client.kv_client();
    let mut raw = Vec::with_capacity(LATENCY_SAMPLES);
    for i in 0..LATENCY_SAMPLES {
        let started = Instant::now();
        kv.put(format!("{raw_prefix}{i}"), "v", None).await?;
        loop {
            let response = stream.message().await?.ok_or("watch ended")?;
            if !response.events().is_empty() {
                break;
            }
        }
        raw.push(started.elapsed());
    }
    ours.sort();
    raw.sort();
    let (o50, o99) = (percentile(&ours, 0.5), percentile(&ours, 0.99));
    let (r50, r99) = (percentile(&raw, 0.5), percentile(&raw, 0.99));
    println!(
        "watch put->event    ours p50 {o50:?} p99 {o99:?}  raw p50 {r50:?} p99 {r99:?}  \
         RATIO p50 ours/raw = {:.3}",
        o50.as_secs_f64() / r50.as_secs_f64()
    );
    Ok(())
}

async fn resync(store: &EtcdStore, client: &Client, prefix: &str) -> Result<(), BoxError> {
    load(client, prefix, RESYNC_KEYS, 100).await?;
    let before = peak_rss_kib();
    let started = Instant::now();
    let mut entries = store.list_values(prefix);
    let (mut count, mut bytes) = (0usize, 0usize);
    while let Some(entry) = entries.next().await {
        let entry = entry?;
        count += 1;
        bytes += entry.key.len() + entry.value.len();
    }
    let ours = started.elapsed();
    let after_ours = peak_rss_kib();
    if count != RESYNC_KEYS {
        return Err(format!("resync listed {count} of {RESYNC_KEYS} keys").into());
    }

    let started = Instant::now();
    let mut kv = client
        .kv_client()
        .max_decoding_message_size(512 * 1024 * 1024);
    let mut response = kv
        .get(prefix, Some(GetOptions::new().with_prefix()))
        .await?;
    let kvs = response.take_kvs();
    let raw = started.elapsed();
    let after_raw = peak_rss_kib();
    if kvs.len() != RESYNC_KEYS {
        return Err(format!("raw get returned {} of {RESYNC_KEYS} keys", kvs.len()).into());
    }
    drop(kvs);
    println!(
        "resync {RESYNC_KEYS} keys ({} MB)  ours (paged stream) {ours:?}, peak RSS {before} -> {after_ours} KiB (+{} KiB)",
        bytes / 1_000_000,
        after_ours.saturating_sub(before)
    );
    println!(
        "resync {RESYNC_KEYS} keys  raw single get {raw:?}, peak RSS -> {after_raw} KiB (+{} KiB over ours)  RATIO time ours/raw = {:.3}",
        after_raw.saturating_sub(after_ours),
        ours.as_secs_f64() / raw.as_secs_f64()
    );
    Ok(())
}
