//! Templates: loaded by the process-manager plugin, run on startup, errors naming file and
//! field, written back from a running process.

mod processes;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, AgentError, ErrorChain, RunningAgent};
use cninfra_exec::{
    CpuAffinity, ManagerConfig, ProcessManager, ProcessManagerPlugin, ProcessOptions, ProcessState,
    Restarts,
};
use processes::is_dead;

/// Starts an agent with the process-manager plugin reading `pm.conf` in `dir`.
async fn agent_with(dir: &Path, pm: Arc<ProcessManagerPlugin>) -> Result<RunningAgent, AgentError> {
    let conf = dir.join("pm.conf");
    Agent::builder()
        .plugin(pm)
        .with_args([
            "test",
            "--config-dir",
            dir.to_str().unwrap(),
            "--process-manager-config",
            conf.to_str().unwrap(),
        ])
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[tokio::test]
async fn templates_are_loaded_and_run_on_startup() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    write(
        &dir.path().join("pm.conf"),
        &format!(
            "template-path: {}\npoll-interval: 100ms\n",
            templates.display()
        ),
    );
    write(
        &templates.join("web.json"),
        r#"{"name": "web", "cmd": "sleep",
            "p_options": {"args": ["60"], "run_on_startup": true, "restart": -1}}"#,
    );
    write(
        &templates.join("batch.yaml"),
        "cmd: sleep\np_options:\n  args: [\"1\"]\n",
    );
    write(&templates.join("notes.txt"), "not a template");

    let pm = ProcessManagerPlugin::new();
    let agent = agent_with(dir.path(), pm.clone()).await.unwrap();
    let manager = pm.manager().unwrap().clone();
    let names: Vec<_> = manager.templates().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["batch", "web"], "name from the file when missing");
    let web = manager.get("web").expect("started on startup");
    assert_eq!(web.state(), ProcessState::Running);
    assert_eq!(web.options().restarts, Restarts::Always);
    let pid = web.pid().unwrap();
    assert!(manager.get("batch").is_none(), "not run on startup");
    assert_eq!(manager.template("batch").unwrap().p_options.args, ["1"]);

    agent.stop().await.unwrap();
    assert!(is_dead(pid), "closing the plugin stops its children");
}

#[tokio::test]
async fn a_malformed_template_fails_the_start_naming_file_and_field() {
    let cases = [
        (
            "bad-type.json",
            r#"{"name": "x", "cmd": "sleep", "p_options": {"restart": "often"}}"#,
            "p_options.restart",
        ),
        (
            "typo.yaml",
            "name: x\ncmd: sleep\np_options:\n  arg: [1]\n",
            "p_options.arg",
        ),
        (
            "mask.json",
            r#"{"name": "x", "cmd": "sleep", "p_options": {"cpu_affinity_mask": "0xzz"}}"#,
            "p_options.cpu_affinity_mask",
        ),
        ("no-cmd.json", r#"{"name": "x"}"#, "cmd"),
    ];
    for (file, text, field) in cases {
        let dir = tempfile::tempdir().unwrap();
        let templates = dir.path().join("templates");
        std::fs::create_dir(&templates).unwrap();
        write(
            &dir.path().join("pm.conf"),
            &format!("template-path: {}\n", templates.display()),
        );
        write(&templates.join(file), text);
        let err = agent_with(dir.path(), ProcessManagerPlugin::new())
            .await
            .unwrap_err();
        let err = ErrorChain(&err).to_string();
        assert!(err.contains("process-manager"), "{err}");
        assert!(err.contains(file), "{file}: {err}");
        assert!(err.contains(&format!("field `{field}")), "{file}: {err}");
    }
}

#[tokio::test]
async fn without_a_config_the_plugin_stays_disabled_until_asked_for_a_manager() {
    let dir = tempfile::tempdir().unwrap();
    let pm = ProcessManagerPlugin::new();
    let agent = Agent::builder()
        .plugin(pm.clone())
        .with_args(["test", "--config-dir", dir.path().to_str().unwrap()])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    assert_eq!(pm.manager().unwrap_err().plugin(), "process-manager");
    let manager = pm.manager_or_default().unwrap();
    assert!(manager.templates().is_empty());
    assert_eq!(manager.config(), &ManagerConfig::default());
    let sleeper = manager
        .new_process("sleeper", "sleep", ProcessOptions::new().with_args(["60"]))
        .unwrap();
    let pid = sleeper.start().await.unwrap();
    assert!(std::ptr::eq(pm.manager().unwrap(), manager));
    agent.stop().await.unwrap();
    assert!(
        is_dead(pid),
        "closing the plugin stops the default manager's children"
    );
}

#[tokio::test]
async fn a_config_given_in_code_enables_the_plugin() {
    let pm = ProcessManagerPlugin::builder()
        .with_config(ManagerConfig {
            poll_interval: Duration::from_millis(100),
            ..ManagerConfig::default()
        })
        .build();
    let agent = cninfra_testsupport::start_agent(Agent::builder().plugin(pm.clone())).await;
    assert_eq!(
        pm.manager().unwrap().config().poll_interval,
        Duration::from_millis(100)
    );
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_running_process_is_written_back_as_a_template() {
    let dir = tempfile::tempdir().unwrap();
    let config = ManagerConfig {
        template_path: dir.path().display().to_string(),
        ..ManagerConfig::default()
    };
    let manager = ProcessManager::new(config.clone()).unwrap();
    let options = ProcessOptions::new()
        .with_args(["60"])
        .with_env("MODE", "test")
        .with_restarts(Restarts::Count(2))
        .with_cpu_affinity(
            CpuAffinity::from_list("0")
                .unwrap()
                .with_delay(Duration::from_secs(1)),
        )
        .with_stop_timeout(Duration::from_secs(3));
    let job = manager.new_process("job", "sleep", options).unwrap();
    job.start().await.unwrap();
    let path = manager.save_template("job", true).unwrap();
    assert_eq!(path, dir.path().join("job.json"));
    manager.shutdown().await;

    let reloaded = ProcessManager::new(config).unwrap();
    assert_eq!(reloaded.load_templates().unwrap(), 1);
    let started = reloaded.start_templates_on_startup().await;
    assert_eq!(started.len(), 1);
    let again = &started[0];
    assert_eq!(again.command(), "sleep");
    assert_eq!(again.args(), ["60"]);
    let options = again.options();
    assert_eq!(options.env.get("MODE").map(String::as_str), Some("test"));
    assert_eq!(options.restarts, Restarts::Count(2));
    assert_eq!(options.stop_timeout, Duration::from_secs(3));
    let affinity = options.cpu_affinity.as_ref().unwrap();
    assert_eq!(
        (affinity.cpus(), affinity.delay()),
        (&[0][..], Duration::from_secs(1))
    );
    assert_eq!(again.state(), ProcessState::Running);
    reloaded.shutdown().await;

    let no_dir = ProcessManager::new(ManagerConfig::default()).unwrap();
    no_dir
        .new_process("x", "true", ProcessOptions::new())
        .unwrap();
    let err = no_dir.save_template("x", false).unwrap_err();
    assert!(err.to_string().contains("template-path"), "{err}");
    no_dir.shutdown().await;
}
