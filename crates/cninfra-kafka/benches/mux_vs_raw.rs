//! Produce and consume throughput through the multiplexer against raw rdkafka
//! (`FutureProducer` / `StreamConsumer`) with the same settings, and end-to-end latency
//! (async produce -> handler) of both, measured in one run.
//!
//! Run with `cargo bench -p cninfra-kafka --bench mux_vs_raw`. It uses the broker in
//! `CNINFRA_TEST_KAFKA` when set, else starts a tansu of its own (in memory).

#[allow(dead_code, unreachable_pub)]
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use bytes::Bytes;
use cninfra_kafka::{Callbacks, Handler, KafkaConfig, Message, Multiplexer, Partitioner, Record};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rdkafka::ClientConfig;
use rdkafka::Message as _;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use tokio::sync::{Notify, mpsc};

/// Messages per throughput round.
const N: usize = 50_000;
/// Rounds per side after one warm-up round each (the side going first alternates); the
/// median is reported.
const ROUNDS: usize = 5;
/// Payload size in bytes.
const PAYLOAD: usize = 100;
/// Messages per latency run, one every `LATENCY_GAP`.
const LATENCY_MSGS: usize = 500;
const LATENCY_GAP: Duration = Duration::from_millis(2);
const PARTITIONS: i32 = 4;
/// `fetch-max-wait` of the latency runs.
const LATENCY_FETCH_WAIT: Duration = Duration::from_millis(10);

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let own = std::env::var("CNINFRA_TEST_KAFKA")
        .is_err()
        .then(cninfra_testsupport::TansuServer::start);
    let broker = match &own {
        Some(tansu) => tansu.addr(),
        None => std::env::var("CNINFRA_TEST_KAFKA")?,
    };
    let config = KafkaConfig {
        addrs: vec![broker.clone()],
        ..Default::default()
    };
    println!(
        "broker {broker} ({}), {N} messages of {PAYLOAD} bytes over {PARTITIONS} partitions, median of {ROUNDS} rounds",
        if own.is_some() {
            "own tansu"
        } else {
            "CNINFRA_TEST_KAFKA"
        }
    );

    let mux = Multiplexer::connect(config.clone(), "bench-producer").await?;
    let raw = raw_producer(&config)?;
    let (mut mux_rates, mut raw_rates) = (Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        for mux_side in [round % 2 == 0, round % 2 == 1] {
            let topic = create_topic(&broker, PARTITIONS).await?;
            let took = if mux_side {
                produce_mux(&mux, &topic).await?
            } else {
                produce_raw(&raw, &topic).await?
            };
            if round > 0 {
                let rates = if mux_side {
                    &mut mux_rates
                } else {
                    &mut raw_rates
                };
                rates.push(rate(N, took));
            }
        }
    }
    report("produce (async, acks=1)", &mut mux_rates, &mut raw_rates);

    let topic = create_topic(&broker, PARTITIONS).await?;
    produce_raw(&raw, &topic).await?;
    let (mut mux_rates, mut raw_rates) = (Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        for mux_side in [round % 2 == 0, round % 2 == 1] {
            let got = if mux_side {
                consume_mux(&config, &topic, round).await?
            } else {
                consume_raw(&config, &topic, round).await?
            };
            if round > 0 {
                let rates = if mux_side {
                    &mut mux_rates
                } else {
                    &mut raw_rates
                };
                rates.push(got);
            }
        }
    }
    report("consume (group watcher)", &mut mux_rates, &mut raw_rates);

    // tansu holds every fetch for the whole `fetch.wait.max.ms`: measure latency with a short
    // one (both sides), else it only shows that wait (500 ms by default).
    let config = KafkaConfig {
        fetch_max_wait: LATENCY_FETCH_WAIT,
        ..config
    };
    let topic = create_topic(&broker, 1).await?;
    let mux_latency = latency_mux(&config, &mux, &topic).await?;
    let topic = create_topic(&broker, 1).await?;
    let raw_latency = latency_raw(&config, &raw, &topic).await?;
    println!(
        "latency produce->handler (fetch-max-wait {LATENCY_FETCH_WAIT:?}): mux p50 {:.2} ms p99 {:.2} ms | raw p50 {:.2} ms p99 {:.2} ms | p50 ratio mux/raw {:.2}",
        ms(mux_latency.0),
        ms(mux_latency.1),
        ms(raw_latency.0),
        ms(raw_latency.1),
        mux_latency.0.as_secs_f64() / raw_latency.0.as_secs_f64()
    );
    mux.close().await;
    Ok(())
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(what: &str, mux: &mut [f64], raw: &mut [f64]) {
    let (m, r) = (median(mux), median(raw));
    println!(
        "{what}: mux {m:.0} msg/s, raw {r:.0} msg/s, ratio mux/raw {:.2} (rounds mux {mux:.0?}, raw {raw:.0?})",
        m / r
    );
}

