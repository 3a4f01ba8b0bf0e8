//! Run with `cargo run -p cninfra --example hello -- --http-port 8080`, then
//! `curl localhost:8080/hello`. Put `greeting: hi` in `hello.conf` to change the answer.

use std::sync::Arc;

use cninfra::prelude::*;
use cninfra::rpc::rest::HttpPlugin;

/// Answers `GET /hello` with a greeting from its config file (`hello.conf`).
struct Hello {
    http: Arc<HttpPlugin>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct HelloConfig {
    greeting: Option<String>,
}

#[async_trait]
impl Plugin for Hello {
    fn name(&self) -> &str {
        "hello"
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.http.clone()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config: HelloConfig = ctx.config_or_default()?; // --hello-config / HELLO_CONFIG
        let greeting = config.greeting.unwrap_or_else(|| "hello".into());
        self.http
            .route("/hello", get(move || async move { greeting }))?;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cninfra::logging::init();
    let infra = cninfra::Defaults::new(); // logs, http, prometheus, status-check, probe
    let hello = Hello {
        http: infra.http.clone(),
    };
    cninfra::run_main(Agent::builder().plugins(infra).plugin(hello)).await
}
