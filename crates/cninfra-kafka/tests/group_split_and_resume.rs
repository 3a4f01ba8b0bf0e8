//! Two members of one consumer group split a topic's partitions; a member that is closed and
//! restarted resumes from the committed offsets, and no message is lost on the way.

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use cninfra_kafka::{Handler, Multiplexer, Partitioner, Record, SyncPublisher};
use support::{broker, create_topic, mux, unique, wait_committed};
use tokio::sync::mpsc;

const PARTITIONS: i32 = 4;
const PER_PARTITION: usize = 25;
const LIMIT: Duration = Duration::from_secs(60);

/// One delivery: which member handled which key at which place.
#[derive(Debug, Clone)]
struct Got {
    member: &'static str,
    key: String,
    partition: i32,
    offset: i64,
}

/// Everything delivered so far, fed from the members' handlers.
struct Seen {
    rx: mpsc::UnboundedReceiver<Got>,
    all: Vec<Got>,
}

impl Seen {
    /// Receives until every key in `keys` was delivered at least once.
    async fn until_all(&mut self, keys: &HashSet<String>) {
        let deadline = tokio::time::Instant::now() + LIMIT;
        loop {
            let have: HashSet<&str> = self.all.iter().map(|g| g.key.as_str()).collect();
            let missing = keys.iter().filter(|k| !have.contains(k.as_str())).count();
            if missing == 0 {
                return;
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(got)) => self.all.push(got),
                _ => panic!("{missing} of {} keys never arrived", keys.len()),
            }
        }
    }

    fn of(&self, keys: &HashSet<String>) -> Vec<&Got> {
        self.all.iter().filter(|g| keys.contains(&g.key)).collect()
    }
}

/// The publishers (one per partition) and the end offset of each partition.
struct Producer {
    publishers: Vec<SyncPublisher>,
    ends: Vec<i64>,
}

impl Producer {
    async fn new(mux: &Multiplexer, topic: &str) -> Self {
        let conn = mux.connection("producer");
        let mut publishers = Vec::new();
        for p in 0..PARTITIONS {
            publishers.push(
                conn.sync_publisher(topic, Partitioner::Manual(p))
                    .await
                    .unwrap(),
            );
        }
        Self {
            publishers,
            ends: vec![0; publishers_len()],
        }
    }

    /// Sends `per_partition` messages to every partition, keys `<prefix>-<partition>-<i>`.
    async fn batch(&mut self, prefix: &str, per_partition: usize) -> HashSet<String> {
        let mut keys = HashSet::new();
        for i in 0..per_partition {
            for (p, publisher) in self.publishers.iter().enumerate() {
                let key = format!("{prefix}-{p}-{i}");
                let done = publisher
                    .send(Record::new("v").with_key(key.clone()))
                    .await
                    .unwrap();
                self.ends[p] = self.ends[p].max(done.offset + 1);
                keys.insert(key);
            }
        }
        keys
    }

    /// Sends one probe per partition per round until, in one round, both members got some
    /// partitions: the group has split the topic between them. Returns every probe key.
    async fn until_split(
        &mut self,
        seen: &mut Seen,
        prefix: &str,
        a: &str,
        b: &str,
    ) -> HashSet<String> {
        let deadline = tokio::time::Instant::now() + LIMIT;
        let mut all = HashSet::new();
        for round in 0.. {
            let keys = self.batch(&format!("{prefix}{round}"), 1).await;
            seen.until_all(&keys).await;
            let members: HashSet<&str> = seen.of(&keys).iter().map(|g| g.member).collect();
            all.extend(keys);
            if members.contains(a) && members.contains(b) {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "members {a} and {b} never split the partitions; last round went to {members:?}"
            );
        }
        all
    }
}

fn publishers_len() -> usize {
    usize::try_from(PARTITIONS).unwrap()
}

async fn member(
    broker: &str,
    group: &str,
    topic: &str,
    name: &'static str,
    tx: mpsc::UnboundedSender<Got>,
) -> Multiplexer {
    let mux = mux(broker, group).await;
    mux.connection("c")
        .watch(
            topic,
            Handler::new(move |msg| {
                let tx = tx.clone();
                async move {
                    tx.send(Got {
                        member: name,
                        key: msg.key_str().unwrap_or_default().to_owned(),
                        partition: msg.partition,
                        offset: msg.offset,
                    })?;
                    Ok(())
                }
            }),
        )
        .unwrap();
    mux.start().unwrap();
    mux
}

