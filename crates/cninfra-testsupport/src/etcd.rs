//! [`EtcdServer`]: an etcd of one test, in its own temp dir, that the test may kill and
//! start again on the same ports and data.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};

use crate::{TlsFiles, free_port};

/// An etcd server of one test, in its own temp dir; killed when dropped.
#[derive(Debug)]
pub struct EtcdServer {
    dir: tempfile::TempDir,
    /// The client port on 127.0.0.1.
    pub client_port: u16,
    peer_port: u16,
    child: Option<Child>,
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
        server.tls = Some(TlsFiles::generate(server.dir.path()));
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
            let options = self.tls.as_ref().map(etcd_connect_options);
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

impl Default for EtcdServer {
    fn default() -> Self {
        Self::new()
    }
}
