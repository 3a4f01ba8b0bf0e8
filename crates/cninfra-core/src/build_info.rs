//! Build information compiled into the agent binary.

use std::fmt;

/// Version, commit and build date of the agent binary, shown by `--version`, logged at start
/// and published in the agent status.
///
/// Build it with [`build_info!`](crate::build_info), which reads `CARGO_PKG_VERSION` and the
/// `CNINFRA_BUILD_COMMIT` / `CNINFRA_BUILD_DATE` variables a build script may set.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildInfo {
    /// Version of the binary (`CARGO_PKG_VERSION`).
    pub version: String,
    /// Git commit the binary was built from, or `unknown`.
    pub commit: String,
    /// When the binary was built (RFC 3339, UTC), or `unknown`.
    pub date: String,
}

impl BuildInfo {
    /// Build information from its parts.
    pub fn new(version: &str, commit: &str, date: &str) -> Self {
        Self {
            version: version.to_owned(),
            commit: commit.to_owned(),
            date: date.to_owned(),
        }
    }
}

impl Default for BuildInfo {
    /// Upstream's development version, `v0.0.0-dev`.
    fn default() -> Self {
        Self::new("v0.0.0-dev", "unknown", "unknown")
    }
}

impl fmt::Display for BuildInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (commit {}, built {})",
            self.version, self.commit, self.date
        )
    }
}

/// The [`BuildInfo`] of the crate that calls it.
///
/// A build script sets the commit and date with
/// `cargo:rustc-env=CNINFRA_BUILD_COMMIT=…` and `cargo:rustc-env=CNINFRA_BUILD_DATE=…`.
///
/// # Examples
/// ```
/// let info = cninfra_core::build_info!();
/// assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
/// ```
#[macro_export]
macro_rules! build_info {
    () => {
        $crate::BuildInfo::new(
            env!("CARGO_PKG_VERSION"),
            match option_env!("CNINFRA_BUILD_COMMIT") {
                Some(commit) => commit,
                None => "unknown",
            },
            match option_env!("CNINFRA_BUILD_DATE") {
                Some(date) => date,
                None => "unknown",
            },
        )
    };
}
