//! Restart budget, back-off timing, FATAL after the burst limit, and exits seen at once.

mod processes;

use std::time::{Duration, Instant, SystemTime};

use cninfra_exec::{
    Event, ManagerConfig, ProcessManager, ProcessOptions, ProcessState, RestartPolicy, Restarts,
};
use cninfra_testsupport::wait_until;
use nix::sys::signal::Signal;
use processes::{fast_manager, is_dead, kill_pid, next_state, within};

const SECOND: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

fn failing() -> ProcessOptions {
    ProcessOptions::new().with_args(["-c", "exit 1"])
}

#[tokio::test]
async fn an_exit_is_seen_at_once_not_at_the_next_poll() {
    // The watcher would not look for an hour: only the wait on the child can see the exit.
    let manager = ProcessManager::new(ManagerConfig {
        poll_interval: Duration::from_secs(3600),
        ..ManagerConfig::default()
    })
    .unwrap();
    let job = manager
        .new_process(
            "job",
            "sh",
            ProcessOptions::new().with_args(["-c", "exit 3"]),
        )
        .unwrap();
    let started = Instant::now();
    job.start().await.unwrap();
    let exit = within("the exit", 5 * SECOND, job.wait()).await.unwrap();
    assert_eq!(exit.code, Some(3));
    assert!(
        started.elapsed() < SECOND,
        "seen after {:?}",
        started.elapsed()
    );
    assert_eq!(job.state(), ProcessState::Exited);
    manager.shutdown().await;
}

#[tokio::test]
async fn the_restart_budget_is_spent_with_growing_backoff() {
    let manager = fast_manager();
    let policy = RestartPolicy {
        backoff_initial: 100 * MS,
        backoff_factor: 2.0,
        burst_limit: 0,
        ..RestartPolicy::default()
    };
    let options = failing()
        .with_restarts(Restarts::Count(3))
        .with_restart_policy(policy);
    let job = manager.new_process("job", "sh", options).unwrap();
    let mut events = job.subscribe();
    job.start().await.unwrap();

    let mut backoff_at: Option<SystemTime> = None;
    let mut waits = Vec::new();
    let mut runs = 0;
    loop {
        let change = within("the next change", 10 * SECOND, events.recv())
            .await
            .unwrap();
        match change.event {
            Event::State(ProcessState::Backoff) => backoff_at = Some(change.at),
            Event::State(ProcessState::Starting) => {
                if let Some(at) = backoff_at.take() {
                    waits.push(change.at.duration_since(at).unwrap());
                }
            }
            Event::State(ProcessState::Running) => runs += 1,
            Event::State(ProcessState::Exited) => break,
            _ => {}
        }
    }
    assert_eq!(runs, 4, "the first run and three restarts");
    assert_eq!(job.info().restarts, 3);
    assert_eq!(waits.len(), 3);
    for (wait, expected) in waits.iter().zip([100 * MS, 200 * MS, 400 * MS]) {
        assert!(
            *wait >= expected - 2 * MS,
            "waited {wait:?}, expected {expected:?}: {waits:?}"
        );
        assert!(
            *wait < expected + SECOND,
            "waited {wait:?}, expected {expected:?}: {waits:?}"
        );
    }
    manager.shutdown().await;
}

#[tokio::test]
async fn too_many_restarts_within_the_window_make_the_process_fatal() {
    let manager = fast_manager();
    let policy = RestartPolicy {
        backoff_initial: 10 * MS,
        backoff_factor: 1.0,
        burst_limit: 3,
        burst_window: 10 * SECOND,
        ..RestartPolicy::default()
    };
    let options = failing()
        .with_restarts(Restarts::Count(100))
        .with_restart_policy(policy);
    let job = manager.new_process("job", "sh", options).unwrap();
    let mut events = job.subscribe();
    job.start().await.unwrap();
    let mut runs = 0;
    loop {
        match next_state(&mut events).await {
            ProcessState::Running => runs += 1,
            ProcessState::Fatal => break,
            _ => {}
        }
    }
    assert_eq!(runs, 4, "the first run and three restarts");
    assert_eq!(job.info().restarts, 3);
    assert_eq!(job.pid(), None);
    // Given up: nothing more happens on its own.
    assert!(
        tokio::time::timeout(300 * MS, next_state(&mut events))
            .await
            .is_err()
    );
    assert_eq!(job.state(), ProcessState::Fatal);
    // A start by hand leaves FATAL and resets the count: three restarts again.
    job.start().await.unwrap();
    let mut runs = 0;
    loop {
        match next_state(&mut events).await {
            ProcessState::Running => runs += 1,
            ProcessState::Fatal => break,
            _ => {}
        }
    }
    assert_eq!(runs, 4);
    assert_eq!(job.info().restarts, 3);
    manager.shutdown().await;
}

#[tokio::test]
async fn always_restarts_forever_past_the_burst_limit() {
    let manager = fast_manager();
    let policy = RestartPolicy {
        backoff_initial: 10 * MS,
        backoff_factor: 1.0,
        burst_limit: 3,
        burst_window: 10 * SECOND,
        ..RestartPolicy::default()
    };
    let options = failing()
        .with_restarts(Restarts::Always)
        .with_restart_policy(policy);
    let job = manager.new_process("job", "sh", options).unwrap();
    let mut events = job.subscribe();
    job.start().await.unwrap();
    let mut runs = 0;
    while runs < 10 {
        match next_state(&mut events).await {
            ProcessState::Running => runs += 1,
            ProcessState::Fatal => panic!("FATAL after {runs} runs"),
            _ => {}
        }
    }
    assert!(job.info().restarts >= 9);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_stop_during_backoff_cancels_the_restart() {
    let manager = fast_manager();
    let policy = RestartPolicy {
        backoff_initial: 5 * SECOND,
        ..RestartPolicy::default()
    };
    let options = failing()
        .with_restarts(Restarts::Always)
        .with_restart_policy(policy);
    let job = manager.new_process("job", "sh", options).unwrap();
    let mut events = job.subscribe();
    job.start().await.unwrap();
    while next_state(&mut events).await != ProcessState::Backoff {}
    job.stop().await.unwrap();
    assert_eq!(next_state(&mut events).await, ProcessState::Stopped);
    assert_eq!(job.state(), ProcessState::Stopped);
    manager.shutdown().await;
}

#[tokio::test]
async fn a_child_killed_from_outside_is_restarted_with_a_new_pid() {
    let manager = fast_manager();
    let options = ProcessOptions::new()
        .with_args(["60"])
        .with_restarts(Restarts::Always)
        .with_restart_policy(RestartPolicy::immediate());
    let sleeper = manager.new_process("sleeper", "sleep", options).unwrap();
    let first = sleeper.start().await.unwrap();
    let mut info = sleeper.watch();
    kill_pid(first);
    let crashed_at = Instant::now();
    let now = within(
        "the restart",
        5 * SECOND,
        info.wait_for(|now| now.pid.is_some_and(|pid| pid != first)),
    )
    .await
    .unwrap()
    .clone();
    let took = crashed_at.elapsed();
    assert!(took < SECOND, "restarted after {took:?}");
    assert_eq!(now.state, ProcessState::Running);
    assert_eq!(now.restarts, 1);
    assert_eq!(now.last_exit.unwrap().signal, Some(Signal::SIGKILL as i32));
    assert!(is_dead(first));
    let second = now.pid.unwrap();
    manager.shutdown().await;
    wait_until("the restarted child to stop", 5 * SECOND, || {
        is_dead(second)
    })
    .await;
}