/// Each key of `keys` arrived exactly once, each partition went to one member only, offsets
/// rose per partition; returns the member of each partition.
fn exactly_once_split(seen: &Seen, keys: &HashSet<String>) -> BTreeMap<i32, &'static str> {
    let got = seen.of(keys);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for g in &got {
        *counts.entry(g.key.as_str()).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(got.len(), keys.len(), "count of delivered keys");
    let mut owners: BTreeMap<i32, &'static str> = BTreeMap::new();
    let mut last: HashMap<i32, i64> = HashMap::new();
    for g in got {
        let owner = owners.entry(g.partition).or_insert(g.member);
        assert_eq!(
            *owner, g.member,
            "partition {} went to two members",
            g.partition
        );
        let before = last.insert(g.partition, g.offset).unwrap_or(-1);
        assert!(
            g.offset > before,
            "partition {} out of order: {before} then {}",
            g.partition,
            g.offset
        );
    }
    owners
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_partitions_and_a_restarted_member_resumes() {
    let broker = broker();
    let topic = create_topic(&broker, PARTITIONS).await;
    let group = unique("g");
    let (tx, rx) = mpsc::unbounded_channel();
    let mut seen = Seen {
        rx,
        all: Vec::new(),
    };
    let first = member(&broker, &group, &topic, "a", tx.clone()).await;
    let second = member(&broker, &group, &topic, "b", tx.clone()).await;
    let mut producer = Producer::new(&first, &topic).await;

    // Both members in the group: the partitions are split between them.
    let probes = producer.until_split(&mut seen, "probe-ab-", "a", "b").await;
    let batch1 = producer.batch("one", PER_PARTITION).await;
    seen.until_all(&batch1).await;
    let owners = exactly_once_split(&seen, &batch1);
    assert_eq!(owners.len(), publishers_len(), "{owners:?}");
    let members: HashSet<_> = owners.values().copied().collect();
    assert_eq!(members, HashSet::from(["a", "b"]), "split: {owners:?}");

    // `b` leaves (committing what it handled); `a` takes every partition over.
    second.close().await;
    wait_committed(&broker, &group, &topic, &producer.ends, LIMIT).await;
    let batch2 = producer.batch("two", PER_PARTITION).await;
    seen.until_all(&batch2).await;
    let owners = exactly_once_split(&seen, &batch2);
    assert!(
        owners.values().all(|m| *m == "a"),
        "with b gone: {owners:?}"
    );
    wait_committed(&broker, &group, &topic, &producer.ends, LIMIT).await;
    let before_restart: HashSet<String> = seen.all.iter().map(|g| g.key.clone()).collect();

    // `b` comes back: it resumes from the committed offsets, so it gets nothing old.
    let restarted = member(&broker, &group, &topic, "b2", tx).await;
    let probes_again = producer
        .until_split(&mut seen, "probe-ab2-", "a", "b2")
        .await;
    let batch3 = producer.batch("three", PER_PARTITION).await;
    seen.until_all(&batch3).await;
    let owners = exactly_once_split(&seen, &batch3);
    let members: HashSet<_> = owners.values().copied().collect();
    assert_eq!(members, HashSet::from(["a", "b2"]), "split: {owners:?}");
    let replayed: Vec<_> = seen
        .all
        .iter()
        .filter(|g| g.member == "b2" && before_restart.contains(&g.key))
        .collect();
    assert!(
        replayed.is_empty(),
        "the restarted member got committed messages again: {replayed:?}"
    );

    // Nothing lost: every key sent arrived.
    let sent: HashSet<String> = [probes, batch1, batch2, probes_again, batch3]
        .into_iter()
        .flatten()
        .collect();
    let arrived: HashSet<String> = seen.all.iter().map(|g| g.key.clone()).collect();
    assert_eq!(sent.difference(&arrived).count(), 0, "lost keys");
    restarted.close().await;
    first.close().await;
}
