//! [`ConnectionState`]: what the plugin knows about its connection to etcd.

use std::fmt;

/// The connection of the [`EtcdPlugin`](crate::EtcdPlugin) to etcd, as published by
/// [`EtcdPlugin::connection`](crate::EtcdPlugin::connection). The plugin checks the
/// connection every `reconnect-interval`.
///
/// Data sync acts on two transitions: the first [`Connected`](Self::Connected) (read
/// everything, then watch) and [`Reconnected { resync: true }`](Self::Reconnected)
/// (read everything again).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// No config file (or `init` has not run): the plugin does nothing.
    Disabled,
    /// Started with `allow-delayed-start` while etcd was unreachable; connecting every
    /// `reconnect-interval`.
    Connecting,
    /// Connected, and never lost since.
    Connected,
    /// The last check failed.
    Disconnected {
        /// What the check reported.
        error: String,
    },
    /// Connected again after a loss. Watches resume by themselves; `resync` is the
    /// `resync-after-reconnect` setting, telling data sync to re-read everything anyway.
    Reconnected {
        /// Whether a full resync is asked for.
        resync: bool,
    },
    /// The plugin closed.
    Closed,
}

impl ConnectionState {
    /// True for [`Connected`](Self::Connected) and [`Reconnected`](Self::Reconnected).
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected | Self::Reconnected { .. })
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disabled => f.write_str("disabled"),
            Self::Connecting => f.write_str("connecting"),
            Self::Connected => f.write_str("connected"),
            Self::Disconnected { error } => write!(f, "disconnected: {error}"),
            Self::Reconnected { resync: true } => f.write_str("reconnected, resync asked"),
            Self::Reconnected { resync: false } => f.write_str("reconnected"),
            Self::Closed => f.write_str("closed"),
        }
    }
}
