//! Metrics of the agent's own process, read from `/proc/self` on each scrape.

use procfs::process::{LimitValue, Process};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use tracing::debug;

use super::PrometheusPlugin;

/// The process metrics of client libraries in other languages:
/// `process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
/// `process_start_time_seconds` and `process_threads`.
///
/// A value that cannot be read (no `/proc`, say) is left out of the scrape rather than
/// failing it.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessCollector;

/// One reading of `/proc/self`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sample {
    cpu_seconds: f64,
    resident_bytes: u64,
    virtual_bytes: u64,
    threads: i64,
    start_time_seconds: f64,
    open_fds: Option<u64>,
    max_fds: Option<u64>,
}

impl Sample {
    fn read() -> procfs::ProcResult<Self> {
        let me = Process::myself()?;
        let stat = me.stat()?;
        // Lossy on purpose: tick and page counts fit f64 and u64 for any real process.
        #[allow(clippy::cast_precision_loss)]
        let ticks = procfs::ticks_per_second() as f64;
        #[allow(clippy::cast_precision_loss)]
        let cpu_seconds = (stat.utime + stat.stime) as f64 / ticks;
        #[allow(clippy::cast_precision_loss)]
        let start_time_seconds = procfs::boot_time_secs()? as f64 + stat.starttime as f64 / ticks;
        let open_fds = me.fd_count().ok().and_then(|n| u64::try_from(n).ok());
        let max_fds = me
            .limits()
            .ok()
            .and_then(|limits| match limits.max_open_files.soft_limit {
                LimitValue::Value(value) => Some(value),
                LimitValue::Unlimited => None,
            });
        Ok(Self {
            cpu_seconds,
            resident_bytes: stat.rss.saturating_mul(procfs::page_size()),
            virtual_bytes: stat.vsize,
            threads: stat.num_threads,
            start_time_seconds,
            open_fds,
            max_fds,
        })
    }
}

/// Writes one constant metric.
fn put(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    metric: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauge_u64(value: u64) -> ConstGauge<i64> {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX))
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let sample = match Sample::read() {
            Ok(sample) => sample,
            Err(err) => {
                debug!(target: PrometheusPlugin::NAME, error = %err, "cannot read process metrics");
                return Ok(());
            }
        };
        let e = &mut encoder;
        put(
            e,
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            &ConstCounter::new(sample.cpu_seconds),
        )?;
        put(
            e,
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            &gauge_u64(sample.resident_bytes),
        )?;
        put(
            e,
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            &gauge_u64(sample.virtual_bytes),
        )?;
        put(
            e,
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.",
            &ConstGauge::new(sample.start_time_seconds),
        )?;
        put(
            e,
            "process_threads",
            "Number of OS threads in the process.",
            &ConstGauge::new(sample.threads),
        )?;
        if let Some(open) = sample.open_fds {
            put(
                e,
                "process_open_fds",
                "Number of open file descriptors.",
                &gauge_u64(open),
            )?;
        }
        if let Some(max) = sample.max_fds {
            put(
                e,
                "process_max_fds",
                "Maximum number of open file descriptors.",
                &gauge_u64(max),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let sample = Sample::read().expect("read /proc/self");
        assert!(sample.resident_bytes > 0);
        assert!(sample.virtual_bytes >= sample.resident_bytes);
        assert!(sample.threads >= 1);
        assert!(sample.open_fds.is_some_and(|n| n >= 3));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        // Started within the last hour (the test binary), not in the future.
        assert!(sample.start_time_seconds <= now + 1.0, "{sample:?}");
        assert!(sample.start_time_seconds > now - 3600.0, "{sample:?}");
    }
}
