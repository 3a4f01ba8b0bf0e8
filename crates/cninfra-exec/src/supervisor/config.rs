//! `supervisor.conf`: programs, hooks and the supervisor's own CPU affinity.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::ExecError;
use crate::process::{CpuAffinity, Output, ProcessOptions, RestartPolicy, Restarts};

/// The supervisor's config (`supervisor.conf`; without it the supervisor stays disabled).
///
/// ```yaml
/// programs:
///   - name: vpp                      # default: the executable's file name
///     executable-path: /usr/bin/vpp  # required
///     executable-args: ["-c", "/etc/vpp/startup.conf"]
///     logfile-path: /var/log/vpp.log # stdout and stderr appended; else the agent's
///     restarts: -1                   # 0 never (default), n times, -1 always
///     restart-policy:
///       backoff-initial: 100ms
///       burst-limit: 5
///       burst-window: 10s
///     cpu-affinity-mask: "4"         # or cpu-affinity-list: "2"
///     cpu-affinity-setup-delay: 1s
/// hooks:
///   - cmd: /usr/local/bin/on-change.sh
///     cmd-args: ["--verbose"]
///     program-name: vpp              # only this program (default: all)
///     event-type: FATAL              # only this event type or value (default: all)
///     timeout: 10s
/// sv-cpu-affinity-mask: "1"
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SupervisorConfig {
    /// The programs to start and supervise.
    pub programs: Vec<ProgramConfig>,
    /// Commands run on every state change of a program.
    pub hooks: Vec<HookConfig>,
    /// CPU mask (hexadecimal) for the agent itself; empty leaves it alone.
    #[serde(deserialize_with = "crate::process::deserialize_mask")]
    pub sv_cpu_affinity_mask: String,
}

/// One supervised program.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProgramConfig {
    /// Name; the executable's file name when empty.
    pub name: String,
    /// The executable: a path, or a name looked up in `PATH`. Required.
    pub executable_path: String,
    /// Its arguments.
    pub executable_args: Vec<String>,
    /// File that stdout and stderr are appended to; empty sends them to the agent's.
    pub logfile_path: String,
    /// Restarts after exits on its own: `0` never (default), `n` times, `-1` always.
    pub restarts: Restarts,
    /// Back-off and burst limit of those restarts.
    pub restart_policy: RestartPolicy,
    /// Hexadecimal CPU mask (`taskset` style).
    #[serde(deserialize_with = "crate::process::deserialize_mask")]
    pub cpu_affinity_mask: String,
    /// CPU list such as `0-2,6` (instead of the mask).
    pub cpu_affinity_list: String,
    /// Pin this long after start.
    #[serde(with = "cninfra_core::config::duration")]
    pub cpu_affinity_setup_delay: Duration,
    /// How long a graceful stop may take before SIGKILL. Default 10 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub stop_timeout: Duration,
}

impl Default for ProgramConfig {
    fn default() -> Self {
        Self {
            name: String::new(),
            executable_path: String::new(),
            executable_args: Vec::new(),
            logfile_path: String::new(),
            restarts: Restarts::Never,
            restart_policy: RestartPolicy::default(),
            cpu_affinity_mask: String::new(),
            cpu_affinity_list: String::new(),
            cpu_affinity_setup_delay: Duration::ZERO,
            stop_timeout: Duration::from_secs(10),
        }
    }
}

/// A command run on program state changes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct HookConfig {
    /// The command (a path, or a name looked up in `PATH`). Required.
    pub cmd: String,
    /// Its arguments.
    pub cmd_args: Vec<String>,
    /// Run only for this program; empty: every program.
    pub program_name: String,
    /// Run only for events of this type (`ProcessState`, `ProcessStatus`) or with this new
    /// value (`FATAL`, `terminated`...); empty: every event.
    pub event_type: String,
    /// Longest run; the hook's process group is then killed. Default 10 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub timeout: Duration,
}

