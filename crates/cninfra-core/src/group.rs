//! Plugin groups: several plugins added as one, with members replaced or left out.

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::Arc;

use crate::plugin::{IntoPlugin, Plugin, type_of};

/// A set of plugins added to an agent together, such as the facade's `Defaults`.
///
/// [`build`](Self::build) gives a [`PluginGroupBuilder`] whose members can be replaced
/// ([`set`](PluginGroupBuilder::set)) or left out ([`without`](PluginGroupBuilder::without))
/// before it is passed to [`AgentBuilder::group`](crate::AgentBuilder::group). Members find
/// each other by type ([`Plugin::requires`]), so a replaced member serves every plugin that
/// needs its type.
pub trait PluginGroup {
    /// The members, ready to be changed.
    fn build(self) -> PluginGroupBuilder;
}

/// The members of a [`PluginGroup`], in the order they were added.
///
/// # Examples
/// ```
/// use cninfra_core::{async_trait, Agent, BoxError, InitContext, Plugin, PluginGroupBuilder};
///
/// #[derive(Default)]
/// struct Http { port: u16 }
/// #[async_trait]
/// impl Plugin for Http {
///     fn name(&self) -> &str { "http" }
///     async fn init(&self, _: &InitContext) -> Result<(), BoxError> { Ok(()) }
/// }
/// #[derive(Default)]
/// struct Probe;
/// #[async_trait]
/// impl Plugin for Probe {
///     fn name(&self) -> &str { "probe" }
///     async fn init(&self, _: &InitContext) -> Result<(), BoxError> { Ok(()) }
/// }
///
/// let group = PluginGroupBuilder::new()
///     .with(Http::default())
///     .with(Probe)
///     .set(Http { port: 8080 })   // replaces the member of the same type, in place
///     .without::<Probe>();
/// assert_eq!(group.get::<Http>().map(|http| http.port), Some(8080));
/// let agent = Agent::builder().group(group).with_args(["demo"]).build()?;
/// assert_eq!(agent.plugin_names(), ["http"]);
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
#[derive(Default, Clone)]
pub struct PluginGroupBuilder {
    members: Vec<Arc<dyn Plugin>>,
}

impl PluginGroupBuilder {
    /// An empty group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a member at the end.
    pub fn with(mut self, plugin: impl IntoPlugin) -> Self {
        self.members.push(plugin.into_plugin());
        self
    }

    /// Replaces the member of the same type as `plugin` (keeping its place), or adds
    /// `plugin` when the group has no member of that type.
    pub fn set(mut self, plugin: impl IntoPluginArc) -> Self {
        let ty = plugin.type_id_of_plugin();
        let plugin: Arc<dyn Plugin> = plugin.into_arc();
        match self.position(ty) {
            Some(index) => self.members[index] = plugin,
            None => self.members.push(plugin),
        }
        self
    }

    /// Leaves out the member of type `P` (nothing happens when there is none).
    pub fn without<P: Plugin>(mut self) -> Self {
        if let Some(index) = self.position(TypeId::of::<P>()) {
            self.members.remove(index);
        }
        self
    }

    /// The member of type `P`, for wiring it explicitly into another plugin.
    pub fn get<P: Plugin>(&self) -> Option<Arc<P>> {
        let index = self.position(TypeId::of::<P>())?;
        let any: Arc<dyn Any + Send + Sync> = self.members[index].clone();
        any.downcast::<P>().ok()
    }

    /// The members' names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.members.iter().map(|plugin| plugin.name()).collect()
    }

    fn position(&self, ty: TypeId) -> Option<usize> {
        self.members.iter().position(|plugin| type_of(plugin) == ty)
    }
}

/// A plugin value or an `Arc` of one, as [`PluginGroupBuilder::set`] takes.
pub trait IntoPluginArc {
    /// The plugin's type.
    type Plugin: Plugin;

    /// The shared plugin.
    fn into_arc(self) -> Arc<Self::Plugin>;

    /// The plugin's type id.
    fn type_id_of_plugin(&self) -> TypeId {
        TypeId::of::<Self::Plugin>()
    }
}

impl<P: Plugin> IntoPluginArc for P {
    type Plugin = P;
    fn into_arc(self) -> Arc<P> {
        Arc::new(self)
    }
}

impl<P: Plugin> IntoPluginArc for Arc<P> {
    type Plugin = P;
    fn into_arc(self) -> Arc<P> {
        self
    }
}

impl PluginGroup for PluginGroupBuilder {
    fn build(self) -> PluginGroupBuilder {
        self
    }
}

impl IntoIterator for PluginGroupBuilder {
    type Item = Arc<dyn Plugin>;
    type IntoIter = std::vec::IntoIter<Arc<dyn Plugin>>;

    fn into_iter(self) -> Self::IntoIter {
        self.members.into_iter()
    }
}

impl fmt::Debug for PluginGroupBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}
