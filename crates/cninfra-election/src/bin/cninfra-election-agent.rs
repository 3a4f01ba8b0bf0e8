//! A minimal agent that campaigns in an election on etcd and, while it leads, writes
//! fenced records; the failover test runs two or three of them and kills the leader.
//!
//! `cninfra-election-agent <etcd endpoint> <election key> <ttl in ms> <candidate name> <records prefix>`
//!
//! Prints one line per event on stdout, each with the wall clock in Unix milliseconds:
//! `CANDIDATE <ms>` when it campaigns, `LEADER <fencing> <ms>` when it wins,
//! `LOST <fencing> <ms>` when it loses the leadership, `RESIGNED <ms>` when it stepped
//! down after its stdin closed. While leading it puts
//! `<records prefix><fencing:020>/<n:06>` every 50 ms, only while
//! [`Leadership::is_leader`](cninfra_election::Leadership::is_leader) holds.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use cninfra_election::{Election, Leadership};
use cninfra_kv::{KvStore, PutOptions};
use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
use tokio::io::AsyncReadExt;

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // The test reads these lines; a closed stdout leaves nothing to report to.
    let _ = writeln!(out, "{line} {}", now_ms());
    let _ = out.flush();
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, key, ttl_ms, name, records] = args.as_slice() else {
        bail!(
            "usage: cninfra-election-agent <etcd endpoint> <election key> <ttl ms> <name> <records prefix>"
        );
    };
    let ttl = Duration::from_millis(ttl_ms.parse().context("ttl in milliseconds")?);
    let config = EtcdConfig {
        dial_timeout: Duration::from_secs(5),
        operation_timeout: Duration::from_secs(1),
        ..EtcdConfig::with_endpoints([endpoint.as_str()])
    };
    let store: Arc<dyn KvStore> = Arc::new(EtcdStore::connect(&config).await?);
    let election = Election::new(Arc::clone(&store), key.clone()).with_ttl(ttl);

    let mut stdin_closed = Box::pin(async {
        let mut sink = Vec::new();
        let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    });
    loop {
        say("CANDIDATE");
        let leadership = tokio::select! {
            () = &mut stdin_closed => return Ok(()),
            won = election.campaign(name.clone()) => won?,
        };
        let fencing = leadership.fencing();
        say(&format!("LEADER {fencing}"));
        tokio::select! {
            () = &mut stdin_closed => {
                leadership.resign().await?;
                say("RESIGNED");
                return Ok(());
            }
            () = lead(&store, records, &leadership) => say(&format!("LOST {fencing}")),
        }
    }
}

/// Writes a fenced record every 50 ms while the leadership holds.
async fn lead(store: &Arc<dyn KvStore>, records: &str, leadership: &Leadership) {
    let fencing = leadership.fencing();
    let mut n = 0u32;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            () = leadership.lost() => return,
            _ = tick.tick() => {}
        }
        if !leadership.is_leader() {
            return;
        }
        let record = format!("{records}{fencing:020}/{n:06}");
        if store
            .put(&record, "x".into(), PutOptions::default())
            .await
            .is_ok()
        {
            n += 1;
        }
    }
}
