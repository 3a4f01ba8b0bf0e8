//! When a process that exited on its own is started again.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// How many times a process that exits on its own is started again.
///
/// In config and template files it is a number, as upstream: `0` never, `n` at most `n`
/// times, `-1` always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Restarts {
    /// Never restart (the default).
    #[default]
    Never,
    /// Restart at most this many times in the process's life (manual starts reset it).
    Count(u32),
    /// Restart every time (still subject to the burst limit of [`RestartPolicy`]).
    Always,
}

impl Restarts {
    /// The number as written in files: `-1`, `0` or the count.
    pub fn as_number(self) -> i64 {
        match self {
            Restarts::Never => 0,
            Restarts::Count(n) => i64::from(n),
            Restarts::Always => -1,
        }
    }

    /// The value for a number of config files.
    ///
    /// # Errors
    /// A message when the number is below `-1` or above `u32::MAX`.
    pub fn from_number(number: i64) -> Result<Self, String> {
        match number {
            -1 => Ok(Restarts::Always),
            0 => Ok(Restarts::Never),
            n => u32::try_from(n).map(Restarts::Count).map_err(|_| {
                format!("invalid restarts {n}: use -1 (always), 0 (never) or a count")
            }),
        }
    }
}

impl Serialize for Restarts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.as_number())
    }
}

impl<'de> Deserialize<'de> for Restarts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let number = i64::deserialize(deserializer)?;
        Restarts::from_number(number).map_err(de::Error::custom)
    }
}

impl fmt::Display for Restarts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Restarts::Never => f.write_str("never"),
            Restarts::Count(n) => write!(f, "at most {n} times"),
            Restarts::Always => f.write_str("always"),
        }
    }
}

/// The pacing of restarts: capped exponential back-off and a burst limit.
///
/// The n-th restart in a row waits `backoff-initial * backoff-factor^(n-1)`, at most
/// `backoff-max`; a run that lasted `reset-after` or longer starts the sequence again. More
/// than `burst-limit` restarts within `burst-window` make the process `FATAL`: it is not
/// restarted again until started by hand. (Upstream restarts at once and without limit;
/// `backoff-initial: 0s` with `burst-limit: 0` behaves so.)
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_exec::RestartPolicy;
///
/// let policy: RestartPolicy = cninfra_core::config::parse_str(
///     "backoff-initial: 50ms\nburst-limit: 3\n",
///     "supervisor.conf".as_ref(),
/// )?;
/// assert_eq!(policy.delay(0), Duration::from_millis(50));
/// assert_eq!(policy.delay(2), Duration::from_millis(200));
/// assert_eq!(policy.delay(30), policy.backoff_max);
/// # Ok::<(), cninfra_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RestartPolicy {
    /// Wait before the first restart in a row. Default 100 ms.
    #[serde(with = "cninfra_core::config::duration")]
    pub backoff_initial: Duration,
    /// Each further restart in a row waits this many times longer. Default 2; values
    /// below 1 count as 1.
    pub backoff_factor: f64,
    /// The longest wait. Default 10 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub backoff_max: Duration,
    /// Restarts allowed within `burst-window`; one more makes the process FATAL. Default 5;
    /// 0 means no limit. It bounds counted restarts (`restarts: n`) only: `restarts: -1`
    /// restarts forever, paced by the back-off (upstream's and the seed's promise).
    pub burst_limit: u32,
    /// The window of the burst limit. Default 10 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub burst_window: Duration,
    /// A run at least this long resets the back-off to `backoff-initial`. Default 10 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub reset_after: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            backoff_initial: Duration::from_millis(100),
            backoff_factor: 2.0,
            backoff_max: Duration::from_secs(10),
            burst_limit: 5,
            burst_window: Duration::from_secs(10),
            reset_after: Duration::from_secs(10),
        }
    }
}

impl RestartPolicy {
    /// Upstream's pacing: restart at once, without a burst limit.
    pub fn immediate() -> Self {
        Self {
            backoff_initial: Duration::ZERO,
            burst_limit: 0,
            ..Self::default()
        }
    }

    /// The wait before a restart that follows `in_a_row` earlier restarts in a row.
    pub fn delay(&self, in_a_row: u32) -> Duration {
        let factor = self.backoff_factor.max(1.0);
        let exponent = i32::try_from(in_a_row).unwrap_or(i32::MAX);
        let seconds = self.backoff_initial.as_secs_f64() * factor.powi(exponent);
        let max = self.backoff_max.max(self.backoff_initial);
        if seconds.is_finite() && seconds < max.as_secs_f64() {
            Duration::from_secs_f64(seconds)
        } else {
            max
        }
    }
}

/// What to do after a process exited on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Start it again after this wait.
    Restart(Duration),
    /// The restart budget is spent (or restarts are off): the process stays `EXITED`.
    Exhausted,
    /// Too many restarts in the burst window: the process is `FATAL`.
    Fatal,
}

/// The restart history of one process.
#[derive(Debug, Default)]
pub(crate) struct RestartTracker {
    /// Automatic restarts so far (reported as `restarts`).
    done: u32,
    /// Restarts in a row since the last long-enough run.
    in_a_row: u32,
    /// When the recent restarts were decided, for the burst limit.
    recent: VecDeque<Instant>,
}

impl RestartTracker {
    /// Automatic restarts so far.
    pub(crate) fn done(&self) -> u32 {
        self.done
    }

