//! Which config file a plugin reads: flag > env > config dir > defaults.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use cninfra_core::{Agent, AgentError, BoxError, ErrorChain, InitContext, Plugin, async_trait};

#[derive(Debug, Default, Clone, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
struct EtcdConfig {
    endpoints: Vec<String>,
    #[serde(with = "cninfra_core::config::duration")]
    dial_timeout: std::time::Duration,
}

/// Reads its config in init and keeps what it saw.
#[derive(Default)]
struct Etcd {
    seen: Mutex<Option<(EtcdConfig, Option<PathBuf>, String)>>,
}

#[async_trait]
impl Plugin for Etcd {
    fn name(&self) -> &str {
        "etcd"
    }
    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config: EtcdConfig = ctx.config_or_default()?;
        *self.seen.lock().unwrap() = Some((
            config,
            ctx.config_path(),
            ctx.service_label().agent_prefix(),
        ));
        Ok(())
    }
}

fn write(dir: &Path, name: &str, endpoint: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("endpoints: [\"{endpoint}\"]\n")).unwrap();
    path
}

async fn run(
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<(EtcdConfig, Option<PathBuf>, String), AgentError> {
    let etcd = Arc::new(Etcd::default());
    let mut argv = vec!["agent".to_owned()];
    argv.extend(args.iter().map(|a| a.to_string()));
    let agent = Agent::builder()
        .plugin(etcd.clone())
        .with_args(argv)
        .with_env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .build()?;
    agent.start().await?.stop().await?;
    let seen = etcd.seen.lock().unwrap().clone().expect("init ran");
    Ok(seen)
}

#[tokio::test]
async fn flag_beats_env_beats_config_dir_beats_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let from_flag = write(dir.path(), "flag.yaml", "flag:1");
    let from_env = write(dir.path(), "env.yaml", "env:1");
    let flag = format!("--etcd-config={}", from_flag.display());
    let env_path = from_env.to_str().unwrap();

    // Nothing anywhere: defaults, no file.
    let (config, path, _) = run(&["--config-dir", d], &[]).await.unwrap();
    assert_eq!(config, EtcdConfig::default());
    assert_eq!(path, None);

    // A file in the config dir.
    let in_dir = write(dir.path(), "etcd.conf", "dir:1");
    let (config, path, _) = run(&["--config-dir", d], &[]).await.unwrap();
    assert_eq!(config.endpoints, ["dir:1"]);
    assert_eq!(path, Some(in_dir));

    // CONFIG_DIR from the environment works as the flag does.
    let (config, _, _) = run(&[], &[("CONFIG_DIR", d)]).await.unwrap();
    assert_eq!(config.endpoints, ["dir:1"]);

    // The env variable beats the config dir.
    let (config, _, _) = run(&["--config-dir", d], &[("ETCD_CONFIG", env_path)])
        .await
        .unwrap();
    assert_eq!(config.endpoints, ["env:1"]);

    // The flag beats the env variable.
    let (config, path, _) = run(&["--config-dir", d, &flag], &[("ETCD_CONFIG", env_path)])
        .await
        .unwrap();
    assert_eq!(config.endpoints, ["flag:1"]);
    assert_eq!(path, Some(from_flag));

    // A relative name is looked up in the config dir too.
    let (config, _, _) = run(&["--config-dir", d, "--etcd-config", "env.yaml"], &[])
        .await
        .unwrap();
    assert_eq!(config.endpoints, ["env:1"]);

    // An empty value turns the file off even when the config dir has one.
    let (config, path, _) = run(&["--config-dir", d], &[("ETCD_CONFIG", "")])
        .await
        .unwrap();
    assert_eq!((config, path), (EtcdConfig::default(), None));
}

#[tokio::test]
async fn a_given_path_that_does_not_exist_is_an_error_naming_it() {
    let err = run(&["--etcd-config", "/nowhere/etcd.yaml"], &[])
        .await
        .unwrap_err();
    let text = ErrorChain(&err).to_string();
    assert!(text.contains("plugin `etcd` failed in init"), "{text}");
    assert!(
        text.contains("/nowhere/etcd.yaml") && text.contains("--etcd-config"),
        "{text}"
    );
}

