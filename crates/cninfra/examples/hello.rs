//! Run with `cargo run -p cninfra --example hello -- --http-port 8080`, then
//! `curl localhost:8080/hello`. Put `greeting: hi` in `hello.conf` to change the answer.

use cninfra::prelude::*;
use cninfra::rpc::rest::HttpPlugin;

/// The config file of the `hello` plugin (`hello.conf`, or `--hello-config`).
#[derive(Debug, Default, serde::Deserialize)]
struct HelloConfig {
    greeting: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    cninfra::logging::init();
    // Answers `GET /hello` with the configured greeting.
    let hello = plugin_fn("hello", |ctx| async move {
        let config: HelloConfig = ctx.config_or_default()?;
        let greeting = config.greeting.unwrap_or_else(|| "hello".into());
        ctx.dep::<HttpPlugin>()?
            .route("/hello", get(move || async move { greeting }))?;
        Ok(())
    });
    let hello = hello.requires::<HttpPlugin>().with_config_file();
    cninfra::run_main(Agent::builder().group(cninfra::Defaults).plugin(hello)).await
}
