//! The election on the memory store, on tokio's paused clock: resign hands over at once,
//! a dead leader's key goes one TTL later, a leader whose key is taken away knows it.

use std::sync::Arc;
use std::time::Duration;

use cninfra_election::{Election, ElectionError};
use cninfra_kv::{DeleteOptions, KvStore, MemoryStore, Session};
use tokio::time::Instant;

const TTL: Duration = Duration::from_secs(3);

fn election(store: &MemoryStore) -> Election {
    let store: Arc<dyn KvStore> = Arc::new(store.clone());
    Election::new(store, "/agents/leader").with_ttl(TTL)
}

#[tokio::test(start_paused = true)]
async fn resigning_hands_over_at_once_with_a_greater_fencing_token() {
    let store = MemoryStore::new();
    let (first, second) = (election(&store), election(&store));
    let leader = first.campaign("a").await.unwrap();
    let standby = tokio::spawn(async move { second.campaign("b").await });
    tokio::time::sleep(TTL * 3).await;
    assert!(!standby.is_finished(), "b won while a led");
    assert!(leader.is_leader());

    let fencing = leader.fencing();
    let resigned_at = Instant::now();
    leader.resign().await.unwrap();
    let next = standby.await.unwrap().unwrap();
    assert!(resigned_at.elapsed() < Duration::from_millis(10));
    assert!(next.fencing() > fencing);
    let current = first.leader().await.unwrap().unwrap();
    assert_eq!(
        (current.value, current.fencing),
        ("b".into(), next.fencing())
    );
}

#[tokio::test(start_paused = true)]
async fn a_dead_leaders_key_goes_one_ttl_later_and_the_standby_leads() {
    let store = MemoryStore::new();
    let (first, second) = (election(&store), election(&store));
    let leader = first.campaign("a").await.unwrap();
    let standby = tokio::spawn(async move { second.campaign("b").await });
    tokio::time::sleep(TTL * 2).await;
    // The leader "dies": its keep-alives stop.
    let died_at = Instant::now();
    drop(leader);
    let next = standby.await.unwrap().unwrap();
    let took = died_at.elapsed();
    assert!(took <= TTL, "the standby took {took:?}");
    assert!(next.is_leader());
}

#[tokio::test(start_paused = true)]
async fn a_leader_whose_key_is_deleted_loses_the_leadership() {
    let store = MemoryStore::new();
    let leader = election(&store).campaign("a").await.unwrap();
    store
        .delete("/agents/leader", DeleteOptions::default())
        .await
        .unwrap();
    tokio::time::timeout(TTL, leader.lost()).await.unwrap();
    assert!(!leader.is_leader());
}

#[tokio::test(start_paused = true)]
async fn a_session_whose_lease_is_revoked_is_lost_and_so_is_the_campaign() {
    let store = MemoryStore::new();
    let shared: Arc<dyn KvStore> = Arc::new(store.clone());
    let session = Session::start(Arc::clone(&shared), TTL).await.unwrap();
    store.revoke_lease(session.lease()).await.unwrap();
    tokio::time::timeout(TTL, session.lost()).await.unwrap();
    assert!(!session.is_alive());

    store.close().await.unwrap();
    let err = election(&store).campaign("a").await.unwrap_err();
    assert!(matches!(err, ElectionError::Store { .. }), "{err}");
}
