//! The liveness and readiness rule.

use crate::state::State;
use crate::status::AgentStatus;

/// What an ERROR of a plugin fails.
///
/// | criticality | INIT | OK | ERROR |
/// |---|---|---|---|
/// | [`Liveness`](Criticality::Liveness) (default) | live, not ready | live, ready | **not live**, not ready |
/// | [`Readiness`](Criticality::Readiness) | live, not ready | live, ready | live, not ready |
///
/// A plugin whose health is about something outside the agent (a connector losing its
/// server) registers with [`Readiness`](Criticality::Readiness): a restart would not bring
/// the server back, so Kubernetes should stop sending traffic to the agent but not restart
/// it. Everything else keeps the default: an internal part in ERROR is what a restart may fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Criticality {
    /// An ERROR fails both liveness and readiness: an internal part that a restart may fix.
    #[default]
    Liveness,
    /// An ERROR fails readiness only: the plugin's health depends on an external server.
    Readiness,
}

/// The agent's status with the probe verdicts drawn from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The agent status.
    pub status: AgentStatus,
    /// Whether `GET /liveness` passes: no plugin with [`Criticality::Liveness`] is in ERROR
    /// (plugins named non-fatal do not count).
    pub live: bool,
    /// Whether `GET /readiness` passes: the agent finished starting and every plugin is OK,
    /// except that an ERROR of a plugin named non-fatal does not count.
    pub ready: bool,
}

/// Applies the rule to `(name, state, criticality)` of every plugin.
pub(crate) fn judge<'a>(
    started: bool,
    plugins: impl IntoIterator<Item = (&'a str, State, Criticality)>,
    non_fatal: &[String],
) -> (bool, bool) {
    let mut live = true;
    let mut ready = started;
    for (name, state, criticality) in plugins {
        let fatal = !non_fatal.iter().any(|n| n == name);
        match state {
            State::Ok => {}
            State::Init => ready = false,
            State::Error if !fatal => {}
            State::Error => {
                ready = false;
                if criticality == Criticality::Liveness {
                    live = false;
                }
            }
        }
    }
    (live, ready)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Criticality::{Liveness, Readiness};
    use State::{Error, Init, Ok};

    type Plugins<'a> = Vec<(&'a str, State, Criticality)>;

    fn verdict(
        started: bool,
        plugins: &[(&str, State, Criticality)],
        non_fatal: &[&str],
    ) -> (bool, bool) {
        let non_fatal: Vec<String> = non_fatal.iter().map(|s| (*s).to_owned()).collect();
        judge(started, plugins.iter().copied(), &non_fatal)
    }

    #[test]
    fn the_table_of_states_and_criticalities() {
        // (plugins, non-fatal, live, ready), all after the agent started.
        let cases: Vec<(Plugins<'_>, Vec<&str>, bool, bool)> = vec![
            (vec![], vec![], true, true),
            (vec![("a", Init, Liveness)], vec![], true, false),
            (vec![("a", Ok, Liveness)], vec![], true, true),
            (vec![("a", Error, Liveness)], vec![], false, false),
            (vec![("a", Init, Readiness)], vec![], true, false),
            (vec![("a", Ok, Readiness)], vec![], true, true),
            (vec![("a", Error, Readiness)], vec![], true, false),
            (vec![("a", Error, Liveness)], vec!["a"], true, true),
            (vec![("a", Init, Liveness)], vec!["a"], true, false),
            (
                vec![("a", Error, Liveness), ("b", Ok, Readiness)],
                vec!["a"],
                true,
                true,
            ),
            (
                vec![("a", Error, Readiness), ("b", Error, Liveness)],
                vec!["a"],
                false,
                false,
            ),
            (
                vec![("a", Error, Readiness), ("b", Ok, Liveness)],
                vec![],
                true,
                false,
            ),
        ];
        for (plugins, non_fatal, live, ready) in cases {
            assert_eq!(
                verdict(true, &plugins, &non_fatal),
                (live, ready),
                "{plugins:?} {non_fatal:?}"
            );
        }
    }

    #[test]
    fn not_ready_until_started() {
        assert_eq!(verdict(false, &[], &[]), (true, false));
        assert_eq!(verdict(false, &[("a", Ok, Liveness)], &[]), (true, false));
    }
}
