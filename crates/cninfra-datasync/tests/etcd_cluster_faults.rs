//! Data sync over a 3-member etcd cluster under faults: the leader, then each other
//! member, killed (SIGKILL) and restarted during 10,000 puts; a member restarted, quorum
//! lost and regained; the history compacted while the agent is cut off. A real watcher (the etcd plugin configured with all three
//! endpoints, data sync, one watching plugin) must see every acknowledged put exactly once
//! and in revision order, or get a resync whose state equals etcd's; the etcd plugin's
//! status (and with it the agent's readiness) follows the cluster's quorum.
//!
//! Each test prints one `FAULT` line with its figures (docs/reliability.md, "etcd cluster").

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cninfra_datasync::{Event, StoreSource, Watcher};
use cninfra_health::{State, StatusCheckPlugin};
use cninfra_kv_etcd::etcd_client::{self, Client, CompactionOptions, DeleteOptions, GetOptions};
use cninfra_kv_etcd::{EtcdConfig, EtcdPlugin};
use cninfra_testsupport::{EtcdCluster, eventually, free_port};
use parking_lot::Mutex;
use support::{PREFIX, Stack, quick_config};
use tokio::net::{TcpListener, TcpStream};

/// The watched prefix, relative to the agent prefix.
const WATCHED: &str = "config/app/";

/// How long a test waits for the watcher to catch up, or for a state.
const WAIT: Duration = Duration::from_secs(60);

/// Time limit of one request of the writers.
const REQUEST: Duration = Duration::from_secs(3);

/// Concurrent writers.
const WRITERS: usize = 4;

/// The agent under test: status check, data sync over the etcd plugin, and a watcher
/// whose every event is recorded and acknowledged.
struct Agent {
    stack: Stack,
    seen: Arc<Mutex<Seen>>,
    readiness: Arc<Mutex<Readiness>>,
}

impl Agent {
    /// An agent on etcd at `endpoints`, re-reading everything after a reconnect as the
    /// plugin does by default.
    async fn start(endpoints: Vec<String>) -> Self {
        Self::start_with(endpoints, true).await
    }

    async fn start_with(endpoints: Vec<String>, resync_after_reconnect: bool) -> Self {
        let etcd = EtcdPlugin::builder()
            .with_config(EtcdConfig {
                dial_timeout: Duration::from_secs(2),
                operation_timeout: Duration::from_secs(1),
                reconnect_interval: Duration::from_millis(200),
                resync_after_reconnect,
                ..EtcdConfig::with_endpoints(endpoints)
            })
            .build();
        let stack = Stack::start(
            StoreSource::connector(etcd),
            quick_config(),
            &[("app", &[WATCHED])],
        )
        .await;
        let seen = Seen::record(stack.watcher("app"));
        let readiness = Readiness::record(&stack.status);
        let agent = Self {
            stack,
            seen,
            readiness,
        };
        eventually("the first resync", WAIT, || async {
            !agent.seen.lock().resyncs.is_empty()
        })
        .await;
        agent.wait_etcd(State::Ok).await;
        agent
    }

    /// Waits until the etcd plugin's status is `state` and readiness agrees.
    async fn wait_etcd(&self, state: State) {
        let status = &self.stack.status;
        let what = format!("etcd status {state:?} and readiness to match");
        eventually(&what, WAIT, || async {
            let etcd = status.plugin_status("etcd").map(|s| s.state);
            let ready = status.health(&[]).ready;
            etcd == Some(state) && ready == (state == State::Ok)
        })
        .await;
    }

