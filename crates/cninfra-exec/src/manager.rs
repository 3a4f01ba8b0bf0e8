//! The process manager: a registry of processes by name, one watcher for all of them, and
//! process templates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use tokio::runtime::Handle;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::LOG;
use crate::error::ExecError;
use crate::process::status::{read_attached_cmdline, read_stat_and_start};
use crate::process::{
    Actor, Notification, ProcessInfo, ProcessInstance, ProcessOptions, ProcessState, Request,
    Shared,
};
use crate::template::{self, Template};
use crate::watcher::{self, Processes};

/// Settings of the process manager, read from `process-manager.conf`.
///
/// ```yaml
/// template-path: /etc/agent/templates   # folder of <name>.json / .yaml templates
/// poll-interval: 1s                     # how often /proc is read for every process
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ManagerConfig {
    /// Folder of process templates; empty (the default) means no templates.
    pub template_path: String,
    /// How often the watcher reads the kernel status of every process. Default 1 s. Exits
    /// of the manager's own children are seen at once regardless.
    #[serde(with = "cninfra_core::config::duration")]
    pub poll_interval: Duration,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        Self {
            template_path: String::new(),
            poll_interval: Duration::from_secs(1),
        }
    }
}

/// Starts, tracks and stops processes (upstream's `ProcessManager`).
///
/// Cloning is cheap; clones share the registry. Dropping the last clone stops the watcher
/// and the supervising tasks but leaves the processes running; call
/// [`shutdown`](Self::shutdown) to stop the non-detached ones.
///
/// # Examples
/// ```
/// use cninfra_exec::{ManagerConfig, ProcessManager, ProcessOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_exec::ExecError> {
/// let manager = ProcessManager::new(ManagerConfig::default())?;
/// let job = manager.new_process("job", "sh", ProcessOptions::new().with_args(["-c", "exit 3"]))?;
/// job.start().await?;
/// assert_eq!(job.wait().await.and_then(|exit| exit.code), Some(3));
/// assert!(manager.get("job").is_some());
/// manager.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ProcessManager {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    processes: Arc<Processes>,
    templates: RwLock<BTreeMap<String, Template>>,
    events: broadcast::Sender<Notification>,
    config: ManagerConfig,
    runtime: Handle,
    watcher: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.watcher.cancel();
    }
}

impl ProcessManager {
    /// A manager with its watcher task; call it inside a tokio runtime.
    ///
    /// # Errors
    /// [`ExecError::NoRuntime`] outside a tokio runtime.
    pub fn new(config: ManagerConfig) -> Result<Self, ExecError> {
        let runtime = Handle::try_current().map_err(|_| ExecError::NoRuntime)?;
        let (events, _) = broadcast::channel(1024);
        let watcher = CancellationToken::new();
        let interval = config.poll_interval.max(Duration::from_millis(10));
        let inner = Arc::new(Inner {
            processes: Arc::default(),
            templates: RwLock::new(BTreeMap::new()),
            events,
            config,
            runtime: runtime.clone(),
            watcher: watcher.clone(),
        });
        runtime.spawn(watcher::run(
            Arc::downgrade(&inner.processes),
            interval,
            watcher,
        ));
        Ok(Self { inner })
    }

    /// The settings it was created with.
    pub fn config(&self) -> &ManagerConfig {
        &self.inner.config
    }

    /// Registers a process (not started yet: call [`ProcessInstance::start`]).
    ///
    /// # Errors
    /// [`ExecError::InvalidName`], [`ExecError::DuplicateName`].
    pub fn new_process(
        &self,
        name: &str,
        command: &str,
        options: ProcessOptions,
    ) -> Result<Arc<ProcessInstance>, ExecError> {
        self.register(name, command, options, ProcessInfo::new(name), None)
    }

