//! [`ServerProcess`]: a server child process of one test, with its own temp folder and log
//! file, that the test may kill and start again on the same ports and data.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

type Launch = Box<dyn Fn(&Path, &[u16]) -> Command + Send + Sync>;

/// How many times a server that found its port taken is moved to fresh ports.
const MOVES: usize = 5;

/// A server process of one test. `launch(dir, ports)` builds the command line; the process
/// runs with its output in `<dir>/<name>.log` and is killed when this is dropped. Readiness
/// is the caller's: each server has its own way of saying it is up.
///
/// Until [`fix_ports`](Self::fix_ports) (which [`wait_ready`](Self::wait_ready) calls once
/// the server is up), a server that exits because its port is taken ("address already in
/// use" in its log) is started again on fresh ports; after it, the ports are the test's
/// and such an exit fails the test.
pub struct ServerProcess {
    name: &'static str,
    dir: tempfile::TempDir,
    ports: Vec<u16>,
    ports_fixed: bool,
    moves: usize,
    launch: Launch,
    child: Option<Child>,
    /// Where the log of the current run starts.
    log_start: usize,
}

impl std::fmt::Debug for ServerProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerProcess")
            .field("name", &self.name)
            .field("ports", &self.ports)
            .field("running", &self.child.is_some())
            .finish_non_exhaustive()
    }
}

impl ServerProcess {
    /// A process on a fresh port in a fresh temp folder, not started yet.
    ///
    /// # Panics
    /// When no temp folder can be made.
    pub fn new(
        name: &'static str,
        launch: impl Fn(&Path, u16) -> Command + Send + Sync + 'static,
    ) -> Self {
        Self::with_ports(name, 1, move |dir, ports| launch(dir, ports[0]))
    }

    /// A process on `count` fresh ports (the first is [`port`](Self::port)) in a fresh
    /// temp folder, not started yet.
    ///
    /// # Panics
    /// When `count` is 0 or no temp folder can be made.
    pub fn with_ports(
        name: &'static str,
        count: usize,
        launch: impl Fn(&Path, &[u16]) -> Command + Send + Sync + 'static,
    ) -> Self {
        assert!(count > 0, "a server needs a port");
        Self {
            name,
            dir: tempfile::tempdir().expect("temp dir"),
            ports: (0..count).map(|_| free_port()).collect(),
            ports_fixed: false,
            moves: 0,
            launch: Box::new(launch),
            child: None,
            log_start: 0,
        }
    }

    /// Starts the process (it must not be running).
    ///
    /// # Panics
    /// When it is running already or cannot be started; the message names the program.
    pub fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} already running", self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("server log file");
        self.log_start = log
            .metadata()
            .map_or(0, |m| usize::try_from(m.len()).unwrap_or(usize::MAX));
        let mut command = (self.launch)(self.dir.path(), &self.ports);
        let program = command.get_program().to_string_lossy().into_owned();
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("server log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| {
                panic!(
                    "cannot start {} (`{program}`; scripts/test.sh installs it): {err}",
                    self.name
                )
            });
        self.child = Some(child);
    }

    /// Panics with the server's log when the process has exited, unless it exited because
    /// its port was taken and the ports are not fixed yet: then it starts again on fresh
    /// ports (at most a few times).
    pub fn assert_running(&mut self) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        let Ok(Some(exit)) = child.try_wait() else {
            return;
        };
        self.child = None;
        if !self.ports_fixed && self.moves < MOVES && self.bind_failed() {
            self.moves += 1;
            let fresh = self.ports.iter().map(|_| free_port()).collect();
            let taken = std::mem::replace(&mut self.ports, fresh);
            eprintln!(
                "{}: a port of {taken:?} was taken; starting again on {:?}",
                self.name, self.ports
            );
            self.spawn();
            return;
        }
        panic!("{} exited with {exit}; log:\n{}", self.name, self.log());
    }

    /// Whether the log of the current run reports a port that is taken.
    fn bind_failed(&self) -> bool {
        let log = self.log();
        log.get(self.log_start..)
            .unwrap_or(&log)
            .to_ascii_lowercase()
            .contains("address already in use")
    }

    /// From now on the ports stay as they are (the test was given them): a server that
    /// cannot bind them fails the test.
    pub fn fix_ports(&mut self) {
        self.ports_fixed = true;
    }

    /// Moves the server to `port` (as its first port) for its next start, and fixes the
    /// ports.
    pub fn set_port(&mut self, port: u16) {
        self.ports[0] = port;
        self.ports_fixed = true;
    }

    /// Polls `ready(port)` every 20 ms until it holds, then fixes the ports.
    ///
    /// # Panics
    /// When the process exits meanwhile (other than by a taken port, see
    /// [`assert_running`](Self::assert_running)) or `limit` passes, with the server's log.
    pub fn wait_ready(&mut self, limit: Duration, mut ready: impl FnMut(u16) -> bool) {
        let deadline = Instant::now() + limit;
        while !ready(self.port()) {
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "{} on port {} not ready within {limit:?}; log:\n{}",
                self.name,
                self.port(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.fix_ports();
    }

    /// Kills the process with SIGKILL (no clean shutdown) and waits for it to go.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process was started and not killed.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The (first) port the server was given.
    pub fn port(&self) -> u16 {
        self.ports[0]
    }

    /// `127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }

    /// The process's temp folder (its data lives here across restarts).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn log_path(&self) -> std::path::PathBuf {
        self.dir.path().join(format!("{}.log", self.name))
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A stand-in server whose first `failures` starts fail as a taken port does.
    fn flaky(failures: usize) -> ServerProcess {
        let starts = Arc::new(AtomicUsize::new(0));
        ServerProcess::new("flaky", move |_dir, port| {
            let mut command = Command::new("sh");
            if starts.fetch_add(1, Ordering::SeqCst) < failures {
                command.args([
                    "-c",
                    &format!("echo 'bind 127.0.0.1:{port}: Address already in use'; exit 1"),
                ]);
            } else {
                command.args(["-c", "exec sleep 30"]);
            }
            command
        })
    }

    #[test]
    fn a_server_whose_port_is_taken_starts_again_on_another() {
        let mut server = flaky(2);
        let first = server.port();
        server.spawn();
        let mut tried = Vec::new();
        server.wait_ready(Duration::from_secs(10), |port| {
            tried.push(port);
            tried.iter().filter(|p| **p != first).count() > 5
        });
        assert_ne!(server.port(), first);
        server.assert_running();
        assert!(server.is_running());
        assert!(
            server.log().contains(&format!("127.0.0.1:{first}")),
            "{}",
            server.log()
        );
    }

    #[test]
    #[should_panic(expected = "Address already in use")]
    fn once_the_ports_are_fixed_a_taken_port_fails_the_test() {
        let mut server = flaky(1);
        server.fix_ports();
        server.spawn();
        server.wait_ready(Duration::from_secs(10), |_| false);
    }
}
