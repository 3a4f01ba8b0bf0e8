//! The headless browser of the dashboard's tests and bench: `node` running a script that
//! drives Debian's Chromium with `playwright-core` (installed in `tools/browser/` by
//! `scripts/services.sh`'s `services_install_browser`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The variable naming the browser (default `/usr/bin/chromium`).
pub const CHROMIUM_VARIABLE: &str = "CNINFRA_CHROMIUM";

/// What the browser tests need, found on this machine.
#[derive(Debug, Clone)]
pub struct Browser {
    /// The workspace's `tools/browser/` (with `node_modules/playwright-core`).
    pub tools: PathBuf,
    /// The Chromium binary.
    pub chromium: PathBuf,
}

impl Browser {
    /// Node, Chromium and playwright-core, or why they cannot be used.
    ///
    /// # Errors
    /// A sentence naming what is missing and how to install it.
    pub fn find() -> Result<Self, String> {
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/browser");
        let chromium = PathBuf::from(
            std::env::var(CHROMIUM_VARIABLE).unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
        );
        let hint = "run `. scripts/services.sh; services_install_browser` (apt chromium, npm playwright-core)";
        if Command::new("node").arg("--version").output().is_err() {
            return Err(format!("no `node` on PATH; {hint}"));
        }
        if !chromium.exists() {
            return Err(format!("no browser at {}; {hint}", chromium.display()));
        }
        if !tools.join("node_modules/playwright-core").is_dir() {
            return Err(format!("no playwright-core in {}; {hint}", tools.display()));
        }
        Ok(Self { tools, chromium })
    }

    /// [`find`](Self::find) for a test: `None` (with the reason printed) when something is
    /// missing outside CI.
    ///
    /// # Panics
    /// When something is missing and the variable `CI` is set: under CI a browser test
    /// fails rather than skips.
    pub fn for_test(test: &str) -> Option<Self> {
        match Self::find() {
            Ok(browser) => Some(browser),
            Err(reason) if std::env::var_os("CI").is_some() => {
                panic!("{test}: cannot run the browser under CI: {reason}")
            }
            Err(reason) => {
                eprintln!("skipping {test}: {reason}");
                None
            }
        }
    }

    /// Runs `node script args…` with `env`, the browser's variable set; its output captured.
    ///
    /// # Panics
    /// When `node` cannot be started.
    pub fn run(&self, script: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new("node")
            .arg(script)
            .args(args)
            .env(CHROMIUM_VARIABLE, &self.chromium)
            .envs(env.iter().copied())
            .output()
            .unwrap_or_else(|err| panic!("cannot run node {}: {err}", script.display()))
    }
}
