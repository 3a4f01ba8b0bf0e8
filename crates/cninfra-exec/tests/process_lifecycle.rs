//! Start, stop, kill, signal, wait, output and lookups with real child processes.

mod processes;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_exec::{Event, ExecError, Output, ProcStatus, ProcessOptions, ProcessState};
use cninfra_testsupport::wait_until;
use nix::sys::signal::Signal;
use processes::{TEST_AGENT, fast_manager, is_dead, kill_pid, next_state, within};
use tokio::sync::Mutex;

const SECOND: Duration = Duration::from_secs(1);

fn sleep_for(seconds: &str) -> ProcessOptions {
    ProcessOptions::new().with_args([seconds])
}

fn shell(script: &str) -> ProcessOptions {
    ProcessOptions::new().with_args(["-c", script])
}

#[tokio::test]
async fn start_stop_kill_and_start_again() {
    let manager = fast_manager();
    let sleeper = manager
        .new_process("sleeper", "sleep", sleep_for("60"))
        .unwrap();
    assert_eq!(sleeper.state(), ProcessState::Stopped);
    assert_eq!(sleeper.pid(), None);
    assert!(!sleeper.is_alive());

    let pid = sleeper.start().await.unwrap();
    assert_eq!(sleeper.state(), ProcessState::Running);
    assert!(sleeper.is_alive() && !is_dead(pid));
    assert!(sleeper.start_time().is_some() && sleeper.uptime().is_some());
    assert_eq!(sleeper.command(), "sleep");
    assert_eq!(sleeper.args(), ["60"]);
    assert!(matches!(
        sleeper.start().await,
        Err(ExecError::AlreadyRunning { pid: running, .. }) if running == pid
    ));

    sleeper.stop_and_wait().await.unwrap();
    assert_eq!(sleeper.state(), ProcessState::Stopped);
    assert_eq!(sleeper.status(), ProcStatus::Terminated);
    assert_eq!(
        sleeper.info().last_exit.unwrap().signal,
        Some(Signal::SIGTERM as i32)
    );
    assert!(is_dead(pid));
    assert_eq!(sleeper.uptime(), None);

    let again = sleeper.start().await.unwrap();
    assert_ne!(again, pid);
    sleeper.kill().await.unwrap();
    assert_eq!(
        sleeper.info().last_exit.unwrap().signal,
        Some(Signal::SIGKILL as i32)
    );
    assert!(is_dead(again));
    // Stopping what does not run is a no-op.
    sleeper.stop().await.unwrap();
    assert_eq!(sleeper.state(), ProcessState::Stopped);
    manager.shutdown().await;
}

#[tokio::test]
async fn stop_returns_at_once_and_wait_reports_the_exit() {
    let manager = fast_manager();
    let job = manager
        .new_process("job", "sleep", sleep_for("60"))
        .unwrap();
    let pid = job.start().await.unwrap();
    job.stop().await.unwrap();
    let exit = within("the exit", 5 * SECOND, job.wait()).await.unwrap();
    assert_eq!(exit.signal, Some(Signal::SIGTERM as i32));
    assert!(is_dead(pid));
    // Not running: the last exit at once.
    assert_eq!(job.wait().await, Some(exit));
    manager.shutdown().await;
}

#[tokio::test]
async fn a_signal_reaches_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let script = r#"trap 'exit 7' USR1; touch "$0"; while :; do sleep 0.05; done"#;
    let manager = fast_manager();
    let options = ProcessOptions::new().with_args(["-c", script, ready.to_str().unwrap()]);
    let trapper = manager.new_process("trapper", "sh", options).unwrap();
    trapper.start().await.unwrap();
    wait_until("the trap to be set", 5 * SECOND, || ready.exists()).await;
    trapper.signal(Signal::SIGUSR1).unwrap();
    let exit = within("the exit", 5 * SECOND, trapper.wait())
        .await
        .unwrap();
    assert_eq!(exit.code, Some(7));
    // Exited on its own and restarts are off.
    assert_eq!(trapper.state(), ProcessState::Exited);
    assert!(matches!(
        trapper.signal(Signal::SIGUSR1),
        Err(ExecError::NotRunning { .. })
    ));
    manager.shutdown().await;
}

