//! The Prometheus counter of dropped hook records.

use cninfra_rpc::prometheus::prometheus_client::collector::Collector;
use cninfra_rpc::prometheus::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use cninfra_rpc::prometheus::prometheus_client::metrics::MetricType;
use cninfra_rpc::prometheus::prometheus_client::metrics::counter::ConstCounter;

use super::HookSet;

/// Writes `log_hook_dropped_records_total{hook}`: records a hook dropped because its queue
/// was full or its receiver away.
#[derive(Debug)]
pub(crate) struct HookDrops(pub(crate) HookSet);

impl Collector for HookDrops {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "log_hook_dropped_records",
            "Log records a hook dropped: its queue was full or its receiver away.",
            None,
            MetricType::Counter,
        )?;
        for (hook, dropped) in self.0.drops() {
            ConstCounter::new(dropped).encode(family.encode_family(&[("hook", hook)])?)?;
        }
        Ok(())
    }
}
