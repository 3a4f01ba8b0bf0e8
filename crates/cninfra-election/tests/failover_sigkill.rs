//! Leader failover on the harness's etcd (`CNINFRA_TEST_ETCD`): agent processes
//! (`cninfra-election-agent`) campaign on one key; the leader is killed with SIGKILL; the
//! standby leads within the lease TTL; a third agent then takes over from the second the
//! same way, and finally resigns. Over the whole run: never two leaders at once (by the
//! agents' own reports and kill times), fencing tokens grow with every term, and the
//! fenced records the leaders wrote are ordered by term in etcd's revision order.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;

use cninfra_kv::KvStore;
use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
use cninfra_testsupport::{eventually, harness_server, unique_prefix};

/// The lease TTL of the agents (etcd's minimum on one node is about 2 s).
const TTL: Duration = Duration::from_secs(2);
/// What the takeover may take beyond the TTL: etcd checks for expired leases every
/// 500 ms, then the delete reaches the standby's watch and its put goes through.
const SLACK: Duration = Duration::from_millis(1500);
/// Limit of every wait for an agent's report.
const WAIT: Duration = Duration::from_secs(20);

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// The election key and the prefix of the fenced records of one run.
struct Keys {
    key: String,
    records: String,
}

/// One agent process and the lines it printed, read by a thread.
struct Agent {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Agent {
    fn spawn(name: &'static str, endpoint: &str, keys: &Keys) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cninfra-election-agent"))
            .args([
                endpoint,
                &keys.key,
                &TTL.as_millis().to_string(),
                name,
                &keys.records,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start cninfra-election-agent");
        let stdout = child.stdout.take().expect("piped stdout");
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            name,
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most `limit`) for a line starting with `word`; returns its fields.
    fn expect(&mut self, word: &str, limit: Duration) -> Vec<String> {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    let fields: Vec<String> = line.split(' ').map(str::to_owned).collect();
                    if fields[0] == word {
                        return fields;
                    }
                }
                Err(_) => panic!(
                    "agent {} did not report {word} within {limit:?}; it said {:?}",
                    self.name, self.seen
                ),
            }
        }
    }

    /// Everything printed so far without waiting.
    fn drain(&mut self) -> &[String] {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        &self.seen
    }

