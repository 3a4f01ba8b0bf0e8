//! [`RedisSentinels`]: a master, its replica and three sentinels of one test, whose nodes
//! the test kills and starts again.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::ServerProcess;
use crate::resp::{self, Reply, info_field, wait_answers};

/// The name under which the sentinels of [`RedisSentinels`] know the master.
pub const SENTINEL_MASTER_NAME: &str = "mymaster";

/// How many sentinels a [`RedisSentinels`] runs (a failover needs two of them to agree).
pub const SENTINELS: usize = 3;

/// How long the group may take to form, or to settle after a fault.
const SETTLE: Duration = Duration::from_secs(60);

/// Two data nodes (`redis-server`: node 0 starts as the master, node 1 as its replica;
/// keyspace notifications `KA`, no persistence) and three sentinels (Debian's
/// `redis-sentinel`, else `redis-server --sentinel`) that monitor the master as
/// [`SENTINEL_MASTER_NAME`] with a quorum of two, each process in its own temp folder on
/// a free port.
#[derive(Debug)]
pub struct RedisSentinels {
    data: Vec<ServerProcess>,
    sentinels: Vec<ServerProcess>,
}

impl RedisSentinels {
    /// Starts the master, the replica and the sentinels, and waits until the group has
    /// settled (see [`wait_settled`](Self::wait_settled)) and every sentinel knows the
    /// two others. `down_after` is the sentinels' `down-after-milliseconds` (how long the
    /// master may be silent before a failover), `failover_timeout` their
    /// `failover-timeout`.
    ///
    /// # Panics
    /// When a process does not start or the group does not settle within 60 s.
    pub fn start(down_after: Duration, failover_timeout: Duration) -> Self {
        let mut master = data_node(None);
        master.spawn();
        wait_answers(&mut master);
        let mut replica = data_node(Some(master.port()));
        replica.spawn();
        wait_answers(&mut replica);
        let sentinels = (0..SENTINELS)
            .map(|_| {
                let mut sentinel = sentinel(master.port(), down_after, failover_timeout);
                sentinel.spawn();
                wait_answers(&mut sentinel);
                sentinel
            })
            .collect();
        let group = Self {
            data: vec![master, replica],
            sentinels,
        };
        group.wait_settled();
        group.wait_until("every sentinel knows the two others", |group| {
            group.sentinels.iter().all(|s| {
                resp::command(s.port(), &["SENTINEL", "sentinels", SENTINEL_MASTER_NAME])
                    .is_ok_and(|reply| reply.items().len() == SENTINELS - 1)
            })
        });
        group
    }

    /// The sentinels' addresses (`127.0.0.1:<port>`).
    pub fn sentinel_endpoints(&self) -> Vec<String> {
        self.sentinels.iter().map(ServerProcess::endpoint).collect()
    }

    /// The address of data node `node` (0 or 1).
    pub fn endpoint(&self, node: usize) -> String {
        self.data[node].endpoint()
    }

    /// The data node that every sentinel names as the master and that says it is one.
    pub fn master(&self) -> Option<usize> {
        let named: Vec<Option<u16>> = self
            .sentinels
            .iter()
            .map(|s| named_master_port(s.port()))
            .collect();
        let port = named.first().copied().flatten()?;
        if named.iter().any(|p| *p != Some(port)) {
            return None;
        }
        let node = self.data.iter().position(|d| d.port() == port)?;
        (self.data[node].is_running() && self.role(node) == "master").then_some(node)
    }

    /// `master` or `slave` as data node `node` says; empty when it does not answer.
    pub fn role(&self, node: usize) -> String {
        let info = resp::text(self.data[node].port(), &["INFO", "replication"]);
        info_field(&info, "role").unwrap_or_default().to_owned()
    }

    /// Kills data node `node` with SIGKILL.
    pub fn kill(&mut self, node: usize) {
        self.data[node].kill();
    }

    /// Starts data node `node` again on its port (empty: there is no persistence; the
    /// sentinels make it a replica of the current master) and waits until it answers.
    pub fn restart(&mut self, node: usize) {
        let node = &mut self.data[node];
        node.spawn();
        wait_answers(node);
    }

