//! The recorded history: processed transactions and per-key revisions of the graph.
//!
//! A revision shares the value, dependency list and derived-key list of the node (`Arc`s),
//! so recording costs a small struct per changed key, not a copy of the node. Records
//! older than the age limit are trimmed (checked once a minute), except those made in the
//! first minutes after start (the init period), which are kept for good.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::descriptor::{DepTarget, Dependency, DescId, Registry};
use crate::graph::{Graph, Node};
use crate::hash::FastMap;
use crate::state::{Origin, ValueState};
use crate::txn::{RecordedTxn, rfc3339};
use crate::value::Value;

/// One revision of a key.
#[derive(Debug, Clone)]
struct Revision {
    since: SystemTime,
    until: Option<SystemTime>,
    txn_seq: u64,
    value: Option<Value>,
    state: ValueState,
    origin: Origin,
    available: bool,
    descriptor: Option<DescId>,
    base: Option<Arc<str>>,
    error: Option<Arc<str>>,
    deps: Arc<[Dependency]>,
    derived: Arc<[Arc<str>]>,
    last_update: Option<u64>,
}

impl Revision {
    fn of(node: &Node, txn_seq: u64, since: SystemTime) -> Self {
        Self {
            since,
            until: None,
            txn_seq,
            value: node.value.clone(),
            state: node.state,
            origin: node.origin,
            available: node.available,
            descriptor: node.descriptor,
            base: node.base.clone(),
            error: node.error.as_ref().map(|e| Arc::clone(&e.message)),
            deps: Arc::clone(node.deps()),
            derived: Arc::clone(&node.derived),
            last_update: node.last_update.as_ref().map(|u| u.txn_seq),
        }
    }

    fn same_as(&self, other: &Self) -> bool {
        self.value == other.value
            && self.state == other.state
            && self.origin == other.origin
            && self.available == other.available
            && self.descriptor == other.descriptor
            && self.base == other.base
            && self.error == other.error
            && Arc::ptr_eq(&self.deps, &other.deps)
            && self.derived == other.derived
            && self.last_update == other.last_update
    }

    fn valid_at(&self, time: SystemTime) -> bool {
        self.since <= time && self.until.is_none_or(|until| time < until)
    }
}

/// A flag of a recorded node (upstream's node flags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedFlag {
    /// Flag name: `last-update`, `error`, `value-state`, `unavailable`, `descriptor`,
    /// `derived`.
    pub name: String,
    /// Flag value (empty for `unavailable`).
    pub value: String,
}

/// An outgoing edge group of a recorded node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedTarget {
    /// `depends-on` or `derives`.
    pub relation: &'static str,
    /// Dependency label (the derived key for `derives`).
    pub label: String,
    /// The target key, or the prefixes of an any-of dependency.
    pub keys: Vec<String>,
    /// Whether an any-of dependency also has a selector.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub selector: bool,
}

/// One revision of a key, as the REST API returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedNode {
    /// Start of validity.
    #[serde(serialize_with = "rfc3339")]
    pub since: SystemTime,
    /// End of validity (`None` = still valid).
    #[serde(serialize_with = "opt_rfc3339")]
    pub until: Option<SystemTime>,
    /// Transaction that made the revision.
    pub txn_seq: u64,
    /// The key.
    pub key: String,
    /// The value.
    pub value: Option<Value>,
    /// Flags.
    pub flags: Vec<RecordedFlag>,
    /// Relations.
    pub targets: Vec<RecordedTarget>,
}

fn opt_rfc3339<S: serde::Serializer>(t: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// Revision counts per flag value (`GET /scheduler/flag-stats`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlagStats {
    /// Revisions having the flag.
    pub total_count: u64,
    /// Revisions per flag value.
    pub per_value_count: BTreeMap<String, u64>,
}

/// The history kept by the engine.
#[derive(Debug)]
pub(crate) struct History {
    pub(crate) enabled: bool,
    pub(crate) age_limit: Duration,
    pub(crate) init_period: Duration,
    started: SystemTime,
    txns: VecDeque<Arc<RecordedTxn>>,
    timelines: FastMap<Arc<str>, Vec<Revision>>,
    revisions: usize,
    last_trim: Instant,
}

impl Default for History {
    fn default() -> Self {
        Self {
            enabled: true,
            age_limit: Duration::from_secs(24 * 3600),
            init_period: Duration::from_secs(3600),
            started: SystemTime::now(),
            txns: VecDeque::new(),
            timelines: FastMap::default(),
            revisions: 0,
            last_trim: Instant::now(),
        }
    }
}

impl History {
    pub(crate) fn add_txn(&mut self, txn: RecordedTxn) {
        if !self.enabled {
            return;
        }
        self.txns.push_back(Arc::new(txn));
        if self.last_trim.elapsed() >= Duration::from_secs(60) {
            self.trim(SystemTime::now());
        }
    }

    /// Records the current state of `keys` (absent nodes close their last revision).
    pub(crate) fn record_revisions(
        &mut self,
        graph: &Graph,
        keys: &[Arc<str>],
        txn_seq: u64,
        now: SystemTime,
    ) {
        if !self.enabled {
            return;
        }
        for key in keys {
            let node = graph.get(key);
            let timeline = match self.timelines.get_mut(&**key) {
                Some(t) => t,
                None if node.is_none() => continue,
                None => self.timelines.entry(Arc::clone(key)).or_default(),
            };
            let new = node.map(|n| Revision::of(n, txn_seq, now));
            if let Some(last) = timeline.last_mut().filter(|r| r.until.is_none()) {
                if new.as_ref().is_some_and(|n| n.same_as(last)) {
                    continue;
                }
                last.until = Some(now);
            }
            if let Some(new) = new {
                timeline.push(new);
                self.revisions += 1;
            }
        }
    }

