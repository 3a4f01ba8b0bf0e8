//! Finding every plugin an agent needs and ordering them, dependencies first.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::AgentError;
use crate::plugin::{Plugin, type_of};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// On the current path of the walk.
    Visiting,
    /// Already placed in the order.
    Done,
}

/// Finds every plugin (the roots and, transitively, the instances of [`Plugin::deps`]),
/// resolves each [`Plugin::requires`] to the one plugin of that type, and returns every
/// plugin once, each after all its dependencies. The same `Arc` reached twice is one plugin;
/// two instances with one name, a bad name, a missing or ambiguous required plugin and a
/// cycle are errors.
pub(crate) fn resolve(roots: &[Arc<dyn Plugin>]) -> Result<Vec<Arc<dyn Plugin>>, AgentError> {
    let mut found = Found::default();
    for root in roots {
        found.collect(root)?;
    }
    let mut walk = Walk {
        found: &found,
        marks: HashMap::new(),
        path: Vec::new(),
        order: Vec::new(),
    };
    for root in roots {
        walk.visit(root)?;
    }
    Ok(walk.order)
}

/// The identity of a plugin instance.
fn identity(plugin: &Arc<dyn Plugin>) -> *const () {
    Arc::as_ptr(plugin).cast::<()>()
}

fn check_name(name: &str) -> Result<(), AgentError> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(AgentError::InvalidPluginName {
            name: name.to_owned(),
        })
    }
}

/// Every plugin instance, found through the roots and their `deps()`.
#[derive(Default)]
struct Found {
    seen: HashMap<*const (), ()>,
    names: HashMap<String, *const ()>,
    by_type: HashMap<TypeId, Vec<Arc<dyn Plugin>>>,
}

impl Found {
    fn collect(&mut self, plugin: &Arc<dyn Plugin>) -> Result<(), AgentError> {
        let id = identity(plugin);
        if self.seen.insert(id, ()).is_some() {
            return Ok(());
        }
        let name = plugin.name().to_owned();
        check_name(&name)?;
        if self.names.insert(name.clone(), id).is_some() {
            return Err(AgentError::DuplicatePlugin { name });
        }
        self.by_type
            .entry(type_of(plugin))
            .or_default()
            .push(Arc::clone(plugin));
        for dep in plugin.deps() {
            self.collect(&dep)?;
        }
        Ok(())
    }

    /// The plugins `plugin` starts after: its instances, then its required types.
    fn edges(&self, plugin: &Arc<dyn Plugin>) -> Result<Vec<Arc<dyn Plugin>>, AgentError> {
        let mut edges = plugin.deps();
        for needed in plugin.requires() {
            match self.by_type.get(&needed.type_id).map(Vec::as_slice) {
                Some([one]) => edges.push(Arc::clone(one)),
                None | Some([]) if needed.optional => {}
                None | Some([]) => {
                    return Err(AgentError::MissingDependency {
                        plugin: plugin.name().to_owned(),
                        needs: needed.type_name,
                    });
                }
                Some(many) => {
                    return Err(AgentError::AmbiguousDependency {
                        plugin: plugin.name().to_owned(),
                        needs: needed.type_name,
                        candidates: many.iter().map(|p| p.name().to_owned()).collect(),
                    });
                }
            }
        }
        Ok(edges)
    }
}

/// The depth-first walk that orders the plugins.
struct Walk<'a> {
    found: &'a Found,
    marks: HashMap<*const (), Mark>,
    path: Vec<String>,
    order: Vec<Arc<dyn Plugin>>,
}