    /// Registers a process from a template (not started yet).
    ///
    /// # Errors
    /// As [`new_process`](Self::new_process), and [`ExecError::InvalidField`] for a bad
    /// template field.
    pub fn new_process_from_template(
        &self,
        template: &Template,
    ) -> Result<Arc<ProcessInstance>, ExecError> {
        let options = template.to_options(&format!("template `{}`", template.name))?;
        self.new_process(&template.name, &template.cmd, options)
    }

    /// Watches a process the manager did not start. Its command and arguments are read
    /// from `/proc` unless `options.args` is set. Its end is seen by the watcher (at the
    /// next poll); `restart` starts a new process, which the manager then owns.
    ///
    /// # Errors
    /// [`ExecError::Attach`] when the pid does not exist or is the agent itself; as
    /// [`new_process`](Self::new_process).
    pub async fn attach(
        &self,
        name: &str,
        pid: u32,
        mut options: ProcessOptions,
    ) -> Result<Arc<ProcessInstance>, ExecError> {
        if pid == std::process::id() || pid == 0 {
            return Err(ExecError::Attach {
                pid,
                reason: "it is the agent itself".to_owned(),
            });
        }
        let attach_error = |err: std::io::Error| ExecError::Attach {
            pid,
            reason: match err.kind() {
                std::io::ErrorKind::NotFound => "no such process".to_owned(),
                _ => err.to_string(),
            },
        };
        let (stat, started_at) = read_stat_and_start(pid).await.map_err(attach_error)?;
        let mut words = read_attached_cmdline(pid)
            .await
            .map_err(attach_error)?
            .into_iter();
        let command = words.next().unwrap_or_default();
        if options.args.is_empty() {
            options.args = words.collect();
        }
        let mut info = ProcessInfo::new(name);
        info.pid = Some(pid);
        info.state = ProcessState::Running;
        info.status = stat.status();
        info.attached = true;
        info.start_ticks = Some(stat.start_ticks);
        info.started_at = started_at;
        self.register(name, &command, options, info, Some(pid))
    }

