//! [`EtcdServer`]: an etcd of one test, in its own temp dir, that the test may kill and
//! start again on the same ports and data.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};

use crate::{ServerProcess, TlsFiles};

/// An etcd server of one test, in its own temp folder; killed when dropped.
#[derive(Debug)]
pub struct EtcdServer {
    process: ServerProcess,
    /// The client port on 127.0.0.1; a test may set it before [`run`](Self::run) to move
    /// the server.
    pub client_port: u16,
    tls: Option<TlsFiles>,
}

/// Client options that trust the CA of `tls` and present its client certificate.
///
/// # Panics
/// When a file cannot be read.
pub fn etcd_connect_options(tls: &TlsFiles) -> ConnectOptions {
    let read = |path: &PathBuf| std::fs::read(path).expect("read a TLS file");
    let options = TlsOptions::new()
        .ca_certificate(Certificate::from_pem(read(&tls.ca)))
        .identity(Identity::from_pem(
            read(&tls.client_cert),
            read(&tls.client_key),
        ));
    ConnectOptions::new().with_tls(options)
}

impl EtcdServer {
    /// A server that is not started yet, on fresh ports (which stay: the test may give
    /// out the endpoint before it starts the server).
    pub fn new() -> Self {
        let mut server = Self::with_tls(false);
        server.process.fix_ports();
        server
    }

    fn with_tls(tls: bool) -> Self {
        let process = ServerProcess::with_ports("etcd", 2, move |dir, ports| {
            let scheme = if tls { "https" } else { "http" };
            let client = format!("{scheme}://127.0.0.1:{}", ports[0]);
            let peer = format!("http://127.0.0.1:{}", ports[1]);
            let mut command = Command::new("etcd");
            if tls {
                command
                    .arg("--cert-file")
                    .arg(dir.join("server.pem"))
                    .arg("--key-file")
                    .arg(dir.join("server.key"))
                    .arg("--trusted-ca-file")
                    .arg(dir.join("ca.pem"))
                    .arg("--client-cert-auth");
            }
            command
                .args(["--name", "test", "--logger", "zap", "--log-level", "warn"])
                .arg("--data-dir")
                .arg(dir.join("data"))
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
                .arg(format!("test={peer}"));
            command
        });
        let tls = tls.then(|| TlsFiles::generate(process.dir()));
        Self {
            client_port: process.port(),
            process,
            tls,
        }
    }

    /// Starts a new server and waits until it answers.
    pub async fn start() -> Self {
        let mut server = Self::with_tls(false);
        server.run().await;
        server
    }

    /// Starts a new server that serves clients over TLS only and asks for client
    /// certificates; [`tls`](Self::tls) has the files.
    pub async fn start_tls() -> Self {
        let mut server = Self::with_tls(true);
        server.run().await;
        server
    }

    /// The TLS files of a server made by [`start_tls`](Self::start_tls).
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// `host:port` of the client port.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }

    /// Starts the process (on the current data and ports, [`client_port`](Self::client_port)
    /// first) and waits until it answers. On its first start from
    /// [`start`](Self::start)/[`start_tls`](Self::start_tls), a server whose port is taken
    /// moves to fresh ports.
    ///
    /// # Panics
    /// When it is running already, or not ready within 30 s.
    pub async fn run(&mut self) {
        if self.client_port != self.process.port() {
            self.process.set_port(self.client_port);
        }
        self.process.spawn();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let endpoint = self.process.endpoint();
            let options = self.tls.as_ref().map(etcd_connect_options);
            let attempt = async {
                let mut client = Client::connect([endpoint.as_str()], options).await.ok()?;
                client.status().await.ok()
            };
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(500), attempt).await {
                self.process.fix_ports();
                self.client_port = self.process.port();
                return;
            }
            self.process.assert_running();
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
        self.process.log()
    }

    /// Kills the process with SIGKILL (no clean shutdown) and waits for it to go.
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Removes the data (the server must be stopped): the next run is a new cluster.
    ///
    /// # Panics
    /// When the server runs or the folder cannot be removed.
    pub fn wipe(&mut self) {
        assert!(
            !self.process.is_running(),
            "stop etcd before wiping its data"
        );
        std::fs::remove_dir_all(self.process.dir().join("data")).expect("remove the etcd data dir");
    }

    /// Runs `etcdctl` against this server and returns its stdout.
    ///
    /// # Panics
    /// When etcdctl fails.
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

impl Default for EtcdServer {
    fn default() -> Self {
        Self::new()
    }
}