impl Default for HookConfig {
    fn default() -> Self {
        Self {
            cmd: String::new(),
            cmd_args: Vec::new(),
            program_name: String::new(),
            event_type: String::new(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// A program ready to be registered.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub(crate) name: String,
    pub(crate) executable: String,
    pub(crate) options: ProcessOptions,
}

/// The checked config.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) programs: Vec<Program>,
    pub(crate) hooks: Vec<HookConfig>,
    pub(crate) own_affinity: Option<CpuAffinity>,
}

impl SupervisorConfig {
    /// Checks every field; `origin` (the file) prefixes errors.
    pub(crate) fn check(&self, origin: &str) -> Result<Checked, ExecError> {
        let invalid = |field: String, message: String| ExecError::InvalidField {
            origin: origin.to_owned(),
            field,
            message,
        };
        let mut names = BTreeSet::new();
        let mut programs = Vec::with_capacity(self.programs.len());
        for (i, program) in self.programs.iter().enumerate() {
            let path = program.executable_path.trim();
            if path.is_empty() {
                return Err(invalid(
                    format!("programs[{i}].executable-path"),
                    "required: the executable to run".to_owned(),
                ));
            }
            let name = if program.name.trim().is_empty() {
                Path::new(path)
                    .file_name()
                    .map(|file| file.to_string_lossy().into_owned())
                    .unwrap_or_default()
            } else {
                program.name.trim().to_owned()
            };
            check_executable(path).map_err(|reason| ExecError::MissingExecutable {
                program: name.clone(),
                path: path.to_owned(),
                reason,
            })?;
            if !names.insert(name.clone()) {
                return Err(invalid(
                    format!("programs[{i}].name"),
                    format!("program name `{name}` is used twice"),
                ));
            }
            let field = if program.cpu_affinity_mask.trim().is_empty() {
                "cpu-affinity-list"
            } else {
                "cpu-affinity-mask"
            };
            // As the seed describes: a bad mask is an error in the log, and the program
            // still runs (unpinned).
            let affinity = CpuAffinity::from_config(
                &program.cpu_affinity_mask,
                &program.cpu_affinity_list,
                program.cpu_affinity_setup_delay,
            )
            .unwrap_or_else(|err| {
                tracing::error!(target: super::LOG, file = origin, program = %name,
                    field = %format!("programs[{i}].{field}"), error = %err,
                    "invalid CPU affinity; the program runs without one");
                None
            });
            let output = || {
                if program.logfile_path.is_empty() {
                    Output::Inherit
                } else {
                    Output::File(PathBuf::from(&program.logfile_path))
                }
            };
            let mut options = ProcessOptions::new()
                .with_args(program.executable_args.iter().cloned())
                .with_output(output(), output())
                .with_restarts(program.restarts)
                .with_restart_policy(program.restart_policy.clone())
                .with_stop_timeout(program.stop_timeout)
                .with_auto_terminate();
            options.cpu_affinity = affinity;
            programs.push(Program {
                name,
                executable: path.to_owned(),
                options,
            });
        }
        for (i, hook) in self.hooks.iter().enumerate() {
            if hook.cmd.trim().is_empty() {
                return Err(invalid(
                    format!("hooks[{i}].cmd"),
                    "required: the command to run".to_owned(),
                ));
            }
            if hook.timeout.is_zero() {
                return Err(invalid(
                    format!("hooks[{i}].timeout"),
                    "must be longer than 0s".to_owned(),
                ));
            }
        }
        let own_affinity = if self.sv_cpu_affinity_mask.trim().is_empty() {
            None
        } else {
            Some(
                CpuAffinity::from_mask(&self.sv_cpu_affinity_mask)
                    .map_err(|err| invalid("sv-cpu-affinity-mask".to_owned(), err.to_string()))?,
            )
        };
        Ok(Checked {
            programs,
            hooks: self.hooks.clone(),
            own_affinity,
        })
    }
}

/// Checks that `path` names an executable file (looked up in `PATH` when it has no `/`).
fn check_executable(path: &str) -> Result<(), &'static str> {
    let is_executable = |candidate: &Path| {
        candidate
            .metadata()
            .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
    };
    if !path.contains('/') {
        let found = std::env::var_os("PATH").is_some_and(|dirs| {
            std::env::split_paths(&dirs).any(|dir| is_executable(&dir.join(path)))
        });
        return if found {
            Ok(())
        } else {
            Err("is not found in PATH")
        };
    }
    let candidate = Path::new(path);
    match candidate.metadata() {
        Err(_) => Err("does not exist"),
        Ok(meta) if !meta.is_file() => Err("is not a file"),
        Ok(_) if !is_executable(candidate) => Err("is not executable"),
        Ok(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> SupervisorConfig {
        cninfra_core::config::parse_str(text, Path::new("supervisor.conf")).unwrap()
    }

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let config = SupervisorConfig {
            programs: vec![ProgramConfig::default()],
            hooks: vec![HookConfig::default()],
            sv_cpu_affinity_mask: String::new(),
        };
        let text = serde_yaml_ng::to_string(&config).unwrap();
        assert_eq!(parse(&text), config);
    }

    #[test]
    fn the_documented_sample_parses_and_upstream_keys_bind() {
        let doc = include_str!("config.rs");
        let sample: String = doc
            .lines()
            .skip_while(|line| !line.contains("/// ```yaml"))
            .skip(1)
            .take_while(|line| !line.contains("/// ```"))
            .map(|line| {
                line.trim_start()
                    .trim_start_matches("///")
                    .strip_prefix(' ')
                    .unwrap_or("")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = parse(&sample);
        assert_eq!(config.programs[0].executable_path, "/usr/bin/vpp");
        assert_eq!(config.programs[0].restarts, Restarts::Always);
        assert_eq!(config.hooks[0].event_type, "FATAL");
        // Upstream's sample: a bare number as mask.
        let upstream = parse(
            "programs:\n  - name: vpp\n    executable-path: /usr/bin/vpp\n    \
             restarts: 4\n    cpu-affinity-mask: 4\n    cpu-affinity-setup-delay: 1s\n",
        );
        assert_eq!(upstream.programs[0].cpu_affinity_mask, "4");
    }

    #[test]
    fn names_come_from_the_executable_and_bad_fields_are_named() {
        let config = parse("programs:\n  - executable-path: /bin/sh\n");
        let checked = config.check("sv.conf").unwrap();
        assert_eq!(checked.programs[0].name, "sh");
        assert!(matches!(
            checked.programs[0].options.stdout,
            Output::Inherit
        ));

        let err = parse("programs:\n  - name: x\n")
            .check("sv.conf")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "sv.conf: field `programs[0].executable-path`: required: the executable to run"
        );
        let err = parse("programs:\n  - executable-path: /no/such/vpp\n")
            .check("sv.conf")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "program `vpp`: executable \"/no/such/vpp\" does not exist"
        );
        let err = parse("programs:\n  - executable-path: no-such-tool-here\n")
            .check("sv.conf")
            .unwrap_err();
        assert!(err.to_string().contains("is not found in PATH"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("notes.txt");
        std::fs::write(&plain, "x").unwrap();
        std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = parse(&format!(
            "programs:\n  - executable-path: {}\n",
            plain.display()
        ))
        .check("sv.conf")
        .unwrap_err();
        assert!(err.to_string().contains("is not executable"), "{err}");
        let checked = parse("programs:\n  - executable-path: sh\n    cpu-affinity-mask: \"0xq\"\n")
            .check("sv.conf")
            .expect("a bad mask does not stop the program");
        assert_eq!(checked.programs[0].options.cpu_affinity, None);
        let err = parse("programs:\n  - executable-path: sh\n  - executable-path: /bin/sh\n")
            .check("sv.conf")
            .unwrap_err();
        assert!(err.to_string().contains("`sh` is used twice"), "{err}");
        let err = parse("hooks:\n  - cmd-args: [x]\n")
            .check("sv.conf")
            .unwrap_err();
        assert!(err.to_string().contains("hooks[0].cmd"), "{err}");
        let err = parse("sv-cpu-affinity-mask: \"0\"\n")
            .check("sv.conf")
            .unwrap_err();
        assert!(err.to_string().contains("sv-cpu-affinity-mask"), "{err}");
    }
}
