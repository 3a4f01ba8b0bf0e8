//! The filter layer: which level each tracing target gets, from the registry's loggers.

use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, Layer};

/// A snapshot of the registry's levels. The registry rebuilds it on each change and swaps
/// it in through a `reload` handle, which also resets tracing's per-callsite cache.
#[derive(Debug, Clone)]
pub(crate) struct LoggerFilter {
    default: LevelFilter,
    /// `(logger, level)`, longest name first so the most specific logger wins.
    loggers: Vec<(String, LevelFilter)>,
    max: LevelFilter,
}

impl LoggerFilter {
    pub(crate) fn new(
        default: LevelFilter,
        loggers: impl IntoIterator<Item = (String, LevelFilter)>,
    ) -> Self {
        let mut loggers: Vec<_> = loggers.into_iter().collect();
        loggers.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        let max = loggers
            .iter()
            .map(|(_, l)| *l)
            .fold(default, LevelFilter::max);
        Self {
            default,
            loggers,
            max,
        }
    }

    /// The level that applies to `target`.
    pub(crate) fn level_for(&self, target: &str) -> LevelFilter {
        self.loggers
            .iter()
            .find(|(name, _)| covers(name, target))
            .map_or(self.default, |(_, level)| *level)
    }

    fn allows(&self, meta: &Metadata<'_>) -> bool {
        *meta.level() <= self.level_for(meta.target())
    }
}

/// Whether logger `name` covers `target`: the same, or `name` followed by `::` or `.`.
pub(crate) fn covers(name: &str, target: &str) -> bool {
    target
        .strip_prefix(name)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::") || rest.starts_with('.'))
}

impl<S: Subscriber> Layer<S> for LoggerFilter {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if self.allows(meta) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        self.allows(meta)
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logger_covers_its_target_and_sub_targets_only() {
        assert!(covers("http", "http"));
        assert!(covers("http", "http::server"));
        assert!(covers("kvdb", "kvdb.etcd"));
        assert!(!covers("http", "https"));
        assert!(!covers("http", "ht"));
    }

    #[test]
    fn the_most_specific_logger_wins() {
        let filter = LoggerFilter::new(
            LevelFilter::INFO,
            [
                ("a".to_owned(), LevelFilter::DEBUG),
                ("a::b".to_owned(), LevelFilter::ERROR),
            ],
        );
        assert_eq!(filter.level_for("a::b::c"), LevelFilter::ERROR);
        assert_eq!(filter.level_for("a::x"), LevelFilter::DEBUG);
        assert_eq!(filter.level_for("ab"), LevelFilter::INFO);
        assert_eq!(filter.max, LevelFilter::DEBUG);
    }
}