    fn register(
        &self,
        name: &str,
        command: &str,
        options: ProcessOptions,
        info: ProcessInfo,
        attached: Option<u32>,
    ) -> Result<Arc<ProcessInstance>, ExecError> {
        if name.is_empty() || name.contains('/') {
            return Err(ExecError::InvalidName {
                name: name.to_owned(),
            });
        }
        let mut processes = self.inner.processes.write();
        if processes.contains_key(name) {
            return Err(ExecError::DuplicateName {
                name: name.to_owned(),
            });
        }
        let (events, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            program: command.to_owned(),
            options,
            info: tokio::sync::watch::Sender::new(info),
            events,
            manager_events: self.inner.events.clone(),
        });
        let (requests, inbox) = mpsc::unbounded_channel();
        let actor = Actor::new(Arc::clone(&shared), inbox, attached);
        self.inner.runtime.spawn(actor.run());
        let instance = Arc::new(ProcessInstance::new(shared, requests));
        processes.insert(name.to_owned(), Arc::clone(&instance));
        info!(target: LOG, process = name, command, attached = attached.is_some(),
            "process registered");
        Ok(instance)
    }

    /// The process with this name.
    pub fn get(&self, name: &str) -> Option<Arc<ProcessInstance>> {
        self.inner.processes.read().get(name).cloned()
    }

    /// The process that currently has this pid.
    pub fn by_pid(&self, pid: u32) -> Option<Arc<ProcessInstance>> {
        self.inner
            .processes
            .read()
            .values()
            .find(|process| process.pid() == Some(pid))
            .cloned()
    }

    /// Every process, by name.
    pub fn list(&self) -> Vec<Arc<ProcessInstance>> {
        self.inner.processes.read().values().cloned().collect()
    }

    /// Stops watching a process; the process itself keeps running (upstream's `Delete`).
    ///
    /// # Errors
    /// [`ExecError::UnknownProcess`].
    pub async fn delete(&self, name: &str) -> Result<(), ExecError> {
        let instance =
            self.inner
                .processes
                .write()
                .remove(name)
                .ok_or_else(|| ExecError::UnknownProcess {
                    name: name.to_owned(),
                })?;
        let (reply, done) = oneshot::channel();
        instance.send(Request::Release(reply));
        // An already-ended task has released the process too.
        let _ = done.await;
        Ok(())
    }

    /// Every change of every process created with `notify` (the default), from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.inner.events.subscribe()
    }

    /// Reads the template folder (`template-path`): every `*.json`, `*.yaml` and `*.yml`
    /// file. Returns how many were loaded; without a folder, none.
    ///
    /// # Errors
    /// [`ExecError::TemplateDir`]; [`ExecError::Config`] or [`ExecError::InvalidField`]
    /// naming the file and field of a malformed template.
    pub fn load_templates(&self) -> Result<usize, ExecError> {
        let Some(dir) = self.template_dir() else {
            return Ok(0);
        };
        let loaded = template::load_dir(&dir)?;
        let count = loaded.len();
        *self.inner.templates.write() = loaded
            .into_iter()
            .map(|template| (template.name.clone(), template))
            .collect();
        info!(target: LOG, dir = %dir.display(), count, "templates loaded");
        Ok(count)
    }

    /// The loaded template with this name.
    pub fn template(&self, name: &str) -> Option<Template> {
        self.inner.templates.read().get(name).cloned()
    }

    /// Every loaded template, by name.
    pub fn templates(&self) -> Vec<Template> {
        self.inner.templates.read().values().cloned().collect()
    }

    /// Registers and starts every loaded template marked `run_on_startup`. A template
    /// that fails is logged and skipped; returns the processes that started.
    pub async fn start_templates_on_startup(&self) -> Vec<Arc<ProcessInstance>> {
        let mut started = Vec::new();
        for template in self.templates() {
            if !template.p_options.run_on_startup {
                continue;
            }
            let outcome = match self.new_process_from_template(&template) {
                Ok(instance) => instance.start().await.map(|_| instance),
                Err(err) => Err(err),
            };
            match outcome {
                Ok(instance) => started.push(instance),
                Err(err) => warn!(target: LOG, template = %template.name, error = %err,
                    "cannot start template on startup"),
            }
        }
        started
    }

    /// Writes the definition of a managed process as a template `<template-path>/<name>.json`
    /// and keeps it among the loaded templates.
    ///
    /// # Errors
    /// [`ExecError::UnknownProcess`], [`ExecError::NoTemplatePath`],
    /// [`ExecError::TemplateWrite`].
    pub fn save_template(&self, name: &str, run_on_startup: bool) -> Result<PathBuf, ExecError> {
        let instance = self.get(name).ok_or_else(|| ExecError::UnknownProcess {
            name: name.to_owned(),
        })?;
        let dir = self.template_dir().ok_or(ExecError::NoTemplatePath)?;
        let template = Template::from_instance(&instance, run_on_startup);
        let path = template.write_to(&dir)?;
        self.inner
            .templates
            .write()
            .insert(template.name.clone(), template);
        Ok(path)
    }

    fn template_dir(&self) -> Option<PathBuf> {
        let path = self.inner.config.template_path.trim();
        (!path.is_empty()).then(|| PathBuf::from(path))
    }

    /// Stops the non-detached children gracefully (SIGTERM, then SIGKILL after each one's
    /// stop timeout), releases detached and attached processes, and stops the watcher.
    /// The manager keeps no process afterwards.
    pub async fn shutdown(&self) {
        self.inner.watcher.cancel();
        let processes = std::mem::take(&mut *self.inner.processes.write());
        let mut pending = Vec::with_capacity(processes.len());
        for instance in processes.values() {
            let (reply, done) = oneshot::channel();
            instance.send(Request::Shutdown(reply));
            pending.push(done);
        }
        for done in pending {
            let _ = done.await;
        }
        info!(target: LOG, count = processes.len(), "process manager shut down");
    }
}