#[tokio::test]
async fn a_child_that_ignores_sigterm_is_killed_after_its_stop_timeout() {
    let manager = fast_manager();
    let output = Arc::new(Mutex::new(Vec::<u8>::new()));
    let options = ProcessOptions::new()
        .with_args(["ignore-term"])
        .with_output(Output::writer(output.clone()), Output::Null)
        .with_stop_timeout(Duration::from_millis(300));
    let stubborn = manager
        .new_process("stubborn", TEST_AGENT, options)
        .unwrap();
    let pid = stubborn.start().await.unwrap();
    wait_until("the SIGTERM handler", 10 * SECOND, || {
        output.try_lock().is_ok_and(|out| out.starts_with(b"ready"))
    })
    .await;
    let asked = Instant::now();
    stubborn.stop_and_wait().await.unwrap();
    let took = asked.elapsed();
    assert!(took >= Duration::from_millis(300), "stopped after {took:?}");
    assert!(took < 5 * SECOND, "stopped after {took:?}");
    assert_eq!(
        stubborn.info().last_exit.unwrap().signal,
        Some(Signal::SIGKILL as i32)
    );
    assert!(is_dead(pid));
    manager.shutdown().await;
}

#[tokio::test]
async fn restart_stops_gracefully_and_gives_a_new_pid() {
    let manager = fast_manager();
    let sleeper = manager
        .new_process("sleeper", "sleep", sleep_for("60"))
        .unwrap();
    let first = sleeper.start().await.unwrap();
    let second = sleeper.restart().await.unwrap();
    assert_ne!(first, second);
    assert!(is_dead(first));
    assert_eq!(sleeper.pid(), Some(second));
    assert_eq!(sleeper.state(), ProcessState::Running);
    assert_eq!(
        sleeper.info().last_exit.unwrap().signal,
        Some(Signal::SIGTERM as i32)
    );
    // Restarting what does not run starts it.
    sleeper.kill().await.unwrap();
    let third = sleeper.restart().await.unwrap();
    assert!(third != second && !is_dead(third));
    manager.shutdown().await;
}

#[tokio::test]
async fn a_missing_executable_is_named_in_the_error() {
    let manager = fast_manager();
    let ghost = manager
        .new_process("ghost", "/no/such/binary", ProcessOptions::new())
        .unwrap();
    let err = ghost.start().await.unwrap_err();
    assert!(matches!(err, ExecError::Spawn { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("`ghost`") && text.contains("\"/no/such/binary\""),
        "{text}"
    );
    assert_eq!(ghost.state(), ProcessState::Exited);
    assert_eq!(ghost.pid(), None);
    manager.shutdown().await;
}

#[tokio::test]
async fn output_reaches_writers_and_log_files_are_appended() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("job.log");
    std::fs::write(&log, "old\n").unwrap();
    let manager = fast_manager();
    let job = manager
        .new_process(
            "job",
            "sh",
            shell("echo out; echo err >&2").with_log_file(&log),
        )
        .unwrap();
    for _ in 0..2 {
        job.start().await.unwrap();
        within("the run", 5 * SECOND, job.wait()).await;
    }
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "old\nout\nerr\nout\nerr\n"
    );

    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let options = shell("echo hello; echo oops >&2").with_output(
        Output::writer(buffer.clone()),
        Output::writer(buffer.clone()),
    );
    let talker = manager.new_process("talker", "sh", options).unwrap();
    talker.start().await.unwrap();
    wait_until("both lines", 5 * SECOND, || {
        let Ok(buffer) = buffer.try_lock() else {
            return false;
        };
        let text = String::from_utf8_lossy(&buffer);
        text.contains("hello\n") && text.contains("oops\n")
    })
    .await;
    manager.shutdown().await;
}

#[tokio::test]
async fn environment_and_working_folder_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().canonicalize().unwrap();
    let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    let manager = fast_manager();
    let options = shell(r#"echo "$GREETING ${CARGO:-no-cargo} $(pwd)""#)
        .with_env("GREETING", "hi")
        .with_clear_env()
        .with_working_dir(&folder)
        .with_output(Output::writer(buffer.clone()), Output::Null);
    let job = manager.new_process("job", "sh", options).unwrap();
    job.start().await.unwrap();
    let expected = format!("hi no-cargo {}\n", folder.display());
    wait_until("the line", 5 * SECOND, || {
        buffer
            .try_lock()
            .is_ok_and(|out| *out == expected.as_bytes())
    })
    .await;
    manager.shutdown().await;
}