    fn trim(&mut self, now: SystemTime) {
        self.last_trim = Instant::now();
        let Some(limit) = now.checked_sub(self.age_limit) else {
            return;
        };
        let keep_from = self.started + self.init_period;
        self.txns.retain(|t| t.stop >= limit || t.start < keep_from);
        let mut removed = 0;
        self.timelines.retain(|_, timeline| {
            let before = timeline.len();
            timeline.retain(|r| r.until.is_none_or(|u| u >= limit) || r.since < keep_from);
            removed += before - timeline.len();
            !timeline.is_empty()
        });
        self.revisions -= removed;
    }

    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.txns.len(), self.revisions)
    }

    pub(crate) fn txn(&self, seq: u64) -> Option<Arc<RecordedTxn>> {
        let i = self.txns.binary_search_by_key(&seq, |t| t.seq_num).ok()?;
        self.txns.get(i).cloned()
    }

    /// Transactions started within `[since, until]`.
    pub(crate) fn txns(
        &self,
        since: Option<SystemTime>,
        until: Option<SystemTime>,
    ) -> Vec<Arc<RecordedTxn>> {
        let from = since.map_or(0, |s| self.txns.partition_point(|t| t.start < s));
        self.txns
            .range(from..)
            .take_while(|t| until.is_none_or(|u| t.start <= u))
            .cloned()
            .collect()
    }

    pub(crate) fn timeline(
        &self,
        registry: &Registry,
        key: &str,
        at: Option<SystemTime>,
    ) -> Vec<RecordedNode> {
        self.timelines
            .get_key_value(key)
            .map(|(k, revisions)| {
                revisions
                    .iter()
                    .filter(|r| at.is_none_or(|t| r.valid_at(t)))
                    .map(|r| recorded(registry, k, r))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn snapshot(&self, registry: &Registry, at: SystemTime) -> Vec<RecordedNode> {
        let mut nodes: Vec<RecordedNode> = self
            .timelines
            .iter()
            .filter_map(|(k, revisions)| {
                revisions
                    .iter()
                    .find(|r| r.valid_at(at) && r.value.is_some())
                    .map(|r| recorded(registry, k, r))
            })
            .collect();
        nodes.sort_by(|a, b| a.key.cmp(&b.key));
        nodes
    }

    pub(crate) fn flag_stats(
        &self,
        registry: &Registry,
        flag: &str,
        prefixes: &[String],
    ) -> FlagStats {
        let mut stats = FlagStats::default();
        for (key, revisions) in &self.timelines {
            if !prefixes.is_empty() && !prefixes.iter().any(|p| key.starts_with(p.as_str())) {
                continue;
            }
            for r in revisions {
                if let Some(f) = flags(registry, r).into_iter().find(|f| f.name == flag) {
                    stats.total_count += 1;
                    *stats.per_value_count.entry(f.value).or_default() += 1;
                }
            }
        }
        stats
    }
}

fn flags(registry: &Registry, r: &Revision) -> Vec<RecordedFlag> {
    let flag = |name: &str, value: String| RecordedFlag {
        name: name.to_owned(),
        value,
    };
    let mut out = Vec::with_capacity(6);
    if let Some(seq) = r.last_update {
        out.push(flag("last-update", format!("TXN-{seq}")));
    }
    if let Some(err) = &r.error {
        out.push(flag("error", err.to_string()));
    }
    out.push(flag("value-state", r.state.to_string()));
    if !r.available {
        out.push(flag("unavailable", String::new()));
    }
    if let Some(id) = r.descriptor {
        out.push(flag("descriptor", registry.get(id).name().to_owned()));
    }
    if let Some(base) = &r.base {
        out.push(flag("derived", base.to_string()));
    }
    out
}

fn recorded(registry: &Registry, key: &str, r: &Revision) -> RecordedNode {
    let mut targets: Vec<RecordedTarget> = r
        .deps
        .iter()
        .map(|d| match &d.target {
            DepTarget::Key(k) => RecordedTarget {
                relation: "depends-on",
                label: d.label().to_owned(),
                keys: vec![k.to_string()],
                selector: false,
            },
            DepTarget::AnyOf { prefixes, selector } => RecordedTarget {
                relation: "depends-on",
                label: d.label().to_owned(),
                keys: prefixes.iter().map(ToString::to_string).collect(),
                selector: selector.is_some(),
            },
        })
        .collect();
    targets.extend(r.derived.iter().map(|k| RecordedTarget {
        relation: "derives",
        label: k.to_string(),
        keys: vec![k.to_string()],
        selector: false,
    }));
    RecordedNode {
        since: r.since,
        until: r.until,
        txn_seq: r.txn_seq,
        key: key.to_owned(),
        value: r.value.clone(),
        flags: flags(registry, r),
        targets,
    }
}

/// The graph as it is now, in the recorded form.
pub(crate) fn current_nodes(
    graph: &Graph,
    registry: &Registry,
    now: SystemTime,
) -> Vec<RecordedNode> {
    let mut nodes: Vec<RecordedNode> = graph
        .nodes()
        .filter(|n| n.value.is_some())
        .map(|n| {
            recorded(
                registry,
                &n.key,
                &Revision::of(n, n.last_update.as_ref().map_or(0, |u| u.txn_seq), now),
            )
        })
        .collect();
    nodes.sort_by(|a, b| a.key.cmp(&b.key));
    nodes
}