#[tokio::test]
async fn a_malformed_file_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("etcd.conf");
    std::fs::write(&path, "endpoints: [a:1]\ndial-timeout: soon\n").unwrap();
    let err = run(&["--config-dir", dir.path().to_str().unwrap()], &[])
        .await
        .unwrap_err();
    let text = ErrorChain(&err).to_string();
    let expected = format!("{}:2:", path.display());
    assert!(text.contains(&expected), "{text}");
    assert!(
        text.contains("field `dial-timeout`") && text.contains("invalid duration \"soon\""),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_keys_are_ignored_unless_strict_config_says_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("etcd.conf");
    std::fs::write(&path, "endpoints: [a:1]\nendpoint: b:2\n").unwrap();
    let d = dir.path().to_str().unwrap();
    let (config, _, _) = run(&["--config-dir", d], &[]).await.unwrap();
    assert_eq!(config.endpoints, ["a:1"]);

    let expected = format!(
        "{}:2: unknown key `endpoint` (did you mean `endpoints`?)",
        path.display()
    );
    for (args, env) in [
        (vec!["-config-dir", d, "-strict-config"], vec![]),
        (vec!["--config-dir", d, "--strict-config=true"], vec![]),
        (vec!["--config-dir", d], vec![("STRICT_CONFIG", "1")]),
    ] {
        let err = run(&args, &env).await.unwrap_err();
        let text = ErrorChain(&err).to_string();
        assert!(text.contains(&expected), "{args:?} {env:?}: {text}");
        assert!(text.contains("--strict-config"), "{text}");
    }
    // Off again: on the command line, and by the variable.
    run(
        &["-config-dir", d, "-strict-config=false"],
        &[("STRICT_CONFIG", "true")],
    )
    .await
    .unwrap();
    run(&["--config-dir", d], &[("STRICT_CONFIG", "false")])
        .await
        .unwrap();
    let err = run(&["--config-dir", d], &[("STRICT_CONFIG", "maybe")])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("STRICT_CONFIG"), "{err}");
}

#[tokio::test]
async fn go_style_flags_are_read_as_upstream_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.yaml", "go:1");
    let f = file.to_str().unwrap();
    for args in [
        vec!["-etcd-config", f, "-microservice-label", "go"],
        vec![&format!("-etcd-config={f}"), "-microservice-label=go"],
        vec!["--etcd-config", f, "--microservice-label", "go"],
    ] {
        let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
        let (config, path, prefix) = run(&args, &[]).await.unwrap();
        assert_eq!(config.endpoints, ["go:1"], "{args:?}");
        assert_eq!(path.as_deref(), Some(file.as_path()));
        assert_eq!(prefix, "/vnf-agent/go/");
    }
    let err = run(&["-help"], &[]).await.unwrap_err();
    assert_eq!(err.exit_code(), 0);
    assert!(err.to_string().contains("--etcd-config"));
}

#[tokio::test]
async fn the_service_label_comes_from_flag_or_env_with_vpp1_by_default() {
    let (_, _, prefix) = run(&[], &[]).await.unwrap();
    assert_eq!(prefix, "/vnf-agent/vpp1/");
    let (_, _, prefix) = run(&[], &[("MICROSERVICE_LABEL", "edge7")]).await.unwrap();
    assert_eq!(prefix, "/vnf-agent/edge7/");
    let (_, _, prefix) = run(
        &["--microservice-label=core"],
        &[("MICROSERVICE_LABEL", "edge7")],
    )
    .await
    .unwrap();
    assert_eq!(prefix, "/vnf-agent/core/");
    let err = run(&["--microservice-label=a/b"], &[]).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid microservice label \"a/b\""),
        "{err}"
    );
}

#[tokio::test]
async fn help_lists_every_plugin_config_flag_with_its_variable() {
    let err = run(&["--help"], &[]).await.unwrap_err();
    assert_eq!(err.exit_code(), 0);
    let help = err.to_string();
    for needle in [
        "--etcd-config",
        "ETCD_CONFIG",
        "--config-dir",
        "--microservice-label",
        "MICROSERVICE_LABEL",
        "--strict-config",
        "STRICT_CONFIG",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    let err = run(&["--no-such-flag"], &[]).await.unwrap_err();
    assert_eq!(err.exit_code(), 2);
}
