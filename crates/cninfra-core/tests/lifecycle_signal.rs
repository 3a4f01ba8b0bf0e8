//! `run()` stops gracefully on SIGTERM and SIGINT. One test per signal kind, in this file's own
//! process, since the signal goes to the whole test process.

mod support;

use std::sync::Arc;

use cninfra_core::{Agent, BoxError, InitContext, Plugin, async_trait};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use support::{Calls, Recorder, no_args, no_env};
use tokio::sync::Notify;

/// Tells the test when the agent has started.
struct Started(Arc<Notify>);

#[async_trait]
impl Plugin for Started {
    fn name(&self) -> &str {
        "started"
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _: &InitContext) -> Result<(), BoxError> {
        Ok(())
    }
    async fn after_init(&self, _: &InitContext) -> Result<(), BoxError> {
        self.0.notify_one();
        Ok(())
    }
}

#[tokio::test]
async fn sigterm_then_sigint_stop_run_gracefully() {
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let calls = Calls::default();
        let started = Arc::new(Notify::new());
        let agent = Agent::builder()
            .plugin(Recorder::new("worker", &calls))
            .plugin(Started(started.clone()))
            .with_args(no_args())
            .with_env(no_env())
            .build()
            .unwrap();
        let run = tokio::spawn(agent.run());
        started.notified().await;
        kill(Pid::this(), signal).unwrap();
        run.await.unwrap().unwrap();
        assert_eq!(
            calls.take(),
            ["init worker", "after_init worker", "close worker"],
            "{signal}"
        );
    }
}
