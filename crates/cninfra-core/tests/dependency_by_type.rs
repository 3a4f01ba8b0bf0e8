//! Plugins that find their dependencies by type, through the context.

use std::sync::{Arc, Mutex};

use cninfra_core::{
    Agent, AgentError, BoxError, InitContext, Plugin, PluginGroupBuilder, Ready, Requirement,
    async_trait,
};

/// A shared plugin that has a value only after its init.
struct Store {
    name: &'static str,
    value: Ready<String>,
}

impl Store {
    fn named(name: &'static str) -> Arc<Self> {
        Arc::new(Self {
            name,
            value: Ready::new("store"),
        })
    }
}

#[async_trait]
impl Plugin for Store {
    fn name(&self) -> &str {
        self.name
    }
    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let value = ctx.env_var("STORE_VALUE").unwrap_or("none").to_owned();
        self.value.set(format!("{}={value}", self.name))?;
        Ok(())
    }
}

/// Reads the store it requires, and optionally an `Extra` it does not need.
struct App {
    seen: Arc<Mutex<Vec<String>>>,
    declare: bool,
}

struct Extra;

#[async_trait]
impl Plugin for Extra {
    fn name(&self) -> &str {
        "extra"
    }
    async fn init(&self, _: &InitContext) -> Result<(), BoxError> {
        Ok(())
    }
}

#[async_trait]
impl Plugin for App {
    fn name(&self) -> &str {
        "app"
    }
    fn requires(&self) -> Vec<Requirement> {
        let mut needs = vec![Requirement::optional::<Extra>()];
        if self.declare {
            needs.push(Requirement::of::<Store>());
        }
        needs
    }
    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let store = ctx.dep::<Store>()?;
        let extra = ctx.try_dep::<Extra>().is_some();
        self.seen
            .lock()
            .unwrap()
            .push(format!("{} extra={extra}", store.value.get()?));
        Ok(())
    }
}

fn app(declare: bool) -> (Arc<App>, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    (
        Arc::new(App {
            seen: seen.clone(),
            declare,
        }),
        seen,
    )
}

#[tokio::test]
async fn a_required_plugin_starts_first_and_is_handed_out() {
    let (app, seen) = app(true);
    let agent = Agent::builder()
        .plugin(app)
        .plugin(Store::named("store"))
        .with_args(["test"])
        .with_env([("STORE_VALUE", "42")])
        .build()
        .unwrap();
    assert_eq!(agent.plugin_names(), ["store", "app"]);
    let running = agent.start().await.unwrap();
    running.stop().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), ["store=42 extra=false"]);
}

#[tokio::test]
async fn a_missing_required_plugin_fails_the_build_naming_both() {
    let (app, _) = app(true);
    let err = Agent::builder()
        .plugin(app)
        .with_args(["test"])
        .build()
        .unwrap_err();
    assert!(matches!(err, AgentError::MissingDependency { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "plugin `app` needs a `Store` plugin, and the agent has none: add one"
    );
}

#[tokio::test]
async fn an_undeclared_dependency_is_refused_at_init() {
    let (app, _) = app(false);
    let err = Agent::builder()
        .plugin(app)
        .plugin(Store::named("store"))
        .with_args(["test"])
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert_eq!(
        cause,
        "plugin `app` uses the `Store` plugin without declaring it in `requires()`"
    );
}

#[tokio::test]
async fn a_group_member_replaced_with_set_serves_the_requirement() {
    let (app, seen) = app(true);
    let group = PluginGroupBuilder::new()
        .with(Store::named("store"))
        .with(Extra)
        .set(Store::named("other-store"));
    assert_eq!(group.names(), ["other-store", "extra"]);
    let running = Agent::builder()
        .group(group)
        .plugin(app)
        .with_args(["test"])
        .with_env([("STORE_VALUE", "1")])
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    running.stop().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), ["other-store=1 extra=true"]);
}
