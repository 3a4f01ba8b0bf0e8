//! Leader election of cninfra agents, as upstream's `CampaignInElection`: candidates
//! campaign for one key of a store with conditional writes, leases, watches and revisions
//! (etcd; the memory store in tests); one leads, the others stand by and take over when the leader
//! resigns or dies (one lease TTL after its last keep-alive).
//!
//! - [`Election`] / [`Leadership`]: the API. `campaign` resolves once this candidate
//!   leads; the [`Leadership`] carries the term's fencing token, tells when it is
//!   [lost](Leadership::lost), and [resigns](Leadership::resign).
//! - [`ElectionPlugin`]: an agent campaigns from start to stop on the store of a connector
//!   plugin (`election.conf`), publishing its [`Role`].
//!
//! Redis is not offered: its replication is asynchronous, so a failover can lose the
//! leader's key and let a second candidate lead while the first still does. See
//! `docs/kv.md` ("Leader election") and `docs/reliability.md` for the guarantees and the
//! failover test.

mod election;
mod error;
mod plugin;

pub use election::{DEFAULT_TTL, Election, Leader, Leadership};
pub use error::ElectionError;
pub use plugin::{DEFAULT_KEY, ElectionConfig, ElectionPlugin, ElectionPluginBuilder, Role};
