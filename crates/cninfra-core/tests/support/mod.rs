//! Test fixtures: plugins that record their calls.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};

/// A shared, ordered record of lifecycle calls: `"init a"`, `"close b"`, ...
#[derive(Debug, Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    pub fn push(&self, call: String) {
        self.0.lock().unwrap().push(call);
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// What a fixture does in one phase.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Act {
    #[default]
    Succeed,
    Fail,
    Hang,
}

/// A plugin that records its calls and acts as told.
#[derive(Debug)]
pub struct Recorder {
    pub name: &'static str,
    pub deps: Vec<Arc<dyn Plugin>>,
    pub calls: Calls,
    pub init: Act,
    pub after_init: Act,
    pub close: Act,
}

impl Recorder {
    pub fn new(name: &'static str, calls: &Calls) -> Self {
        Self {
            name,
            deps: Vec::new(),
            calls: calls.clone(),
            init: Act::Succeed,
            after_init: Act::Succeed,
            close: Act::Succeed,
        }
    }

    pub fn with_deps(mut self, deps: Vec<Arc<dyn Plugin>>) -> Self {
        self.deps = deps;
        self
    }

    async fn act(&self, phase: &str, act: Act) -> Result<(), BoxError> {
        self.calls.push(format!("{phase} {}", self.name));
        match act {
            Act::Succeed => Ok(()),
            Act::Fail => Err(format!("{} refuses {phase}", self.name).into()),
            Act::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(())
            }
        }
    }
}

#[async_trait]
impl Plugin for Recorder {
    fn name(&self) -> &str {
        self.name
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        self.deps.clone()
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.act("init", self.init).await
    }
    async fn after_init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.act("after_init", self.after_init).await
    }
    async fn close(&self) -> Result<(), BoxError> {
        self.act("close", self.close).await
    }
}

/// Builder arguments that keep tests away from the process's own command line and env.
pub fn no_args() -> [&'static str; 1] {
    ["test-agent"]
}

pub fn no_env() -> Vec<(String, String)> {
    Vec::new()
}
