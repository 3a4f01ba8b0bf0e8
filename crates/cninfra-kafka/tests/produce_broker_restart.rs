//! Async sends while the broker dies and comes back (a tansu of the test's own, in memory):
//! every send is reported exactly once, delivered or failed, and the plugin's status goes
//! ERROR while the broker is away and OK once it is back.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use cninfra_core::Agent;
use cninfra_health::{State, StatusCheckPlugin};
use cninfra_kafka::{AsyncPublisher, Callbacks, KafkaPlugin, Partitioner, Record};
use cninfra_testsupport::TansuServer;
use parking_lot::Mutex;
use support::{config, create_named_topic, create_topic};

const LIMIT: Duration = Duration::from_secs(30);

/// The outcomes reported per message id: `true` delivered, `false` failed.
#[derive(Default)]
struct Outcomes(Mutex<HashMap<u64, Vec<bool>>>);

impl Outcomes {
    fn record(&self, record: &Record, delivered: bool) {
        let id = std::str::from_utf8(&record.value)
            .ok()
            .and_then(|v| v.parse().ok())
            .expect("payload is the message id");
        self.0.lock().entry(id).or_default().push(delivered);
    }

    fn count(&self, delivered: bool) -> usize {
        self.0
            .lock()
            .values()
            .flatten()
            .filter(|d| **d == delivered)
            .count()
    }

    fn reported(&self) -> usize {
        self.0.lock().values().map(Vec::len).sum()
    }
}

/// Polls `cond` until it holds; fails naming `what` after `LIMIT`.
async fn until(what: &str, cond: impl FnMut() -> bool) {
    cninfra_testsupport::wait_until(what, LIMIT, cond).await;
}

/// Sends message ids 0, 1, 2, ... every 5 ms until `stop`; returns the ids that `send`
/// accepted and those it refused at once (those get no callback).
fn stream(
    publisher: AsyncPublisher,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
) -> tokio::task::JoinHandle<(Vec<u64>, Vec<u64>)> {
    tokio::spawn(async move {
        let (mut accepted, mut refused) = (Vec::new(), Vec::new());
        let mut tick = tokio::time::interval(Duration::from_millis(5));
        for id in 0.. {
            if stop.load(Ordering::Acquire) {
                break;
            }
            tick.tick().await;
            match publisher.send(Record::new(id.to_string()).with_key("k")) {
                Ok(()) => accepted.push(id),
                Err(_) => refused.push(id),
            }
            sent.store(id + 1, Ordering::Release);
        }
        (accepted, refused)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_sends_are_all_reported_across_a_broker_restart() {
    let mut broker = TansuServer::start();
    let topic = create_topic(&broker.addr(), 2).await;
    let status = StatusCheckPlugin::new();
    let mut kafka_config = config(&broker.addr());
    // Messages that cannot be delivered fail after 2 s; the connection check waits as long.
    kafka_config.timeout = Duration::from_secs(2);
    let kafka = KafkaPlugin::builder()
        .with_config(kafka_config)
        .with_check_interval(Duration::from_millis(100))
        .build();
    let running = cninfra_testsupport::start_agent(
        Agent::builder()
            .plugin(status.clone())
            .plugin(kafka.clone()),
    )
    .await;
    let state = || status.plugin_status("kafka").map(|s| s.state);
    until("status OK at start", || state() == Some(State::Ok)).await;

    let outcomes = Arc::new(Outcomes::default());
    let (ok, failed) = (outcomes.clone(), outcomes.clone());
    let publisher = kafka
        .multiplexer()
        .unwrap()
        .unwrap()
        .connection("fault")
        .async_publisher(
            &topic,
            Partitioner::Hash,
            Callbacks::new(
                move |_, record| ok.record(&record, true),
                move |_, record| failed.record(&record, false),
            ),
        )
        .await
        .unwrap();
    let (stop, sent) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let streaming = stream(publisher.clone(), stop.clone(), sent.clone());
    until("20 deliveries before the kill", || {
        outcomes.count(true) >= 20
    })
    .await;

    broker.kill();
    until("status ERROR while the broker is away", || {
        state() == Some(State::Error)
    })
    .await;
    until("sends failing while the broker is away", || {
        outcomes.count(false) >= 1
    })
    .await;

    // Back on the same port, empty: the topic has to be created again.
    broker.restart();
    create_named_topic(&broker.addr(), &topic, 2).await;
    until("status OK after the broker returned", || {
        state() == Some(State::Ok)
    })
    .await;
    let delivered_before = outcomes.count(true);
    until("deliveries after the broker returned", || {
        outcomes.count(true) >= delivered_before + 20
    })
    .await;

    stop.store(true, Ordering::Release);
    let (accepted, refused) = streaming.await.unwrap();
    publisher.flush(LIMIT).await.unwrap();
    until("a report for every accepted send", || {
        outcomes.reported() >= accepted.len()
    })
    .await;
    let reports = outcomes.0.lock().clone();
    let twice: Vec<_> = reports.iter().filter(|(_, r)| r.len() > 1).collect();
    assert!(twice.is_empty(), "reported more than once: {twice:?}");
    let missing: Vec<_> = accepted
        .iter()
        .filter(|id| !reports.contains_key(id))
        .collect();
    assert!(missing.is_empty(), "never reported: {missing:?}");
    let about_refused: Vec<_> = refused
        .iter()
        .filter(|id| reports.contains_key(id))
        .collect();
    assert!(
        about_refused.is_empty(),
        "a refused send got a callback: {about_refused:?}"
    );
    assert_eq!(
        accepted.len() + refused.len(),
        usize::try_from(sent.load(Ordering::Acquire)).unwrap()
    );
    eprintln!(
        "sent {}: delivered {}, failed {}, refused at once {}",
        accepted.len() + refused.len(),
        outcomes.count(true),
        outcomes.count(false),
        refused.len()
    );
    running.stop().await.unwrap();
}
