//! The scheduler's REST debug API (`/scheduler/...`) driven in-process with any method,
//! path and query (`METHOD /target`, see `cninfra_fuzz::request`), on a scheduler running
//! the example descriptors with a few values. Nothing may panic, and every answer is 2xx or
//! 4xx (or 503 from `/scheduler/graph` when Graphviz's `dot` is missing).

#![no_main]

use std::sync::OnceLock;

use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value};
use cninfra_kvscheduler_example::{self as example, Dataplane};
use http::StatusCode;
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    scheduler: Scheduler,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let scheduler = runtime.block_on(async {
            let scheduler = Scheduler::new(SchedulerConfig::default()).expect("a scheduler");
            let dataplane = Dataplane::new();
            example::register_all(&scheduler, &dataplane).expect("the example descriptors");
            let mac = "62:89:c6:a3:7e:3a";
            scheduler
                .txn()
                .put(
                    example::fib_key("bd1", mac),
                    Value::from_json(json!({"phys_address": mac, "bridge_domain": "bd1",
                        "outgoing_interface": "tap1", "action": "FORWARD"})),
                )
                .put(
                    example::interface_key("tap1"),
                    Value::from_json(json!({"name": "tap1", "type": "TAP", "enabled": true})),
                )
                .put(
                    example::bridge_domain_key("bd1"),
                    Value::from_json(json!({"name": "bd1", "interfaces": [{"name": "tap1"}]})),
                )
                .commit()
                .await
                .expect("the sample values commit");
            scheduler
        });
        Fixture { runtime, scheduler }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(request) = cninfra_fuzz::request(data) else {
        return;
    };
    let graph = request.uri().path() == "/scheduler/graph";
    let fixture = fixture();
    let router = cninfra_kvscheduler::fuzzing::rest_router(fixture.scheduler.clone());
    let response = fixture
        .runtime
        .block_on(router.oneshot(request))
        .expect("the router is infallible");
    let status = response.status();
    assert!(
        status.is_success()
            || status.is_client_error()
            || (graph && status == StatusCode::SERVICE_UNAVAILABLE),
        "answered {status}"
    );
});
