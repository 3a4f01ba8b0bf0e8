//! The dashboard's figures: the size of the embedded assets (raw and gzipped), and the
//! time to first render of the graph view in headless Chromium with 1,000 and 2,000 values
//! (the full graph) and 10,000 (one value's neighbourhood), each as a ratio to a 10-value
//! graph measured in the same run. Run with
//! `cargo bench -p cninfra-ui --bench graph_render --profile dev` (the Rust side only starts
//! node, so an optimised build changes nothing). Needs node, Chromium and playwright-core
//! (`services_install_browser`); skips with the reason otherwise.

use std::path::Path;
use std::process::ExitCode;

use cninfra_testsupport::browser::Browser;
use cninfra_ui::ASSETS;

fn main() -> ExitCode {
    // `cargo test --benches` runs benches once with `--bench` absent: nothing to measure.
    if !std::env::args().any(|arg| arg == "--bench") {
        return ExitCode::SUCCESS;
    }
    let browser = match Browser::find() {
        Ok(browser) => browser,
        Err(reason) => {
            eprintln!("skipping the dashboard bench: {reason}");
            return ExitCode::SUCCESS;
        }
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let assets: Vec<&str> = ASSETS.iter().map(|asset| asset.path).collect();
    let out = browser.run(
        &dir.join("bench/graph-render.mjs"),
        &[],
        &[
            ("CNINFRA_UI_WEB", &dir.join("web").to_string_lossy()),
            ("CNINFRA_UI_ASSETS", &assets.join(",")),
        ],
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
