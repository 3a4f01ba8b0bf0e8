//! Plugin phases run in dependency order; failures close what started.

mod support;

use std::sync::Arc;

use cninfra_core::{Agent, AgentError, ErrorChain, Plugin};
use support::{Act, Calls, Recorder, no_args, no_env};

#[tokio::test]
async fn phases_run_in_dependency_order_and_close_in_reverse() {
    let calls = Calls::default();
    let log: Arc<dyn Plugin> = Arc::new(Recorder::new("log", &calls));
    let http: Arc<dyn Plugin> =
        Arc::new(Recorder::new("http", &calls).with_deps(vec![log.clone()]));
    let kv: Arc<dyn Plugin> = Arc::new(Recorder::new("kv", &calls).with_deps(vec![log.clone()]));
    let app = Recorder::new("app", &calls).with_deps(vec![http, kv]);

    let agent = Agent::builder()
        .plugin(app)
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap();
    assert_eq!(agent.plugin_names(), ["log", "http", "kv", "app"]);

    let running = agent.start().await.unwrap();
    running.stop().await.unwrap();
    assert_eq!(
        calls.take(),
        [
            "init log",
            "init http",
            "init kv",
            "init app",
            "after_init log",
            "after_init http",
            "after_init kv",
            "after_init app",
            "close app",
            "close kv",
            "close http",
            "close log",
        ]
    );
}

#[tokio::test]
async fn a_failed_init_closes_what_started_and_names_plugin_and_phase() {
    let calls = Calls::default();
    let a: Arc<dyn Plugin> = Arc::new(Recorder::new("a", &calls));
    let b: Arc<dyn Plugin> = Arc::new(Recorder::new("b", &calls).with_deps(vec![a]));
    let mut c = Recorder::new("c", &calls).with_deps(vec![b]);
    c.init = Act::Fail;
    let d = Recorder::new("d", &calls);

    let err = Agent::builder()
        .plugin(c)
        .plugin(d)
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "plugin `c` failed in init");
    assert_eq!(
        ErrorChain(&err).to_string(),
        "plugin `c` failed in init: c refuses init"
    );
    assert_eq!(
        calls.take(),
        ["init a", "init b", "init c", "close b", "close a"]
    );
}

#[tokio::test]
async fn a_failed_after_init_closes_every_plugin() {
    let calls = Calls::default();
    let a: Arc<dyn Plugin> = Arc::new(Recorder::new("a", &calls));
    let mut b = Recorder::new("b", &calls).with_deps(vec![a]);
    b.after_init = Act::Fail;

    let err = Agent::builder()
        .plugin(b)
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, AgentError::Phase { ref plugin, .. } if plugin == "b"),
        "{err}"
    );
    assert_eq!(
        calls.take(),
        [
            "init a",
            "init b",
            "after_init a",
            "after_init b",
            "close b",
            "close a"
        ]
    );
}

#[tokio::test]
async fn a_failing_close_does_not_keep_others_from_closing() {
    let calls = Calls::default();
    let mut a = Recorder::new("a", &calls);
    a.close = Act::Fail;
    let a: Arc<dyn Plugin> = Arc::new(a);
    let b = Recorder::new("b", &calls).with_deps(vec![a]);
    let mut c = Recorder::new("c", &calls);
    c.close = Act::Fail;

    let running = Agent::builder()
        .plugins([Arc::new(b) as Arc<dyn Plugin>, Arc::new(c)])
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    calls.take();
    let err = running.stop().await.unwrap_err();
    assert_eq!(calls.take(), ["close c", "close b", "close a"]);
    let text = err.to_string();
    assert!(text.starts_with("2 plugin(s) failed to close"), "{text}");
    assert!(
        text.contains("plugin `c` failed in close") && text.contains("plugin `a` failed in close"),
        "{text}"
    );
}

#[tokio::test]
async fn the_same_plugin_reached_twice_runs_once_and_a_namesake_is_rejected() {
    let calls = Calls::default();
    let shared: Arc<dyn Plugin> = Arc::new(Recorder::new("shared", &calls));
    let x = Recorder::new("x", &calls).with_deps(vec![shared.clone()]);
    let y = Recorder::new("y", &calls).with_deps(vec![shared.clone()]);
    let agent = Agent::builder()
        .plugin(x)
        .plugin(y)
        .plugin(shared)
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap();
    assert_eq!(agent.plugin_names(), ["shared", "x", "y"]);

    let err = Agent::builder()
        .plugin(Recorder::new("twin", &calls))
        .plugin(Recorder::new("twin", &calls))
        .with_args(no_args())
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "two different plugins are named `twin`; plugin names must be unique"
    );
}

#[tokio::test]
async fn a_stop_before_start_interrupts_the_start_and_run_counts_it_clean() {
    let calls = Calls::default();
    let agent = Agent::builder()
        .plugin(Recorder::new("a", &calls))
        .with_args(no_args())
        .with_env(no_env())
        .build()
        .unwrap();
    agent.stop_handle().stop();
    agent.run().await.unwrap();
    assert!(calls.take().is_empty());
}

#[tokio::test]
async fn tasks_spawned_through_the_context_are_stopped_and_awaited_on_close() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let finished = Arc::new(AtomicBool::new(false));
    let seen = finished.clone();
    let worker = cninfra_core::plugin_fn("worker", move |ctx| {
        let seen = seen.clone();
        async move {
            let token = ctx.shutdown_token();
            ctx.spawn(async move {
                token.cancelled().await;
                tokio::task::yield_now().await;
                seen.store(true, Ordering::SeqCst);
            });
            Ok(())
        }
    });
    let running = Agent::builder()
        .plugin(worker)
        .with_args(no_args())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    assert!(!finished.load(Ordering::SeqCst));
    running.stop().await.unwrap();
    assert!(
        finished.load(Ordering::SeqCst),
        "close returned before the task finished"
    );
}
