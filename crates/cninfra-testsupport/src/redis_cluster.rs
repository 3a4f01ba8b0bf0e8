//! [`RedisCluster`]: a Redis Cluster of one test, three masters with a replica each, whose
//! nodes the test kills and starts again.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ServerProcess;
use crate::resp::{self, info_field, wait_answers};

/// How many nodes a [`RedisCluster`] has: three masters and three replicas.
pub const CLUSTER_NODES: usize = 6;

/// How long the cluster may take to form, or to settle after a fault.
const SETTLE: Duration = Duration::from_secs(60);

/// Six `redis-server --cluster-enabled yes` of the test's own (each in its own temp folder,
/// on free ports for clients and the cluster bus, keyspace notifications `KA`, no
/// persistence but the cluster's `nodes.conf`), joined by `redis-cli --cluster create
/// --cluster-replicas 1`: three masters that share the slots, each with one replica.
///
/// Nodes are numbered 0 to 5 in start order; which are masters changes with failovers
/// ([`masters`](Self::masters), [`replica_of`](Self::replica_of)).
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<ServerProcess>,
}

impl RedisCluster {
    /// Starts the nodes, creates the cluster and waits until it has settled (see
    /// [`wait_settled`](Self::wait_settled)). `node_timeout` is `cluster-node-timeout`: how
    /// long a master may be unreachable before its replica takes over.
    ///
    /// # Panics
    /// When a node does not start, `redis-cli --cluster create` fails, or the cluster
    /// does not settle within 60 s.
    pub fn start(node_timeout: Duration) -> Self {
        let mut nodes: Vec<ServerProcess> =
            (0..CLUSTER_NODES).map(|_| node(node_timeout)).collect();
        for node in &mut nodes {
            node.spawn();
        }
        for node in &mut nodes {
            wait_answers(node);
        }
        let cluster = Self { nodes };
        cluster.create();
        cluster.wait_settled(CLUSTER_NODES);
        cluster
    }

    /// `redis-cli --cluster create` with a replica per master, killed after 60 s.
    fn create(&self) {
        let mut create = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(self.endpoints())
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("redis-cli (package redis-tools; scripts/test.sh installs it)");
        let deadline = Instant::now() + SETTLE;
        while create.try_wait().expect("redis-cli runs").is_none() {
            if Instant::now() > deadline {
                let _ = create.kill();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = create.wait_with_output().expect("redis-cli output");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The client addresses (`127.0.0.1:<port>`) of every node, in node order.
    pub fn endpoints(&self) -> Vec<String> {
        self.nodes.iter().map(ServerProcess::endpoint).collect()
    }

    /// The client address of node `node`.
    pub fn endpoint(&self, node: usize) -> String {
        self.nodes[node].endpoint()
    }

    /// `master` or `slave` as node `node` says (`INFO replication`); empty when it does not
    /// answer.
    pub fn role(&self, node: usize) -> String {
        let info = resp::text(self.nodes[node].port(), &["INFO", "replication"]);
        info_field(&info, "role").unwrap_or_default().to_owned()
    }

    /// The running nodes that say they are masters.
    pub fn masters(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&n| self.nodes[n].is_running() && self.role(n) == "master")
            .collect()
    }

    /// The running node that replicates `master`, if any.
    pub fn replica_of(&self, master: usize) -> Option<usize> {
        let port = self.nodes[master].port().to_string();
        (0..self.nodes.len()).find(|&n| {
            let info = resp::text(self.nodes[n].port(), &["INFO", "replication"]);
            self.nodes[n].is_running() && info_field(&info, "master_port") == Some(port.as_str())
        })
    }

    /// Kills node `node` with SIGKILL.
    pub fn kill(&mut self, node: usize) {
        self.nodes[node].kill();
    }

    /// Starts node `node` again on its ports with its `nodes.conf` (it rejoins the cluster,
    /// as a replica if another node took over its slots) and waits until it answers.
    pub fn restart(&mut self, node: usize) {
        let node = &mut self.nodes[node];
        node.spawn();
        wait_answers(node);
    }

    /// Waits until `running` nodes answer, every one of them says `cluster_state:ok`, three
    /// of them are masters, and every other one is a replica whose link to its master is
    /// up: the cluster serves every slot, after a failover too.
    ///
    /// # Panics
    /// When that does not happen within 60 s, with each node's view.
    pub fn wait_settled(&self, running: usize) {
        let settled = || {
            let up: Vec<usize> = (0..self.nodes.len())
                .filter(|&n| self.nodes[n].is_running())
                .collect();
            let mut masters = 0;
            up.len() == running
                && up.iter().all(|&n| {
                    let port = self.nodes[n].port();
                    let state = resp::text(port, &["CLUSTER", "INFO"]);
                    let replication = resp::text(port, &["INFO", "replication"]);
                    let role = info_field(&replication, "role");
                    masters += usize::from(role == Some("master"));
                    info_field(&state, "cluster_state") == Some("ok")
                        && (role == Some("master")
                            || info_field(&replication, "master_link_status") == Some("up"))
                })
                && masters == 3
        };
        let deadline = Instant::now() + SETTLE;
        while !settled() {
            assert!(
                Instant::now() < deadline,
                "the redis cluster did not settle within {SETTLE:?}:\n{}",
                self.views()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Each running node's `CLUSTER NODES`, for failure messages.
    fn views(&self) -> String {
        (0..self.nodes.len())
            .map(|n| {
                let view = resp::text(self.nodes[n].port(), &["CLUSTER", "NODES"]);
                format!("node {n} ({}):\n{view}", self.endpoint(n))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A cluster node, not started: clients on its first port, the cluster bus on its second.
fn node(node_timeout: Duration) -> ServerProcess {
    let timeout = node_timeout.as_millis().to_string();
    ServerProcess::with_ports("redis-cluster-node", 2, move |dir, ports| {
        let mut command = Command::new("redis-server");
        command
            .args(["--bind", "127.0.0.1", "--dir"])
            .arg(dir)
            .args(["--port", &ports[0].to_string()])
            .args(["--cluster-port", &ports[1].to_string()])
            .args(["--cluster-enabled", "yes"])
            .args(["--cluster-config-file", "nodes.conf"])
            .args(["--cluster-node-timeout", &timeout])
            .args(["--notify-keyspace-events", "KA"])
            .args(["--save", "", "--appendonly", "no"]);
        command
    })
}
