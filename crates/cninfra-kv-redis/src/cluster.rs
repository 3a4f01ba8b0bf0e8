//! Cluster mode: the command connection (one node's or the cluster's), the cluster's
//! masters, and commands routed to one master (`SCAN`, which the cluster client cannot
//! route by key).
//!
//! Keys live on the master that owns their hash slot, and each master sends the keyspace
//! notifications of its own keys only. So lists `SCAN` every master, watches subscribe
//! on every master (their connections are plain node connections), and the keyspace
//! notification setting is checked on every master. `MGET` and `DEL` of keys in several
//! slots are split by the cluster client. Transactions (`MULTI` needs one slot) and exact
//! watch values (announcements are broadcast to every node) are not offered.

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, RedisResult, Value};

use crate::config::parse_endpoint;

/// The command connection: a single node's (also the master in sentinel mode) or the
/// cluster's. Cloning is cheap; clones share it.
#[derive(Clone)]
pub(crate) enum Con {
    Node(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Con {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Node(con) => con.req_packed_command(cmd),
            Self::Cluster(con) => con.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Node(con) => con.req_packed_commands(pipeline, offset, count),
            Self::Cluster(con) => con.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Node(con) => con.get_db(),
            Self::Cluster(con) => con.get_db(),
        }
    }
}

impl Con {
    /// Runs `cmd` on the master at `node` (`host:port`, cluster mode) or on the node.
    pub(crate) async fn query_on<T: FromRedisValue>(
        &mut self,
        node: Option<&str>,
        cmd: Cmd,
    ) -> RedisResult<T> {
        match (self, node) {
            (Self::Cluster(con), Some(node)) => {
                let (host, port) = parse_endpoint("endpoints", node).map_err(|err| {
                    redis::RedisError::from((
                        redis::ErrorKind::InvalidClientConfig,
                        "bad cluster node address",
                        err.to_string(),
                    ))
                })?;
                let routing =
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress { host, port });
                let value = con.route_command(cmd, routing).await?;
                Ok(redis::from_redis_value(value)?)
            }
            (con, _) => cmd.query_async(con).await,
        }
    }

    /// The masters of the cluster (`host:port` each, from `CLUSTER NODES`); empty for a
    /// single node.
    pub(crate) async fn masters(&mut self) -> RedisResult<Vec<String>> {
        if matches!(self, Self::Node(_)) {
            return Ok(Vec::new());
        }
        let nodes: String = redis::cmd("CLUSTER").arg("NODES").query_async(self).await?;
        Ok(parse_masters(&nodes))
    }
}

/// The addresses of the masters in a `CLUSTER NODES` reply (lines of `<id>
/// <ip:port@cport[,hostname]> <flags> ...`), but those the cluster agreed have failed
/// (`fail`) or that have no address yet. A master only suspected by the node asked
/// (`fail?`) counts: the suspicion of one node may be wrong (a slow machine), and a watch
/// that left out a live master would miss its keys; one that is really down fails to
/// subscribe and is tried again.
fn parse_masters(nodes: &str) -> Vec<String> {
    let mut masters: Vec<String> = nodes
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let address = fields.nth(1)?;
            let flags = fields.next()?;
            let healthy = flags
                .split(',')
                .all(|flag| !matches!(flag, "fail" | "noaddr" | "handshake"));
            let master = flags.split(',').any(|flag| flag == "master");
            let address = address.split(['@', ',']).next()?;
            (master && healthy && !address.starts_with(':')).then(|| address.to_owned())
        })
        .collect();
    masters.sort();
    masters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masters_are_read_from_cluster_nodes() {
        let nodes = "\
07c3 127.0.0.1:30004@40004 slave e7d1 0 1426238317239 4 connected
67ed 127.0.0.1:30002@40002 master - 0 1426238316232 2 connected 5461-10922
292f 127.0.0.1:30003@40003,host-3 master - 0 1426238318243 3 connected 10923-16383
e7d1 127.0.0.1:30001@40001 myself,master - 0 0 1 connected 0-5460
a1b2 127.0.0.1:30005@40005 master,fail - 0 0 5 disconnected
c3d4 127.0.0.1:30006@40006 master,fail? - 0 0 6 connected 16383
";
        assert_eq!(
            parse_masters(nodes),
            [
                "127.0.0.1:30001",
                "127.0.0.1:30002",
                "127.0.0.1:30003",
                "127.0.0.1:30006"
            ]
        );
    }
}
