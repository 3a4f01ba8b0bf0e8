//! The log manager's REST API (`GET /log/list`, `PUT /log/{logger}/{level}`) driven
//! in-process with any method, path and query (`METHOD /target`, see
//! `cninfra_fuzz::request`). Nothing may panic, every answer is 2xx or 4xx, and the
//! levels set for loggers that are not registered stay bounded however many names arrive.

#![no_main]

use std::sync::{Arc, OnceLock};

use cninfra_logging::{LogRegistry, LogSettings};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    registry: Arc<LogRegistry>,
    // Level changes fail once the subscriber is gone: keep it.
    _dispatch: tracing::Dispatch,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let (registry, dispatch) = LogRegistry::new(LogSettings::new());
        for logger in ["http", "etcd", "kvscheduler", "logs"] {
            registry.register(logger).expect("a valid logger name");
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        Fixture {
            runtime,
            registry,
            _dispatch: dispatch,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = cninfra_fuzz::request(data) else {
        return;
    };
    let fixture = fixture();
    let router = cninfra_logging::fuzzing::rest_router(fixture.registry.clone());
    let response = fixture
        .runtime
        .block_on(router.oneshot(request))
        .expect("the router is infallible");
    let status = response.status();
    assert!(
        status.is_success() || status.is_client_error(),
        "answered {status}"
    );
});
