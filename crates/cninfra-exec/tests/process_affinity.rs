//! CPU affinity set with `sched_setaffinity`, read back from `/proc/<pid>/status`.

mod processes;

use std::time::{Duration, Instant};

use cninfra_exec::{CpuAffinity, ProcessOptions, ProcessState};
use cninfra_testsupport::wait_until;
use nix::sched::{CpuSet, sched_getaffinity};
use nix::unistd::Pid;
use processes::{fast_manager, proc_field};

const SECOND: Duration = Duration::from_secs(1);

/// The CPUs this test may use.
fn allowed_cpus() -> Vec<usize> {
    let set = sched_getaffinity(Pid::from_raw(0)).unwrap();
    (0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect()
}

fn sleeper(affinity: CpuAffinity) -> ProcessOptions {
    ProcessOptions::new()
        .with_args(["60"])
        .with_cpu_affinity(affinity)
}

#[tokio::test]
async fn the_affinity_is_applied_at_start() {
    let cpu = *allowed_cpus().last().unwrap();
    let manager = fast_manager();
    let pinned = manager
        .new_process(
            "pinned",
            "sleep",
            sleeper(CpuAffinity::from_cpus([cpu]).unwrap()),
        )
        .unwrap();
    let pid = pinned.start().await.unwrap();
    assert_eq!(
        proc_field(pid, "Cpus_allowed_list").unwrap(),
        cpu.to_string()
    );
    // A mask means the same: bit n is CPU n.
    let mask = format!("{:x}", 1u64 << cpu);
    let masked = manager
        .new_process(
            "masked",
            "sleep",
            sleeper(CpuAffinity::from_mask(&mask).unwrap()),
        )
        .unwrap();
    let pid = masked.start().await.unwrap();
    assert_eq!(
        proc_field(pid, "Cpus_allowed_list").unwrap(),
        cpu.to_string()
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn a_delayed_affinity_is_applied_after_the_delay() {
    let allowed = allowed_cpus();
    assert!(
        allowed.len() >= 2,
        "this test needs two usable CPUs, has {allowed:?}"
    );
    let everything = CpuAffinity::from_cpus(allowed.iter().copied())
        .unwrap()
        .to_list();
    let cpu = allowed[0];
    let delay = Duration::from_millis(300);
    let affinity = CpuAffinity::from_cpus([cpu]).unwrap().with_delay(delay);
    let manager = fast_manager();
    let pinned = manager
        .new_process("pinned", "sleep", sleeper(affinity))
        .unwrap();
    let started = Instant::now();
    let pid = pinned.start().await.unwrap();
    assert_eq!(proc_field(pid, "Cpus_allowed_list").unwrap(), everything);
    wait_until("the delayed pinning", 5 * SECOND, || {
        proc_field(pid, "Cpus_allowed_list").as_deref() == Some(cpu.to_string().as_str())
    })
    .await;
    assert!(
        started.elapsed() >= delay,
        "pinned after {:?}",
        started.elapsed()
    );
    manager.shutdown().await;
}

#[tokio::test]
async fn an_affinity_the_kernel_refuses_leaves_the_process_running_unpinned() {
    // CPU 1000 can be named but is not online here: sched_setaffinity fails with EINVAL.
    let allowed = allowed_cpus();
    assert!(!allowed.contains(&1000));
    let everything = CpuAffinity::from_cpus(allowed).unwrap().to_list();
    let manager = fast_manager();
    let job = manager
        .new_process(
            "job",
            "sleep",
            sleeper(CpuAffinity::from_cpus([1000]).unwrap()),
        )
        .unwrap();
    let pid = job.start().await.unwrap();
    assert_eq!(job.state(), ProcessState::Running);
    assert_eq!(proc_field(pid, "Cpus_allowed_list").unwrap(), everything);
    let err = CpuAffinity::from_cpus([1000])
        .unwrap()
        .apply(pid)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot pin pid {pid} to CPUs 1000")),
        "{err}"
    );
    manager.shutdown().await;
}

#[test]
fn bad_masks_are_rejected_naming_the_value() {
    let err = CpuAffinity::from_mask("0xfoo").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid CPU affinity \"0xfoo\": not a hexadecimal mask"
    );
    let err = CpuAffinity::from_mask("0x0").unwrap_err();
    assert!(err.to_string().contains("selects no CPU"), "{err}");
}
