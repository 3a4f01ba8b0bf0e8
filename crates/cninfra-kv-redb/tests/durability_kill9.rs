//! A put that returned is on disk: a child process writing keys is killed with SIGKILL and
//! every put it acknowledged must be in the file, with its revision.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use cninfra_kv::KvStore;
use cninfra_kv_redb::{RedbConfig, RedbStore};
use futures::TryStreamExt;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const CHILD: &str = env!("CARGO_BIN_EXE_redb-test-child");
/// Acknowledged puts after which the child is killed (it would go on to 100 000).
const KILL_AFTER: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_after_acknowledged_puts_loses_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.redb");
    let mut child = Command::new(CHILD)
        .args(["put", path.to_str().unwrap(), "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let acked = tokio::task::spawn_blocking(move || {
        let mut acked: Vec<(String, u64)> = Vec::new();
        let mut lines = BufReader::new(stdout).lines();
        while acked.len() < KILL_AFTER {
            let line = lines.next().expect("child ended early").unwrap();
            let mut parts = line.split(' ');
            assert_eq!(parts.next(), Some("ack"), "{line}");
            let key = parts.next().unwrap().to_owned();
            acked.push((key, parts.next().unwrap().parse().unwrap()));
        }
        // Kill while it is writing (it is already past the acknowledged puts).
        kill(
            Pid::from_raw(i32::try_from(child.id()).unwrap()),
            Signal::SIGKILL,
        )
        .unwrap();
        // Acknowledgements printed before the signal landed count too.
        for line in lines.map_while(Result::ok) {
            let mut parts = line.split(' ').skip(1);
            if let (Some(key), Some(Ok(rev))) = (parts.next(), parts.next().map(str::parse)) {
                acked.push((key.to_owned(), rev));
            }
        }
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child was killed, yet: {status}");
        acked
    })
    .await
    .unwrap();

    let store = RedbStore::open(RedbConfig::at(&path)).await.unwrap();
    for (key, revision) in &acked {
        let got = store.get(key).await.unwrap();
        assert_eq!(
            got.map(|v| v.revision),
            Some(*revision),
            "acknowledged put of `{key}` at {revision} is missing after SIGKILL"
        );
    }
    let stored: Vec<String> = store.list_keys("k/").try_collect().await.unwrap();
    assert!(
        stored.len() >= acked.len(),
        "{} < {}",
        stored.len(),
        acked.len()
    );
    // The store is usable and its revision goes on from where the child stopped.
    let last = acked.last().unwrap().1;
    assert!(store.revision().await.unwrap() >= last);
    let next = store
        .put("after-crash", "1".into(), Default::default())
        .await
        .unwrap();
    assert!(next > last);
    store.close().await.unwrap();
}
