//! Attaching to processes the manager did not start, and reaping zombies.

mod processes;

use std::process::Command;
use std::time::Duration;

use cninfra_exec::{ExecError, ProcStatus, ProcessOptions, ProcessState};
use cninfra_testsupport::wait_until;
use nix::sys::signal::Signal;
use processes::{fast_manager, is_dead, kill_pid, proc_field};

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn attach_reads_the_command_and_reaps_the_zombie_with_auto_terminate() {
    // A child of the test process, not of the manager.
    let foreign = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = foreign.id();
    let manager = fast_manager();
    let attached = manager
        .attach("foreign", pid, ProcessOptions::new().with_auto_terminate())
        .await
        .unwrap();
    let info = attached.info();
    assert!(info.attached);
    assert_eq!(info.state, ProcessState::Running);
    assert_eq!(attached.command(), "sleep");
    assert_eq!(attached.args(), ["60"]);
    let started = attached.start_time().unwrap();
    assert!(started <= std::time::SystemTime::now());
    wait_until("the kernel status", 5 * SECOND, || {
        attached.status() == ProcStatus::Sleeping
    })
    .await;

    kill_pid(pid);
    // Its parent (this test) does not wait: it turns zombie, and the watcher reaps it.
    wait_until("the attached process to end", 5 * SECOND, || {
        attached.state() == ProcessState::Exited
    })
    .await;
    assert_eq!(
        attached.info().last_exit.unwrap().signal,
        Some(Signal::SIGKILL as i32)
    );
    assert_eq!(proc_field(pid, "State"), None, "reaped, not left a zombie");
    drop(foreign);
    manager.shutdown().await;
}

#[tokio::test]
async fn without_auto_terminate_an_attached_zombie_child_stays_a_zombie() {
    let mut foreign = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = foreign.id();
    let manager = fast_manager();
    let attached = manager
        .attach("foreign", pid, ProcessOptions::new())
        .await
        .unwrap();
    kill_pid(pid);
    wait_until("the zombie status", 5 * SECOND, || {
        attached.status() == ProcStatus::Zombie
    })
    .await;
    assert_eq!(attached.state(), ProcessState::Running);
    assert!(attached.is_alive(), "a zombie still answers signal 0");
    // Once its parent reaps it, the watcher sees it gone.
    foreign.wait().unwrap();
    wait_until("the end", 5 * SECOND, || {
        attached.state() == ProcessState::Exited
    })
    .await;
    assert_eq!(attached.status(), ProcStatus::Terminated);
    manager.shutdown().await;
}

#[tokio::test]
async fn restarting_an_attached_process_starts_one_the_manager_owns() {
    let foreign = Command::new("sleep").arg("60").spawn().unwrap();
    let old = foreign.id();
    let manager = fast_manager();
    let attached = manager
        .attach("foreign", old, ProcessOptions::new().with_auto_terminate())
        .await
        .unwrap();
    let new = attached.restart().await.unwrap();
    assert_ne!(new, old);
    assert!(is_dead(old));
    let info = attached.info();
    assert!(!info.attached);
    assert_eq!(info.state, ProcessState::Running);
    drop(foreign);
    manager.shutdown().await;
    assert!(is_dead(new));
}

#[tokio::test]
async fn attaching_to_a_missing_pid_or_to_the_agent_fails() {
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let manager = fast_manager();
    let err = manager
        .attach("gone", pid, ProcessOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ExecError::Attach { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot attach to pid {pid}: no such process")
    );
    let err = manager
        .attach("me", std::process::id(), ProcessOptions::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the agent itself"), "{err}");
    manager.shutdown().await;
}

#[tokio::test]
async fn an_attached_process_that_is_not_our_child_is_seen_ending() {
    // `sh` starts `sleep` in the background and exits: the sleep's parent is then init.
    let output = Command::new("sh")
        .args(["-c", "sleep 60 >/dev/null 2>&1 & echo $!"])
        .output()
        .unwrap();
    let pid: u32 = String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let manager = fast_manager();
    let orphan = manager
        .attach("orphan", pid, ProcessOptions::new())
        .await
        .unwrap();
    orphan.stop().await.unwrap();
    wait_until("the end", 5 * SECOND, || {
        orphan.state() == ProcessState::Stopped
    })
    .await;
    assert!(is_dead(pid));
    manager.shutdown().await;
}
