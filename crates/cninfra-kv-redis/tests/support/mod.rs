//! Shared test plumbing: the harness's Redis, our own Redis instances, unique prefixes.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cninfra_kv_redis::RedisConfig;

/// The address of the Redis that the harness started; fails the test with instructions
/// when it is missing.
pub fn shared_endpoint() -> String {
    std::env::var("CNINFRA_TEST_REDIS").unwrap_or_else(|_| {
        panic!(
            "CNINFRA_TEST_REDIS is not set: this test needs a Redis server with keyspace \
             notifications. Run scripts/test.sh, or `source scripts/services.sh; \
             services_start redis` and then cargo test (services_stop afterwards)"
        )
    })
}

/// A config for the harness's Redis.
pub fn shared_config() -> RedisConfig {
    RedisConfig::node(shared_endpoint())
}

/// A key prefix no other test run uses.
pub fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("/cninfra-test/{test}/{}-{nanos}/", std::process::id())
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// A `redis-server` of the test's own, in a temporary directory, on a free port.
pub struct OwnRedis {
    dir: tempfile::TempDir,
    port: u16,
    args: Vec<String>,
    /// Serves TLS only (`--tls-port`, plain port off).
    tls: bool,
    child: Option<Child>,
}

impl OwnRedis {
    /// Starts `redis-server` with `args` added (e.g. `--requirepass x`); waits until it
    /// answers. Data persists across [`restart`](Self::restart) (append-only file, fsync
    /// on every write).
    pub fn start(args: &[&str]) -> Self {
        Self::start_on(args, false)
    }

    /// Starts `redis-server` serving TLS only on its port; `args` must name the
    /// certificate files (`--tls-cert-file` ...). Ready once the port accepts connections.
    pub fn start_tls(args: &[&str]) -> Self {
        Self::start_on(args, true)
    }

    fn start_on(args: &[&str], tls: bool) -> Self {
        let mut server = Self {
            dir: tempfile::tempdir().expect("temp dir"),
            port: free_port(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            tls,
            child: None,
        };
        server.spawn();
        server
    }

    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn config(&self) -> RedisConfig {
        RedisConfig::node(self.endpoint())
    }

    fn spawn(&mut self) {
        let dir = self.dir.path().to_str().expect("UTF-8 temp dir").to_owned();
        let port = self.port.to_string();
        let ports = if self.tls {
            vec!["--port", "0", "--tls-port", &port]
        } else {
            vec!["--port", &port]
        };
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--dir", &dir])
            .args(ports)
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        self.child = Some(child);
        self.wait_ready();
    }

    /// Polls PING until the server answers (any answer: with a password it is NOAUTH);
    /// with TLS, until the port accepts connections.
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let connected = TcpStream::connect(("127.0.0.1", self.port));
            if self.tls && connected.is_ok() {
                return;
            }
            if let Ok(mut stream) = connected {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                let mut reply = [0u8; 64];
                if stream.write_all(b"PING\r\n").is_ok()
                    && matches!(stream.read(&mut reply), Ok(n) if n > 0 && reply[0] != b'-'
                        || reply.starts_with(b"-NOAUTH"))
                {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "own redis-server on {} did not start",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the server (SIGKILL: nothing is lost, every write was fsynced).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
