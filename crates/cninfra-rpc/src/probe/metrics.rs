//! The health gauges, computed on each scrape from the status check.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;

use cninfra_health::StatusCheckPlugin;

/// Writes `cninfra_agent_state`, `cninfra_agent_live`, `cninfra_agent_ready`,
/// `cninfra_plugin_state{plugin}` and `cninfra_build_info{version,commit,date}`.
#[derive(Debug)]
pub(super) struct HealthCollector {
    status: Arc<StatusCheckPlugin>,
    non_fatal: Arc<[String]>,
}

impl HealthCollector {
    pub(super) fn new(status: Arc<StatusCheckPlugin>, non_fatal: Arc<[String]>) -> Self {
        Self { status, non_fatal }
    }
}

fn gauge(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    value: i64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

impl Collector for HealthCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let health = self.status.health(&self.non_fatal);
        let status = &health.status;
        let e = &mut encoder;
        gauge(
            e,
            "cninfra_agent_state",
            "State of the agent: 0 INIT, 1 OK, 2 ERROR.",
            i64::from(status.state.as_number()),
        )?;
        gauge(
            e,
            "cninfra_agent_live",
            "1 when GET /liveness passes.",
            i64::from(health.live),
        )?;
        gauge(
            e,
            "cninfra_agent_ready",
            "1 when GET /readiness passes.",
            i64::from(health.ready),
        )?;

        let mut plugins = e.encode_descriptor(
            "cninfra_plugin_state",
            "State of each plugin registered with the status check: 0 INIT, 1 OK, 2 ERROR.",
            None,
            MetricType::Gauge,
        )?;
        for plugin in &status.plugins {
            let labels = [("plugin", plugin.name.as_str())];
            ConstGauge::new(i64::from(plugin.state.as_number()))
                .encode(plugins.encode_family(&labels)?)?;
        }

        let mut info = e.encode_descriptor(
            "cninfra_build_info",
            "Build of the agent binary; always 1.",
            None,
            MetricType::Gauge,
        )?;
        let labels = [
            ("version", status.build_version.as_str()),
            ("commit", status.commit_hash.as_str()),
            ("date", status.build_date.as_str()),
        ];
        ConstGauge::new(1i64).encode(info.encode_family(&labels)?)
    }
}
