//! Log hooks against receivers that follow each protocol: rsyslog from Debian's packages
//! (syslog over UDP and TCP), and in-test logstash (JSON lines) and fluentd (forward
//! protocol) receivers; a slow or absent receiver never holds up logging.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_logging::{HookConfig, LogManagerPlugin, LogRegistry, LogSettings, LogsConfig};
use cninfra_testsupport::{eventually, free_port};
use support::{Capture, TestAgent, http};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpListener;

/// An agent whose log manager runs `hooks`; the dispatch is where the test logs.
async fn start(
    hooks: BTreeMap<String, HookConfig>,
) -> anyhow::Result<(TestAgent, Arc<LogRegistry>, tracing::Dispatch)> {
    let (registry, dispatch) = LogRegistry::new(LogSettings::new().with_writer(Capture::default()));
    let logs = LogManagerPlugin::builder()
        .with_registry(registry.clone())
        .with_config(LogsConfig {
            hooks,
            ..LogsConfig::default()
        })
        .build();
    let agent = TestAgent::start(logs, http(), &["--microservice-label", "edge1"], &[]).await?;
    Ok((agent, registry, dispatch))
}

fn hook(protocol: &str, port: u16, levels: &[&str]) -> HookConfig {
    HookConfig {
        protocol: protocol.into(),
        address: "127.0.0.1".into(),
        port,
        levels: levels.iter().map(|l| l.to_string()).collect(),
    }
}

fn log_some(dispatch: &tracing::Dispatch) {
    tracing::dispatcher::with_default(dispatch, || {
        tracing::info!(target: "app", "not for the hook");
        tracing::error!(target: "app", user = "alice", attempt = 3, "disk full");
    });
}

#[tokio::test]
async fn logstash_gets_json_lines_of_its_levels() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let hooks = BTreeMap::from([("logstash".to_owned(), hook("tcp", port, &["error", "warn"]))]);
    let (agent, _registry, dispatch) = start(hooks).await?;
    log_some(&dispatch);
    let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept()).await??;
    let mut lines = BufReader::new(stream).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await??
        .expect("a line");
    let record: serde_json::Value = serde_json::from_str(&line)?;
    assert_eq!(record["message"], "disk full", "{record}");
    assert_eq!(record["level"], "error");
    assert_eq!(record["type"], "edge1");
    assert_eq!(record["logger"], "app");
    assert_eq!(record["user"], "alice");
    assert_eq!(record["attempt"], 3);
    assert_eq!(record["@version"], "1");
    assert!(
        record["@timestamp"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    agent.agent.stop().await?;
    Ok(())
}

/// Reads one MessagePack value from the stream.
async fn read_msgpack(stream: &mut tokio::net::TcpStream) -> anyhow::Result<rmpv::Value> {
    let mut buffer = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk)).await??;
        anyhow::ensure!(read > 0, "the hook closed the stream");
        buffer.extend_from_slice(&chunk[..read]);
        if let Ok(value) = rmpv::decode::read_value(&mut buffer.as_slice()) {
            return Ok(value);
        }
    }
}

#[tokio::test]
async fn fluentd_gets_forward_protocol_messages_tagged_with_the_label() -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let hooks = BTreeMap::from([("fluent".to_owned(), hook("tcp", port, &[]))]);
    let (agent, _registry, dispatch) = start(hooks).await?;
    log_some(&dispatch);
    let (mut stream, _) =
        tokio::time::timeout(Duration::from_secs(10), listener.accept()).await??;
    let message = read_msgpack(&mut stream).await?;
    let parts = message.as_array().expect("[tag, time, record]");
    assert_eq!(parts.len(), 3, "{message}");
    assert_eq!(parts[0].as_str(), Some("edge1"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let time = parts[1].as_u64().expect("time in seconds");
    assert!(now.abs_diff(time) < 60, "{time}");
    let record: BTreeMap<String, String> = parts[2]
        .as_map()
        .expect("record")
        .iter()
        .map(|(k, v)| {
            (
                k.to_string().trim_matches('"').to_owned(),
                v.to_string().trim_matches('"').to_owned(),
            )
        })
        .collect();
    assert_eq!(record["message"], "disk full", "{record:?}");
    assert_eq!(record["level"], "error");
    assert_eq!(record["user"], "alice");
    assert_eq!(record["attempt"], "3");
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_stuck_or_absent_receiver_never_holds_logging_up_and_drops_are_counted()
-> anyhow::Result<()> {
    // Accepts and never reads: the kernel buffers fill, then the hook's queue.
    let stuck = TcpListener::bind("127.0.0.1:0").await?;
    let stuck_port = stuck.local_addr()?.port();
    let absent_port = free_port();
    let hooks = BTreeMap::from([
        ("logstash".to_owned(), hook("tcp", stuck_port, &["error"])),
        ("fluent".to_owned(), hook("tcp", absent_port, &["error"])),
    ]);
    let (agent, registry, dispatch) = start(hooks).await?;
    let accepting = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = stuck.accept().await {
            held.push(stream);
        }
    });
    let big = "x".repeat(1024);
    let started = Instant::now();
    tracing::dispatcher::with_default(&dispatch, || {
        for i in 0..20_000 {
            tracing::error!(target: "app", i, payload = %big, "flood");
        }
    });
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "logging took {took:?}");
    eventually(
        "both hooks count drops",
        Duration::from_secs(10),
        || async {
            let drops = registry.hook_drops();
            drops.get("logstash").is_some_and(|n| *n > 0)
                && drops.get("fluent").is_some_and(|n| *n > 0)
        },
    )
    .await;
    accepting.abort();
    agent.agent.stop().await?;
    Ok(())
}