    /// Waits until the watcher's view equals etcd's state under the watched prefix.
    async fn wait_caught_up(&self, client: &Client) -> BTreeMap<String, Bytes> {
        let deadline = Instant::now() + WAIT;
        loop {
            let truth = etcd_state(client).await;
            let view = self.seen.lock().view.clone();
            if view == truth {
                return truth;
            }
            assert!(
                Instant::now() < deadline,
                "the watcher's view ({} keys) differs from etcd's state ({} keys) after {WAIT:?}",
                view.len(),
                truth.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn stop(self) {
        self.stack.stop().await;
    }
}

/// What the watcher received.
#[derive(Debug, Default)]
struct Seen {
    /// The state the watching plugin holds: resyncs replace it, changes edit it.
    view: BTreeMap<String, Bytes>,
    /// How often each revision came as a change.
    delivered: HashMap<u64, u32>,
    /// The highest revision delivered as a change.
    last: u64,
    /// Changes that came with a revision below an earlier one.
    out_of_order: u64,
    /// Changes already in the resync before them (data sync watches, then lists: a change
    /// made in between shows up in both, by design).
    again_after_resync: u64,
    /// The causes of the resyncs, the first (startup) included.
    resyncs: Vec<String>,
    /// The highest revision of each key in any resync.
    in_resync: HashMap<String, u64>,
}

impl Seen {
    /// Consumes `watcher`'s events in a task, acknowledging each.
    fn record(mut watcher: Watcher) -> Arc<Mutex<Self>> {
        let seen = Arc::new(Mutex::new(Self::default()));
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Some(event) = watcher.recv().await {
                match event {
                    Event::Resync(resync) => {
                        let mut seen = shared.lock();
                        seen.view = resync
                            .values
                            .iter()
                            .map(|e| (e.key.clone(), e.value.clone()))
                            .collect();
                        for entry in &resync.values {
                            let known = seen.in_resync.entry(entry.key.clone()).or_default();
                            *known = (*known).max(entry.revision);
                        }
                        seen.resyncs.push(resync.cause.to_string());
                        drop(seen);
                        resync.done.ok();
                    }
                    Event::Change(change) => {
                        shared
                            .lock()
                            .change(&change.key, change.value.clone(), change.revision);
                        change.done.ok();
                    }
                }
            }
        });
        seen
    }

    fn change(&mut self, key: &str, value: Option<Bytes>, revision: u64) {
        match value {
            Some(value) => self.view.insert(key.to_owned(), value),
            None => self.view.remove(key),
        };
        if self.in_resync.get(key).is_some_and(|r| *r >= revision) {
            self.again_after_resync += 1;
            return;
        }
        if revision <= self.last {
            self.out_of_order += 1;
        }
        self.last = self.last.max(revision);
        *self.delivered.entry(revision).or_default() += 1;
    }

    /// The figures of a run over the acknowledged `puts` (key relative to the agent
    /// prefix, revision).
    fn figures(&self, puts: &[(String, u64)]) -> Figures {
        let delivered = puts
            .iter()
            .filter(|(_, revision)| self.delivered.contains_key(revision))
            .count();
        let lost = puts
            .iter()
            .filter(|(key, revision)| {
                !self.delivered.contains_key(revision)
                    && self.in_resync.get(key).is_none_or(|r| r < revision)
            })
            .count();
        let duplicated = self.delivered.values().map(|n| u64::from(n - 1)).sum();
        Figures {
            sent: puts.len(),
            delivered,
            duplicated,
            lost,
            out_of_order: self.out_of_order,
            resyncs: self.resyncs[1..].to_vec(),
            again_after_resync: self.again_after_resync,
        }
    }
}

/// What one run measured.
#[derive(Debug)]
struct Figures {
    sent: usize,
    delivered: usize,
    duplicated: u64,
    lost: usize,
    out_of_order: u64,
    /// Causes of the resyncs after the startup one.
    resyncs: Vec<String>,
    again_after_resync: u64,
}

impl Figures {
    /// Prints the figures and checks them: nothing lost, repeated or out of order.
    fn check(&self, fault: &str, readiness: &Readiness, took: Duration) {
        println!(
            "FAULT {fault}: sent={} delivered={} duplicated={} lost={} out_of_order={} \
             resyncs={} {:?} again_after_resync={} not_ready_periods={} not_ready_total={:?} \
             took={took:.1?}",
            self.sent,
            self.delivered,
            self.duplicated,
            self.lost,
            self.out_of_order,
            self.resyncs.len(),
            self.resyncs,
            self.again_after_resync,
            readiness.periods(),
            readiness.total(),
        );
        assert_eq!(
            (self.lost, self.duplicated, self.out_of_order),
            (0, 0, 0),
            "{fault}: {self:?}"
        );
    }
}

/// The etcd plugin's status over time.
#[derive(Debug, Default)]
struct Readiness {
    /// When each not-ready period began and (once over) how long it took.
    down: Vec<(Instant, Option<Duration>)>,
}

impl Readiness {
    /// Follows the status check's reports in a task.
    fn record(status: &StatusCheckPlugin) -> Arc<Mutex<Self>> {
        let readiness = Arc::new(Mutex::new(Self::default()));
        let shared = readiness.clone();
        let mut reports = status.subscribe();
        tokio::spawn(async move {
            loop {
                let ok = reports
                    .borrow_and_update()
                    .plugins
                    .iter()
                    .any(|p| p.name == "etcd" && p.state == State::Ok);
                shared.lock().note(ok);
                if reports.changed().await.is_err() {
                    return;
                }
            }
        });
        readiness
    }