    /// Waits until every sentinel names the same running master, which says it is one,
    /// and every other running data node is its replica with the link up and known to
    /// the sentinels as such.
    ///
    /// # Panics
    /// When that does not happen within 60 s.
    pub fn wait_settled(&self) {
        self.wait_until("the sentinels, master and replicas to settle", |group| {
            let Some(master) = group.master() else {
                return false;
            };
            let master_port = group.data[master].port().to_string();
            let replicas: Vec<usize> = (0..group.data.len())
                .filter(|&n| n != master && group.data[n].is_running())
                .collect();
            let linked = replicas.iter().all(|&n| {
                let info = resp::text(group.data[n].port(), &["INFO", "replication"]);
                info_field(&info, "master_port") == Some(master_port.as_str())
                    && info_field(&info, "master_link_status") == Some("up")
            });
            linked
                && group
                    .sentinels
                    .iter()
                    .all(|s| healthy_replicas(s.port()) == replicas.len())
        });
    }

    fn wait_until(&self, what: &str, ready: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + SETTLE;
        while !ready(self) {
            assert!(
                Instant::now() < deadline,
                "redis sentinels: timed out waiting for {what}; logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The last lines of every sentinel's log, for failure messages.
    fn logs(&self) -> String {
        self.sentinels
            .iter()
            .map(|s| {
                let log = s.log();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("sentinel {}:\n{}", s.endpoint(), tail.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A data node, not started; a replica of `127.0.0.1:<master>` when given.
fn data_node(master: Option<u16>) -> ServerProcess {
    ServerProcess::new("redis-data", move |dir, port| {
        let mut command = Command::new("redis-server");
        command
            .args(["--bind", "127.0.0.1", "--dir"])
            .arg(dir)
            .args(["--port", &port.to_string()])
            .args(["--notify-keyspace-events", "KA"])
            .args(["--save", "", "--appendonly", "no"]);
        if let Some(master) = master {
            command.args(["--replicaof", "127.0.0.1", &master.to_string()]);
        }
        command
    })
}

/// A sentinel of the master on `master_port`, not started. Its config file (which it
/// rewrites) is written at each start.
fn sentinel(master_port: u16, down_after: Duration, failover_timeout: Duration) -> ServerProcess {
    let down_after = down_after.as_millis();
    let failover_timeout = failover_timeout.as_millis();
    ServerProcess::new("redis-sentinel", move |dir, port| {
        let conf = dir.join("sentinel.conf");
        let text = format!(
            "port {port}\nbind 127.0.0.1\ndir {}\n\
             sentinel monitor {SENTINEL_MASTER_NAME} 127.0.0.1 {master_port} 2\n\
             sentinel down-after-milliseconds {SENTINEL_MASTER_NAME} {down_after}\n\
             sentinel failover-timeout {SENTINEL_MASTER_NAME} {failover_timeout}\n",
            dir.display()
        );
        std::fs::write(&conf, text).expect("sentinel config file");
        sentinel_command(&conf)
    })
}

/// Debian's `redis-sentinel` when it is installed, else `redis-server --sentinel` (the same
/// program).
fn sentinel_command(conf: &Path) -> Command {
    let debian = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| dir.join("redis-sentinel").is_file())
    });
    if debian {
        let mut command = Command::new("redis-sentinel");
        command.arg(conf);
        command
    } else {
        let mut command = Command::new("redis-server");
        command.arg(conf).arg("--sentinel");
        command
    }
}

/// The port of the master that the sentinel on `port` names.
fn named_master_port(port: u16) -> Option<u16> {
    let reply = resp::command(
        port,
        &["SENTINEL", "get-master-addr-by-name", SENTINEL_MASTER_NAME],
    )
    .ok()?;
    reply.items().get(1)?.text().parse().ok()
}

/// How many replicas the sentinel on `port` sees linked to the master and not down.
fn healthy_replicas(port: u16) -> usize {
    let Ok(reply) = resp::command(port, &["SENTINEL", "replicas", SENTINEL_MASTER_NAME]) else {
        return 0;
    };
    reply
        .items()
        .iter()
        .filter(|replica| {
            let field = |name: &str| field(replica, name);
            field("flags") == Some("slave") && field("master-link-status") == Some("ok")
        })
        .count()
}

/// The value of `name` in a flat `[name, value, ...]` array reply.
fn field<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply
        .items()
        .chunks(2)
        .find(|pair| pair[0].text() == name)
        .and_then(|pair| pair.get(1))
        .map(Reply::text)
}
