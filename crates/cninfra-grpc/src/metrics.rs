//! Prometheus metrics of gRPC calls, named as go-grpc-prometheus names them (which upstream
//! used): `grpc_server_started_total`, `grpc_server_handled_total` and
//! `grpc_server_handling_seconds`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
#[cfg(feature = "prometheus")]
use prometheus_client::registry::Registry;
use tonic::Code;

/// Upper bounds of the latency buckets, in seconds (Prometheus' default buckets, as
/// go-grpc-prometheus uses).
#[cfg(feature = "prometheus")]
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Most methods tracked one by one; calls to further methods count as `unknown`.
const MAX_METHODS: usize = 1024;
/// Status code names as gRPC's Go implementation prints them (the label values upstream
/// dashboards expect), by code number.
const CODE_NAMES: [&str; 17] = [
    "OK",
    "Canceled",
    "Unknown",
    "InvalidArgument",
    "DeadlineExceeded",
    "NotFound",
    "AlreadyExists",
    "PermissionDenied",
    "ResourceExhausted",
    "FailedPrecondition",
    "Aborted",
    "OutOfRange",
    "Unimplemented",
    "Internal",
    "Unavailable",
    "DataLoss",
    "Unauthenticated",
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    grpc_service: String,
    grpc_method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    grpc_service: String,
    grpc_method: String,
    grpc_code: String,
}

type HistogramFamily = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// The metric families, and the handles of each method seen.
#[derive(Debug)]
pub(crate) struct GrpcMetrics {
    started: Family<MethodLabels, Counter>,
    handled: Family<CodeLabels, Counter>,
    handling: HistogramFamily,
    methods: RwLock<HashMap<Box<str>, Arc<MethodMetrics>>>,
}

/// The metrics of one method, looked up once and then updated without label hashing.
#[derive(Debug)]
pub(crate) struct MethodMetrics {
    labels: MethodLabels,
    started: Counter,
    handled_family: Family<CodeLabels, Counter>,
    handled: [OnceLock<Counter>; 17],
    handling: Histogram,
}

impl MethodMetrics {
    /// Records a finished call.
    pub(crate) fn finish(&self, code: Code, seconds: f64) {
        let index = (code as usize).min(CODE_NAMES.len() - 1);
        self.handled[index]
            .get_or_init(|| {
                self.handled_family.get_or_create_owned(&CodeLabels {
                    grpc_service: self.labels.grpc_service.clone(),
                    grpc_method: self.labels.grpc_method.clone(),
                    grpc_code: CODE_NAMES[index].to_owned(),
                })
            })
            .inc();
        self.handling.observe(seconds);
    }
}

impl GrpcMetrics {
    /// Registers the families on the Prometheus plugin's registry.
    #[cfg(feature = "prometheus")]
    pub(crate) fn register(registry: &mut Registry) -> Arc<Self> {
        let metrics = Self {
            started: Family::default(),
            handled: Family::default(),
            handling: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            methods: RwLock::new(HashMap::new()),
        };
        registry.register(
            "grpc_server_started",
            "Calls started on the gRPC server",
            metrics.started.clone(),
        );
        registry.register(
            "grpc_server_handled",
            "Calls completed on the gRPC server, by status code",
            metrics.handled.clone(),
        );
        registry.register(
            "grpc_server_handling_seconds",
            "Time from the start of a call to its status, in seconds",
            metrics.handling.clone(),
        );
        Arc::new(metrics)
    }

    /// Counts a started call to `path` (`/package.Service/Method`) and returns the
    /// method's handles. Services not in `known` and methods beyond the first
    /// [`MAX_METHODS`] count as `unknown`, so that odd paths cannot grow the metrics.
    pub(crate) fn start(&self, path: &str, known: &HashSet<Box<str>>) -> Arc<MethodMetrics> {
        let found = self.methods.read().get(path).cloned();
        let method = match found {
            Some(method) => method,
            None => self.add(path, known),
        };
        method.started.inc();
        method
    }

    fn add(&self, path: &str, known: &HashSet<Box<str>>) -> Arc<MethodMetrics> {
        let (service, name) = split_path(path)
            .filter(|(service, _)| known.contains(*service))
            .unwrap_or(("unknown", "unknown"));
        let mut methods = self.methods.write();
        let key = if methods.len() >= MAX_METHODS || (service, name) == ("unknown", "unknown") {
            "unknown"
        } else {
            path
        };
        if let Some(method) = methods.get(key) {
            return Arc::clone(method);
        }
        let labels = MethodLabels {
            grpc_service: service.to_owned(),
            grpc_method: name.to_owned(),
        };
        // The families hand out shared handles: updating one updates the family.
        let method = Arc::new(MethodMetrics {
            started: self.started.get_or_create_owned(&labels),
            handling: self.handling.get_or_create_owned(&labels),
            handled_family: self.handled.clone(),
            handled: Default::default(),
            labels,
        });
        methods.insert(key.into(), Arc::clone(&method));
        method
    }
}

#[cfg(feature = "prometheus")]
fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// `/pkg.Service/Method` → `("pkg.Service", "Method")`.
pub(crate) fn split_path(path: &str) -> Option<(&str, &str)> {
    path.strip_prefix('/')?
        .split_once('/')
        .filter(|(service, method)| !service.is_empty() && !method.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_service_and_method() {
        assert_eq!(split_path("/a.B/C"), Some(("a.B", "C")));
        assert_eq!(split_path("/a.B/"), None);
        assert_eq!(split_path("a.B/C"), None);
        assert_eq!(split_path("/"), None);
    }

    #[test]
    fn code_names_follow_the_code_numbers() {
        assert_eq!(CODE_NAMES[Code::Ok as usize], "OK");
        assert_eq!(
            CODE_NAMES[Code::ResourceExhausted as usize],
            "ResourceExhausted"
        );
        assert_eq!(
            CODE_NAMES[Code::Unauthenticated as usize],
            "Unauthenticated"
        );
    }
}
