//! Finding every plugin an agent needs and ordering them, dependencies first.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::AgentError;
use crate::plugin::Plugin;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// On the current path of the walk.
    Visiting,
    /// Already placed in the order.
    Done,
}

/// Walks the roots and their [`Plugin::deps`] depth-first and returns every plugin once,
/// each after all its dependencies. The same `Arc` reached twice is one plugin; two
/// instances with one name, a cycle or a bad name are errors.
pub(crate) fn resolve(roots: &[Arc<dyn Plugin>]) -> Result<Vec<Arc<dyn Plugin>>, AgentError> {
    let mut walk = Walk::default();
    for root in roots {
        walk.visit(root)?;
    }
    Ok(walk.order)
}

#[derive(Default)]
struct Walk {
    marks: HashMap<*const (), Mark>,
    names: HashMap<String, *const ()>,
    path: Vec<String>,
    order: Vec<Arc<dyn Plugin>>,
}

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

impl Walk {
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
        check_name(&name)?;
        match self.names.get(&name) {
            Some(other) if *other != id => return Err(AgentError::DuplicatePlugin { name }),
            _ => {
                self.names.insert(name.clone(), id);
            }
        }
        self.marks.insert(id, Mark::Visiting);
        self.path.push(name);
        for dep in plugin.deps() {
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
    use crate::{BoxError, InitContext};

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

    #[test]
    fn bad_names_are_rejected() {
        for bad in ["", "Etcd", "1st", "a b", "a/b"] {
            let err = resolve(&[p(bad, vec![])]).unwrap_err();
            assert!(matches!(err, AgentError::InvalidPluginName { .. }), "{bad}");
        }
    }
}
