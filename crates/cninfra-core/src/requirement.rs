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

/// `cninfra_rpc::rest::HttpPlugin` → `HttpPlugin`.
pub(crate) fn short_type_name<P: ?Sized>() -> &'static str {
    let full = std::any::type_name::<P>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}
