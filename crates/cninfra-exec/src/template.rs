//! Process templates: process definitions kept as files in a folder, loaded at start and
//! written back from running processes.
//!
//! The file format is upstream's (`template/model/process/process.proto`), so its keys are
//! snake_case (`p_options`, `run_on_startup`), unlike the kebab-case plugin configs. Fields
//! after `cpu_affinity_delay` are cninfra's additions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ExecError;
use crate::process::{
    CpuAffinity, Output, ProcessInstance, ProcessOptions, RestartPolicy, Restarts,
};

/// A process definition stored as `<name>.json` (or `.yaml`) in the template folder.
///
/// # Examples
/// ```
/// use cninfra_exec::Template;
///
/// let template: Template = serde_json::from_str(r#"{
///     "name": "pinger",
///     "cmd": "ping",
///     "p_options": { "args": ["-c", "3", "127.0.0.1"], "restart": -1, "run_on_startup": true }
/// }"#)?;
/// let options = template.to_options("pinger.json")?;
/// assert_eq!(options.args, ["-c", "3", "127.0.0.1"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The process name, and the file's stem (taken from the file name when empty).
    #[serde(default)]
    pub name: String,
    /// The executable.
    #[serde(default)]
    pub cmd: String,
    /// The options.
    #[serde(default)]
    pub p_options: TemplateOptions,
}

/// The options of a [`Template`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemplateOptions {
    /// Arguments.
    pub args: Vec<String>,
    /// Send stdout to the agent's stdout (else discarded, unless `log_file`).
    pub out_writer: bool,
    /// Send stderr to the agent's stderr (else discarded, unless `log_file`).
    pub err_writer: bool,
    /// Restarts: `0` never, `n` at most n times, `-1` always.
    pub restart: Restarts,
    /// Own process group; outlives the agent.
    pub detach: bool,
    /// Start when the process manager starts.
    pub run_on_startup: bool,
    /// Publish changes on the manager-wide stream.
    pub notify: bool,
    /// Reap the process when it turns zombie (see [`ProcessOptions::auto_terminate`]).
    pub auto_terminate: bool,
    /// Hexadecimal CPU mask (`taskset` style); a bare number in YAML works too.
    #[serde(deserialize_with = "crate::process::deserialize_mask")]
    pub cpu_affinity_mask: String,
    /// CPU list such as `0-2,6` (instead of the mask).
    pub cpu_affinity_list: String,
    /// Pin this long after start.
    #[serde(with = "cninfra_core::config::duration")]
    pub cpu_affinity_delay: Duration,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
    /// Working folder (the agent's when empty).
    pub working_dir: String,
    /// File that stdout and stderr are appended to (wins over the writers).
    pub log_file: String,
    /// Back-off and burst limit of restarts (kebab-case keys, as in `supervisor.conf`).
    pub restart_policy: RestartPolicy,
    /// How long a graceful stop may take before SIGKILL.
    #[serde(with = "cninfra_core::config::duration")]
    pub stop_timeout: Duration,
}

impl Default for TemplateOptions {
    fn default() -> Self {
        let options = ProcessOptions::default();
        Self {
            args: Vec::new(),
            out_writer: false,
            err_writer: false,
            restart: Restarts::Never,
            detach: false,
            run_on_startup: false,
            notify: false,
            auto_terminate: false,
            cpu_affinity_mask: String::new(),
            cpu_affinity_list: String::new(),
            cpu_affinity_delay: Duration::ZERO,
            env: BTreeMap::new(),
            working_dir: String::new(),
            log_file: String::new(),
            restart_policy: options.restart_policy,
            stop_timeout: options.stop_timeout,
        }
    }
}

impl Template {
    /// The process options it describes. `origin` (file name) prefixes errors.
    ///
    /// # Errors
    /// [`ExecError::InvalidField`] naming `origin` and the field: empty `name` or `cmd`, a
    /// bad CPU mask or list.
    pub fn to_options(&self, origin: &str) -> Result<ProcessOptions, ExecError> {
        let invalid = |field: &str, message: String| ExecError::InvalidField {
            origin: origin.to_owned(),
            field: field.to_owned(),
            message,
        };
        if self.name.trim().is_empty() || self.name.contains('/') {
            return Err(invalid(
                "name",
                format!("{:?} is not a process name (non-empty, no `/`)", self.name),
            ));
        }
        if self.cmd.trim().is_empty() {
            return Err(invalid("cmd", "required: the executable to run".to_owned()));
        }
        let p = &self.p_options;
        let field = if p.cpu_affinity_mask.trim().is_empty() {
            "p_options.cpu_affinity_list"
        } else {
            "p_options.cpu_affinity_mask"
        };
        let affinity = CpuAffinity::from_config(
            &p.cpu_affinity_mask,
            &p.cpu_affinity_list,
            p.cpu_affinity_delay,
        )
        .map_err(|err| invalid(field, err.to_string()))?;
        let writer = |inherit: bool| {
            if !p.log_file.is_empty() {
                Output::File(PathBuf::from(&p.log_file))
            } else if inherit {
                Output::Inherit
            } else {
                Output::Null
            }
        };
        let mut options = ProcessOptions::new()
            .with_args(p.args.iter().cloned())
            .with_output(writer(p.out_writer), writer(p.err_writer))
            .with_restarts(p.restart)
            .with_restart_policy(p.restart_policy.clone())
            .with_stop_timeout(p.stop_timeout);
        options.env = p.env.clone();
        options.detach = p.detach;
        options.notify = p.notify;
        options.auto_terminate = p.auto_terminate;
        options.cpu_affinity = affinity;
        if !p.working_dir.is_empty() {
            options.working_dir = Some(PathBuf::from(&p.working_dir));
        }
        Ok(options)
    }

