//! [`ElectionPlugin`]: an agent campaigns from start to stop and publishes its [`Role`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, async_trait};
use cninfra_kv::KvConnector;
use serde::Deserialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::election::{DEFAULT_TTL, Election};

/// The default election key.
pub const DEFAULT_KEY: &str = "/cninfra/election/leader";

/// `election.conf`: what the agent campaigns for.
///
/// ```yaml
/// key: /vnf-agent/election/leader
/// ttl: 5s
/// candidate: vpp1
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ElectionConfig {
    /// The election key: candidates of one election use the same key.
    pub key: String,
    /// Lease TTL: how long a dead leader keeps the key before a standby takes over.
    #[serde(with = "cninfra_core::config::duration")]
    pub ttl: Duration,
    /// This agent's identity in the election (unique among the candidates); empty means
    /// the agent's `MICROSERVICE_LABEL`, else `agent-<pid>`.
    pub candidate: String,
}

impl Default for ElectionConfig {
    fn default() -> Self {
        Self {
            key: DEFAULT_KEY.to_owned(),
            ttl: DEFAULT_TTL,
            candidate: String::new(),
        }
    }
}

/// The agent's part in the election, as [`ElectionPlugin::role`] publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Role {
    /// No `election.conf`: the agent does not take part (or the plugin has not started).
    Disabled,
    /// Campaigning: another candidate leads, or nobody yet.
    Candidate,
    /// This agent leads; `fencing` is its term's fencing token.
    Leader {
        /// The revision at which the campaign was won.
        fencing: u64,
    },
}

/// The `election` plugin: with an `election.conf`, the agent campaigns on the store of a
/// connector plugin from `after_init` until it stops (then it resigns, so a standby leads
/// at once), campaigning again whenever it loses the leadership. Without the file it
/// stays [`Role::Disabled`].
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_election::{ElectionPlugin, Role};
/// use cninfra_kv_etcd::EtcdPlugin;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let etcd = EtcdPlugin::new();
/// let election = ElectionPlugin::new(etcd);
/// let mut role = election.role();
/// let agent = Agent::builder().plugin(election).build()?.start().await?;
/// role.wait_for(|role| matches!(role, Role::Leader { .. })).await?;
/// # let _ = agent; Ok(()) }
/// ```
pub struct ElectionPlugin {
    connector: Arc<dyn KvConnector>,
    connector_plugin: Arc<dyn Plugin>,
    preset: Option<ElectionConfig>,
    role: watch::Sender<Role>,
    election: Ready<(Election, String)>,
}

/// Builds an [`ElectionPlugin`] with an in-code config.
#[must_use]
pub struct ElectionPluginBuilder {
    connector: Arc<dyn KvConnector>,
    connector_plugin: Arc<dyn Plugin>,
    config: Option<ElectionConfig>,
}

impl fmt::Debug for ElectionPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElectionPlugin")
            .field("connector", &self.connector.name())
            .field("role", &*self.role.borrow())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for ElectionPluginBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ElectionPluginBuilder")
            .field("connector", &self.connector.name())
            .field("config", &self.config)
            .finish()
    }
}

impl ElectionPluginBuilder {
    /// Uses `config` instead of reading `election.conf` (the election is then enabled).
    pub fn with_config(mut self, config: ElectionConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<ElectionPlugin> {
        Arc::new(ElectionPlugin {
            connector: self.connector,
            connector_plugin: self.connector_plugin,
            preset: self.config,
            role: watch::Sender::new(Role::Disabled),
            election: Ready::new(ElectionPlugin::NAME),
        })
    }
}

impl ElectionPlugin {
    /// The plugin's name, the stem of its config file (`election.conf`).
    pub const NAME: &'static str = "election";

    /// A plugin campaigning on the store of `connector` (which starts before it).
    pub fn new<C: KvConnector>(connector: Arc<C>) -> Arc<Self> {
        Self::builder(connector).build()
    }

    /// A builder, for an in-code config.
    pub fn builder<C: KvConnector>(connector: Arc<C>) -> ElectionPluginBuilder {
        ElectionPluginBuilder {
            connector_plugin: Arc::clone(&connector) as Arc<dyn Plugin>,
            connector,
            config: None,
        }
    }

    /// A receiver of the agent's role; `changed()` wakes on every change.
    pub fn role(&self) -> watch::Receiver<Role> {
        self.role.subscribe()
    }

    /// The election (to read [`Election::leader`]), once `init` found a config.
    ///
    /// # Errors
    /// [`NotReady`] before `init`, or when the election is disabled.
    pub fn election(&self) -> Result<&Election, NotReady> {
        self.election.get().map(|(election, _)| election)
    }
}

#[async_trait]
impl Plugin for ElectionPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![Arc::clone(&self.connector_plugin)]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: ElectionPlugin::NAME, "no election.conf: not campaigning");
            return Ok(());
        };
        let Some(store) = self.connector.kv()? else {
            return Err(format!(
                "the election needs the store of `{}`, which has no config",
                self.connector.name()
            )
            .into());
        };
        let candidate = match config.candidate.as_str() {
            "" => ctx
                .env_var("MICROSERVICE_LABEL")
                .map_or_else(|| format!("agent-{}", std::process::id()), str::to_owned),
            given => given.to_owned(),
        };
        let election = Election::new(store, config.key).with_ttl(config.ttl);
        self.election.set((election, candidate))?;
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some((election, candidate)) = self.election.try_get() else {
            return Ok(());
        };
        self.role.send_replace(Role::Candidate);
        let run = campaign_loop(
            election.clone(),
            candidate.clone(),
            self.role.clone(),
            ctx.shutdown_token(),
        );
        ctx.spawn(run);
        Ok(())
    }
}

/// Campaigns, leads until the leadership is lost, campaigns again; resigns when the agent
/// stops (the shutdown token is cancelled before `close`, while the store is still open).
async fn campaign_loop(
    election: Election,
    candidate: String,
    role: watch::Sender<Role>,
    shutdown: CancellationToken,
) {
    let stopped = shutdown.cancelled();
    tokio::pin!(stopped);
    loop {
        role.send_replace(Role::Candidate);
        let won = tokio::select! {
            () = &mut stopped => break,
            won = election.campaign(candidate.clone()) => won,
        };
        let leadership = match won {
            Ok(leadership) => leadership,
            Err(err) => {
                tracing::warn!(target: ElectionPlugin::NAME, error = %err, "campaign failed; trying again");
                tokio::select! {
                    () = &mut stopped => break,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        role.send_replace(Role::Leader {
            fencing: leadership.fencing(),
        });
        tokio::select! {
            () = &mut stopped => {
                role.send_replace(Role::Candidate);
                if let Err(err) = leadership.resign().await {
                    tracing::warn!(target: ElectionPlugin::NAME, error = %err, "resign failed; the key goes when its lease expires");
                }
                break;
            }
            () = leadership.lost() => {
                role.send_replace(Role::Candidate);
                tracing::warn!(target: ElectionPlugin::NAME, "leadership lost; campaigning again");
            }
        }
    }
    role.send_replace(Role::Disabled);
}
