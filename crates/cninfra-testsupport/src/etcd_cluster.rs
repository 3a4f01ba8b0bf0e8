//! [`EtcdCluster`]: an etcd cluster of one test on loopback, whose members the test may
//! kill (SIGKILL) and start again on the same ports and data.

use std::process::Command;
use std::time::{Duration, Instant};

use etcd_client::{Client, ConnectOptions};

use crate::{ServerProcess, free_port};

/// How long one request of the harness to a member may take.
const ASK: Duration = Duration::from_millis(500);

/// How long the harness waits for a member, or the cluster, to be ready.
const READY: Duration = Duration::from_secs(30);

/// Election settings of the members: quick elections, as a test wants them.
const HEARTBEAT_MS: &str = "50";
const ELECTION_MS: &str = "500";

/// An etcd cluster of one test: `size` members on loopback, each with its own client and
/// peer ports and its own data folder. The members are killed when this is dropped.
///
/// # Examples
/// ```no_run
/// # async fn demo() {
/// use cninfra_testsupport::EtcdCluster;
///
/// let mut cluster = EtcdCluster::start(3).await;
/// let leader = cluster.leader().await;
/// cluster.kill(leader);
/// let next = cluster.leader().await; // one of the two others, once they elected it
/// assert_ne!(next, leader);
/// cluster.run(leader).await;
/// # }
/// ```
#[derive(Debug)]
pub struct EtcdCluster {
    /// The members' processes; a process's port is the member's client port.
    members: Vec<ServerProcess>,
}

