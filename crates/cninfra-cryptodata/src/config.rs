//! [`CryptoDataConfig`]: `cryptodata.conf`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The cryptodata plugin's config file (`cryptodata.conf`, `--cryptodata-config`),
/// upstream's keys:
/// ```yaml
/// private-key-files:
///   - /etc/agent/keys/key.pem
/// ```
/// The paths name files, not key material, so the config may be logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub struct CryptoDataConfig {
    /// PEM files of RSA private keys; a file may hold several keys. Every key is tried on
    /// every encrypted value.
    pub private_key_files: Vec<PathBuf>,
}
