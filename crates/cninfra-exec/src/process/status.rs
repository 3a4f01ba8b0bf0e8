//! The kernel's view of a process, read from `/proc/<pid>/stat`.

use std::fmt;
use std::io::Read;
use std::time::{Duration, SystemTime};

/// The status of a process as the kernel reports it, plus upstream's own values
/// (`initial`, `terminated`, `unavailable`).
///
/// The watcher reads it from `/proc/<pid>/stat`; hooks see it as `SUPERVISOR_PROCESS_STATE`
/// in `ProcessStatus` events, written as [`as_str`](Self::as_str) gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ProcStatus {
    /// Just started or attached; not read from `/proc` yet.
    Initial,
    /// `R`: running or runnable.
    Running,
    /// `S`: interruptible sleep.
    Sleeping,
    /// `D`: uninterruptible sleep (usually I/O).
    DiskSleep,
    /// `I`: idle kernel thread.
    Idle,
    /// `T`: stopped by a signal.
    Stopped,
    /// `t`: stopped by a tracer.
    TracingStop,
    /// `Z`: exited, not yet reaped by its parent.
    Zombie,
    /// `X`: dead.
    Dead,
    /// Not running: exited, killed, or never started.
    Terminated,
    /// `/proc` could not be read for it.
    Unavailable,
}

impl ProcStatus {
    /// The status's name: `running`, `sleeping`, `zombie`, `terminated`... (upstream's names,
    /// with `disk-sleep` and `tracing-stop` for the two that have a space in `/proc`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProcStatus::Initial => "initial",
            ProcStatus::Running => "running",
            ProcStatus::Sleeping => "sleeping",
            ProcStatus::DiskSleep => "disk-sleep",
            ProcStatus::Idle => "idle",
            ProcStatus::Stopped => "stopped",
            ProcStatus::TracingStop => "tracing-stop",
            ProcStatus::Zombie => "zombie",
            ProcStatus::Dead => "dead",
            ProcStatus::Terminated => "terminated",
            ProcStatus::Unavailable => "unavailable",
        }
    }

    /// The status for a state letter of `/proc/<pid>/stat`.
    pub fn from_state_letter(letter: u8) -> Self {
        match letter {
            b'R' => ProcStatus::Running,
            b'S' | b'W' => ProcStatus::Sleeping,
            b'D' => ProcStatus::DiskSleep,
            b'I' | b'P' => ProcStatus::Idle,
            b'T' => ProcStatus::Stopped,
            b't' => ProcStatus::TracingStop,
            b'Z' => ProcStatus::Zombie,
            b'X' | b'x' => ProcStatus::Dead,
            _ => ProcStatus::Unavailable,
        }
    }
}

impl fmt::Display for ProcStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The fields of `/proc/<pid>/stat` the manager uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatLine {
    /// The state letter.
    pub(crate) state: u8,
    /// The parent's pid.
    pub(crate) ppid: u32,
    /// Start time in clock ticks after boot (tells a process from a later one with its pid).
    pub(crate) start_ticks: u64,
    /// User plus system CPU time in clock ticks.
    pub(crate) cpu_ticks: u64,
}

impl StatLine {
    /// The kernel status.
    pub(crate) fn status(&self) -> ProcStatus {
        ProcStatus::from_state_letter(self.state)
    }
}

/// Parses a `/proc/<pid>/stat` line. The command name (field 2) sits in parentheses and may
/// itself hold spaces and parentheses, so fields are counted from the last `)`.
pub(crate) fn parse_stat(text: &[u8]) -> Option<StatLine> {
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(text.get(close + 1..)?).ok()?;
    // Fields after the name, numbered as in proc(5) minus 3: state is 0, ppid 1, utime 11,
    // stime 12, starttime 19.
    let mut fields = rest.split_ascii_whitespace();
    let state = *fields.next()?.as_bytes().first()?;
    let ppid = fields.next()?.parse().ok()?;
    let mut fields = fields.skip(9);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let start_ticks = fields.nth(6)?.parse().ok()?;
    Some(StatLine {
        state,
        ppid,
        start_ticks,
        cpu_ticks: utime + stime,
    })
}

/// Reads `/proc/<pid>/stat` (one open and one read, into a stack buffer).
///
/// # Errors
/// `NotFound` when the process is gone, `InvalidData` when the line does not parse.
pub(crate) fn read_stat(pid: u32) -> std::io::Result<StatLine> {
    let mut buf = [0u8; 1024];
    let mut file = std::fs::File::open(format!("/proc/{pid}/stat"))?;
    let mut len = 0;
    while len < buf.len() {
        let read = file.read(&mut buf[len..])?;
        if read == 0 {
            break;
        }
        len += read;
    }
    parse_stat(&buf[..len]).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("unexpected content in /proc/{pid}/stat"),
        )
    })
}