    /// The template of a managed process. Output into a [`Output::Writer`] cannot be
    /// stored and is written as discarded.
    pub fn from_instance(instance: &ProcessInstance, run_on_startup: bool) -> Self {
        let options = instance.options();
        let log_file = match (&options.stdout, &options.stderr) {
            (Output::File(path), _) | (_, Output::File(path)) => path.display().to_string(),
            _ => String::new(),
        };
        let (cpu_affinity_list, cpu_affinity_delay) = options
            .cpu_affinity
            .as_ref()
            .map(|affinity| (affinity.to_list(), affinity.delay()))
            .unwrap_or_default();
        Self {
            name: instance.name().to_owned(),
            cmd: instance.command().to_owned(),
            p_options: TemplateOptions {
                args: options.args.clone(),
                out_writer: matches!(options.stdout, Output::Inherit),
                err_writer: matches!(options.stderr, Output::Inherit),
                restart: options.restarts,
                detach: options.detach,
                run_on_startup,
                notify: options.notify,
                auto_terminate: options.auto_terminate,
                cpu_affinity_mask: String::new(),
                cpu_affinity_list,
                cpu_affinity_delay,
                env: options.env.clone(),
                working_dir: options
                    .working_dir
                    .as_ref()
                    .map(|dir| dir.display().to_string())
                    .unwrap_or_default(),
                log_file,
                restart_policy: options.restart_policy.clone(),
                stop_timeout: options.stop_timeout,
            },
        }
    }

    /// Writes the template as `<dir>/<name>.json`, creating the folder if needed.
    ///
    /// # Errors
    /// [`ExecError::TemplateWrite`].
    pub fn write_to(&self, dir: &Path) -> Result<PathBuf, ExecError> {
        let path = dir.join(format!("{}.json", self.name));
        let failed = |source| ExecError::TemplateWrite {
            path: path.clone(),
            source,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|err| failed(err.into()))?;
        std::fs::create_dir_all(dir).map_err(failed)?;
        std::fs::write(&path, text).map_err(failed)?;
        Ok(path)
    }
}

/// Loads every `*.json`, `*.yaml` and `*.yml` template of `dir`, checked, in file-name order.
pub(crate) fn load_dir(dir: &Path) -> Result<Vec<Template>, ExecError> {
    let listing = |source| ExecError::TemplateDir {
        path: dir.to_owned(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(listing)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(listing)?;
    files.retain(|path| {
        path.is_file()
            && path
                .extension()
                .and_then(|ext| ext.to_str())
                .is_some_and(|ext| matches!(ext, "json" | "yaml" | "yml"))
    });
    files.sort();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut templates = Vec::with_capacity(files.len());
    for path in files {
        let mut template: Template = cninfra_core::config::load_file(&path)?;
        if template.name.is_empty() {
            template.name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        let origin = path.display().to_string();
        template.to_options(&origin)?;
        if let Some(first) = seen.insert(template.name.clone(), path.clone()) {
            return Err(ExecError::InvalidField {
                origin,
                field: "name".to_owned(),
                message: format!(
                    "`{}` is also the name in {}",
                    template.name,
                    first.display()
                ),
            });
        }
        templates.push(template);
    }
    Ok(templates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_template_survives_a_yaml_round_trip() {
        let template = Template {
            name: "x".into(),
            cmd: "sleep".into(),
            p_options: TemplateOptions::default(),
        };
        let text = serde_yaml_ng::to_string(&template).unwrap();
        let back: Template = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, template);
    }

    #[test]
    fn upstream_template_fields_map_onto_options() {
        let template: Template = cninfra_core::config::parse_str(
            r#"{"name": "vpp", "cmd": "/usr/bin/vpp", "p_options": {
                "args": ["-c", "x"], "out_writer": true, "restart": 4, "detach": true,
                "notify": true, "auto_terminate": true, "cpu_affinity_mask": "0x3",
                "cpu_affinity_delay": "1s"}}"#,
            Path::new("vpp.json"),
        )
        .unwrap();
        let options = template.to_options("vpp.json").unwrap();
        assert_eq!(options.args, ["-c", "x"]);
        assert!(matches!(options.stdout, Output::Inherit));
        assert!(matches!(options.stderr, Output::Null));
        assert_eq!(options.restarts, Restarts::Count(4));
        assert!(options.detach && options.notify && options.auto_terminate);
        let affinity = options.cpu_affinity.unwrap();
        assert_eq!(affinity.cpus(), [0, 1]);
        assert_eq!(affinity.delay(), Duration::from_secs(1));
    }

    #[test]
    fn a_bare_number_mask_in_yaml_reads_as_hex_text() {
        let template: Template = cninfra_core::config::parse_str(
            "name: a\ncmd: sleep\np_options:\n  cpu_affinity_mask: 10\n",
            Path::new("a.yaml"),
        )
        .unwrap();
        let affinity = template.to_options("a.yaml").unwrap().cpu_affinity.unwrap();
        assert_eq!(affinity.cpus(), [4]);
    }

    #[test]
    fn bad_fields_are_named_with_the_origin() {
        let mut template = Template {
            name: "a".into(),
            cmd: String::new(),
            p_options: TemplateOptions::default(),
        };
        let err = template.to_options("a.json").unwrap_err().to_string();
        assert!(err.starts_with("a.json: field `cmd`"), "{err}");
        template.cmd = "sleep".into();
        template.p_options.cpu_affinity_list = "2-1".into();
        let err = template.to_options("a.json").unwrap_err().to_string();
        assert!(
            err.contains("field `p_options.cpu_affinity_list`") && err.contains("backwards"),
            "{err}"
        );
    }
}
