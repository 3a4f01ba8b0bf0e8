//! [`LinuxConfig`]: the Linux plugins' settings, read from `linux.conf`.

use std::path::PathBuf;
use std::time::Duration;

/// Settings of the Linux plugin, read from `linux.conf` (`--linux-config`,
/// `LINUX_CONFIG`); every key is optional.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_linux::LinuxConfig;
///
/// let config: LinuxConfig = serde_yaml_ng::from_str("verify: false\nwatch-poll: 500ms\n")?;
/// assert!(!config.verify);
/// assert_eq!(config.watch_poll, Duration::from_millis(500));
/// assert_eq!(config.route_protocol, 201, "default kept");
/// # Ok::<(), serde_yaml_ng::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct LinuxConfig {
    /// Register no descriptor (upstream's `disabled`).
    pub disabled: bool,
    /// Read every applied link, address, bridge port and ARP entry back and report a
    /// mismatch as the value's error; on.
    pub verify: bool,
    /// With `verify`, read every applied route back too; off: the kernel has no request for one route, so
    /// each check dumps the routes of the interface, which walks the whole table (10 000
    /// routes take 10x longer to apply with it, see `docs/benchmarks.md`).
    pub verify_routes: bool,
    /// The `rtm_protocol` number marking the agent's routes; 201.
    pub route_protocol: u8,
    /// The prefix of the link aliases marking the agent's links; empty: the agent's key
    /// prefix `/vnf-agent/<label>/`, as upstream.
    pub alias_prefix: String,
    /// Folder of the agent's run-time state (the named namespaces it created); empty:
    /// `/run/cninfra/<label>`.
    pub state_dir: PathBuf,
    /// Follow netlink events and push the southbound changes; on.
    pub watch: bool,
    /// How often the watcher re-reads the southbound values without events (namespaces
    /// that go away have no event); 1 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub watch_poll: Duration,
    /// How long the watcher waits for a burst of events to end before acting; 20 ms
    /// (upstream waited 10 ms on DOWN events).
    #[serde(with = "cninfra_core::config::duration")]
    pub watch_debounce: Duration,
}

impl Default for LinuxConfig {
    fn default() -> Self {
        Self {
            disabled: false,
            verify: true,
            verify_routes: false,
            route_protocol: cninfra_netlink::RouteProtocol::CNINFRA.0,
            alias_prefix: String::new(),
            state_dir: PathBuf::new(),
            watch: true,
            watch_poll: Duration::from_secs(1),
            watch_debounce: Duration::from_millis(20),
        }
    }
}
