//! `sv-cpu-affinity-mask` pins every thread of the agent (alone in this test binary, since it
//! pins the test process itself).

mod processes;

use std::time::Duration;

use cninfra_exec::SupervisorPlugin;
use nix::sched::{CpuSet, sched_getaffinity};
use nix::unistd::Pid;
use processes::with_supervisor;

/// `Cpus_allowed_list` of every thread of this process.
fn thread_cpus() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| {
            let status = std::fs::read_to_string(task.ok()?.path().join("status")).ok()?;
            status
                .lines()
                .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
                .map(|cpus| cpus.trim().to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_pins_every_thread_of_the_agent() {
    let allowed = sched_getaffinity(Pid::from_raw(0)).unwrap();
    let cpu = (0..CpuSet::count())
        .rev()
        .find(|&cpu| allowed.is_set(cpu).unwrap_or(false))
        .unwrap();
    assert!(thread_cpus().len() > 1, "several threads to pin");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("supervisor.conf");
    let program = "programs:\n  - executable-path: sleep\n    executable-args: [\"60\"]\n";
    std::fs::write(
        &config,
        format!("{program}sv-cpu-affinity-mask: \"{:x}\"\n", 1u64 << cpu),
    )
    .unwrap();
    let plugin = SupervisorPlugin::new();
    let (builder, _http) = with_supervisor(plugin.clone());
    let agent = builder
        .with_args(["test", "--supervisor-config", config.to_str().unwrap()])
        .with_env(Vec::<(String, String)>::new())
        .with_phase_timeout(Duration::from_secs(30))
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let threads = thread_cpus();
    assert!(
        threads.iter().all(|cpus| *cpus == cpu.to_string()),
        "{threads:?}"
    );
    // The program, forked from a pinned thread, inherits the mask.
    let pid = plugin.supervisor().unwrap().programs()[0].pid().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(
        status.contains(&format!("Cpus_allowed_list:\t{cpu}\n")),
        "{status}"
    );
    agent.stop().await.unwrap();
}
