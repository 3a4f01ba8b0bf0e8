//! Prometheus gauges per program, computed on each scrape.

use std::sync::Arc;

use cninfra_rpc::prometheus::prometheus_client::collector::Collector;
use cninfra_rpc::prometheus::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use cninfra_rpc::prometheus::prometheus_client::metrics::MetricType;
use cninfra_rpc::prometheus::prometheus_client::metrics::gauge::ConstGauge;

use super::Supervisor;
use crate::process::{ProcessInfo, ProcessState};

/// Writes, for every program (label `program`):
/// - `supervisor_program_up`: 1 while running, else 0;
/// - `supervisor_program_restarts`: automatic restarts since the last manual start;
/// - `supervisor_program_uptime_seconds`: length of the current run, 0 when not running;
/// - `supervisor_program_state`: 1, with the state as label `state` (`RUNNING`, `FATAL`...).
#[derive(Debug)]
pub(crate) struct ProgramGauges(pub(crate) Arc<Supervisor>);

impl Collector for ProgramGauges {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let infos: Vec<ProcessInfo> = self.0.programs().iter().map(|p| p.info()).collect();
        let program = |info: &ProcessInfo| vec![("program", info.name.clone())];
        family(
            &mut encoder,
            "supervisor_program_up",
            "1 while the program runs, else 0.",
            infos.iter().map(|info| {
                let up = i64::from(info.state == ProcessState::Running);
                (program(info), ConstGauge::new(up))
            }),
        )?;
        family(
            &mut encoder,
            "supervisor_program_restarts",
            "Automatic restarts of the program since its last manual start.",
            infos
                .iter()
                .map(|info| (program(info), ConstGauge::new(i64::from(info.restarts)))),
        )?;
        family(
            &mut encoder,
            "supervisor_program_uptime_seconds",
            "Seconds since the program's current run started; 0 when not running.",
            infos.iter().map(|info| {
                let uptime = info.uptime().map_or(0.0, |up| up.as_secs_f64());
                (program(info), ConstGauge::new(uptime))
            }),
        )?;
        family(
            &mut encoder,
            "supervisor_program_state",
            "1, with the program's life-cycle state as label `state`.",
            infos.iter().map(|info| {
                let mut labels = program(info);
                labels.push(("state", info.state.as_str().to_owned()));
                (labels, ConstGauge::new(1i64))
            }),
        )
    }
}

/// Writes one gauge family: its descriptor, then one series per label set.
fn family<G: EncodeMetric>(
    encoder: &mut DescriptorEncoder<'_>,
    name: &'static str,
    help: &str,
    series: impl Iterator<Item = (Vec<(&'static str, String)>, G)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, gauge) in series {
        gauge.encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}
