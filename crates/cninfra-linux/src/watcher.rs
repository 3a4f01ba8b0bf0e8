//! The watcher: follows link and address events in every namespace the agent uses, pushes
//! the [southbound values](crate::southbound) that changed as SB notifications, and repairs
//! drift (a configured link or address changed by someone else) with a downstream resync.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use cninfra_kvscheduler::{ResyncKind, Scheduler, Value, ValueState};
use cninfra_ligato::linux::interfaces::interface;
use cninfra_netlink::{Address, EventKind, EventReceiver, Link, Namespace};
use ipnet::IpNet;
use tokio::task::JoinHandle;

use crate::LOG;
use crate::keys::{self, AddressSource};
use crate::models;
use crate::shared::Shared;
use crate::southbound::{self, Snapshot};

/// How the watcher paces itself.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pacing {
    /// How often the southbound values are re-read without events (namespaces have no
    /// events of their own).
    pub(crate) poll: Duration,
    /// How long to wait for more events before acting on a burst.
    pub(crate) debounce: Duration,
}

/// What one round of the watcher found.
#[derive(Debug, Default)]
struct Round {
    /// Southbound values that changed (`None`: gone).
    changes: Vec<(String, Option<Value>)>,
    /// Configured values the kernel contradicts.
    drift: Vec<String>,
}

/// The watcher's own state, kept between rounds (moved into each blocking round).
#[derive(Debug, Default)]
struct State {
    watched: BTreeSet<Namespace>,
    last: Snapshot,
}

/// Starts the watcher; abort the handle to stop it.
pub(crate) fn spawn(shared: Shared, scheduler: Scheduler, pacing: Pacing) -> JoinHandle<()> {
    let events = shared.netlink.subscribe();
    tokio::spawn(run(shared, scheduler, pacing, events))
}

async fn run(shared: Shared, scheduler: Scheduler, pacing: Pacing, mut events: EventReceiver) {
    let mut state = State::default();
    let mut tick = tokio::time::interval(pacing.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut check_drift = false;
        let mut resync = false;
        tokio::select! {
            _ = tick.tick() => {}
            event = events.recv() => {
                let Some(event) = event else {
                    tracing::warn!(target: LOG, "netlink events ended: the watcher stops");
                    return;
                };
                // Take the whole burst.
                tokio::time::sleep(pacing.debounce).await;
                for kind in std::iter::once(event.kind).chain(std::iter::from_fn(|| events.try_recv().ok().map(|e| e.kind))) {
                    match kind {
                        EventKind::Overrun => resync = true,
                        EventKind::LinkAdded(_) | EventKind::LinkChanged(_) | EventKind::LinkRemoved(_)
                        | EventKind::AddressAdded(_) | EventKind::AddressRemoved(_) => check_drift = true,
                        _ => {}
                    }
                }
            }
        }
        let round_shared = shared.clone();
        let round_scheduler = scheduler.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let round = round_of(&round_shared, &round_scheduler, &mut state, check_drift);
            (state, round)
        })
        .await;
        let round;
        (state, round) = match joined {
            Ok(done) => done,
            Err(err) => {
                tracing::error!(target: LOG, error = %err, "watcher round failed: the watcher stops");
                return;
            }
        };
        if !round.changes.is_empty()
            && let Err(err) = scheduler.push_sb_notification(round.changes)
        {
            // The next round pushes the difference again (the snapshot was not kept).
            tracing::warn!(target: LOG, error = %err, "southbound changes not delivered");
            state.last.clear();
        }
        if !round.drift.is_empty() {
            // Let what is queued (the agent's own changes) finish, then look again.
            scheduler.barrier().await;
            let again = shared.clone();
            let again_scheduler = scheduler.clone();
            let still = tokio::task::spawn_blocking(move || drifted(&again, &again_scheduler))
                .await
                .unwrap_or_default();
            if !still.is_empty() {
                tracing::info!(target: LOG, drift = ?still, "the kernel drifted from the configuration: resync");
                resync = true;
            }
        }
        if resync {
            let result = scheduler
                .txn()
                .with_resync(ResyncKind::Downstream)
                .with_description("linux watcher: the kernel drifted")
                .commit()
                .await;
            if let Err(err) = result {
                tracing::warn!(target: LOG, error = %err, "drift repair incomplete");
            }
        }
    }
}

/// One round: watch the namespaces in use, diff the southbound values, look for drift.
fn round_of(shared: &Shared, scheduler: &Scheduler, state: &mut State, check_drift: bool) -> Round {
    let in_use = shared.namespaces_in_use();
    for ns in in_use.difference(&state.watched) {
        if let Err(err) = shared.netlink.watch(ns) {
            tracing::debug!(target: LOG, %ns, error = %err, "cannot watch the namespace (yet)");
        }
    }
    for ns in state.watched.difference(&in_use) {
        shared.netlink.unwatch(ns);
    }
    state.watched = in_use;
    let now = southbound::snapshot(shared);
    let mut changes: Vec<(String, Option<Value>)> = state
        .last
        .keys()
        .filter(|key| !now.contains_key(*key))
        .map(|key| (key.clone(), None))
        .collect();
    changes.extend(
        now.iter()
            .filter(|(key, value)| state.last.get(*key) != Some(value))
            .map(|(key, value)| (key.clone(), Some(Value::new(value.clone())))),
    );
    state.last = now;
    let drift = if check_drift {
        drifted(shared, scheduler)
    } else {
        Vec::new()
    };
    Round { changes, drift }
}

/// The links and addresses of a namespace.
type Dump = (Vec<Link>, Vec<Address>);

/// The configured interfaces and addresses the kernel contradicts.
fn drifted(shared: &Shared, scheduler: &Scheduler) -> Vec<String> {
    let desired: Vec<_> = shared.desired.lock().values().cloned().collect();
    let mut kernel: HashMap<Namespace, Option<Dump>> = HashMap::new();
    let mut drift = Vec::new();
    for iface in desired {
        let status = scheduler.status(&models::interface_key(&iface.name));
        if status.value.state != ValueState::Configured {
            continue;
        }
        let Some(meta) = shared.interfaces.get(&iface.name) else {
            continue;
        };
        let Some((links, addresses)) = kernel
            .entry(meta.namespace.clone())
            .or_insert_with(|| {
                let links = shared.netlink.links(&meta.namespace).ok()?;
                let addresses = shared.netlink.addresses(&meta.namespace, None).ok()?;
                Some((links, addresses))
            })
            .as_ref()
        else {
            continue;
        };
        let Some(link) = links.iter().find(|l| l.index == meta.index) else {
            drift.push(format!("the link of `{}` is gone", iface.name));
            continue;
        };
        if iface.r#type() != interface::Type::Existing && link.up != iface.enabled {
            drift.push(format!(
                "`{}` is {}",
                iface.name,
                if link.up { "up" } else { "down" }
            ));
        }
        let configured: BTreeSet<&str> = status
            .derived_values
            .iter()
            .filter(|d| d.state == ValueState::Configured)
            .map(|d| d.key.as_str())
            .collect();
        for text in &iface.ip_addresses {
            let Ok(net) = text.parse::<IpNet>() else {
                continue;
            };
            let key = keys::address_key(&iface.name, AddressSource::Static, &net.to_string());
            if configured.contains(key.as_str())
                && !addresses
                    .iter()
                    .any(|a| a.index == meta.index && a.addr == net)
            {
                drift.push(format!("`{}` lost {net}", iface.name));
            }
        }
    }
    drift
}
