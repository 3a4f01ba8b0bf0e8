//! Test fixtures: a plugin that adds routes, and agent start-up on a loopback port.
#![allow(dead_code, unreachable_pub, missing_docs, unused_imports)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use cninfra_core::{Agent, BoxError, InitContext, Plugin, RunningAgent, async_trait};
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
pub use cninfra_testsupport::{error_chain, eventually};
use parking_lot::Mutex;

/// A plugin that adds a router to the HTTP plugin in its `init`.
#[derive(Debug)]
pub struct Routes {
    pub http: Arc<HttpPlugin>,
    router: Mutex<Option<Router>>,
}

impl Routes {
    pub fn new(http: &Arc<HttpPlugin>, router: Router) -> Arc<Self> {
        Arc::new(Self {
            http: http.clone(),
            router: Mutex::new(Some(router)),
        })
    }
}

#[async_trait]
impl Plugin for Routes {
    fn name(&self) -> &str {
        "routes"
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.http.clone()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        if let Some(router) = self.router.lock().take() {
            self.http.merge(router)?;
        }
        Ok(())
    }
}

/// A config listening on a free loopback port.
pub fn loopback() -> HttpConfig {
    HttpConfig {
        endpoint: "127.0.0.1:0".into(),
        ..HttpConfig::default()
    }
}

/// Starts an agent of `plugins` with no flags and no environment.
pub async fn start(
    plugins: Vec<Arc<dyn Plugin>>,
) -> Result<RunningAgent, cninfra_core::AgentError> {
    Agent::builder()
        .plugins(plugins)
        .with_args(["test"])
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await
}

/// Starts an agent serving `router` with `config`; returns it and the server's address.
pub async fn serve(
    config: HttpConfig,
    router: Router,
) -> (RunningAgent, SocketAddr, Arc<HttpPlugin>) {
    let http = HttpPlugin::builder().with_config(config).build();
    let agent = start(vec![Routes::new(&http, router)])
        .await
        .expect("agent starts");
    let addr = http.local_addr().expect("bound");
    (agent, addr, http)
}
