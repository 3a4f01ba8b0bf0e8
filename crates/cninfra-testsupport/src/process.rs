//! [`ServerProcess`]: a server child process of one test, with its own temp folder and log
//! file, that the test may kill and start again on the same port and data.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::free_port;

type Launch = Box<dyn Fn(&Path, u16) -> Command + Send + Sync>;

/// A server process of one test. `launch(dir, port)` builds the command line; the process
/// runs with its output in `<dir>/<name>.log` and is killed when this is dropped. Readiness
/// is the caller's: each server has its own way of saying it is up.
pub struct ServerProcess {
    name: &'static str,
    dir: tempfile::TempDir,
    port: u16,
    launch: Launch,
    child: Option<Child>,
}

impl std::fmt::Debug for ServerProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerProcess")
            .field("name", &self.name)
            .field("port", &self.port)
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
        Self {
            name,
            dir: tempfile::tempdir().expect("temp dir"),
            port: free_port(),
            launch: Box::new(launch),
            child: None,
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
        let mut command = (self.launch)(self.dir.path(), self.port);
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

    /// Panics with the server's log when the process has exited.
    pub fn assert_running(&mut self) {
        if let Some(child) = self.child.as_mut()
            && let Ok(Some(exit)) = child.try_wait()
        {
            panic!("{} exited with {exit}; log:\n{}", self.name, self.log());
        }
    }

    /// Polls `ready(port)` every 20 ms until it holds.
    ///
    /// # Panics
    /// When the process exits meanwhile or `limit` passes, with the server's log.
    pub fn wait_ready(&mut self, limit: Duration, mut ready: impl FnMut(u16) -> bool) {
        let deadline = Instant::now() + limit;
        while !ready(self.port) {
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "{} on port {} not ready within {limit:?}; log:\n{}",
                self.name,
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
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

    /// The port the server was given.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
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
