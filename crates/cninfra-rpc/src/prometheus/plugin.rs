use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cninfra_core::{BoxError, InitContext, Plugin, Requirement, async_trait};
use http::{StatusCode, header};
use parking_lot::RwLock;
use prometheus_client::collector::Collector;
use prometheus_client::registry::{Metric, Registry};
use tracing::warn;

use super::process::ProcessCollector;
use super::{CONTENT_TYPE, METRICS_PATH};
use crate::rest::HttpPlugin;

type SharedRegistry = Arc<RwLock<Registry>>;

/// The Prometheus plugin (`prometheus`): serves `GET /metrics` on the REST server and keeps
/// the registry that other plugins add their metrics to.
///
/// The registry starts with the process metrics ([`ProcessCollector`]). Metrics may be
/// added at any time (usually in a plugin's `init`); each scrape encodes what is registered
/// then.
///
/// # Examples
/// A plugin that counts its work:
/// ```
/// use prometheus_client::metrics::counter::Counter;
/// use cninfra_core::{async_trait, BoxError, InitContext, Plugin, Requirement};
/// use cninfra_rpc::prometheus::PrometheusPlugin;
///
/// struct Worker { done: Counter }
///
/// #[async_trait]
/// impl Plugin for Worker {
///     fn name(&self) -> &str { "worker" }
///     fn requires(&self) -> Vec<Requirement> { vec![Requirement::of::<PrometheusPlugin>()] }
///     fn has_config(&self) -> bool { false }
///     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
///         // Exposed as `worker_jobs_total`.
///         ctx.dep::<PrometheusPlugin>()?.register("worker_jobs", "Jobs done", self.done.clone());
///         Ok(())
///     }
/// }
///
/// let worker = Worker { done: Counter::default() };
/// worker.done.inc();
/// # let _ = worker;
/// ```
#[derive(Debug)]
pub struct PrometheusPlugin {
    registry: SharedRegistry,
}

impl PrometheusPlugin {
    /// The plugin's name and log target.
    pub const NAME: &str = "prometheus";

    /// The plugin; it serves on the agent's [`HttpPlugin`].
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(ProcessCollector));
        Arc::new(Self {
            registry: Arc::new(RwLock::new(registry)),
        })
    }

    /// Adds a metric under `name` with a help text. Counters get `_total` appended.
    ///
    /// The help text is a sentence without its final period: the registry adds one (so
    /// does [`registry_mut`](Self::registry_mut)'s `register`); a [`Collector`] writes its
    /// descriptors itself, with the period.
    pub fn register(&self, name: impl Into<String>, help: impl Into<String>, metric: impl Metric) {
        self.registry.write().register(name, help, metric);
    }

    /// Adds a collector, which writes its metrics on each scrape (for values computed when
    /// asked, such as the state of other components).
    pub fn register_collector(&self, collector: Box<dyn Collector>) {
        self.registry.write().register_collector(collector);
    }

    /// Runs `change` on the registry, for what [`register`](Self::register) does not cover:
    /// a sub-registry with a name prefix or constant labels, units.
    ///
    /// # Examples
    /// ```
    /// use prometheus_client::metrics::gauge::Gauge;
    /// # let prometheus = cninfra_rpc::prometheus::PrometheusPlugin::new();
    /// let queued = Gauge::<i64>::default();
    /// prometheus.registry_mut(|registry| {
    ///     // Exposed as `kafka_queued_messages`.
    ///     registry
    ///         .sub_registry_with_prefix("kafka")
    ///         .register("queued_messages", "Messages waiting to be sent", queued.clone());
    /// });
    /// assert!(prometheus.encode().unwrap().contains("kafka_queued_messages 0"));
    /// ```
    pub fn registry_mut<R>(&self, change: impl FnOnce(&mut Registry) -> R) -> R {
        change(&mut self.registry.write())
    }

    /// The metrics in the OpenMetrics text format, as `GET /metrics` returns them.
    ///
    /// # Errors
    /// When a metric or collector fails to encode itself.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        encode(&self.registry)
    }
}

fn encode(registry: &SharedRegistry) -> Result<String, std::fmt::Error> {
    let mut text = String::with_capacity(4096);
    prometheus_client::encoding::text::encode(&mut text, &registry.read())?;
    Ok(text)
}

/// `GET /metrics`. Encoding reads `/proc` and runs collectors, so it runs off the async
/// workers; the registry is only read-locked, so scrapes do not wait for each other.
async fn metrics(State(registry): State<SharedRegistry>) -> Response {
    match tokio::task::spawn_blocking(move || encode(&registry)).await {
        Ok(Ok(text)) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Ok(Err(_)) | Err(_) => {
            warn!(target: PrometheusPlugin::NAME, "cannot encode the metrics");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot encode the metrics\n",
            )
                .into_response()
        }
    }
}

#[async_trait]
impl Plugin for PrometheusPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::of::<HttpPlugin>()]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        ctx.dep::<HttpPlugin>()?.route(
            METRICS_PATH,
            get(metrics).with_state(Arc::clone(&self.registry)),
        )?;
        Ok(())
    }
}
