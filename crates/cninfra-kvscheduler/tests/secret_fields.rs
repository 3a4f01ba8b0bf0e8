//! Secret fields of models (`ModelRegistry::mark_secret`): a memif interface's secret
//! shows as `<redacted>` in the transaction log and every REST debug view, while the
//! descriptor gets the real value.

use std::time::Duration;

use cninfra_core::Agent;
use cninfra_kvscheduler::{DumpView, KvSchedulerPlugin, SchedulerConfig, StatusSelector, Value};
use cninfra_kvscheduler_example::{self as example, Dataplane, interface_key};
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use serde_json::json;

const SECRET: &str = "m3mif-sh4red-s3cret";

#[tokio::test]
async fn a_secret_field_is_redacted_in_the_txn_log_and_the_debug_api() -> anyhow::Result<()> {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "127.0.0.1:0".into(),
            ..Default::default()
        })
        .build();
    let plugin = KvSchedulerPlugin::builder()
        .with_config(SchedulerConfig::default())
        .build();
    let agent = Agent::builder()
        .plugin(plugin.clone())
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

    let scheduler = plugin.scheduler()?;
    let dataplane = Dataplane::new();
    example::register_all(&scheduler, &dataplane)?;
    let key = interface_key("memif1");
    scheduler
        .txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "memif1", "type": "MEMIF", "enabled": true,
                "memif": {"master": true, "secret": SECRET}})),
        )
        .commit()
        .await?;

    // The transaction log's text (as logged) and its JSON.
    let history = plugin.scheduler()?.txn_history(None, None);
    let logged = history
        .iter()
        .map(|txn| format!("{}{}", txn.log_header(), txn.to_text(false, true, 0)))
        .collect::<String>();
    assert!(logged.contains("<redacted>"), "{logged}");
    assert!(!logged.contains(SECRET), "{logged}");

    for path in [
        "/scheduler/txn-history".to_owned(),
        "/scheduler/txn-history?seq-num=0&format=text".to_owned(),
        format!("/scheduler/key-timeline?key={key}"),
        "/scheduler/graph-snapshot".to_owned(),
        "/scheduler/dump?descriptor=example-interface&view=NB".to_owned(),
        "/scheduler/dump?descriptor=example-interface&view=cached".to_owned(),
        "/scheduler/dump?descriptor=example-interface&view=SB".to_owned(),
        format!("/scheduler/status?key={key}"),
        "/scheduler/graph?format=dot".to_owned(),
    ] {
        let response = client.get(format!("{base}{path}")).send().await?;
        let status = response.status();
        let body = response.text().await?;
        assert!(status.is_success(), "{path}: {status} {body}");
        assert!(!body.contains(SECRET), "{path}: {body}");
    }
    let dump = client
        .get(format!(
            "{base}/scheduler/dump?descriptor=example-interface&view=cached"
        ))
        .send()
        .await?
        .text()
        .await?;
    assert!(dump.contains("<redacted>"), "{dump}");

    // The descriptor (and any functional reader) gets the real value.
    let value = scheduler
        .dump(&StatusSelector::Key(key.clone()), DumpView::Cached)
        .await?
        .into_iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value)
        .expect("the interface is in the graph");
    assert_eq!(value.to_json()["memif"]["secret"], SECRET);
    agent.stop().await?;
    Ok(())
}
