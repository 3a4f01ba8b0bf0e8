//! Children die with the agent (parent-death signal) unless detached, whatever thread asked
//! for them.

mod processes;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use cninfra_exec::{ManagerConfig, ProcessManager, ProcessOptions, ProcessState};
use cninfra_testsupport::{wait_until, wait_until_blocking};
use nix::unistd::{Pid, getpgid};
use processes::{TEST_AGENT, is_dead, kill_pid};

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn killing_the_agent_kills_its_children_but_not_detached_ones() {
    let mut agent = Command::new(TEST_AGENT)
        .arg("agent")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(agent.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid_of = |key: &str| -> u32 {
        line.split_whitespace()
            .find_map(|word| word.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {line:?}"))
            .parse()
            .unwrap()
    };
    let (detached, child) = (pid_of("detached="), pid_of("child="));
    assert!(!is_dead(detached) && !is_dead(child));
    // The detached child leads a process group of its own.
    assert_eq!(
        getpgid(Some(Pid::from_raw(detached as i32)))
            .unwrap()
            .as_raw() as u32,
        detached
    );

    agent.kill().unwrap(); // SIGKILL: the agent cannot clean up.
    agent.wait().unwrap();
    wait_until_blocking("the child to die with the agent", 5 * SECOND, || {
        is_dead(child)
    });
    assert!(
        !is_dead(detached),
        "the detached child must outlive the agent"
    );
    kill_pid(detached);
}

#[test]
fn a_child_outlives_the_thread_that_asked_for_it() {
    // Blocking threads end after 20 ms idle; had that thread forked the child, the kernel
    // would send the parent-death signal when it ended.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_keep_alive(Duration::from_millis(20))
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let manager = ProcessManager::new(ManagerConfig::default()).unwrap();
        let sleeper = manager
            .new_process("sleeper", "sleep", ProcessOptions::new().with_args(["60"]))
            .unwrap();
        let asker = sleeper.clone();
        let (pid, thread) = tokio::task::spawn_blocking(move || {
            let pid = tokio::runtime::Handle::current().block_on(asker.start());
            (pid.unwrap(), nix::unistd::gettid().as_raw())
        })
        .await
        .unwrap();
        let task = format!("/proc/self/task/{thread}");
        wait_until("the blocking thread to end", 5 * SECOND, || {
            !std::path::Path::new(&task).exists()
        })
        .await;
        assert!(!is_dead(pid));
        assert_eq!(sleeper.pid(), Some(pid));
        assert_eq!(sleeper.state(), ProcessState::Running);
        manager.shutdown().await;
        assert!(is_dead(pid));
    });
}
