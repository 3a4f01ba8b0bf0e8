//! Agent start to readiness, and idle memory, against a bare axum server in the same run.
//!
//! Run with `cargo bench -p cninfra-agent --bench startup`. The bare server is this same
//! program re-executed with `CNINFRA_BENCH_BARE=<port>`: a tokio runtime and one axum route
//! answering `/readiness`, the least any HTTP agent does.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cninfra::rpc::axum::{Router, routing::get};

const AGENT: &str = env!("CARGO_BIN_EXE_cninfra-agent");
const BARE_VAR: &str = "CNINFRA_BENCH_BARE";
const RUNS: usize = 15;

fn main() {
    if let Ok(port) = std::env::var(BARE_VAR) {
        bare_server(&port);
        return;
    }
    let mut agent = Samples::default();
    let mut bare = Samples::default();
    for _ in 0..RUNS {
        agent.push(measure(|port| {
            Command::new(AGENT)
                .env_clear()
                .env("HTTP_PORT", port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
        }));
        bare.push(measure(|port| {
            Command::new(std::env::current_exe()?)
                .env_clear()
                .env(BARE_VAR, port.to_string())
                .stdout(Stdio::null())
                .spawn()
        }));
    }
    println!("start to first 200 on /readiness, and RSS after 500 ms idle ({RUNS} runs each)");
    println!(
        "{:<12} {:>12} {:>12} {:>14}",
        "", "p50 start", "max start", "p50 idle RSS"
    );
    agent.print("agent");
    bare.print("bare axum");
    println!(
        "ratio agent/bare: start {:.2}x, idle RSS {:.2}x",
        agent.start_p50().as_secs_f64() / bare.start_p50().as_secs_f64(),
        agent.rss_p50() as f64 / bare.rss_p50() as f64
    );
}

#[derive(Default)]
struct Samples {
    starts: Vec<Duration>,
    rss_kib: Vec<u64>,
}

impl Samples {
    fn push(&mut self, (start, rss): (Duration, u64)) {
        self.starts.push(start);
        self.rss_kib.push(rss);
    }
    fn start_p50(&self) -> Duration {
        let mut v = self.starts.clone();
        v.sort();
        v[v.len() / 2]
    }
    fn rss_p50(&self) -> u64 {
        let mut v = self.rss_kib.clone();
        v.sort();
        v[v.len() / 2]
    }
    fn print(&self, name: &str) {
        let max = self.starts.iter().max().copied().unwrap_or_default();
        println!(
            "{name:<12} {:>10.1}ms {:>10.1}ms {:>11.1}MiB",
            self.start_p50().as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            self.rss_p50() as f64 / 1024.0
        );
    }
}

/// Spawns a server on a free port; returns (time to first 200, idle RSS in KiB).
fn measure(spawn: impl FnOnce(u16) -> std::io::Result<Child>) -> (Duration, u64) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let begin = Instant::now();
    let mut child = spawn(port).expect("spawn server");
    let deadline = begin + Duration::from_secs(10);
    while !ready(port) {
        assert!(
            Instant::now() < deadline,
            "server on {port} never became ready"
        );
        std::thread::sleep(Duration::from_micros(500));
    }
    let start = begin.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    let rss = rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    (start, rss)
}

/// One HTTP/1.1 GET of /readiness; true on a 200.
fn ready(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let request = "GET /readiness HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn bare_server(port: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let app = Router::new().route("/readiness", get(|| async { r#"{"state":1}"# }));
        let listener = tokio::net::TcpListener::bind(format!("0.0.0.0:{port}"))
            .await
            .expect("bind");
        cninfra::rpc::axum::serve(listener, app)
            .await
            .expect("serve");
    });
}
