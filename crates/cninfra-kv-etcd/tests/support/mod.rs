//! Shared test plumbing: the harness's etcd (`CNINFRA_TEST_ETCD`), private etcd servers
//! that tests kill and restart, and polling with a deadline.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cninfra_kv_etcd::etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};
use cninfra_kv_etcd::{EtcdConfig, EtcdStore};

/// The harness's etcd (`host:port`); a clear failure when it is not running.
pub fn shared_endpoint() -> String {
    std::env::var("CNINFRA_TEST_ETCD").unwrap_or_else(|_| {
        panic!(
            "CNINFRA_TEST_ETCD is not set: these tests need a running etcd. Run `scripts/test.sh`, \
             or `source scripts/services.sh; services_start etcd` and then cargo test"
        )
    })
}

/// A key prefix no other test run uses.
pub fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("/cninfra-test/{test}/{}-{nanos}-{n}/", std::process::id())
}

/// A config for `endpoint` with short intervals, as tests want them.
pub fn quick_config(endpoint: &str) -> EtcdConfig {
    EtcdConfig {
        dial_timeout: Duration::from_secs(2),
        operation_timeout: Duration::from_secs(1),
        reconnect_interval: Duration::from_millis(200),
        ..EtcdConfig::with_endpoints([endpoint])
    }
}

/// A store on the harness's etcd.
pub async fn shared_store() -> EtcdStore {
    EtcdStore::connect(&quick_config(&shared_endpoint()))
        .await
        .expect("connect to CNINFRA_TEST_ETCD")
}

/// Polls `check` every 20 ms until it holds, failing after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A free loopback port (free when asked; etcd binds it soon after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An etcd server of one test, in its own temp dir; killed when dropped.
pub struct EtcdServer {
    dir: tempfile::TempDir,
    pub client_port: u16,
    peer_port: u16,
    child: Option<Child>,
    tls: Option<Tls>,
}

/// TLS files of a server that serves its clients over TLS and asks for client
/// certificates.
pub struct Tls {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl Tls {
    /// Client options that trust the CA and present the client certificate.
    pub fn connect_options(&self) -> ConnectOptions {
        let read = |path: &PathBuf| std::fs::read(path).expect("read a TLS file");
        let tls = TlsOptions::new()
            .ca_certificate(Certificate::from_pem(read(&self.ca)))
            .identity(Identity::from_pem(
                read(&self.client_cert),
                read(&self.client_key),
            ));
        ConnectOptions::new().with_tls(tls)
    }

    /// A CA, a server certificate for 127.0.0.1 and a client certificate, made with the
    /// `openssl` command in `dir`.
    pub fn generate(dir: &std::path::Path) -> Self {
        // Arguments are split on spaces: every name here is a plain relative file name.
        let openssl = |args: String| {
            let output = Command::new("openssl")
                .current_dir(dir)
                .args(args.split(' '))
                .output()
                .expect("run openssl");
            assert!(
                output.status.success(),
                "openssl {args}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        openssl(format!(
            "req -x509 {key} -keyout ca.key -out ca.pem -days 2 -subj /CN=cninfra-test-ca"
        ));
        for (name, extensions) in [
            (
                "server",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth",
            ),
            ("client", "extendedKeyUsage=clientAuth"),
        ] {
            std::fs::write(dir.join(format!("{name}.ext")), extensions).unwrap();
            openssl(format!(
                "req {key} -keyout {name}.key -out {name}.csr -subj /CN={name}"
            ));
            openssl(format!(
                "x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                 -out {name}.pem -days 2 -extfile {name}.ext"
            ));
        }
        Self {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
        }
    }
}

impl EtcdServer {
    /// A server that is not started yet, on fresh ports.
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            client_port: free_port(),
            peer_port: free_port(),
            child: None,
            tls: None,
        }
    }

    /// Starts a new server and waits until it answers.
    pub async fn start() -> Self {
        let mut server = Self::new();
        server.run().await;
        server
    }

    /// Starts a new server that serves clients over TLS only and asks for client
    /// certificates; [`tls`](Self::tls) has the files.
    pub async fn start_tls() -> Self {
        let mut server = Self::new();
        server.tls = Some(Tls::generate(server.dir.path()));
        server.run().await;
        server
    }

    /// The TLS files of a server made by [`start_tls`](Self::start_tls).
    pub fn tls(&self) -> Option<&Tls> {
        self.tls.as_ref()
    }

    /// `host:port` of the client port.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the process (on the current data dir and ports) and waits until it answers.
    pub async fn run(&mut self) {
        assert!(self.child.is_none(), "etcd already running");
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let client = format!("{scheme}://127.0.0.1:{}", self.client_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("etcd.log"))
            .expect("etcd log file");
        let mut command = Command::new("etcd");
        if let Some(tls) = &self.tls {
            command
                .arg("--cert-file")
                .arg(&tls.server_cert)
                .arg("--key-file")
                .arg(&tls.server_key)
                .arg("--trusted-ca-file")
                .arg(&tls.ca)
                .arg("--client-cert-auth");
        }
        let child = command
            .args(["--name", "test", "--logger", "zap", "--log-level", "warn"])
            .arg("--data-dir")
            .arg(self.data_dir())
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .arg("--initial-cluster")
            .arg(format!("test={peer}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start etcd (Debian package etcd-server; scripts/test.sh installs it)");
        self.child = Some(child);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let endpoint = self.endpoint();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let options = self.tls.as_ref().map(Tls::connect_options);
            let attempt = async {
                let mut client = Client::connect([endpoint.as_str()], options).await.ok()?;
                client.status().await.ok()
            };
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(500), attempt).await {
                return;
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(exit)) = child.try_wait()
            {
                panic!("etcd exited with {exit}; log:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "etcd on {endpoint} not ready in 30 s; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("etcd.log")).unwrap_or_default()
    }

    /// Kills the process with SIGKILL (no clean shutdown) and waits for it to go.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Removes the data dir (the server must be stopped): the next run is a new cluster.
    pub fn wipe(&mut self) {
        assert!(self.child.is_none(), "stop etcd before wiping its data");
        std::fs::remove_dir_all(self.data_dir()).expect("remove the etcd data dir");
    }

    /// Runs `etcdctl` against this server and returns its stdout.
    pub fn etcdctl(&self, args: &[&str]) -> String {
        let output = Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", self.endpoint()))
            .args(args)
            .output()
            .expect("run etcdctl (Debian package etcd-client)");
        assert!(
            output.status.success(),
            "etcdctl {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        self.kill();
    }
}