impl Walk<'_> {
    fn visit(&mut self, plugin: &Arc<dyn Plugin>) -> Result<(), AgentError> {
        let id = identity(plugin);
        let name = plugin.name().to_owned();
        match self.marks.get(&id) {
            Some(Mark::Done) => return Ok(()),
            Some(Mark::Visiting) => {
                let start = self.path.iter().position(|p| *p == name).unwrap_or(0);
                let mut cycle = self.path[start..].to_vec();
                cycle.push(name);
                return Err(AgentError::DependencyCycle { path: cycle });
            }
            None => {}
        }
        self.marks.insert(id, Mark::Visiting);
        self.path.push(name);
        for dep in self.found.edges(plugin)? {
            self.visit(&dep)?;
        }
        self.path.pop();
        self.marks.insert(id, Mark::Done);
        self.order.push(Arc::clone(plugin));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use async_trait::async_trait;

    use super::*;
    use crate::{BoxError, InitContext, Requirement};

    struct P {
        name: &'static str,
        deps: OnceLock<Vec<Arc<dyn Plugin>>>,
    }

    fn p(name: &'static str, deps: Vec<Arc<dyn Plugin>>) -> Arc<P> {
        let plugin = Arc::new(P {
            name,
            deps: OnceLock::new(),
        });
        let _ = plugin.deps.set(deps);
        plugin
    }

    #[async_trait]
    impl Plugin for P {
        fn name(&self) -> &str {
            self.name
        }
        fn deps(&self) -> Vec<Arc<dyn Plugin>> {
            self.deps.get().cloned().unwrap_or_default()
        }
        async fn init(&self, _: &InitContext) -> Result<(), BoxError> {
            Ok(())
        }
    }

    fn names(order: &[Arc<dyn Plugin>]) -> Vec<&str> {
        order.iter().map(|p| p.name()).collect()
    }

    #[test]
    fn dependencies_come_first_and_shared_ones_once() {
        let log = p("log", vec![]);
        let http = p("http", vec![log.clone()]);
        let etcd = p("etcd", vec![log.clone()]);
        let app = p("app", vec![http.clone(), etcd.clone()]);
        let order = resolve(&[app, http]).unwrap();
        assert_eq!(names(&order), ["log", "http", "etcd", "app"]);
    }

    #[test]
    fn two_instances_with_one_name_are_an_error() {
        let a1 = p("a", vec![]);
        let a2 = p("a", vec![]);
        let err = resolve(&[a1, a2]).unwrap_err();
        assert!(matches!(err, AgentError::DuplicatePlugin { ref name } if name == "a"));
    }

    #[test]
    fn a_cycle_is_named_in_order() {
        let a = Arc::new(P {
            name: "kvdbsync",
            deps: OnceLock::new(),
        });
        let b = p("etcd", vec![a.clone()]);
        let _ = a.deps.set(vec![b]);
        let root = p("app", vec![a.clone()]);
        let err = resolve(&[root]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin dependency cycle: kvdbsync -> etcd -> kvdbsync"
        );
    }

    struct Typed<const N: u8>(Vec<Requirement>);

    #[async_trait]
    impl<const N: u8> Plugin for Typed<N> {
        fn name(&self) -> &str {
            ["zero", "one", "two"][usize::from(N)]
        }
        fn requires(&self) -> Vec<Requirement> {
            self.0.clone()
        }
        async fn init(&self, _: &InitContext) -> Result<(), BoxError> {
            Ok(())
        }
    }

    #[test]
    fn required_types_start_first() {
        let zero: Arc<dyn Plugin> = Arc::new(Typed::<0>(vec![]));
        let one: Arc<dyn Plugin> = Arc::new(Typed::<1>(vec![Requirement::of::<Typed<0>>()]));
        let two: Arc<dyn Plugin> = Arc::new(Typed::<2>(vec![
            Requirement::of::<Typed<1>>(),
            Requirement::optional::<P>(),
        ]));
        let order = resolve(&[two, one, zero]).unwrap();
        assert_eq!(names(&order), ["zero", "one", "two"]);
    }

    #[test]
    fn a_missing_required_plugin_names_both() {
        let one: Arc<dyn Plugin> = Arc::new(Typed::<1>(vec![Requirement::of::<Typed<0>>()]));
        let err = resolve(&[one]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin `one` needs a `Typed<0>` plugin, and the agent has none: add one"
        );
    }

    #[test]
    fn two_plugins_of_a_required_type_are_ambiguous() {
        let one: Arc<dyn Plugin> = Arc::new(Typed::<1>(vec![Requirement::of::<P>()]));
        let err = resolve(&[one, p("a", vec![]), p("b", vec![])]).unwrap_err();
        assert!(
            matches!(err, AgentError::AmbiguousDependency { ref candidates, .. } if candidates == &["a", "b"]),
            "{err}"
        );
    }

    #[test]
    fn a_cycle_through_a_required_type_is_named() {
        let zero: Arc<dyn Plugin> = Arc::new(Typed::<0>(vec![Requirement::of::<Typed<1>>()]));
        let one: Arc<dyn Plugin> = Arc::new(Typed::<1>(vec![Requirement::of::<Typed<0>>()]));
        let err = resolve(&[zero, one]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "plugin dependency cycle: zero -> one -> zero"
        );
    }

    #[test]
    fn bad_names_are_rejected() {
        for bad in ["", "Etcd", "1st", "a b", "a/b"] {
            let err = resolve(&[p(bad, vec![])]).unwrap_err();
            assert!(matches!(err, AgentError::InvalidPluginName { .. }), "{bad}");
        }
    }
}
