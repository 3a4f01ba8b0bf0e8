//! Phase time limits name the plugin that hangs.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, AgentError, Phase, Plugin};
use support::{Act, Calls, Recorder, no_args, no_env};

#[tokio::test(start_paused = true)]
async fn a_hanging_init_times_out_naming_the_plugin_and_closes_the_rest() {
    let calls = Calls::default();
    let a: Arc<dyn Plugin> = Arc::new(Recorder::new("a", &calls));
    let mut hang = Recorder::new("hang", &calls).with_deps(vec![a]);
    hang.init = Act::Hang;

    let err = Agent::builder()
        .plugin(hang)
        .with_phase_timeout(Duration::from_secs(2))
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, AgentError::Timeout { ref plugin, phase: Phase::Init, limit }
            if plugin == "hang" && limit == Duration::from_secs(2)),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "plugin `hang` did not finish init within 2s"
    );
    assert_eq!(calls.take(), ["init a", "init hang", "close a"]);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_close_is_reported_and_the_others_still_close() {
    let calls = Calls::default();
    let a: Arc<dyn Plugin> = Arc::new(Recorder::new("a", &calls));
    let mut hang = Recorder::new("hang", &calls).with_deps(vec![a]);
    hang.close = Act::Hang;

    let running = Agent::builder()
        .plugin(hang)
        .with_timeout(Phase::Close, Duration::from_secs(1))
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    calls.take();
    let err = running.stop().await.unwrap_err();
    assert_eq!(calls.take(), ["close hang", "close a"]);
    assert!(
        err.to_string()
            .contains("plugin `hang` did not finish close within 1s"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_a_hanging_init_interrupts_it() {
    let calls = Calls::default();
    let mut hang = Recorder::new("hang", &calls);
    hang.init = Act::Hang;
    let agent = Agent::builder()
        .plugin(hang)
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap();
    let stop = agent.stop_handle();
    let start = tokio::spawn(agent.start());
    tokio::time::sleep(Duration::from_millis(10)).await; // virtual time: init is running
    stop.stop();
    let err = start.await.unwrap().unwrap_err();
    assert!(
        matches!(err, AgentError::Interrupted { ref plugin, phase: Phase::Init } if plugin == "hang"),
        "{err}"
    );
}
