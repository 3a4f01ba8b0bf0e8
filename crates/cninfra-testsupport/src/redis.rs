//! [`RedisServer`]: a `redis-server` of one test, with data that survives a restart.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::ServerProcess;

/// A `redis-server` of the test's own, in a temporary folder, on a free port, with keyspace
/// notifications as the test asks. Data persists across [`restart`](Self::restart)
/// (append-only file with an fsync on every write, so a SIGKILL loses nothing).
#[derive(Debug)]
pub struct RedisServer {
    process: ServerProcess,
    /// Serves TLS only (`--tls-port`, plain port off).
    tls: bool,
}

impl RedisServer {
    /// Starts `redis-server` with `args` added (e.g. `--requirepass x`) and waits until it
    /// answers.
    ///
    /// # Panics
    /// When it does not start within 10 s.
    pub fn start(args: &[&str]) -> Self {
        Self::start_on(args, false)
    }

    /// Starts `redis-server` serving TLS only on its port; `args` must name the certificate
    /// files (`--tls-cert-file` ...). Ready once the port accepts connections.
    ///
    /// # Panics
    /// When it does not start within 10 s.
    pub fn start_tls(args: &[&str]) -> Self {
        Self::start_on(args, true)
    }

    fn start_on(args: &[&str], tls: bool) -> Self {
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let process = ServerProcess::new("redis", move |dir, port| {
            let port = port.to_string();
            let mut command = Command::new("redis-server");
            command.args(["--bind", "127.0.0.1", "--dir"]).arg(dir);
            if tls {
                command.args(["--port", "0", "--tls-port", &port]);
            } else {
                command.args(["--port", &port]);
            }
            command
                .args([
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                ])
                .args(&args);
            command
        });
        let mut server = Self { process, tls };
        server.run();
        server
    }

    /// `127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        self.process.endpoint()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.process.port()
    }

    fn run(&mut self) {
        self.process.spawn();
        self.wait_ready();
    }

    /// Polls PING until the server answers (any answer: with a password it is NOAUTH);
    /// with TLS, until the port accepts connections.
    fn wait_ready(&mut self) {
        let tls = self.tls;
        self.process.wait_ready(Duration::from_secs(10), |port| {
            let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
                return false;
            };
            if tls {
                return true;
            }
            let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
            let mut reply = [0u8; 64];
            stream.write_all(b"PING\r\n").is_ok()
                && matches!(stream.read(&mut reply), Ok(n) if n > 0
                    && (reply[0] != b'-' || reply.starts_with(b"-NOAUTH")))
        });
    }

    /// Kills the server (SIGKILL: nothing is lost, every write was fsynced).
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Starts the server again on the same port with the same data.
    pub fn restart(&mut self) {
        self.process.kill();
        self.run();
    }
}