async fn create_topic(broker: &str, partitions: i32) -> anyhow::Result<String> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let topic = format!(
        "bench-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .create()?;
    for result in admin
        .create_topics(
            &[NewTopic::new(
                &topic,
                partitions,
                TopicReplication::Fixed(1),
            )],
            &AdminOptions::new(),
        )
        .await?
    {
        result.map_err(|(name, code)| anyhow::anyhow!("creating topic {name}: {code}"))?;
    }
    Ok(topic)
}

/// The settings of the multiplexer's async producer.
fn raw_producer(config: &KafkaConfig) -> anyhow::Result<FutureProducer> {
    let mut out = config.client_config();
    out.set("acks", "1")
        .set("message.timeout.ms", config.timeout.as_millis().to_string())
        .set("enable.idempotence", "false");
    Ok(out.create()?)
}

/// The settings of the multiplexer's group consumer.
fn raw_consumer(config: &KafkaConfig, group: &str) -> anyhow::Result<StreamConsumer> {
    let mut out = config.client_config();
    out.set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("group.id", group)
        .set(
            "fetch.wait.max.ms",
            config.fetch_max_wait.as_millis().to_string(),
        );
    Ok(out.create()?)
}

fn payload() -> Bytes {
    Bytes::from(vec![b'x'; PAYLOAD])
}

async fn produce_mux(mux: &Multiplexer, topic: &str) -> anyhow::Result<Duration> {
    let (done, failed, all_in) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(Notify::new()),
    );
    let on_done = {
        let (done, all_in) = (done.clone(), all_in.clone());
        move || {
            if done.fetch_add(1, Ordering::AcqRel) + 1 == N {
                all_in.notify_one();
            }
        }
    };
    let on_error = on_done.clone();
    let failures = failed.clone();
    let callbacks = Callbacks::new(
        move |_, _| on_done(),
        move |_, _| {
            failures.fetch_add(1, Ordering::Relaxed);
            on_error();
        },
    );
    let publisher = mux
        .connection("bench")
        .async_publisher(topic, Partitioner::Hash, callbacks)
        .await?;
    let value = payload();
    let started = Instant::now();
    for i in 0..N {
        publisher.send(Record::new(value.clone()).with_key(format!("k{i}")))?;
    }
    all_in.notified().await;
    let took = started.elapsed();
    ensure!(
        failed.load(Ordering::Relaxed) == 0,
        "{} mux sends failed",
        failed.load(Ordering::Relaxed)
    );
    Ok(took)
}

async fn produce_raw(producer: &FutureProducer, topic: &str) -> anyhow::Result<Duration> {
    let value = payload();
    let started = Instant::now();
    let mut pending = FuturesUnordered::new();
    for i in 0..N {
        let key = format!("k{i}");
        let record = FutureRecord::to(topic)
            .payload(&value[..])
            .key(key.as_bytes());
        pending.push(producer.send_result(record).map_err(|(err, _)| err)?);
    }
    while let Some(done) = pending.next().await {
        done?.map_err(|(err, _)| err)?;
    }
    Ok(started.elapsed())
}

/// What the mux consumer's handler records: when the first message came, how many did.
#[derive(Default)]
struct Progress {
    count: AtomicUsize,
    first: OnceLock<Instant>,
    all_in: Notify,
}

impl Progress {
    fn seen(&self, len: usize) {
        let _ = self.first.set(Instant::now());
        std::hint::black_box(len);
        if self.count.fetch_add(1, Ordering::AcqRel) + 1 == N {
            self.all_in.notify_one();
        }
    }
}

/// First-to-last message rate of a fresh group (the join is left out).
async fn consume_mux(config: &KafkaConfig, topic: &str, round: usize) -> anyhow::Result<f64> {
    let mux = Multiplexer::connect(config.clone(), &format!("bench-mux-{round}-{topic}")).await?;
    let progress = Arc::new(Progress::default());
    let handler = {
        let progress = progress.clone();
        Handler::new(move |msg: Message| {
            progress.seen(msg.value.len());
            async { Ok(()) }
        })
    };
    mux.connection("bench").watch(topic, handler)?;
    mux.start()?;
    tokio::time::timeout(Duration::from_secs(60), progress.all_in.notified())
        .await
        .context("mux consumer did not get every message in 60s")?;
    let last = Instant::now();
    let first = *progress.first.get().context("no first message")?;
    mux.close().await;
    Ok(rate(N - 1, last - first))
}

