//! Starting children: one long-lived thread forks them all, and non-detached children get a
//! parent-death signal.
//!
//! The kernel sends the parent-death signal when the *thread* that forked the child exits,
//! not the process. Tokio's blocking threads end after a short idle time and worker threads
//! end with their runtime, so children are forked from a dedicated thread that lives as
//! long as the process: the signal then fires exactly when the agent dies.

use std::io;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::Signal;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::options::{Output, ProcessOptions, SharedWriter};
use crate::error::ExecError;

/// How long a spawn may take (fork, and `exec` of the executable) before it is given up.
const SPAWN_TIMEOUT: Duration = Duration::from_secs(30);

/// A spawn request for the spawner thread.
struct Request {
    command: Command,
    runtime: Handle,
    reply: oneshot::Sender<io::Result<Child>>,
}

/// The spawner thread's queue, created on first use.
static SPAWNER: Mutex<Option<mpsc::Sender<Request>>> = Mutex::new(None);

fn spawner() -> Result<mpsc::Sender<Request>, ExecError> {
    let mut slot = SPAWNER.lock();
    if let Some(sender) = &*slot {
        return Ok(sender.clone());
    }
    let (sender, requests) = mpsc::channel::<Request>();
    std::thread::Builder::new()
        .name("cninfra-exec-spawner".to_owned())
        .spawn(move || {
            // Runs for the life of the process: the static sender is never dropped.
            for mut request in requests {
                let _runtime = request.runtime.enter();
                // A requester that gave up waiting (time-out) leaves no one to supervise
                // the child: kill it (tokio reaps it in the background).
                if let Err(Ok(mut orphan)) = request.reply.send(request.command.spawn()) {
                    let _ = orphan.start_kill();
                }
            }
        })
        .map_err(|err| ExecError::Spawner {
            reason: err.to_string(),
        })?;
    *slot = Some(sender.clone());
    Ok(sender)
}

/// How a child is tied to the agent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ties {
    /// Put the child in a process group of its own (it then misses signals sent to the
    /// agent's group, such as a terminal's Ctrl-C).
    pub(crate) own_group: bool,
    /// The kernel sends the child SIGKILL when the agent dies.
    pub(crate) die_with_agent: bool,
}

impl Ties {
    /// Detached: own group, outlives the agent. Otherwise: dies with the agent.
    pub(crate) fn for_process(detach: bool) -> Self {
        Self {
            own_group: detach,
            die_with_agent: !detach,
        }
    }
}

/// Spawns `command` from the spawner thread, tied to the agent as `ties` say.
///
/// # Errors
/// The spawn's I/O error (executable missing, not executable, bad working folder), or
/// `Other` when the spawner thread is unavailable.
pub(crate) async fn spawn_command(mut command: Command, ties: Ties) -> io::Result<Child> {
    if ties.own_group {
        command.process_group(0);
    }
    if ties.die_with_agent {
        die_with_parent(&mut command);
    }
    let runtime = Handle::current();
    let sender = spawner().map_err(io::Error::other)?;
    let (reply, answer) = oneshot::channel();
    sender
        .send(Request {
            command,
            runtime,
            reply,
        })
        .map_err(|_| io::Error::other("the process spawner thread has stopped"))?;
    match tokio::time::timeout(SPAWN_TIMEOUT, answer).await {
        Ok(Ok(spawned)) => spawned,
        Ok(Err(_)) => Err(io::Error::other(
            "the process spawner thread dropped the request",
        )),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer from the process spawner thread within {SPAWN_TIMEOUT:?}"),
        )),
    }
}

/// Makes the kernel send SIGKILL to the child when the agent dies (`PR_SET_PDEATHSIG`).
///
/// The only `unsafe` of the crate. `pre_exec` closures run in the forked child before
/// `exec`, where the parent's other threads no longer exist: any lock they held stays held,
/// so only async-signal-safe calls are allowed. The closure makes two raw system calls,
/// `prctl(PR_SET_PDEATHSIG, SIGKILL)` and `getppid()`, touches no lock and allocates
/// nothing (errors are built from a raw errno); it captures one integer, the agent's pid.
/// If the agent died between `fork` and `prctl`, the child has been re-parented and no
/// signal would come, so the check on `getppid` makes the spawn fail instead.
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    let agent = nix::unistd::getpid();
    let hook = move || -> io::Result<()> {
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)?;
        if nix::unistd::getppid() != agent {
            return Err(io::Error::from(nix::Error::ESRCH));
        }
        Ok(())
    };
    // SAFETY: the hook only makes async-signal-safe system calls; see above.
    unsafe {
        command.pre_exec(hook);
    }
}

/// Starts the process `name` as `options` say, and sets up copying of its output into
/// writers.
///
/// # Errors
/// [`ExecError::Spawn`] naming the process and executable.
pub(crate) async fn spawn_process(
    name: &str,
    program: &str,
    options: &ProcessOptions,
) -> Result<Child, ExecError> {
    let failed = |source| ExecError::Spawn {
        name: name.to_owned(),
        command: program.to_owned(),
        source,
    };
    let mut command = Command::new(program);
    command
        .args(&options.args)
        .stdin(Stdio::null())
        .stdout(stdio_for(&options.stdout).map_err(failed)?)
        .stderr(stdio_for(&options.stderr).map_err(failed)?)
        .kill_on_drop(false);
    if options.clear_env {
        command.env_clear();
    }
    command.envs(&options.env);
    if let Some(dir) = &options.working_dir {
        command.current_dir(dir);
    }
    let mut child = spawn_command(command, Ties::for_process(options.detach))
        .await
        .map_err(failed)?;
    if let (Output::Writer(writer), Some(stdout)) = (&options.stdout, child.stdout.take()) {
        tokio::spawn(copy_into(stdout, writer.clone()));
    }
    if let (Output::Writer(writer), Some(stderr)) = (&options.stderr, child.stderr.take()) {
        tokio::spawn(copy_into(stderr, writer.clone()));
    }
    Ok(child)
}

fn stdio_for(output: &Output) -> io::Result<Stdio> {
    Ok(match output {
        Output::Null => Stdio::null(),
        Output::Inherit => Stdio::inherit(),
        Output::Writer(_) => Stdio::piped(),
        Output::File(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| io::Error::new(err.kind(), format!("log file {path:?}: {err}")))?;
            Stdio::from(file)
        }
    })
}

/// Copies a child's pipe into a shared writer until the pipe closes (or the writer fails).
async fn copy_into(mut pipe: impl tokio::io::AsyncRead + Unpin, writer: SharedWriter) {
    let mut buf = vec![0u8; 8192];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(read) => {
                let mut writer = writer.lock().await;
                if writer.write_all(&buf[..read]).await.is_err() || writer.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}
