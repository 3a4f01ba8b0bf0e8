//! Log hooks (`hooks` in `logs.conf`, as upstream): copies of log records of chosen levels
//! sent to syslog (RFC 3164 lines over UDP, TCP or the local socket), logstash (JSON lines
//! over TCP) and fluentd (the forward protocol's MessagePack messages over TCP).
//!
//! The hooks never hold up the code that logs: each has a bounded queue
//! ([`QUEUE`](sink::QUEUE) records) filled without waiting, and a task that sends what is
//! queued, reconnecting with back-off when the receiver is gone. What does not fit, or
//! arrives while the receiver is away, is dropped and counted
//! ([`LogRegistry::hook_drops`](crate::LogRegistry::hook_drops), and the Prometheus counter
//! `log_hook_dropped_records_total{hook}`).

mod config;
mod metrics;
mod record;
pub(crate) mod sink;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;
use tracing::{Event, Level, Subscriber, warn};
use tracing_subscriber::layer::{Context, Layer};

pub use config::HookConfig;
pub(crate) use metrics::HookDrops;
use record::Record;
use sink::{Sink, Target};

use crate::level::LogLevel;

/// The logger of the hooks' own lines; those are never sent through a hook (no loops).
pub const HOOKS_LOGGER: &str = "logs.hooks";

/// Syslog facility `user`.
const FACILITY_USER: u8 = 1;

/// The hooks in force, shared by the log layer and the registry.
#[derive(Debug, Default, Clone)]
pub(crate) struct HookSet {
    sinks: Arc<RwLock<Arc<[Sink]>>>,
    drops: Arc<RwLock<BTreeMap<String, Arc<AtomicU64>>>>,
}

impl HookSet {
    /// Replaces the hooks.
    pub(crate) fn set(&self, sinks: Vec<Sink>) {
        *self.sinks.write() = sinks.into();
    }

    /// The drop counter of hook `name` (made on first use).
    pub(crate) fn counter(&self, name: &str) -> Arc<AtomicU64> {
        Arc::clone(self.drops.write().entry(name.to_owned()).or_default())
    }

    /// Records dropped so far, by hook.
    pub(crate) fn drops(&self) -> BTreeMap<String, u64> {
        self.drops
            .read()
            .iter()
            .map(|(name, count)| (name.clone(), count.load(Ordering::Relaxed)))
            .collect()
    }
}

/// The layer that hands events to the hooks.
#[derive(Debug, Clone)]
pub(crate) struct HookLayer(pub(crate) HookSet);

impl<S: Subscriber> Layer<S> for HookLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let sinks = Arc::clone(&*self.0.sinks.read());
        if sinks.is_empty() || event.metadata().target().starts_with(HOOKS_LOGGER) {
            return;
        }
        let level = event.metadata().level();
        let mut record: Option<Arc<Record>> = None;
        for sink in sinks.iter().filter(|sink| sink.wants(level)) {
            let record = record.get_or_insert_with(|| Arc::new(Record::of(event)));
            sink.offer(record);
        }
    }
}

/// How a hook turns a record into bytes.
type Encode = Box<dyn Fn(&Record) -> Vec<u8> + Send>;

/// A hook ready to run: its sink for the layer, and its sending task.
pub(crate) struct Started {
    pub(crate) sink: Sink,
    pub(crate) task: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
}

/// The hook `name` of the config, tagged with the service `label`; `None` (with a warning)
/// for a hook cninfra does not know, as upstream.
pub(crate) fn start(
    name: &str,
    config: &HookConfig,
    label: &str,
    set: &HookSet,
    stop: tokio_util::sync::CancellationToken,
) -> Option<Started> {
    let levels = levels_of(name, &config.levels);
    let addr = format!("{}:{}", config.address, config.port);
    let (target, encode): (Target, Encode) = match name {
        "syslog" => {
            let target = match (config.address.is_empty(), config.protocol.as_str()) {
                (true, _) => Target::LocalSyslog,
                (false, "udp") => Target::Udp(addr),
                (false, _) => Target::Tcp(addr),
            };
            let local = matches!(target, Target::LocalSyslog);
            let tag = label.to_owned();
            let host = hostname();
            let pid = std::process::id();
            let encode = move |record: &Record| {
                let severity = severity_of(record.level);
                let time = humantime::format_rfc3339_micros(record.time);
                let head = if local {
                    format!("<{}>{time} {tag}[{pid}]: ", FACILITY_USER * 8 + severity)
                } else {
                    format!(
                        "<{}>{time} {host} {tag}[{pid}]: ",
                        FACILITY_USER * 8 + severity
                    )
                };
                format!("{head}{}\n", record.text()).into_bytes()
            };
            (target, Box::new(encode))
        }
        "logstash" => {
            let label = label.to_owned();
            let target = if config.protocol == "udp" {
                Target::Udp(addr)
            } else {
                Target::Tcp(addr)
            };
            (
                target,
                Box::new(move |record: &Record| record.logstash(&label).into_bytes()),
            )
        }
        "fluent" => {
            let tag = label.to_owned();
            (
                Target::Tcp(addr),
                Box::new(move |record: &Record| record.fluent(&tag)),
            )
        }
        other => {
            warn!(target: HOOKS_LOGGER, hook = %other,
                "unsupported log hook ignored (known: syslog, logstash, fluent)");
            return None;
        }
    };
    let dropped = set.counter(name);
    let (sink, queue) = Sink::new(levels, Arc::clone(&dropped));
    let task = Box::pin(sink::run(
        name.to_owned(),
        target,
        queue,
        encode,
        dropped,
        stop,
    ));
    Some(Started { sink, task })
}

/// The tracing levels of upstream's level names; default panic, fatal, error.
fn levels_of(hook: &str, names: &[String]) -> Vec<Level> {
    let names: Vec<&str> = if names.is_empty() {
        vec!["panic", "fatal", "error"]
    } else {
        names.iter().map(String::as_str).collect()
    };
    let mut levels = Vec::new();
    for name in names {
        match name.parse::<LogLevel>() {
            Ok(level) => {
                let level = match level {
                    LogLevel::Trace => Level::TRACE,
                    LogLevel::Debug => Level::DEBUG,
                    LogLevel::Info => Level::INFO,
                    LogLevel::Warn => Level::WARN,
                    LogLevel::Error | LogLevel::Fatal | LogLevel::Panic => Level::ERROR,
                };
                if !levels.contains(&level) {
                    levels.push(level);
                }
            }
            Err(error) => {
                warn!(target: HOOKS_LOGGER, %hook, %error, "hook level ignored");
            }
        }
    }
    levels
}

/// The syslog severity of a level.
fn severity_of(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_default_to_upstreams_and_bad_ones_are_skipped() {
        assert_eq!(levels_of("syslog", &[]), vec![Level::ERROR]);
        assert_eq!(
            levels_of("syslog", &["warning".into(), "loud".into(), "debug".into()]),
            vec![Level::WARN, Level::DEBUG]
        );
        assert_eq!(severity_of(Level::WARN), 4);
    }
}
