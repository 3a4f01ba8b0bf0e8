//! Which file wins a key, writes to the status file (atomic, persistent, read-only
//! configuration files), and revisions across restarts.

mod fixture;

use cninfra_kv::{ChangeKind, KvStore, PutOptions, ResyncReason, Txn, WatchEvent};
use cninfra_kv_filedb::{FileDbConfig, FileDbStore};
use fixture::{Fixture, WAIT, config, next_change, write, yaml};
use futures::StreamExt;

#[tokio::test]
async fn the_last_file_in_path_order_wins_and_its_removal_falls_back() {
    let f = Fixture::new(&[
        ("a.yaml", &yaml(&[("k", "\"from a\"")])),
        ("b.yaml", &yaml(&[("k", "\"from b\"")])),
    ])
    .await;
    assert_eq!(f.value("k").await.as_deref(), Some("\"from b\""));
    let mut watch = f.store.watch(&[""], None).await.unwrap();
    std::fs::remove_file(f.data("b.yaml")).unwrap();
    let change = next_change(&mut watch).await;
    assert_eq!(
        (change.kind, change.value.as_ref()),
        (ChangeKind::Put, &b"\"from a\""[..])
    );
}

#[tokio::test]
async fn writes_go_to_the_status_file_which_wins_and_configuration_keys_are_read_only() {
    let f = Fixture::new(&[("a.yaml", &yaml(&[("cfg/a", "1")]))]).await;
    let mut watch = f.store.watch(&["cfg/"], None).await.unwrap();

    // A put overrides the configured value; the status file holds it.
    f.store
        .put("cfg/a", "2".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(next_change(&mut watch).await.value, "2");
    let status = std::fs::read_to_string(f.dir.path().join("status.yaml")).unwrap();
    assert!(status.contains("cfg/a"), "{status}");

    // A configuration file edit of that key does not show through the status value.
    write(&f.data("a.yaml"), &yaml(&[("cfg/a", "5"), ("cfg/b", "1")]));
    let change = next_change(&mut watch).await;
    assert_eq!(change.key, "cfg/b");

    // Deleting a configured key is refused, also by prefix and inside a txn (which then
    // applies nothing).
    let err = f
        .store
        .delete("cfg/a", Default::default())
        .await
        .unwrap_err();
    assert!(
        err.is_unsupported() && err.to_string().contains("configuration file"),
        "{err}"
    );
    let err = f
        .store
        .delete("cfg/", cninfra_kv::DeleteOptions::prefix())
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    let err = Txn::new()
        .put("cfg/new", "1")
        .delete("cfg/b")
        .commit(&f.store)
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    assert_eq!(f.value("cfg/new").await, None);

    // Status-only keys can be deleted.
    f.store
        .put("st/x", "1".into(), PutOptions::default())
        .await
        .unwrap();
    assert!(f.store.delete("st/x", Default::default()).await.unwrap());
    assert!(!f.store.delete("st/x", Default::default()).await.unwrap());
}

#[tokio::test]
async fn status_writes_survive_a_restart_and_old_revisions_resync() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let store = FileDbStore::open(config(dir.path())).await.unwrap();
    let binary: &[u8] = &[0, 1, 2, 255];
    let r1 = store
        .put("st/bin", binary.to_vec().into(), PutOptions::default())
        .await
        .unwrap();
    store
        .put("st/text", "not json".into(), PutOptions::default())
        .await
        .unwrap();
    store.close().await.unwrap();

    let store = FileDbStore::open(config(dir.path())).await.unwrap();
    assert_eq!(store.get("st/bin").await.unwrap().unwrap().value, binary);
    assert_eq!(
        store.get("st/text").await.unwrap().unwrap().value,
        "not json"
    );
    let now = store.revision().await.unwrap();
    assert!(
        now > r1,
        "revisions go on rising across restarts ({now} <= {r1})"
    );

    let mut watch = store.watch(&[""], Some(r1)).await.unwrap();
    match tokio::time::timeout(WAIT, watch.next()).await {
        Ok(Some(Ok(WatchEvent::Resync(ResyncReason::Compacted { requested, .. })))) => {
            assert_eq!(requested, r1);
        }
        other => panic!("expected a resync for a revision of the last run, got {other:?}"),
    }
    store.close().await.unwrap();
}

#[tokio::test]
async fn someone_else_editing_the_status_file_is_picked_up() {
    let f = Fixture::new(&[]).await;
    f.store
        .put("st/a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    let mut watch = f.store.watch(&["st/"], None).await.unwrap();
    write(
        &f.dir.path().join("status.yaml"),
        &yaml(&[("st/a", "1"), ("st/b", "2")]),
    );
    let change = next_change(&mut watch).await;
    assert_eq!(
        (change.key.as_str(), change.value.as_ref()),
        ("st/b", &b"2"[..])
    );
}

#[tokio::test]
async fn without_a_status_path_writes_and_ttls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileDbStore::open(FileDbConfig {
        configuration_paths: vec![dir.path().to_owned()],
        ..FileDbConfig::default()
    })
    .await
    .unwrap();
    assert!(!store.capabilities().txn && !store.capabilities().ttl);
    let err = store
        .put("a", "1".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.is_unsupported() && err.to_string().contains("status-path"),
        "{err}"
    );
    let ttl = PutOptions::default().with_ttl(std::time::Duration::from_secs(1));
    assert!(
        store
            .put("a", "1".into(), ttl)
            .await
            .unwrap_err()
            .is_unsupported()
    );
    assert_eq!(store.get("absent").await.unwrap(), None);
    store.close().await.unwrap();
}