    /// SIGKILL; returns the wall clock right after the process is gone.
    fn kill(&mut self) -> u128 {
        self.child.kill().expect("SIGKILL the agent");
        self.child.wait().expect("reap the agent");
        now_ms()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A leadership term as the agents reported it.
#[derive(Debug)]
#[allow(dead_code)] // `agent` is for the failure message.
struct Term {
    agent: &'static str,
    fencing: u64,
    from_ms: u128,
    to_ms: u128,
}

fn leader_fields(fields: &[String]) -> (u64, u128) {
    (fields[1].parse().unwrap(), fields[2].parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_leads_within_the_ttl_after_sigkill_and_never_two_lead() {
    let started = Instant::now();
    let endpoint = harness_server("CNINFRA_TEST_ETCD");
    let base = unique_prefix("election-failover");
    let keys = Keys {
        key: format!("{base}leader"),
        records: format!("{base}records/"),
    };
    let (key, records) = (keys.key.as_str(), keys.records.as_str());
    let config = EtcdConfig {
        operation_timeout: Duration::from_secs(2),
        ..EtcdConfig::with_endpoints([endpoint.as_str()])
    };
    let store = EtcdStore::connect(&config).await.unwrap();
    let mut terms = Vec::new();

    // A leads; B campaigns and stays standby while A writes.
    let mut a = Agent::spawn("a", &endpoint, &keys);
    a.expect("CANDIDATE", WAIT);
    let (a_fencing, a_from) = leader_fields(&a.expect("LEADER", WAIT));
    let mut b = Agent::spawn("b", &endpoint, &keys);
    b.expect("CANDIDATE", WAIT);
    let records_of = |fencing: u64| format!("{records}{fencing:020}/");
    eventually("the leader writes 10 records", WAIT, || async {
        let keys: Vec<String> = store
            .list_keys(&records_of(a_fencing))
            .try_collect()
            .await
            .unwrap_or_default();
        keys.len() >= 10
    })
    .await;
    assert!(
        !b.drain().iter().any(|l| l.starts_with("LEADER")),
        "the standby led while the leader lived: {:?}",
        b.seen
    );

    // SIGKILL A: B leads within the TTL.
    let a_killed = a.kill();
    terms.push(Term {
        agent: "a",
        fencing: a_fencing,
        from_ms: a_from,
        to_ms: a_killed,
    });
    let (b_fencing, b_from) = leader_fields(&b.expect("LEADER", WAIT));
    let takeover = Duration::from_millis(u64::try_from(b_from - a_killed).unwrap());
    eprintln!("takeover after SIGKILL of a: {takeover:?} (ttl {TTL:?})");
    assert!(
        takeover <= TTL + SLACK,
        "b took {takeover:?} to lead (ttl {TTL:?})"
    );

    // C stands by; SIGKILL B: C leads within the TTL.
    let mut c = Agent::spawn("c", &endpoint, &keys);
    c.expect("CANDIDATE", WAIT);
    eventually("the second leader writes records", WAIT, || async {
        let keys: Vec<String> = store
            .list_keys(&records_of(b_fencing))
            .try_collect()
            .await
            .unwrap_or_default();
        keys.len() >= 10
    })
    .await;
    let b_killed = b.kill();
    terms.push(Term {
        agent: "b",
        fencing: b_fencing,
        from_ms: b_from,
        to_ms: b_killed,
    });
    let (c_fencing, c_from) = leader_fields(&c.expect("LEADER", WAIT));
    let takeover = Duration::from_millis(u64::try_from(c_from - b_killed).unwrap());
    eprintln!("takeover after SIGKILL of b: {takeover:?} (ttl {TTL:?})");
    assert!(
        takeover <= TTL + SLACK,
        "c took {takeover:?} to lead (ttl {TTL:?})"
    );

    // C resigns when its stdin closes: the key is gone at once.
    eventually("the third leader writes records", WAIT, || async {
        let keys: Vec<String> = store
            .list_keys(&records_of(c_fencing))
            .try_collect()
            .await
            .unwrap_or_default();
        keys.len() >= 5
    })
    .await;
    drop(c.stdin.take());
    let resigned: u128 = c.expect("RESIGNED", WAIT)[1].parse().unwrap();
    terms.push(Term {
        agent: "c",
        fencing: c_fencing,
        from_ms: c_from,
        to_ms: resigned,
    });
    assert!(
        store.get(key).await.unwrap().is_none(),
        "resign left the key"
    );

    // Never two leaders: the terms do not overlap and fencing tokens grow.
    for pair in terms.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        assert!(
            new.from_ms >= old.to_ms && new.fencing > old.fencing,
            "overlapping terms: {old:?} and {new:?}"
        );
    }
    for agent in [&mut b, &mut c] {
        let lines = agent.drain().to_vec();
        let led = lines.iter().filter(|l| l.starts_with("LEADER")).count();
        assert_eq!(led, 1, "agent {} led more than once: {lines:?}", agent.name);
    }
    // The fenced records, in etcd's revision order, never go back to an older term.
    let entries: Vec<_> = store.list_values(records).try_collect().await.unwrap();
    let mut by_revision: Vec<(u64, u64)> = entries
        .iter()
        .map(|e| {
            let term = e.key[records.len()..records.len() + 20].parse().unwrap();
            (e.revision, term)
        })
        .collect();
    by_revision.sort_unstable();
    let terms_in_order: Vec<u64> = by_revision.iter().map(|(_, term)| *term).collect();
    assert!(
        terms_in_order.windows(2).all(|w| w[0] <= w[1]),
        "records of an older term after a newer one"
    );
    let distinct: std::collections::BTreeSet<u64> = terms_in_order.iter().copied().collect();
    assert_eq!(
        distinct.into_iter().collect::<Vec<_>>(),
        [a_fencing, b_fencing, c_fencing]
    );
    eprintln!(
        "{} fenced records in {} terms; run took {:?}: {terms:?}",
        entries.len(),
        terms.len(),
        started.elapsed()
    );
}
