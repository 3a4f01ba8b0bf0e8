//! The agent binary as a child process: its own temp folder (data dir, log file), its HTTP
//! port, and the calls tests make on it.

#![allow(dead_code, unreachable_pub, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub mod crypto;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub use cninfra_testsupport::{EtcdServer, RedisServer, eventually, free_port, harness_server};

pub const AGENT: &str = env!("CARGO_BIN_EXE_cninfra-agent");

/// A running agent; killed when dropped.
pub struct AgentProcess {
    child: Child,
    dir: tempfile::TempDir,
    pub port: u16,
    pub client: reqwest::Client,
}

impl AgentProcess {
    /// Starts the agent with a clean environment apart from `env`, a fresh HTTP port (unless
    /// `env` or `args` name one) and a data dir in its temp folder. Output goes to a log
    /// file, so a chatty agent never blocks on a full pipe.
    pub fn spawn(args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        Self::start(args, env, port, true)
    }

    /// As [`spawn`](Self::spawn), without `HTTP_PORT`: the port comes from `args` or a
    /// config file, and `port` is where the test expects the agent to serve.
    pub fn spawn_serving_on(port: u16, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::start(args, env, port, false)
    }

    fn start(args: &[&str], env: &[(&str, &str)], port: u16, port_env: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(dir.path().join("agent.log")).unwrap();
        let mut command = Command::new(AGENT);
        command.env_clear();
        if port_env {
            command.env("HTTP_PORT", port.to_string());
        }
        command
            .env("DATA_DIR", dir.path().join("data"))
            .envs(env.iter().copied())
            .args(args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = command.spawn().unwrap();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        Self {
            child,
            dir,
            port,
            client,
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The agent's temp folder (its data dir is `data/` in it).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The embedded store's data folder.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Waits until `/readiness` answers 200.
    pub async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(resp) = self.client.get(self.url("/readiness")).send().await
                && resp.status() == 200
            {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("agent exited early with {status}: {}", self.output());
            }
            assert!(
                Instant::now() < deadline,
                "the agent never got ready: {}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `GET path` as JSON, whatever the status code (`Null` when there is no JSON answer).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        match self.client.get(self.url(path)).send().await {
            Ok(resp) => resp.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        }
    }

    /// Waits until `GET path` answers JSON for which `check` holds; returns it.
    pub async fn wait_json(
        &self,
        what: &str,
        path: &str,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let value = self.get_json(path).await;
            if check(&value) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within 30 s; last answer of {path}: {value}\nagent log:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The state of one plugin in the agent status (`/liveness` JSON), if listed.
    pub async fn plugin_state(&self, plugin: &str) -> Option<serde_json::Value> {
        let status = self.get_json("/liveness").await;
        status["plugins"]
            .as_array()?
            .iter()
            .find(|p| p["name"] == plugin)
            .cloned()
    }

    /// What the agent logged so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("agent.log")).unwrap_or_default()
    }

    /// Sends SIGTERM.
    pub fn sigterm(&self) {
        kill(
            Pid::from_raw(i32::try_from(self.child.id()).unwrap()),
            Signal::SIGTERM,
        )
        .unwrap();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit, within a deadline.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "agent did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM, then the exit code must be 0.
    pub fn stop(mut self) {
        self.sigterm();
        let status = self.wait_exit();
        assert_eq!(status.code(), Some(0), "{}", self.output());
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
