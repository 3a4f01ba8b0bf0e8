//! A small program the crate's tests run, as an agent and as a child:
//!
//! - `exec-test-agent agent`: manages two `sleep 300` children, one detached, and prints
//!   `detached=<pid> child=<pid>`; then runs until killed (the tests kill it with SIGKILL).
//! - `exec-test-agent ignore-term`: ignores SIGTERM, prints `ready`, runs until killed.
//! - `exec-test-agent exit <code> <after-ms>`: exits with `code` after `after-ms`.

use std::io::Write as _;
use std::time::Duration;

use cninfra_exec::{ManagerConfig, ProcessManager, ProcessOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["agent"] => {
            let manager = ProcessManager::new(ManagerConfig::default())?;
            let sleep = ProcessOptions::new().with_args(["300"]);
            let detached = manager.new_process("detached", "sleep", sleep.clone().with_detach())?;
            let child = manager.new_process("child", "sleep", sleep)?;
            let (detached, child) = (detached.start().await?, child.start().await?);
            println!("detached={detached} child={child}");
            std::io::stdout().flush()?;
            std::future::pending::<()>().await;
        }
        ["ignore-term"] => {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            println!("ready");
            std::io::stdout().flush()?;
            loop {
                term.recv().await;
            }
        }
        ["exit", code, after_ms] => {
            tokio::time::sleep(Duration::from_millis(after_ms.parse()?)).await;
            std::process::exit(code.parse()?);
        }
        other => {
            return Err(format!("unknown mode {other:?}: use agent, ignore-term or exit").into());
        }
    }
    Ok(())
}
