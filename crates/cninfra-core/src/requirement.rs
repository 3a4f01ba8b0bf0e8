//! [`Requirement`]: a dependency on another plugin, found by its type.

use std::any::{Any, TypeId};
use std::fmt;

/// A plugin this one needs, named by its type rather than held as an `Arc`.
///
/// The agent finds the plugin of that type among the plugins it was given (a missing one is
/// an error of [`AgentBuilder::build`](crate::AgentBuilder::build) naming both plugins), starts
/// it first, and hands it out through [`InitContext::dep`](crate::InitContext::dep).
///
/// # Examples
/// ```
/// use cninfra_core::{async_trait, plugin_fn, Agent, BoxError, InitContext, Plugin, Requirement};
///
/// struct Store;
/// #[async_trait]
/// impl Plugin for Store {
///     fn name(&self) -> &str { "store" }
///     async fn init(&self, _: &InitContext) -> Result<(), BoxError> { Ok(()) }
/// }
///
/// struct App;
/// #[async_trait]
/// impl Plugin for App {
///     fn name(&self) -> &str { "app" }
///     fn requires(&self) -> Vec<Requirement> { vec![Requirement::of::<Store>()] }
///     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
///         let _store = ctx.dep::<Store>()?;
///         Ok(())
///     }
/// }
///
/// let agent = Agent::builder().plugin(App).plugin(Store).with_args(["demo"]).build()?;
/// assert_eq!(agent.plugin_names(), ["store", "app"]);
/// assert!(Agent::builder().plugin(App).with_args(["demo"]).build().is_err());
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    pub(crate) type_id: TypeId,
    pub(crate) type_name: &'static str,
    pub(crate) optional: bool,
}

impl Requirement {
    /// The plugin of type `P` must be in the agent.
    pub fn of<P: Any>() -> Self {
        Self {
            type_id: TypeId::of::<P>(),
            type_name: short_type_name::<P>(),
            optional: false,
        }
    }

    /// The plugin of type `P` starts first when it is in the agent; without it this plugin
    /// still runs ([`InitContext::try_dep`](crate::InitContext::try_dep) answers `None`).
    pub fn optional<P: Any>() -> Self {
        Self {
            optional: true,
            ..Self::of::<P>()
        }
    }

    /// The required type's name, without its module path.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Whether the plugin may be absent.
    pub fn is_optional(&self) -> bool {
        self.optional
    }
}

impl fmt::Debug for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Requirement")
            .field("type", &self.type_name)
            .field("optional", &self.optional)
            .finish()
    }
}

/// `cninfra_rpc::rest::HttpPlugin` → `HttpPlugin`;
/// `cninfra_kv::ConnectorPlugin<cninfra_kv_etcd::EtcdStore>` → `ConnectorPlugin<EtcdStore>`.
pub(crate) fn short_type_name<P: ?Sized>() -> &'static str {
    let full = std::any::type_name::<P>();
    if !full.contains('<') {
        return full.rsplit("::").next().unwrap_or(full);
    }
    // Generic names are shortened once per type and kept for the life of the process.
    static SHORT: std::sync::Mutex<Vec<(&'static str, &'static str)>> =
        std::sync::Mutex::new(Vec::new());
    let mut known = SHORT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, short)) = known.iter().find(|(long, _)| *long == full) {
        return short;
    }
    let short: &'static str = Box::leak(shorten_paths(full).into_boxed_str());
    known.push((full, short));
    short
}

/// Drops the module path of every type name in `name`.
fn shorten_paths(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut segment = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            segment.push(c);
        } else {
            out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
            segment.clear();
            out.push(c);
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Store;
    struct Plugin<S>(S);

    #[test]
    fn type_names_lose_their_module_paths() {
        assert_eq!(short_type_name::<Store>(), "Store");
        assert_eq!(short_type_name::<Plugin<Store>>(), "Plugin<Store>");
        assert_eq!(
            shorten_paths("a::b::Plugin<c::d::Store, [e::F; 2]>"),
            "Plugin<Store, [F; 2]>"
        );
    }
}
