//! [`Ready`]: a value a plugin makes in `init` and hands out afterwards.

use std::fmt;
use std::sync::OnceLock;

/// A value that exists only once its plugin's `init` ran: a store, a registry, a bound
/// address. Reading it earlier is an error that names the plugin, so a plugin that forgot to
/// declare a dependency learns which one.
///
/// # Examples
/// ```
/// use cninfra_core::Ready;
///
/// struct Counter { total: Ready<u64> }
///
/// let counter = Counter { total: Ready::new("counter") };
/// assert!(counter.total.get().is_err());          // before init
/// counter.total.set(7)?;                          // in init
/// assert_eq!(*counter.total.get()?, 7);
/// assert!(counter.total.set(8).is_err());         // a second init is refused, not ignored
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Ready<T> {
    plugin: &'static str,
    cell: OnceLock<T>,
}

impl<T> Ready<T> {
    /// An empty slot owned by the plugin `plugin`.
    pub const fn new(plugin: &'static str) -> Self {
        Self {
            plugin,
            cell: OnceLock::new(),
        }
    }

    /// Stores the value; done once, in the plugin's `init`.
    ///
    /// # Errors
    /// [`NotReady`] with [`NotReady::is_already_set`] when the value was set before (the
    /// plugin was initialised twice); the first value stays.
    pub fn set(&self, value: T) -> Result<(), NotReady> {
        self.cell.set(value).map_err(|_| NotReady {
            plugin: self.plugin,
            already_set: true,
        })
    }

    /// The value.
    ///
    /// # Errors
    /// [`NotReady`] naming the plugin when its `init` has not run (or failed).
    pub fn get(&self) -> Result<&T, NotReady> {
        self.cell.get().ok_or(NotReady {
            plugin: self.plugin,
            already_set: false,
        })
    }

    /// The value, or `None` before `init`.
    pub fn try_get(&self) -> Option<&T> {
        self.cell.get()
    }

    /// The plugin that owns the value.
    pub fn plugin(&self) -> &'static str {
        self.plugin
    }
}

impl<T: fmt::Debug> fmt::Debug for Ready<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cell.get() {
            Some(value) => f.debug_tuple("Ready").field(value).finish(),
            None => write!(f, "Ready(<before init of `{}`>)", self.plugin),
        }
    }
}

/// A [`Ready`] value was read before its plugin's `init`, or set twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", if *already_set {
    format!("plugin `{plugin}` was initialised twice")
} else {
    format!("plugin `{plugin}` is not initialised: its init has not run or failed")
})]
pub struct NotReady {
    plugin: &'static str,
    already_set: bool,
}

impl NotReady {
    /// The plugin whose value was asked for.
    pub fn plugin(&self) -> &'static str {
        self.plugin
    }

    /// Whether this is a second `set` rather than an early `get`.
    pub fn is_already_set(&self) -> bool {
        self.already_set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_plugin() {
        let slot: Ready<u8> = Ready::new("etcd");
        assert_eq!(
            slot.get().unwrap_err().to_string(),
            "plugin `etcd` is not initialised: its init has not run or failed"
        );
        slot.set(1).unwrap();
        let twice = slot.set(2).unwrap_err();
        assert!(twice.is_already_set());
        assert_eq!(twice.to_string(), "plugin `etcd` was initialised twice");
        assert_eq!(*slot.get().unwrap(), 1);
    }
}