impl EtcdCluster {
    /// Starts a cluster of `size` members and waits until every member answers and they
    /// agree on a leader.
    ///
    /// # Panics
    /// When `size` is 0, or the cluster is not ready within 30 s (with the members' logs).
    pub async fn start(size: usize) -> Self {
        assert!(size > 0, "a cluster needs a member");
        let peer_ports: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let initial_cluster = peer_ports
            .iter()
            .enumerate()
            .map(|(i, port)| format!("m{i}=http://127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(",");
        let token = format!("cninfra-test-{}-{}", std::process::id(), free_port());
        let members = peer_ports
            .iter()
            .enumerate()
            .map(|(i, &peer_port)| {
                let initial_cluster = initial_cluster.clone();
                let token = token.clone();
                ServerProcess::new("etcd", move |dir, client_port| {
                    member_command(i, dir, client_port, peer_port, &initial_cluster, &token)
                })
            })
            .collect();
        let mut cluster = Self { members };
        for member in &mut cluster.members {
            // The peer URLs are in every member's command line: no member moves.
            member.fix_ports();
            member.spawn();
        }
        cluster.wait_ready().await;
        cluster
    }

    /// How many members the cluster has (running or not).
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// `host:port` of the client port of member `i`.
    ///
    /// # Panics
    /// When there is no member `i`.
    pub fn endpoint(&self, i: usize) -> String {
        self.members[i].endpoint()
    }

    /// The client endpoints of every member, in member order.
    pub fn endpoints(&self) -> Vec<String> {
        (0..self.size()).map(|i| self.endpoint(i)).collect()
    }

    /// Whether member `i` runs (was not killed).
    ///
    /// # Panics
    /// When there is no member `i`.
    pub fn is_running(&self, i: usize) -> bool {
        self.members[i].is_running()
    }

    /// Kills member `i` with SIGKILL (no clean shutdown) and waits for it to go.
    ///
    /// # Panics
    /// When there is no member `i`.
    pub fn kill(&mut self, i: usize) {
        self.members[i].kill();
    }

    /// Starts member `i` again on its ports and data and waits until it answers (with or
    /// without a leader: alone, it has none).
    ///
    /// # Panics
    /// When it is running, or does not answer within 30 s.
    pub async fn run(&mut self, i: usize) {
        self.members[i].spawn();
        let deadline = Instant::now() + READY;
        while status(&self.endpoint(i)).await.is_none() {
            self.members[i].assert_running();
            assert!(
                Instant::now() < deadline,
                "etcd member {i} not answering within {READY:?}; log:\n{}",
                self.log(i)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The running member that leads, once the running members agree on one.
    ///
    /// # Panics
    /// When they do not within 30 s (no quorum, for example).
    pub async fn leader(&mut self) -> usize {
        let deadline = Instant::now() + READY;
        loop {
            if let Some(leader) = self.agreed_leader().await {
                return leader;
            }
            for member in &mut self.members {
                member.assert_running();
            }
            assert!(
                Instant::now() < deadline,
                "the running etcd members agree on no leader within {READY:?}; logs:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every member answers and they agree on a leader.
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY;
        loop {
            let all_running = self.members.iter().all(|m| m.is_running());
            if all_running && self.agreed_leader().await.is_some() {
                return;
            }
            for member in &mut self.members {
                member.assert_running();
            }
            assert!(
                Instant::now() < deadline,
                "etcd cluster not ready within {READY:?}; logs:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The leader, when every running member answers and names the same running member.
    async fn agreed_leader(&self) -> Option<usize> {
        let mut leader_id = None;
        let mut leader = None;
        for (i, member) in self.members.iter().enumerate() {
            if !member.is_running() {
                continue;
            }
            let (member_id, named) = status(&self.endpoint(i)).await?;
            if named == 0 || leader_id.is_some_and(|id| id != named) {
                return None;
            }
            leader_id = Some(named);
            if member_id == named {
                leader = Some(i);
            }
        }
        leader
    }

    /// A client of the cluster (every endpoint), connected within 5 s.
    ///
    /// # Panics
    /// When it cannot connect.
    pub async fn client(&self) -> Client {
        let options = ConnectOptions::new()
            .with_connect_timeout(ASK)
            .with_timeout(Duration::from_secs(5));
        let connect = Client::connect(self.endpoints(), Some(options));
        match tokio::time::timeout(Duration::from_secs(5), connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(err)) => panic!("cannot connect to the etcd cluster: {err}"),
            Err(_) => panic!("no connection to the etcd cluster within 5 s"),
        }
    }

    /// What member `i` logged so far.
    ///
    /// # Panics
    /// When there is no member `i`.
    pub fn log(&self, i: usize) -> String {
        self.members[i].log()
    }

    /// Every member's log, each under its name.
    pub fn logs(&self) -> String {
        (0..self.size())
            .map(|i| format!("--- member m{i} ---\n{}", self.log(i)))
            .collect()
    }
}

/// The command line of member `i`.
fn member_command(
    i: usize,
    dir: &std::path::Path,
    client_port: u16,
    peer_port: u16,
    initial_cluster: &str,
    token: &str,
) -> Command {
    let client = format!("http://127.0.0.1:{client_port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    let mut command = Command::new("etcd");
    command
        .args(["--name", &format!("m{i}"), "--logger", "zap"])
        .args(["--log-level", "warn"])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(["--listen-client-urls", &client])
        .args(["--advertise-client-urls", &client])
        .args(["--listen-peer-urls", &peer])
        .args(["--initial-advertise-peer-urls", &peer])
        .args(["--initial-cluster", initial_cluster])
        .args(["--initial-cluster-token", token])
        .args(["--initial-cluster-state", "new"])
        .args(["--heartbeat-interval", HEARTBEAT_MS])
        .args(["--election-timeout", ELECTION_MS]);
    command
}

/// The member id and the leader it names (0: none), asking the member at `endpoint`
/// alone; `None` when it does not answer within [`ASK`].
async fn status(endpoint: &str) -> Option<(u64, u64)> {
    let ask = async {
        let options = ConnectOptions::new().with_connect_timeout(ASK);
        let mut client = Client::connect([endpoint], Some(options)).await.ok()?;
        let status = client.status().await.ok()?;
        Some((status.header()?.member_id(), status.leader()))
    };
    tokio::time::timeout(ASK, ask).await.ok().flatten()
}
