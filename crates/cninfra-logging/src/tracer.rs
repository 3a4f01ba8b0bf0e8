//! [`Tracer`]: records how long named steps took, for repeated events and start-up timing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Collects the durations of named steps (upstream's `measure` tracer).
///
/// Each [`log_time`](Self::log_time) call records one entry with a running index, so an
/// entity that repeats (a resync, a request kind) shows each occurrence and an average.
/// Thread-safe; share it behind an `Arc`.
///
/// # Examples
/// ```
/// use std::time::Instant;
/// use cninfra_logging::Tracer;
///
/// let tracer = Tracer::new("startup");
/// for _ in 0..2 {
///     let start = Instant::now();
///     // ... the step ...
///     tracer.log_time("resync", start);
/// }
/// let trace = tracer.get();
/// assert_eq!(trace.entries.len(), 2);
/// assert_eq!(trace.entries[1].index, 1);
/// assert_eq!(trace.stats["resync"].count, 2);
/// tracer.clear();
/// assert!(tracer.get().entries.is_empty());
/// ```
#[derive(Debug)]
pub struct Tracer {
    name: String,
    entries: Mutex<Vec<TraceEntry>>,
}

/// One recorded step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEntry {
    /// Position in the trace, from 0, counted across all entities since the last clear.
    pub index: usize,
    /// What was timed.
    pub entity: String,
    /// When the step started.
    pub start: Instant,
    /// How long it took (from `start` to the `log_time` call).
    pub duration: Duration,
}

/// Totals of one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityStats {
    /// How many entries it has.
    pub count: usize,
    /// The sum of their durations.
    pub total: Duration,
    /// `total / count`.
    pub average: Duration,
}

/// A snapshot of a [`Tracer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// The tracer's name.
    pub name: String,
    /// Every entry, in recording order.
    pub entries: Vec<TraceEntry>,
    /// Count, total and average duration per entity.
    pub stats: BTreeMap<String, EntityStats>,
    /// The sum of all entries' durations.
    pub total: Duration,
}

impl Tracer {
    /// An empty tracer.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            entries: Mutex::new(Vec::new()),
        }
    }

    /// The tracer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Records that `entity` ran from `start` until now.
    pub fn log_time(&self, entity: impl Into<String>, start: Instant) {
        let duration = start.elapsed();
        let mut entries = self.entries.lock();
        let index = entries.len();
        entries.push(TraceEntry {
            index,
            entity: entity.into(),
            start,
            duration,
        });
    }

    /// The entries so far, with per-entity statistics and the total duration.
    pub fn get(&self) -> Trace {
        let entries = self.entries.lock().clone();
        let mut stats: BTreeMap<String, EntityStats> = BTreeMap::new();
        for entry in &entries {
            let stat = stats.entry(entry.entity.clone()).or_insert(EntityStats {
                count: 0,
                total: Duration::ZERO,
                average: Duration::ZERO,
            });
            stat.count += 1;
            stat.total += entry.duration;
        }
        for stat in stats.values_mut() {
            let count = u32::try_from(stat.count).unwrap_or(u32::MAX);
            stat.average = stat.total / count;
        }
        Trace {
            name: self.name.clone(),
            total: entries.iter().map(|e| e.duration).sum(),
            entries,
            stats,
        }
    }

    /// Forgets every entry; indexes start from 0 again.
    pub fn clear(&self) {
        self.entries.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_indexed_and_averaged_per_entity() {
        let tracer = Tracer::new("t");
        let base = Instant::now();
        tracer.log_time("a", base);
        tracer.log_time("b", base);
        tracer.log_time("a", base);
        let trace = tracer.get();
        assert_eq!(trace.name, "t");
        let order: Vec<(usize, &str)> = trace
            .entries
            .iter()
            .map(|e| (e.index, e.entity.as_str()))
            .collect();
        assert_eq!(order, vec![(0, "a"), (1, "b"), (2, "a")]);
        let a = trace.stats["a"];
        assert_eq!(a.count, 2);
        assert_eq!(
            a.total,
            trace.entries[0].duration + trace.entries[2].duration
        );
        assert_eq!(a.average, a.total / 2);
        assert_eq!(trace.stats["b"].count, 1);
        assert_eq!(
            trace.total,
            trace.entries.iter().map(|e| e.duration).sum::<Duration>()
        );
    }

    #[test]
    fn duration_runs_from_start_to_the_call() {
        let tracer = Tracer::new("t");
        let start = Instant::now() - Duration::from_millis(50);
        tracer.log_time("slow", start);
        let trace = tracer.get();
        assert!(trace.entries[0].duration >= Duration::from_millis(50));
        assert!(trace.total >= Duration::from_millis(50));
    }

    #[test]
    fn clear_restarts_the_index() {
        let tracer = Tracer::new("t");
        tracer.log_time("a", Instant::now());
        tracer.clear();
        let empty = tracer.get();
        assert!(empty.entries.is_empty() && empty.stats.is_empty());
        assert_eq!(empty.total, Duration::ZERO);
        tracer.log_time("b", Instant::now());
        assert_eq!(tracer.get().entries[0].index, 0);
    }

    #[test]
    fn many_threads_record_every_entry() {
        let tracer = std::sync::Arc::new(Tracer::new("t"));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let tracer = tracer.clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        tracer.log_time("x", Instant::now());
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let trace = tracer.get();
        assert_eq!(trace.entries.len(), 400);
        let indexes: Vec<usize> = trace.entries.iter().map(|e| e.index).collect();
        assert_eq!(indexes, (0..400).collect::<Vec<_>>());
    }
}
