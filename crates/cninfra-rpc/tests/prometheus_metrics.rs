//! `GET /metrics`: process metrics and metrics registered by plugins.

mod support;

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_rpc::prometheus::{CONTENT_TYPE, PrometheusPlugin};
use cninfra_rpc::rest::HttpPlugin;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use support::{loopback, start};

/// A plugin that registers its metrics in `init`.
#[derive(Debug)]
struct Worker {
    prometheus: Arc<PrometheusPlugin>,
    jobs: Counter,
    errors: Family<Vec<(String, String)>, Counter>,
}

#[async_trait]
impl Plugin for Worker {
    fn name(&self) -> &str {
        "worker"
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.prometheus.clone()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.prometheus
            .register("worker_jobs", "Jobs done.", self.jobs.clone());
        self.prometheus.registry_mut(|registry| {
            registry.sub_registry_with_prefix("worker").register(
                "errors",
                "Failed jobs.",
                self.errors.clone(),
            );
        });
        Ok(())
    }
}

#[tokio::test]
async fn metrics_hold_process_metrics_and_plugin_metrics() {
    let http = HttpPlugin::builder().with_config(loopback()).build();
    let prometheus = PrometheusPlugin::new();
    let worker = Arc::new(Worker {
        prometheus: prometheus.clone(),
        jobs: Counter::default(),
        errors: Family::default(),
    });
    let agent = start(vec![worker.clone(), http.clone()]).await.unwrap();
    worker.jobs.inc_by(3);
    worker
        .errors
        .get_or_create(&vec![("kind".to_owned(), "timeout".to_owned())])
        .inc();

    let addr = http.local_addr().unwrap();
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], CONTENT_TYPE);
    let text = response.text().await.unwrap();
    for name in [
        "process_cpu_seconds_total ",
        "process_resident_memory_bytes ",
        "process_virtual_memory_bytes ",
        "process_open_fds ",
        "process_max_fds ",
        "process_start_time_seconds ",
        "process_threads ",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(name)),
            "no {name:?} in\n{text}"
        );
    }
    assert!(text.contains("# TYPE worker_jobs counter"), "{text}");
    assert!(text.contains("\nworker_jobs_total 3\n"), "{text}");
    assert!(
        text.contains("worker_errors_total{kind=\"timeout\"} 1"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");
    // The same text is available without HTTP.
    assert!(prometheus.encode().unwrap().contains("worker_jobs_total 3"));
    agent.stop().await.unwrap();
}
