//! The REST debug API under `/scheduler/` and the Prometheus metrics, on a real server.

use std::time::Duration;

use cninfra_core::Agent;
use cninfra_kvscheduler::{KvSchedulerPlugin, SchedulerConfig, Value};
use cninfra_kvscheduler_example::{
    self as example, Dataplane, bridge_domain_key, fib_key, interface_key,
};
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use reqwest::StatusCode;
use serde_json::{Value as Json, json};

const MAC: &str = "62:89:c6:a3:7e:3a";
/// The interface's own MAC address.
const TAP_MAC: &str = "a2:01:01:01:01:01";

#[tokio::test]
async fn every_debug_endpoint_answers() -> anyhow::Result<()> {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "127.0.0.1:0".into(),
            ..Default::default()
        })
        .build();
    let prometheus = PrometheusPlugin::new();
    let plugin = KvSchedulerPlugin::builder()
        .with_config(SchedulerConfig::default())
        .build();
    let agent = Agent::builder()
        .plugin(plugin.clone())
        .plugin(prometheus)
        .plugin(http.clone())
        .with_args(["test"])
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await?;
    let base = format!("http://{}", http.local_addr().expect("bound"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()?;
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{base}{path}");
        async move { client.get(url).send().await }
    };

    let scheduler = plugin.scheduler()?;
    let dataplane = Dataplane::new();
    example::register_all(&scheduler, &dataplane)?;
    let fib = fib_key("bd1", MAC);
    scheduler
        .txn()
        .put(
            fib.clone(),
            Value::from_json(json!({"phys_address": MAC, "bridge_domain": "bd1",
            "outgoing_interface": "tap1", "action": "FORWARD"})),
        )
        .commit()
        .await?;
    scheduler
        .txn()
        .put(
            interface_key("tap1"),
            Value::from_json(
                json!({"name": "tap1", "type": "TAP", "enabled": true, "phys_address": TAP_MAC}),
            ),
        )
        .put(
            bridge_domain_key("bd1"),
            Value::from_json(json!({"name": "bd1", "interfaces": [{"name": "tap1"}]})),
        )
        .commit()
        .await?;

    // txn-history: JSON list, one transaction as text.
    let history: Vec<Json> = get("/scheduler/txn-history".into()).await?.json().await?;
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["txnType"], "NBTransaction");
    assert_eq!(history[0]["executed"][0]["newState"], "PENDING");
    let text = get("/scheduler/txn-history?seq-num=1&format=text".into())
        .await?
        .text()
        .await?;
    assert!(text.contains("4. CREATE [WAS-PENDING]:"), "{text}");
    assert_eq!(
        get("/scheduler/txn-history?seq-num=99".into())
            .await?
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/scheduler/txn-history?since=soon".into())
            .await?
            .status(),
        StatusCode::BAD_REQUEST
    );

    // status by key, descriptor, unknown descriptor.
    let status: Vec<Json> = get(format!("/scheduler/status?key={fib}"))
        .await?
        .json()
        .await?;
    assert_eq!(status[0]["value"]["state"], "CONFIGURED");
    let status: Vec<Json> = get("/scheduler/status?descriptor=example-bridge-domain".into())
        .await?
        .json()
        .await?;
    assert_eq!(
        status[0]["derivedValues"][0]["key"],
        "vpp/bd/bd1/interface/tap1"
    );
    assert_eq!(
        get("/scheduler/status?descriptor=nope".into())
            .await?
            .status(),
        StatusCode::NOT_FOUND
    );

    // dump: index, the three views (values as upstream's proto3 JSON), a bad view.
    let index: Json = get("/scheduler/dump".into()).await?.json().await?;
    assert!(
        index["descriptors"]
            .as_array()
            .expect("list")
            .iter()
            .any(|d| d == "example-fib")
    );
    assert!(
        index["keyPrefixes"]
            .as_array()
            .expect("list")
            .iter()
            .any(|p| p == "config/vpp/l2/v2/fib/")
    );
    for view in ["SB", "NB", "cached"] {
        let dump: Vec<Json> = get(format!(
            "/scheduler/dump?descriptor=example-interface&view={view}"
        ))
        .await?
        .json()
        .await?;
        assert_eq!(dump.len(), 1, "{view}");
        assert_eq!(
            dump[0]["value"],
            json!({"name": "tap1", "type": "TAP", "enabled": true, "physAddress": TAP_MAC}),
            "{view}"
        );
    }
    let dump: Vec<Json> = get("/scheduler/dump?key-prefix=config/vpp/&view=cached".into())
        .await?
        .json()
        .await?;
    assert_eq!(dump.len(), 3);
    // FORWARD is the enum's default: proto3 JSON leaves it out.
    assert_eq!(
        dump[1]["value"],
        json!({"physAddress": MAC, "bridgeDomain": "bd1", "outgoingInterface": "tap1"})
    );
    assert_eq!(
        get("/scheduler/dump?descriptor=example-fib&view=XX".into())
            .await?
            .status(),
        StatusCode::BAD_REQUEST
    );

    // key-timeline, graph-snapshot, flag-stats.
    let timeline: Vec<Json> = get(format!("/scheduler/key-timeline?key={fib}"))
        .await?
        .json()
        .await?;
    let states: Vec<&Json> = timeline
        .iter()
        .map(|r| {
            &r["flags"]
                .as_array()
                .expect("flags")
                .iter()
                .find(|f| f["name"] == "value-state")
                .expect("state")["value"]
        })
        .collect();
    assert_eq!(states, [&json!("PENDING"), &json!("CONFIGURED")]);
    assert!(timeline[0]["until"].is_string() && timeline[1]["until"].is_null());
    assert_eq!(
        get("/scheduler/key-timeline".into()).await?.status(),
        StatusCode::BAD_REQUEST
    );
    let snapshot: Vec<Json> = get("/scheduler/graph-snapshot".into())
        .await?
        .json()
        .await?;
    assert_eq!(snapshot.len(), 4);
    let stats: Json =
        get("/scheduler/flag-stats?flag=value-state&prefix=config/vpp/l2/v2/fib/".into())
            .await?
            .json()
            .await?;
    assert_eq!(stats["perValueCount"]["PENDING"], 1);
    assert_eq!(stats["perValueCount"]["CONFIGURED"], 1);

    // downstream-resync fixes a drift.
    dataplane.drift_remove_interface("tap1");
    let url = format!("{base}/scheduler/downstream-resync?retry=true");
    let record: Json = client.post(url).send().await?.json().await?;
    assert_eq!(record["resyncType"], "DownstreamResync");
    assert_eq!(dataplane.interfaces().len(), 1);

    // stats, graph, metrics.
    let stats: Json = get("/scheduler/stats".into()).await?.json().await?;
    assert_eq!(stats["txnCount"]["NBTransaction"], 3);
    assert!(stats["descriptorCalls"]["example-interface"]["create"]["count"].as_u64() >= Some(2));
    let dot = get("/scheduler/graph?format=dot".into())
        .await?
        .text()
        .await?;
    assert!(
        dot.starts_with("digraph kvscheduler {") && dot.contains(&format!("\"{fib}\"")),
        "{dot}"
    );
    let dot = get("/scheduler/graph?format=dot&txn=1".into())
        .await?
        .text()
        .await?;
    assert!(
        dot.contains("color=gold"),
        "keys changed by txn 1 are highlighted: {dot}"
    );
    let svg = get("/scheduler/graph".into()).await?;
    let has_dot = std::process::Command::new("dot").arg("-V").output().is_ok();
    if has_dot {
        assert_eq!(svg.status(), StatusCode::OK);
    } else {
        assert_eq!(svg.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(svg.text().await?.contains("format=dot"));
    }
    let metrics = get("/metrics".into()).await?.text().await?;
    assert!(
        metrics.contains("kvscheduler_txn_processed_total 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kvscheduler_queue_capacity 200"),
        "{metrics}"
    );
    assert!(
        metrics.contains("kvscheduler_txn_duration_seconds_count{txn_type=\"NB Transaction\"} 3"),
        "{metrics}"
    );

    // status of a value that does not decode: INVALID, naming the message and the field.
    let bad = fib_key("bd2", MAC);
    let outcome = scheduler
        .txn()
        .put(
            bad.clone(),
            Value::from_json(json!({"phys_address": MAC, "bridge_domain": "bd2",
            "outgoing_interface": "tap1", "action": "FORWARDX"})),
        )
        .commit()
        .await;
    assert!(outcome.is_err());
    let status: Vec<Json> = get(format!("/scheduler/status?key={bad}"))
        .await?
        .json()
        .await?;
    assert_eq!(status[0]["value"]["state"], "INVALID");
    assert_eq!(status[0]["value"]["details"], json!(["action"]));
    let error = status[0]["value"]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("`ligato.vpp.l2.FIBEntry`: field `action`"),
        "{error}"
    );

    agent.stop().await?;
    Ok(())
}
