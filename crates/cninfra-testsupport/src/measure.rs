//! Small measuring helpers shared by the bench binaries.

use std::time::Duration;

/// The `p` quantile (0.0–1.0) of `sorted` (ascending), nearest rank.
///
/// # Panics
/// When `sorted` is empty.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Peak resident memory of this process so far (`VmHWM`), in KiB; 0 where
/// `/proc/self/status` cannot be read.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// Operations and seconds, summed over the slices of a throughput measurement.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Operations done.
    pub ops: u64,
    /// Seconds they took.
    pub seconds: f64,
}

impl Rate {
    /// Adds another slice.
    pub fn add(&mut self, other: Rate) {
        self.ops += other.ops;
        self.seconds += other.seconds;
    }

    /// Operations per second.
    pub fn per_second(self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let ops = self.ops as f64;
        ops / self.seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_takes_the_nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 0.5), Duration::from_millis(51));
        assert_eq!(percentile(&sorted, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&sorted, 1.0), Duration::from_millis(100));
    }

    #[test]
    fn rates_add_up_over_slices() {
        let mut rate = Rate {
            ops: 100,
            seconds: 1.0,
        };
        rate.add(Rate {
            ops: 300,
            seconds: 1.0,
        });
        assert!((rate.per_second() - 200.0).abs() < f64::EPSILON);
    }

    #[test]
    fn peak_rss_is_read_on_linux() {
        assert!(peak_rss_kib() > 0);
    }
}