    fn note(&mut self, ok: bool) {
        match self.down.last_mut() {
            Some((since, open @ None)) if ok => *open = Some(since.elapsed()),
            Some((_, None)) => {}
            _ if !ok => self.down.push((Instant::now(), None)),
            _ => {}
        }
    }

    fn periods(&self) -> usize {
        self.down.len()
    }

    fn total(&self) -> Duration {
        self.down
            .iter()
            .map(|(since, took)| took.unwrap_or_else(|| since.elapsed()))
            .sum()
    }
}

/// etcd's state under the watched prefix, keys relative to the agent prefix. Asked again
/// while it fails: the client's balancer sends some requests to members that are down.
async fn etcd_state(client: &Client) -> BTreeMap<String, Bytes> {
    let mut kv = client.kv_client();
    let prefix = format!("{PREFIX}{WATCHED}");
    let deadline = Instant::now() + WAIT;
    let response = loop {
        let get = kv.get(prefix.as_str(), Some(GetOptions::new().with_prefix()));
        match tokio::time::timeout(REQUEST, get).await {
            Ok(Ok(response)) => break response,
            failed => assert!(
                Instant::now() < deadline,
                "etcd does not list {prefix}: {failed:?}"
            ),
        }
    };
    response
        .kvs()
        .iter()
        .map(|kv| {
            let key = String::from_utf8_lossy(kv.key());
            let key = key.strip_prefix(PREFIX).unwrap_or(&key).to_owned();
            (key, Bytes::copy_from_slice(kv.value()))
        })
        .collect()
}

/// Puts `count` keys (`<WATCHED>k<n>`, numbered from `first`) from [`WRITERS`] writers and
/// returns the acknowledged ones with their revision. A put that fails is looked up
/// and, if it did not land, made again, so each key is acknowledged once. `progress`
/// counts the acknowledged puts.
async fn put_keys(
    client: &Client,
    first: usize,
    count: usize,
    progress: &AtomicUsize,
) -> Vec<(String, u64)> {
    let writers = (0..WRITERS).map(|w| async move {
        let mut kv = client.kv_client();
        let mut acked = Vec::new();
        for n in (first + w..first + count).step_by(WRITERS) {
            let key = format!("{WATCHED}k{n:06}");
            let revision = put_once(&mut kv, &format!("{PREFIX}{key}"), n).await;
            progress.fetch_add(1, Ordering::Relaxed);
            acked.push((key, revision));
        }
        acked
    });
    futures::future::join_all(writers)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Puts `key` = `n` until etcd acknowledges it (or shows it landed); its revision.
async fn put_once(kv: &mut etcd_client::KvClient, key: &str, n: usize) -> u64 {
    let value = n.to_string();
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(
            Instant::now() < deadline,
            "{key} not stored within {WAIT:?}"
        );
        let put = kv.put(key, value.as_str(), None);
        if let Ok(Ok(response)) = tokio::time::timeout(REQUEST, put).await {
            return response.header().map_or(0, |h| h.revision().unsigned_abs());
        }
        // The outcome is unknown: did it land?
        if let Ok(Ok(found)) = tokio::time::timeout(REQUEST, kv.get(key, None)).await
            && let Some(stored) = found.kvs().first()
        {
            return stored.mod_revision().unsigned_abs();
        }
    }
}

/// The leader is SIGKILLed after 2,000 of 10,000 puts and started again after 3,500; then
/// each other member in turn (killed after 5,000 and 8,000, started again 1,500 puts
/// later), so that whichever member serves the agent's watch, its stream breaks at least
/// once while puts flow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_then_each_member_killed_during_10000_puts() {
    let started = Instant::now();
    let mut cluster = EtcdCluster::start(3).await;
    let agent = Agent::start(cluster.endpoints()).await;
    let client = cluster.client().await;
    let progress = AtomicUsize::new(0);