#[tokio::test]
async fn names_are_unique_and_processes_are_found_by_name_and_pid() {
    let manager = fast_manager();
    let a = manager.new_process("a", "sleep", sleep_for("60")).unwrap();
    manager.new_process("b", "sleep", sleep_for("60")).unwrap();
    for bad in ["", "x/y"] {
        assert!(matches!(
            manager.new_process(bad, "sleep", ProcessOptions::new()),
            Err(ExecError::InvalidName { .. })
        ));
    }
    let err = manager
        .new_process("a", "true", ProcessOptions::new())
        .unwrap_err();
    assert_eq!(err.to_string(), "a process named `a` is already managed");
    let names: Vec<_> = manager.list().iter().map(|p| p.name().to_owned()).collect();
    assert_eq!(names, ["a", "b"]);

    let pid = a.start().await.unwrap();
    assert_eq!(manager.by_pid(pid).unwrap().name(), "a");
    assert!(manager.get("b").is_some() && manager.get("c").is_none());

    // Delete stops watching only: the process keeps running.
    manager.delete("a").await.unwrap();
    assert!(manager.get("a").is_none() && manager.by_pid(pid).is_none());
    assert!(matches!(a.start().await, Err(ExecError::Closed { .. })));
    assert!(!is_dead(pid));
    assert!(matches!(
        manager.delete("a").await,
        Err(ExecError::UnknownProcess { .. })
    ));
    kill_pid(pid);
    wait_until("the released process to die", 5 * SECOND, || is_dead(pid)).await;
    manager.shutdown().await;
}

#[tokio::test]
async fn notifications_follow_the_state_machine() {
    let manager = fast_manager();
    let mut everything = manager.subscribe();
    let quiet = manager
        .new_process("quiet", "true", ProcessOptions::new().without_notify())
        .unwrap();
    let job = manager
        .new_process("job", "true", ProcessOptions::new())
        .unwrap();
    let mut own = job.subscribe();
    let mut quiet_own = quiet.subscribe();
    quiet.start().await.unwrap();
    assert_eq!(next_state(&mut quiet_own).await, ProcessState::Starting);
    job.start().await.unwrap();
    for expected in [
        ProcessState::Starting,
        ProcessState::Running,
        ProcessState::Exited,
    ] {
        assert_eq!(next_state(&mut own).await, expected);
    }
    // The manager-wide stream has the same, with kernel statuses, and nothing of `quiet`.
    let mut seen = Vec::new();
    while seen.last() != Some(&Event::State(ProcessState::Exited)) {
        let change = within("manager events", 5 * SECOND, everything.recv())
            .await
            .unwrap();
        assert_eq!(change.name, "job");
        seen.push(change.event);
    }
    assert!(
        seen.contains(&Event::Status(ProcStatus::Terminated)),
        "{seen:?}"
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_children_and_leaves_detached_ones_running() {
    let manager = fast_manager();
    let child = manager
        .new_process("child", "sleep", sleep_for("60"))
        .unwrap();
    let keeper = manager
        .new_process("keeper", "sleep", sleep_for("60").with_detach())
        .unwrap();
    let (child_pid, keeper_pid) = (child.start().await.unwrap(), keeper.start().await.unwrap());
    within("the shutdown", 15 * SECOND, manager.shutdown()).await;
    assert!(is_dead(child_pid));
    assert!(!is_dead(keeper_pid));
    assert!(manager.list().is_empty());
    kill_pid(keeper_pid);
    wait_until("the detached process to die", 5 * SECOND, || {
        is_dead(keeper_pid)
    })
    .await;
}

// One runtime thread: a writer that is not ready (a full duplex pipe nobody reads yet) must
// park the copying task, not the thread, or this test could never read the other end.
#[tokio::test(flavor = "current_thread")]
async fn a_writer_that_is_not_ready_holds_up_the_child_not_the_runtime() {
    use tokio::io::AsyncReadExt;

    let manager = fast_manager();
    let (writer, mut reader) = tokio::io::duplex(64);
    let options =
        shell("seq 1 2000").with_output(Output::writer(Arc::new(Mutex::new(writer))), Output::Null);
    let counter = manager.new_process("counter", "sh", options).unwrap();
    counter.start().await.unwrap();
    let expected: String = (1..=2000).map(|n| format!("{n}\n")).collect();
    let mut received = Vec::new();
    within("every line through the 64-byte pipe", 10 * SECOND, async {
        while received.len() < expected.len() {
            let mut chunk = [0u8; 256];
            let read = reader.read(&mut chunk).await.unwrap();
            assert_ne!(read, 0, "the writer closed early");
            received.extend_from_slice(&chunk[..read]);
        }
    })
    .await;
    assert_eq!(String::from_utf8(received).unwrap(), expected);
    assert_eq!(
        within("the exit", 5 * SECOND, counter.wait()).await,
        Some(cninfra_exec::ExitInfo {
            code: Some(0),
            signal: None
        })
    );
    manager.shutdown().await;
}
