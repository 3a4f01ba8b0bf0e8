//! Two agents with the `election` plugin on the harness's etcd (`CNINFRA_TEST_ETCD`): one
//! leads, the other stands by; stopping the leader's agent resigns, and the standby leads
//! at once (long before the lease TTL).

use std::time::Duration;

use cninfra_core::{Agent, RunningAgent};
use cninfra_election::{ElectionConfig, ElectionPlugin, Role};
use cninfra_kv_etcd::{EtcdConfig, EtcdPlugin};
use cninfra_testsupport::{harness_server, start_agent, unique_prefix};
use tokio::sync::watch;

const TTL: Duration = Duration::from_secs(30);
const WAIT: Duration = Duration::from_secs(20);

async fn agent(key: &str, candidate: &str) -> (RunningAgent, watch::Receiver<Role>) {
    let etcd = EtcdPlugin::builder()
        .with_config(EtcdConfig::with_endpoints([harness_server(
            "CNINFRA_TEST_ETCD",
        )]))
        .build();
    let election = ElectionPlugin::builder(etcd)
        .with_config(ElectionConfig {
            key: key.to_owned(),
            ttl: TTL,
            candidate: candidate.to_owned(),
        })
        .build();
    let role = election.role();
    (start_agent(Agent::builder().plugin(election)).await, role)
}

async fn wait_role(role: &mut watch::Receiver<Role>, want: impl Fn(&Role) -> bool) -> Role {
    let found = tokio::time::timeout(WAIT, role.wait_for(|r| want(r))).await;
    *found.expect("role in time").expect("plugin alive")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_leaders_agent_hands_over_at_once() {
    let key = format!("{}leader", unique_prefix("election-plugin"));
    let (first, mut first_role) = agent(&key, "first").await;
    let Role::Leader { fencing } =
        wait_role(&mut first_role, |r| matches!(r, Role::Leader { .. })).await
    else {
        unreachable!()
    };
    let (second, mut second_role) = agent(&key, "second").await;
    wait_role(&mut second_role, |r| *r == Role::Candidate).await;

    let stopped = tokio::time::Instant::now();
    first.stop().await.unwrap();
    let Role::Leader { fencing: next } =
        wait_role(&mut second_role, |r| matches!(r, Role::Leader { .. })).await
    else {
        unreachable!()
    };
    assert!(stopped.elapsed() < TTL / 2, "took {:?}", stopped.elapsed());
    assert!(next > fencing);
    assert_eq!(*first_role.borrow(), Role::Disabled);
    second.stop().await.unwrap();
}
