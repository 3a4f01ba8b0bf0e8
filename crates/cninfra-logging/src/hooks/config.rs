//! [`HookConfig`]: one entry of `hooks` in `logs.conf`.

use serde::{Deserialize, Serialize};

/// A log hook of `logs.conf` (upstream's keys): where records of the listed levels go.
///
/// ```yaml
/// hooks:
///   syslog:                      # empty protocol and address: the local syslog (/dev/log)
///     levels: [error, warn]
///   logstash:                    # JSON lines over TCP
///     protocol: tcp
///     address: 10.20.30.42
///     port: 5000
///   fluent:                      # fluentd's forward protocol
///     address: 10.20.30.41
///     port: 24224
///     levels: [error]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct HookConfig {
    /// `tcp` or `udp` (syslog; logstash also `tcp` only in practice); empty for the local
    /// syslog socket.
    pub protocol: String,
    /// Host name or address of the receiver; empty (syslog only) for the local socket.
    pub address: String,
    /// Port of the receiver.
    pub port: u16,
    /// Levels sent (`panic`, `fatal`, `error`, `warn`, `info`, `debug`, `trace`); default
    /// `[panic, fatal, error]`, as upstream. `panic` and `fatal` stand for `error`, since
    /// tracing has neither.
    pub levels: Vec<String>,
}