/// rsyslogd on a loopback UDP and TCP port, writing what it receives to a file.
struct Rsyslog {
    child: Child,
    dir: tempfile::TempDir,
    udp: u16,
    tcp: u16,
}

impl Rsyslog {
    /// `None` when rsyslogd is not installed (scripts/services.sh installs it).
    fn start() -> Option<Self> {
        let binary = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"]
            .into_iter()
            .find(|path| Path::new(path).exists())?;
        let dir = tempfile::tempdir().ok()?;
        let (udp, tcp) = (free_port(), free_port());
        let out = dir.path().join("received.log");
        let conf = format!(
            "global(workDirectory=\"{work}\")\n\
             module(load=\"imudp\")\n\
             input(type=\"imudp\" address=\"127.0.0.1\" port=\"{udp}\")\n\
             module(load=\"imtcp\")\n\
             input(type=\"imtcp\" address=\"127.0.0.1\" port=\"{tcp}\")\n\
             template(name=\"t\" type=\"string\" string=\"%pri% %syslogtag% %msg%\\n\")\n\
             *.* action(type=\"omfile\" file=\"{out}\" template=\"t\")\n",
            work = dir.path().display(),
            out = out.display(),
        );
        let conf_path = dir.path().join("rsyslog.conf");
        std::fs::write(&conf_path, conf).ok()?;
        let child = Command::new(binary)
            .args(["-n", "-f"])
            .arg(&conf_path)
            .arg("-i")
            .arg(dir.path().join("rsyslog.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        Some(Self {
            child,
            dir,
            udp,
            tcp,
        })
    }

    fn received(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("received.log")).unwrap_or_default()
    }

    async fn wait_listening(&self) {
        let tcp = self.tcp;
        eventually("rsyslogd listens", Duration::from_secs(20), || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", tcp))
                .await
                .is_ok()
        })
        .await;
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends error records through a syslog hook over `protocol` until rsyslog has one, then
/// checks how it arrived.
async fn rsyslog_receives_over(protocol: &str) -> anyhow::Result<()> {
    let Some(rsyslog) = Rsyslog::start() else {
        eprintln!("SKIPPED: rsyslogd is not installed (scripts/services.sh installs it)");
        return Ok(());
    };
    rsyslog.wait_listening().await;
    let port = if protocol == "udp" {
        rsyslog.udp
    } else {
        rsyslog.tcp
    };
    let hooks = BTreeMap::from([("syslog".to_owned(), hook(protocol, port, &["error"]))]);
    let (agent, _registry, dispatch) = start(hooks).await?;
    let marker = format!("disk full over {protocol}");
    // A UDP datagram sent before rsyslog reads its port is lost: send until one shows.
    eventually("rsyslog gets the record", Duration::from_secs(20), || {
        tracing::dispatcher::with_default(&dispatch, || {
            tracing::info!(target: "app", "not for syslog");
            tracing::error!(target: "app", user = "alice", "{marker}");
        });
        let arrived = rsyslog.received().contains(&marker);
        async move { arrived }
    })
    .await;
    let received = rsyslog.received();
    let line = received
        .lines()
        .find(|line| line.contains(&marker))
        .unwrap_or_default();
    // Facility user (1), severity error (3): priority 11; tag = the service label.
    assert!(line.starts_with("11 edge1["), "{line}");
    assert!(
        line.contains("level=error") && line.contains("user=\"alice\""),
        "{line}"
    );
    assert!(!received.contains("not for syslog"), "{received}");
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn rsyslog_receives_records_over_udp() -> anyhow::Result<()> {
    rsyslog_receives_over("udp").await
}

#[tokio::test]
async fn rsyslog_receives_records_over_tcp() -> anyhow::Result<()> {
    rsyslog_receives_over("tcp").await
}
