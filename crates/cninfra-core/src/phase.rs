//! Lifecycle phases.

use std::fmt;

/// A lifecycle phase of a plugin, in the order the agent runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// [`Plugin::init`](crate::Plugin::init).
    Init,
    /// [`Plugin::after_init`](crate::Plugin::after_init).
    AfterInit,
    /// [`Plugin::close`](crate::Plugin::close).
    Close,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Init => "init",
            Phase::AfterInit => "after_init",
            Phase::Close => "close",
        })
    }
}
