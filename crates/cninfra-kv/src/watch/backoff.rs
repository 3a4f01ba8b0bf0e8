//! The pause between two reconnection attempts of a watch loop.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

/// A jittered exponential back-off, modelled on kube-runtime's `DefaultBackoff`.
///
/// Each [`next_delay`](Self::next_delay) returns the current step with up to `jitter` of it
/// taken off at random, then multiplies the step by `factor`, up to `max`. So a pause is
/// never longer than `max`, and watchers that lost the same server do not all come back at
/// the same instant. [`reset`](Self::reset) after a success starts again from `initial`.
///
/// The default is kube-runtime's: from 800 ms, doubling, up to 30 s, with half of each step
/// random.
///
/// ```
/// use std::time::Duration;
/// use cninfra_kv::watch::Backoff;
///
/// let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
/// let first = backoff.next_delay();
/// assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
/// backoff.reset(); // after the reconnection worked
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    factor: f64,
    jitter: f64,
    /// The step the next delay is taken from.
    step: Duration,
    /// Source of the jitter: hashes of a counter with per-instance random keys.
    random: RandomState,
    draws: u64,
}

impl Backoff {
    /// Starts at `initial` and doubles up to `max` (`max` is raised to `initial` if
    /// smaller), with half of each step random.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            factor: 2.0,
            jitter: 0.5,
            step: initial,
            random: RandomState::new(),
            draws: 0,
        }
    }

    /// Sets the growth of the step per attempt (at least 1; the default is 2).
    #[must_use]
    pub fn with_factor(mut self, factor: f64) -> Self {
        self.factor = if factor.is_finite() {
            factor.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// Sets how much of each step may be taken off at random, from 0 (none: the exact
    /// steps) to 1 (anything from zero to the step); the default is 0.5.
    #[must_use]
    pub fn with_jitter(mut self, jitter: f64) -> Self {
        self.jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self
    }

    /// The pause before the next attempt; each call makes the following one longer.
    pub fn next_delay(&mut self) -> Duration {
        let step = self.step;
        self.step = Duration::try_from_secs_f64(step.as_secs_f64() * self.factor)
            .map_or(self.max, |next| next.min(self.max));
        step.mul_f64(1.0 - self.jitter * self.unit_random())
    }

    /// Starts again from the initial step (call it after a success).
    pub fn reset(&mut self) {
        self.step = self.initial;
    }

    /// A number in `[0, 1)`. `RandomState` keys are random per instance, so hashing a
    /// counter gives independent sequences without a random-number crate.
    fn unit_random(&mut self) -> f64 {
        self.draws += 1;
        let bits = self.random.hash_one(self.draws) >> 11;
        // 53 bits: exactly representable in an f64.
        bits as f64 / (1u64 << 53) as f64
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_millis(800), Duration::from_secs(30))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn without_jitter_steps_grow_by_the_factor_up_to_the_max() {
        let mut backoff = Backoff::new(100 * MS, 1000 * MS).with_jitter(0.0);
        let delays: Vec<_> = (0..6).map(|_| backoff.next_delay()).collect();
        assert_eq!(
            delays,
            [100 * MS, 200 * MS, 400 * MS, 800 * MS, 1000 * MS, 1000 * MS]
        );
        let mut tripling = Backoff::new(10 * MS, 100 * MS)
            .with_jitter(0.0)
            .with_factor(3.0);
        let delays: Vec<_> = (0..4).map(|_| tripling.next_delay()).collect();
        assert_eq!(delays, [10 * MS, 30 * MS, 90 * MS, 100 * MS]);
    }

    #[test]
    fn reset_starts_again_from_the_initial_step() {
        let mut backoff = Backoff::new(100 * MS, 1000 * MS).with_jitter(0.0);
        for _ in 0..5 {
            let _ = backoff.next_delay();
        }
        backoff.reset();
        assert_eq!(backoff.next_delay(), 100 * MS);
        assert_eq!(backoff.next_delay(), 200 * MS);
    }

    #[test]
    fn jitter_stays_within_its_share_of_the_step_and_varies() {
        let mut backoff = Backoff::new(1000 * MS, 1000 * MS).with_jitter(0.5);
        let delays: Vec<_> = (0..200).map(|_| backoff.next_delay()).collect();
        assert!(delays.iter().all(|d| *d >= 500 * MS && *d <= 1000 * MS));
        let distinct: std::collections::BTreeSet<_> = delays.iter().collect();
        assert!(
            distinct.len() > 100,
            "delays are spread: {}",
            distinct.len()
        );
        let mean = delays.iter().sum::<Duration>() / 200;
        assert!(mean > 650 * MS && mean < 850 * MS, "mean {mean:?}");
    }

    #[test]
    fn two_backoffs_do_not_draw_the_same_delays() {
        let mut a = Backoff::default();
        let mut b = Backoff::default();
        let a: Vec<_> = (0..8).map(|_| a.next_delay()).collect();
        let b: Vec<_> = (0..8).map(|_| b.next_delay()).collect();
        assert_ne!(a, b);
        assert!(a.iter().chain(&b).all(|d| *d <= Duration::from_secs(30)));
    }

    #[test]
    fn odd_settings_are_clamped() {
        let mut backoff = Backoff::new(100 * MS, 10 * MS)
            .with_factor(0.5)
            .with_jitter(f64::NAN);
        assert_eq!(backoff.next_delay(), 100 * MS, "max raised to initial");
        assert_eq!(backoff.next_delay(), 100 * MS, "factor below 1 counts as 1");
    }
}