    /// Decides about a process that exited at `now` after running for `ran_for`.
    pub(crate) fn on_exit(
        &mut self,
        restarts: Restarts,
        policy: &RestartPolicy,
        now: Instant,
        ran_for: Duration,
    ) -> Decision {
        let allowed = match restarts {
            Restarts::Never => false,
            Restarts::Count(n) => self.done < n,
            Restarts::Always => true,
        };
        if !allowed {
            return Decision::Exhausted;
        }
        if ran_for >= policy.reset_after {
            self.in_a_row = 0;
        }
        while self
            .recent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) > policy.burst_window)
        {
            self.recent.pop_front();
        }
        let limited = policy.burst_limit > 0 && restarts != Restarts::Always;
        if limited && self.recent.len() >= policy.burst_limit as usize {
            return Decision::Fatal;
        }
        let delay = policy.delay(self.in_a_row);
        self.in_a_row = self.in_a_row.saturating_add(1);
        self.done = self.done.saturating_add(1);
        self.recent.push_back(now);
        Decision::Restart(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn delays_grow_geometrically_up_to_the_cap() {
        let policy = RestartPolicy {
            backoff_initial: 100 * MS,
            backoff_max: 1000 * MS,
            ..RestartPolicy::default()
        };
        let delays: Vec<_> = (0..6).map(|n| policy.delay(n)).collect();
        assert_eq!(
            delays,
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]
        );
        assert_eq!(policy.delay(u32::MAX), 1000 * MS);
        assert_eq!(RestartPolicy::immediate().delay(7), Duration::ZERO);
    }

    #[test]
    fn count_budget_runs_out_and_always_does_not() {
        let policy = RestartPolicy {
            burst_limit: 0,
            ..RestartPolicy::default()
        };
        let start = Instant::now();
        let mut tracker = RestartTracker::default();
        for _ in 0..3 {
            assert!(matches!(
                tracker.on_exit(Restarts::Count(3), &policy, start, MS),
                Decision::Restart(_)
            ));
        }
        assert_eq!(
            tracker.on_exit(Restarts::Count(3), &policy, start, MS),
            Decision::Exhausted
        );
        assert_eq!(tracker.done(), 3);
        let mut tracker = RestartTracker::default();
        for _ in 0..100 {
            assert!(matches!(
                tracker.on_exit(Restarts::Always, &policy, start, MS),
                Decision::Restart(_)
            ));
        }
        assert_eq!(
            RestartTracker::default().on_exit(Restarts::Never, &policy, start, MS),
            Decision::Exhausted
        );
    }

    #[test]
    fn burst_limit_makes_fatal_only_within_the_window() {
        let policy = RestartPolicy {
            burst_limit: 3,
            burst_window: Duration::from_secs(10),
            ..RestartPolicy::default()
        };
        let many = Restarts::Count(100);
        let t0 = Instant::now();
        let mut tracker = RestartTracker::default();
        for i in 0..3 {
            let now = t0 + Duration::from_secs(i);
            assert!(matches!(
                tracker.on_exit(many, &policy, now, MS),
                Decision::Restart(_)
            ));
        }
        assert_eq!(
            tracker.on_exit(many, &policy, t0 + Duration::from_secs(5), MS),
            Decision::Fatal
        );
        // Spread out, the same number of restarts is fine.
        let mut tracker = RestartTracker::default();
        for i in 0..10 {
            let now = t0 + Duration::from_secs(6 * i);
            assert!(matches!(
                tracker.on_exit(many, &policy, now, MS),
                Decision::Restart(_)
            ));
        }
    }

    #[test]
    fn always_restarts_forever_with_back_off_whatever_the_burst_limit() {
        let policy = RestartPolicy::default();
        let now = Instant::now();
        let mut tracker = RestartTracker::default();
        let delays: Vec<Decision> = (0..50)
            .map(|_| tracker.on_exit(Restarts::Always, &policy, now, MS))
            .collect();
        assert_eq!(delays[0], Decision::Restart(100 * MS));
        assert_eq!(delays[3], Decision::Restart(800 * MS));
        assert_eq!(delays[49], Decision::Restart(policy.backoff_max));
        assert_eq!(tracker.done(), 50);
    }

    #[test]
    fn a_long_run_resets_the_backoff() {
        let policy = RestartPolicy {
            burst_limit: 0,
            ..RestartPolicy::default()
        };
        let now = Instant::now();
        let mut tracker = RestartTracker::default();
        let mut next = || tracker.on_exit(Restarts::Always, &policy, now, MS);
        assert_eq!(next(), Decision::Restart(100 * MS));
        assert_eq!(next(), Decision::Restart(200 * MS));
        assert_eq!(
            tracker.on_exit(Restarts::Always, &policy, now, Duration::from_secs(60)),
            Decision::Restart(100 * MS)
        );
    }

    #[test]
    fn restarts_read_and_write_as_numbers() {
        let parsed: Vec<Restarts> = serde_json::from_str("[-1, 0, 4]").unwrap();
        assert_eq!(
            parsed,
            [Restarts::Always, Restarts::Never, Restarts::Count(4)]
        );
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "[-1,0,4]");
        let err = serde_json::from_str::<Restarts>("-2").unwrap_err();
        assert!(err.to_string().contains("invalid restarts -2"), "{err}");
    }

    #[test]
    fn default_policy_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&RestartPolicy::default()).unwrap();
        let back: RestartPolicy = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, RestartPolicy::default());
    }
}