async fn consume_raw(config: &KafkaConfig, topic: &str, round: usize) -> anyhow::Result<f64> {
    let consumer = raw_consumer(config, &format!("bench-raw-{round}-{topic}"))?;
    consumer.subscribe(&[topic])?;
    let mut first = None;
    for _ in 0..N {
        let msg = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .context("raw consumer did not get every message in 60s")??;
        first.get_or_insert_with(Instant::now);
        std::hint::black_box(msg.payload().map_or(0, <[u8]>::len));
    }
    let last = Instant::now();
    Ok(rate(N - 1, last - first.context("no first message")?))
}

/// Nanoseconds since the start of the run, the send time carried in latency payloads.
fn now_nanos() -> u64 {
    static BASE: OnceLock<Instant> = OnceLock::new();
    u64::try_from(BASE.get_or_init(Instant::now).elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Turns a payload into the latency since its send time; `None` for warm-up messages.
fn latency_of(payload: &[u8]) -> Option<Duration> {
    let sent: u64 = std::str::from_utf8(payload.strip_prefix(b"m")?)
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_nanos(now_nanos().saturating_sub(sent)))
}

/// Sends warm-ups until one arrives (the consumer has joined), then `LATENCY_MSGS` timed
/// messages; returns p50 and p99 of what `got` received.
async fn measure(
    send: impl Fn(Bytes) -> anyhow::Result<()>,
    got: &mut mpsc::UnboundedReceiver<Option<Duration>>,
) -> anyhow::Result<(Duration, Duration)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        ensure!(
            Instant::now() < deadline,
            "the latency consumer never joined"
        );
        send(Bytes::from_static(b"w"))?;
        if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(100), got.recv()).await {
            break;
        }
    }
    let mut tick = tokio::time::interval(LATENCY_GAP);
    for _ in 0..LATENCY_MSGS {
        tick.tick().await;
        send(Bytes::from(format!("m{}", now_nanos())))?;
    }
    let mut latencies = Vec::with_capacity(LATENCY_MSGS);
    while latencies.len() < LATENCY_MSGS {
        let next = tokio::time::timeout(Duration::from_secs(30), got.recv())
            .await
            .context("latency messages missing")?
            .context("latency consumer ended")?;
        latencies.extend(next);
    }
    latencies.sort();
    Ok((
        latencies[LATENCY_MSGS / 2],
        latencies[LATENCY_MSGS * 99 / 100],
    ))
}

async fn latency_mux(
    config: &KafkaConfig,
    producer: &Multiplexer,
    topic: &str,
) -> anyhow::Result<(Duration, Duration)> {
    let consumer = Multiplexer::connect(config.clone(), &format!("bench-lat-mux-{topic}")).await?;
    let (tx, mut got) = mpsc::unbounded_channel();
    consumer.connection("bench").watch(
        topic,
        Handler::new(move |msg: Message| {
            let sent = tx.send(latency_of(&msg.value));
            async move { Ok(sent?) }
        }),
    )?;
    consumer.start()?;
    let publisher = producer
        .connection("bench")
        .async_publisher(topic, Partitioner::Manual(0), Callbacks::log_errors())
        .await?;
    let result = measure(|value| Ok(publisher.send(Record::new(value))?), &mut got).await;
    consumer.close().await;
    result
}

async fn latency_raw(
    config: &KafkaConfig,
    producer: &FutureProducer,
    topic: &str,
) -> anyhow::Result<(Duration, Duration)> {
    let consumer = raw_consumer(config, &format!("bench-lat-raw-{topic}"))?;
    consumer.subscribe(&[topic])?;
    let (tx, mut got) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Ok(msg) = consumer.recv().await {
            if tx
                .send(latency_of(msg.payload().unwrap_or_default()))
                .is_err()
            {
                break;
            }
        }
    });
    let result = measure(
        |value| {
            let record = FutureRecord::<(), [u8]>::to(topic).payload(&value[..]);
            drop(producer.send_result(record).map_err(|(err, _)| err)?);
            Ok(())
        },
        &mut got,
    )
    .await;
    drop(got);
    reader.abort();
    producer.flush(Duration::from_secs(10))?;
    result
}