    let puts = put_keys(&client, 0, 10_000, &progress);
    let fault = async {
        reached(&progress, 2_000).await;
        let leader = cluster.leader().await;
        cluster.kill(leader);
        assert_ne!(cluster.leader().await, leader, "another member leads");
        let others = [follower_of(leader), follower_of(follower_of(leader))];
        let mut victims = [leader].into_iter().chain(others).peekable();
        let mut at = 2_000;
        while let Some(victim) = victims.next() {
            at += 1_500;
            reached(&progress, at).await;
            cluster.run(victim).await;
            cluster.leader().await;
            if let Some(&next) = victims.peek() {
                at += 1_500;
                reached(&progress, at).await;
                cluster.kill(next);
                cluster.leader().await;
            }
        }
    };
    let (puts, ()) = tokio::join!(puts, fault);

    let truth = agent.wait_caught_up(&client).await;
    assert_eq!(truth.len(), 10_000);
    agent.wait_etcd(State::Ok).await;
    let figures = agent.seen.lock().figures(&puts);
    figures.check(
        "leader, then each other member, SIGKILLed and restarted during 10000 puts",
        &agent.readiness.lock(),
        started.elapsed(),
    );
    agent.stop().await;
}

/// A member other than `leader`.
fn follower_of(leader: usize) -> usize {
    (leader + 1) % 3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_restarted_during_puts_then_quorum_lost_and_regained() {
    let started = Instant::now();
    let mut cluster = EtcdCluster::start(3).await;
    let agent = Agent::start(cluster.endpoints()).await;
    let client = cluster.client().await;
    let progress = AtomicUsize::new(0);

    // A follower goes (SIGKILL) and comes back while puts flow; quorum holds throughout.
    let puts = put_keys(&client, 0, 3_000, &progress);
    let fault = async {
        reached(&progress, 1_000).await;
        let follower = follower_of(cluster.leader().await);
        cluster.kill(follower);
        reached(&progress, 2_000).await;
        cluster.run(follower).await;
        cluster.leader().await;
    };
    let (mut puts, ()) = tokio::join!(puts, fault);
    agent.wait_caught_up(&client).await;
    agent.wait_etcd(State::Ok).await;
    assert_eq!(
        agent.readiness.lock().periods(),
        0,
        "quorum held: the etcd plugin stays ready"
    );

    // Two members go: no quorum, not ready. One comes back: quorum, ready.
    let leader = cluster.leader().await;
    let (a, b) = (follower_of(leader), follower_of(follower_of(leader)));
    cluster.kill(a);
    cluster.kill(b);
    let lost = Instant::now();
    agent.wait_etcd(State::Error).await;
    let noticed = lost.elapsed();
    let back = Instant::now();
    cluster.run(a).await;
    agent.wait_etcd(State::Ok).await;
    println!(
        "quorum lost: not ready after {noticed:.1?}; regained: ready after {:.1?}",
        back.elapsed()
    );
    puts.extend(put_keys(&client, 3_000, 1_000, &progress).await);
    agent.wait_caught_up(&client).await;

    let figures = agent.seen.lock().figures(&puts);
    figures.check(
        "follower restarted during 3000 puts; quorum lost and regained; 1000 puts",
        &agent.readiness.lock(),
        started.elapsed(),
    );
    agent.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_compacted_while_the_agent_is_cut_off() {
    let started = Instant::now();
    let cluster = EtcdCluster::start(3).await;
    let mut proxies = Vec::new();
    for endpoint in cluster.endpoints() {
        proxies.push(Proxy::start(endpoint).await);
    }
    // No resync on reconnect: the compacted history alone must bring the resync.
    let agent = Agent::start_with(proxies.iter().map(Proxy::endpoint).collect(), false).await;
    let client = cluster.client().await;
    let progress = AtomicUsize::new(0);
    let mut puts = put_keys(&client, 0, 1_000, &progress).await;
    agent.wait_caught_up(&client).await;

    for proxy in &mut proxies {
        proxy.cut().await;
    }
    agent.wait_etcd(State::Error).await;
    // Meanwhile: more puts, deletes the watcher must learn of, and the history compacted.
    puts.extend(put_keys(&client, 1_000, 1_000, &progress).await);
    let mut kv = client.kv_client();
    let prefix = format!("{PREFIX}{WATCHED}k0001");
    let delete = kv.delete(prefix.as_str(), Some(DeleteOptions::new().with_prefix()));
    let gone = tokio::time::timeout(REQUEST, delete)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(gone.deleted(), 100);
    let revision = gone.header().map_or(0, |h| h.revision());
    let compact = kv.compact(revision, Some(CompactionOptions::new().with_physical()));
    tokio::time::timeout(REQUEST, compact)
        .await
        .unwrap()
        .unwrap();
    puts.retain(|(key, _)| !key.starts_with(&format!("{WATCHED}k0001")));

    for proxy in &mut proxies {
        proxy.restore().await;
    }
    agent.wait_etcd(State::Ok).await;
    agent.wait_caught_up(&client).await;
    let figures = agent.seen.lock().figures(&puts);
    assert!(
        figures
            .resyncs
            .iter()
            .any(|cause| cause.contains("compacted")),
        "the watch asked for a resync: {:?}",
        figures.resyncs
    );
    figures.check(
        "history compacted (and 100 keys deleted, 1000 put) while the agent was cut off",
        &agent.readiness.lock(),
        started.elapsed(),
    );
    agent.stop().await;
}

/// A TCP proxy in front of one member, which the test cuts (refusing new connections,
/// dropping open ones) and restores on the same port.
struct Proxy {
    port: u16,
    target: String,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let mut proxy = Self {
            port: free_port(),
            target,
            task: None,
        };
        proxy.restore().await;
        proxy
    }

    fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    async fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }

    async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the proxy's port");
        let target = self.target.clone();
        self.task = Some(tokio::spawn(async move {
            // Dropped with the task: every connection closes.
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                connections.spawn(async move {
                    let connect = TcpStream::connect(target);
                    if let Ok(Ok(mut outbound)) = tokio::time::timeout(REQUEST, connect).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        }));
    }
}

/// Waits until `progress` reaches `count`.
async fn reached(progress: &AtomicUsize, count: usize) {
    eventually(&format!("{count} puts"), WAIT, || async {
        progress.load(Ordering::Relaxed) >= count
    })
    .await;
}
