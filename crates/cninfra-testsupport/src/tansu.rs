//! [`TansuServer`]: a tansu Kafka-protocol broker of one test, with in-memory storage.

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::ServerProcess;

/// The broker binary: `$CNINFRA_TANSU`, else `tansu` on `PATH`, else `~/.cargo/bin/tansu`
/// (where scripts/test.sh installs it).
fn binary() -> String {
    if let Ok(bin) = std::env::var("CNINFRA_TANSU") {
        return bin;
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("tansu").is_file()));
    if on_path {
        return "tansu".to_owned();
    }
    let home = std::env::var("HOME").unwrap_or_default();
    format!("{home}/.cargo/bin/tansu")
}

/// A tansu broker on a loopback port of its own, storing in memory: a restart starts it
/// empty on the same port.
#[derive(Debug)]
pub struct TansuServer {
    process: ServerProcess,
}

impl TansuServer {
    /// Starts a broker and waits until it accepts connections.
    ///
    /// # Panics
    /// When it does not listen within 30 s.
    pub fn start() -> Self {
        let bin = binary();
        let process = ServerProcess::new("tansu", move |_dir, port| {
            let url = format!("tcp://127.0.0.1:{port}");
            let mut command = Command::new(&bin);
            command
                .args([
                    "broker",
                    "--listener-url",
                    &url,
                    "--advertised-listener-url",
                    &url,
                ])
                .args(["--storage-engine", "memory://tansu/"]);
            command
        });
        let mut broker = Self { process };
        broker.run();
        broker
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> String {
        self.process.endpoint()
    }

    fn run(&mut self) {
        self.process.spawn();
        self.process.wait_ready(Duration::from_secs(30), |port| {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
    }

    /// Kills the broker (SIGKILL: no clean shutdown) and reaps it.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts the broker again on the same port (its in-memory data is gone).
    pub fn restart(&mut self) {
        self.process.kill();
        self.run();
    }
}
