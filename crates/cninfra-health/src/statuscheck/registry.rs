//! The statuses and the rules for changing them; no I/O, no tasks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use cninfra_core::BuildInfo;

use super::probe::Probe;
use super::publisher::{Record, StatusPublisher, Targets};
use crate::error::HealthError;
use crate::state::State;
use crate::status::{AgentStatus, PluginStatus};
use crate::verdict::{Criticality, Health, judge};

#[derive(Debug)]
struct Entry {
    status: PluginStatus,
    criticality: Criticality,
    probe: Option<Probe>,
}

/// Everything the status check knows.
#[derive(Debug)]
pub(super) struct Registry {
    build: BuildInfo,
    start_time: SystemTime,
    started: bool,
    state: State,
    last_change: SystemTime,
    last_update: SystemTime,
    plugins: BTreeMap<String, Entry>,
    publishers: Targets,
    /// Counts the changes of anything a status shows (times included).
    revision: u64,
}

impl Registry {
    pub(super) fn new(now: SystemTime) -> Self {
        Self {
            build: BuildInfo::default(),
            start_time: now,
            started: false,
            state: State::Init,
            last_change: now,
            last_update: now,
            plugins: BTreeMap::new(),
            publishers: Arc::new([]),
            revision: 0,
        }
    }

    /// Sets what the agent tells in `init`.
    pub(super) fn set_agent(&mut self, build: BuildInfo, start_time: SystemTime) {
        self.build = build;
        self.start_time = start_time;
        self.revision += 1;
    }

    /// The publishers to tell about a change now.
    pub(super) fn publishers(&self) -> &Targets {
        &self.publishers
    }

    /// Every status as it is, with `last_update` at `now`: what a periodic re-publication
    /// sends (the registry itself is not changed).
    pub(super) fn snapshot(&self, now: SystemTime) -> Vec<Record> {
        let mut agent = self.agent_status();
        agent.last_update = now;
        let mut records = vec![Record::Agent(agent)];
        records.extend(self.plugins.values().map(|e| {
            let mut status = e.status.clone();
            status.last_update = now;
            Record::Plugin(status)
        }));
        records
    }

    /// Adds a publisher; returns what it must be told first (everything as it is).
    pub(super) fn add_publisher(&mut self, publisher: Arc<dyn StatusPublisher>) -> Vec<Record> {
        let mut all: Vec<_> = self.publishers.iter().cloned().collect();
        all.push(publisher);
        self.publishers = all.into();
        let mut records = vec![Record::Agent(self.agent_status())];
        records.extend(
            self.plugins
                .values()
                .map(|e| Record::Plugin(e.status.clone())),
        );
        records
    }

    /// Registers (or re-registers) a plugin in INIT.
    pub(super) fn register(
        &mut self,
        name: String,
        criticality: Criticality,
        probe: Option<Probe>,
        now: SystemTime,
    ) -> Vec<Record> {
        self.revision += 1;
        let status = PluginStatus {
            name: name.clone(),
            state: State::Init,
            last_change: now,
            last_update: now,
            error: None,
        };
        let previous = self.plugins.insert(
            name,
            Entry {
                status: status.clone(),
                criticality,
                probe,
            },
        );
        let mut records = Vec::new();
        let unchanged = previous
            .as_ref()
            .is_some_and(|p| p.status.state == State::Init && p.status.error.is_none());
        if unchanged {
            // Keep the time of the real last change.
            if let (Some(previous), Some(entry)) = (previous, self.plugins.get_mut(&status.name)) {
                entry.status.last_change = previous.status.last_change;
            }
        } else {
            records.push(Record::Plugin(status));
        }
        records.extend(self.refresh(now));
        records
    }

    /// Applies a report; returns what changed.
    pub(super) fn report(
        &mut self,
        name: &str,
        state: State,
        error: Option<String>,
        now: SystemTime,
    ) -> Result<Vec<Record>, HealthError> {
        let entry = self
            .plugins
            .get_mut(name)
            .ok_or_else(|| HealthError::NotRegistered {
                name: name.to_owned(),
            })?;
        self.last_update = now;
        self.revision += 1;
        let status = &mut entry.status;
        status.last_update = now;
        if status.state == state && status.error == error {
            return Ok(Vec::new());
        }
        status.state = state;
        status.error = error;
        status.last_change = now;
        let mut records = vec![Record::Plugin(status.clone())];
        records.extend(self.refresh(now));
        Ok(records)
    }

    /// The agent finished starting: INIT gives way to the plugins' aggregate.
    pub(super) fn mark_started(&mut self, now: SystemTime) -> Vec<Record> {
        self.started = true;
        self.revision += 1;
        self.refresh(now).into_iter().collect()
    }

    /// Recomputes the agent state; the agent status if it changed.
    fn refresh(&mut self, now: SystemTime) -> Option<Record> {
        let plugins = State::aggregate(self.plugins.values().map(|e| e.status.state));
        let state = match plugins {
            State::Ok if !self.started => State::Init,
            other => other,
        };
        if state == self.state {
            return None;
        }
        self.state = state;
        self.last_change = now;
        Some(Record::Agent(self.agent_status()))
    }

    /// Changes whenever a status would read differently.
    pub(super) fn revision(&self) -> u64 {
        self.revision
    }

    pub(super) fn agent_status(&self) -> AgentStatus {
        AgentStatus {
            build_version: self.build.version.clone(),
            build_date: self.build.date.clone(),
            commit_hash: self.build.commit.clone(),
            state: self.state,
            start_time: self.start_time,
            last_change: self.last_change,
            last_update: self.last_update,
            plugins: self.plugin_statuses(),
        }
    }

