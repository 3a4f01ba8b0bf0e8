//! Statuses are published again periodically with a fresh `last_update` (upstream's periodic
//! write), the period read from `status-check.conf`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cninfra_core::{Agent, BoxError, async_trait};
use cninfra_health::{AgentStatus, PluginStatus, State, StatusCheckPlugin, StatusPublisher};
use tokio::sync::mpsc;

/// Sends `(who, last_update)` per call.
#[derive(Debug)]
struct Stamps(mpsc::UnboundedSender<(String, SystemTime)>);

#[async_trait]
impl StatusPublisher for Stamps {
    async fn publish_agent(&self, status: &AgentStatus) -> Result<(), BoxError> {
        self.0.send(("agent".into(), status.last_update))?;
        Ok(())
    }
    async fn publish_plugin(&self, status: &PluginStatus) -> Result<(), BoxError> {
        self.0.send((status.name.clone(), status.last_update))?;
        Ok(())
    }
}

#[tokio::test]
async fn every_status_is_published_again_with_a_fresh_last_update() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sc.conf");
    std::fs::write(&file, "publish-interval: 100ms\n").unwrap();
    let status = StatusCheckPlugin::new();
    status.register("db", None);
    status.report_state_change("db", State::Ok, None).unwrap();
    let (sender, mut stamps) = mpsc::unbounded_channel();
    status.add_publisher(Arc::new(Stamps(sender)));
    let agent = Agent::builder()
        .plugin(status.clone())
        .with_args(["test", "-status-check-config", file.to_str().unwrap()])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();

    let mut db_updates = Vec::new();
    while db_updates.len() < 4 {
        let (who, at) = tokio::time::timeout(Duration::from_secs(5), stamps.recv())
            .await
            .expect("published again within 5 s")
            .expect("publisher alive");
        if who == "db" {
            db_updates.push(at);
        }
    }
    assert!(
        db_updates.windows(2).all(|w| w[0] < w[1]),
        "last_update must move on: {db_updates:?}"
    );
    // The registry itself did not change: its db status kept its last report's time.
    let kept = status.plugin_status("db").unwrap().last_update;
    assert!(kept <= db_updates[1], "{kept:?}");
    agent.stop().await.unwrap();
}
