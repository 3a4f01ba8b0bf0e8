//! Supervising 500 processes: the CPU the status watcher uses per second, and the time from
//! a child's crash (SIGKILL from outside) to its restart.
//!
//! Run with `cargo bench -p cninfra-exec --bench supervise` (about a minute). Baselines from
//! the same run: the agent's CPU with no process watched, and the time to spawn a `sleep`
//! directly with tokio.

use std::time::{Duration, Instant};

use cninfra_exec::{
    ManagerConfig, ProcessInstance, ProcessManager, ProcessOptions, ProcessState, RestartPolicy,
    Restarts,
};
use nix::sys::resource::{UsageWho, getrusage};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const PROCESSES: usize = 500;
const WINDOW: Duration = Duration::from_secs(10);
const KILLS: usize = 50;

/// User plus system CPU time of this process so far.
fn cpu_time() -> Duration {
    let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
    let micros = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
    };
    micros(usage.user_time()) + micros(usage.system_time())
}

/// CPU used per second of wall time over `WINDOW`.
async fn cpu_per_second() -> Duration {
    let (cpu, wall) = (cpu_time(), Instant::now());
    tokio::time::sleep(WINDOW).await;
    (cpu_time() - cpu).div_f64(wall.elapsed().as_secs_f64())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let manager = ProcessManager::new(ManagerConfig::default()).expect("runtime");
    let poll = manager.config().poll_interval;

    let idle = cpu_per_second().await;

    let options = ProcessOptions::new()
        .with_args(["3600"])
        .with_restarts(Restarts::Always)
        .with_restart_policy(RestartPolicy::immediate());
    let started = Instant::now();
    let mut processes: Vec<std::sync::Arc<ProcessInstance>> = Vec::with_capacity(PROCESSES);
    for i in 0..PROCESSES {
        let process = manager
            .new_process(&format!("sleep-{i:03}"), "sleep", options.clone())
            .expect("register");
        process.start().await.expect("start");
        processes.push(process);
    }
    let start_all = started.elapsed();
    // Let the watcher read every process once before measuring.
    tokio::time::sleep(poll * 2).await;

    let watching = cpu_per_second().await;
    let watcher = watching.saturating_sub(idle);

    // Baseline for the restart: a bare tokio spawn of the same command.
    let mut bare = Vec::with_capacity(KILLS);
    for _ in 0..KILLS {
        let asked = Instant::now();
        let mut child = tokio::process::Command::new("sleep")
            .arg("3600")
            .spawn()
            .expect("spawn");
        bare.push(asked.elapsed());
        child.kill().await.expect("kill");
    }
    bare.sort();

    let mut restarts = Vec::with_capacity(KILLS);
    for i in 0..KILLS {
        let process = &processes[i * (PROCESSES / KILLS)];
        let old = process.pid().expect("running");
        let mut info = process.watch();
        let killed = Instant::now();
        kill(Pid::from_raw(old as i32), Signal::SIGKILL).expect("kill");
        info.wait_for(|now| {
            now.pid.is_some_and(|pid| pid != old) && now.state == ProcessState::Running
        })
        .await
        .expect("restart");
        restarts.push(killed.elapsed());
    }
    restarts.sort();

    // Where the restart time goes: a start through the manager, tied to the agent (fork,
    // for the parent-death signal) or detached (no pre-exec hook, so std can use vfork).
    let mut tied = Vec::with_capacity(KILLS);
    let mut detached = Vec::with_capacity(KILLS);
    let mut leftovers = Vec::with_capacity(KILLS);
    for i in 0..KILLS {
        for (detach, times) in [(false, &mut tied), (true, &mut detached)] {
            let mut options = ProcessOptions::new().with_args(["3600"]);
            options.detach = detach;
            let process = manager
                .new_process(&format!("probe-{detach}-{i}"), "sleep", options)
                .expect("register");
            let asked = Instant::now();
            let pid = process.start().await.expect("start");
            times.push(asked.elapsed());
            if detach {
                leftovers.push(pid);
            }
        }
    }
    tied.sort();
    detached.sort();

    let stopping = Instant::now();
    manager.shutdown().await;
    let stop_all = stopping.elapsed();

    println!(
        "supervise: {PROCESSES} `sleep` children, poll interval {poll:?}, CPU window {WINDOW:?}"
    );
    println!(
        "  start all: {:.0} ms ({:.2} ms each)",
        ms(start_all),
        ms(start_all) / PROCESSES as f64
    );
    println!(
        "  CPU per second, nothing watched (baseline): {:.3} ms",
        ms(idle)
    );
    println!(
        "  CPU per second, {PROCESSES} watched: {:.3} ms",
        ms(watching)
    );
    println!(
        "  watcher CPU per second: {:.3} ms = {:.3}% of a core, {:.1} us per process per poll",
        ms(watcher),
        watcher.as_secs_f64() * 100.0,
        watcher.as_secs_f64() * 1e6 * poll.as_secs_f64() / PROCESSES as f64,
    );
    println!(
        "  ratio watched/baseline: {:.2}",
        watching.as_secs_f64() / idle.as_secs_f64().max(1e-9)
    );
    println!(
        "  crash to restart over {KILLS} kills: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&restarts, 0.5)),
        ms(percentile(&restarts, 0.99)),
        ms(*restarts.last().expect("kills")),
    );
    println!(
        "  bare tokio spawn (baseline): p50 {:.2} ms, p99 {:.2} ms",
        ms(percentile(&bare, 0.5)),
        ms(percentile(&bare, 0.99)),
    );
    println!(
        "  ratio restart/bare spawn (p50): {:.2}",
        percentile(&restarts, 0.5).as_secs_f64() / percentile(&bare, 0.5).as_secs_f64()
    );
    println!(
        "  start through the manager (p50): tied to the agent {:.2} ms, detached {:.2} ms",
        ms(percentile(&tied, 0.5)),
        ms(percentile(&detached, 0.5)),
    );
    println!("  stop all (SIGTERM, wait): {:.0} ms", ms(stop_all));
    for pid in leftovers {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
}