    pub(super) fn plugin_status(&self, name: &str) -> Option<PluginStatus> {
        self.plugins.get(name).map(|e| e.status.clone())
    }

    pub(super) fn plugin_statuses(&self) -> Vec<PluginStatus> {
        self.plugins.values().map(|e| e.status.clone()).collect()
    }

    pub(super) fn probes(&self) -> Vec<(String, Probe)> {
        self.plugins
            .iter()
            .filter_map(|(name, e)| e.probe.clone().map(|p| (name.clone(), p)))
            .collect()
    }

    pub(super) fn health(&self, non_fatal: &[String]) -> Health {
        let plugins = self
            .plugins
            .iter()
            .map(|(name, e)| (name.as_str(), e.status.state, e.criticality));
        let (live, ready) = judge(self.started, plugins, non_fatal);
        Health {
            status: self.agent_status(),
            live,
            ready,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn kinds(records: &[Record]) -> Vec<String> {
        records
            .iter()
            .map(|r| match r {
                Record::Agent(a) => format!("agent {}", a.state),
                Record::Plugin(p) => format!("{} {}", p.name, p.state),
            })
            .collect()
    }

    #[test]
    fn only_changes_are_recorded_and_last_update_always_moves() {
        let mut reg = Registry::new(at(0));
        assert_eq!(
            kinds(&reg.register("db".into(), Criticality::Liveness, None, at(1))),
            ["db INIT"]
        );
        assert!(reg.mark_started(at(2)).is_empty(), "db still INIT");

        assert_eq!(
            kinds(&reg.report("db", State::Ok, None, at(3)).unwrap()),
            ["db OK", "agent OK"]
        );
        assert!(reg.report("db", State::Ok, None, at(4)).unwrap().is_empty());
        let db = reg.plugin_status("db").unwrap();
        assert_eq!((db.last_change, db.last_update), (at(3), at(4)));
        assert_eq!(reg.agent_status().last_change, at(3));
        assert_eq!(reg.agent_status().last_update, at(4));

        // A new error text is a change even in the same state.
        let error = |t: &str| Some(t.to_owned());
        assert_eq!(
            kinds(&reg.report("db", State::Error, error("a"), at(5)).unwrap()),
            ["db ERROR", "agent ERROR"]
        );
        assert_eq!(
            kinds(&reg.report("db", State::Error, error("b"), at(6)).unwrap()),
            ["db ERROR"]
        );
        assert!(
            reg.report("db", State::Error, error("b"), at(7))
                .unwrap()
                .is_empty()
        );
        assert_eq!(reg.plugin_status("db").unwrap().error, error("b"));

        let before = reg.revision();
        assert!(
            reg.report("db", State::Error, error("b"), at(8))
                .unwrap()
                .is_empty()
        );
        assert!(
            reg.revision() > before,
            "last_update moved, so the revision must too"
        );

        let err = reg.report("nobody", State::Ok, None, at(8)).unwrap_err();
        assert!(err.to_string().contains("`nobody`"), "{err}");
    }

    #[test]
    fn the_agent_state_aggregates_all_plugins() {
        let mut reg = Registry::new(at(0));
        assert!(kinds(&reg.mark_started(at(1))).contains(&"agent OK".to_owned()));
        reg.register("a".into(), Criticality::Liveness, None, at(2));
        reg.register("b".into(), Criticality::Readiness, None, at(2));
        assert_eq!(reg.agent_status().state, State::Init);
        reg.report("a", State::Ok, None, at(3)).unwrap();
        assert_eq!(reg.agent_status().state, State::Init, "b still INIT");
        reg.report("b", State::Error, Some("down".into()), at(4))
            .unwrap();
        assert_eq!(reg.agent_status().state, State::Error);
        // Upstream took the last change (OK here); the aggregate stays ERROR.
        reg.report("a", State::Error, Some("x".into()), at(5))
            .unwrap();
        reg.report("a", State::Ok, None, at(6)).unwrap();
        assert_eq!(reg.agent_status().state, State::Error);
        reg.report("b", State::Ok, None, at(7)).unwrap();
        assert_eq!(reg.agent_status().state, State::Ok);
        assert_eq!(reg.agent_status().last_change, at(7));
    }

    #[test]
    fn the_agent_is_init_until_started_unless_a_plugin_failed() {
        let mut reg = Registry::new(at(0));
        reg.register("a".into(), Criticality::Liveness, None, at(1));
        reg.report("a", State::Ok, None, at(2)).unwrap();
        assert_eq!(reg.agent_status().state, State::Init);
        reg.report("a", State::Error, None, at(3)).unwrap();
        assert_eq!(reg.agent_status().state, State::Error);
        reg.report("a", State::Ok, None, at(4)).unwrap();
        assert_eq!(reg.agent_status().state, State::Init);
        reg.mark_started(at(5));
        assert_eq!(reg.agent_status().state, State::Ok);
    }

    #[test]
    fn re_registering_resets_to_init() {
        let mut reg = Registry::new(at(0));
        reg.register("a".into(), Criticality::Liveness, None, at(1));
        assert!(
            reg.register("a".into(), Criticality::Liveness, None, at(2))
                .is_empty()
        );
        assert_eq!(reg.plugin_status("a").unwrap().last_change, at(1));
        reg.report("a", State::Ok, None, at(3)).unwrap();
        assert_eq!(
            kinds(&reg.register("a".into(), Criticality::Readiness, None, at(4))),
            ["a INIT"]
        );
    }
}