/// Clock ticks per second of `/proc` times (`USER_HZ`, 100 on Linux unless told otherwise).
pub(crate) fn ticks_per_second() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .and_then(|ticks| u64::try_from(ticks).ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// When a process started, from its start ticks and the boot time in `/proc/stat`.
pub(crate) fn start_time_of(start_ticks: u64) -> Option<SystemTime> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let boot: u64 = stat
        .lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let ticks = ticks_per_second();
    let after_boot = Duration::from_secs(start_ticks / ticks)
        + Duration::from_nanos((start_ticks % ticks) * 1_000_000_000 / ticks);
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(boot) + after_boot)
}

/// Reads `/proc/<pid>/stat` and the process's start time off the runtime, on a blocking
/// thread (both are file reads).
///
/// # Errors
/// As [`read_stat`]; `Other` if the blocking task could not run.
pub(crate) async fn read_stat_and_start(
    pid: u32,
) -> std::io::Result<(StatLine, Option<SystemTime>)> {
    tokio::task::spawn_blocking(move || {
        let stat = read_stat(pid)?;
        Ok((stat, start_time_of(stat.start_ticks)))
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The command line of a process (`/proc/<pid>/cmdline`), split into its words.
pub(crate) async fn read_cmdline(pid: u32) -> std::io::Result<Vec<String>> {
    let raw = tokio::fs::read(format!("/proc/{pid}/cmdline")).await?;
    Ok(raw
        .split(|&b| b == 0)
        .filter(|word| !word.is_empty())
        .map(|word| String::from_utf8_lossy(word).into_owned())
        .collect())
}

/// The command line of a process being attached. A process that is in the middle of
/// `execve` (a parent's `spawn` can return just before the kernel fills in the new
/// arguments) shows an empty command line for a moment, so an empty one is read again for
/// up to 100 ms before it is taken as it is (kernel threads and zombies have none).
pub(crate) async fn read_attached_cmdline(pid: u32) -> std::io::Result<Vec<String>> {
    for _ in 0..20 {
        let words = read_cmdline(pid).await?;
        if !words.is_empty() {
            return Ok(words);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    read_cmdline(pid).await
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from a real `sleep` whose name was changed to hold `) (` and spaces.
    const SAMPLE: &[u8] = b"4242 (we ird) (x) S 17 4242 17 34816 4242 4194560 95 0 0 0 \
        7 3 0 0 20 0 1 0 123456 8273920 214 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 \
        1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn parses_state_ppid_start_and_cpu_despite_odd_names() {
        let line = parse_stat(SAMPLE).unwrap();
        assert_eq!(line.state, b'S');
        assert_eq!(line.status(), ProcStatus::Sleeping);
        assert_eq!(line.ppid, 17);
        assert_eq!(line.cpu_ticks, 10);
        assert_eq!(line.start_ticks, 123_456);
    }

    #[test]
    fn truncated_lines_are_rejected() {
        assert_eq!(parse_stat(b"12 (x) S 1 2 3"), None);
        assert_eq!(parse_stat(b"no parenthesis at all"), None);
    }

    #[tokio::test]
    async fn reads_own_stat_and_cmdline() {
        let me = std::process::id();
        let line = read_stat(me).unwrap();
        assert_ne!(line.status(), ProcStatus::Unavailable);
        assert_eq!(line.ppid, nix::unistd::getppid().as_raw() as u32);
        let started = start_time_of(line.start_ticks).unwrap();
        assert!(started <= SystemTime::now());
        assert!(!read_cmdline(me).await.unwrap().is_empty());
        let (again, started_again) = read_stat_and_start(me).await.unwrap();
        assert_eq!(
            (again.start_ticks, started_again),
            (line.start_ticks, Some(started))
        );
        assert_eq!(
            read_stat(u32::MAX).unwrap_err().kind(),
            std::io::ErrorKind::NotFound
        );
    }

    #[test]
    fn every_kernel_letter_has_a_status() {
        for (letter, status) in [
            (b'R', "running"),
            (b'S', "sleeping"),
            (b'D', "disk-sleep"),
            (b'I', "idle"),
            (b'T', "stopped"),
            (b't', "tracing-stop"),
            (b'Z', "zombie"),
            (b'X', "dead"),
            (b'?', "unavailable"),
        ] {
            assert_eq!(ProcStatus::from_state_letter(letter).as_str(), status);
        }
    }
}
