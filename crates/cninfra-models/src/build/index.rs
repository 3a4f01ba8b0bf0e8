//! What the compiled files hold: messages and enums with their Rust paths, packages as a
//! module tree.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use prost_types::{DescriptorProto, FileDescriptorSet};

use super::names::{module_path, snake, upper_camel};

/// A message of the compiled files.
#[derive(Debug)]
pub(super) struct Message<'a> {
    /// Full proto name.
    pub(super) full: String,
    /// Rust path, as prost-build names it.
    pub(super) path: String,
    /// The module its nested types live in.
    pub(super) nested_module: String,
    pub(super) top_level: bool,
    pub(super) proto: &'a DescriptorProto,
}

/// Messages and enums by full proto name.
#[derive(Debug)]
pub(super) struct TypeIndex<'a> {
    messages: Vec<Message<'a>>,
    by_name: HashMap<String, usize>,
    enums: HashMap<String, String>,
}

impl<'a> TypeIndex<'a> {
    /// Indexes the files' messages (map entries left out) and enums; well-known types are
    /// left to prost-types.
    pub(super) fn new(fds: &'a FileDescriptorSet, root: &str) -> Self {
        let mut index = Self {
            messages: Vec::new(),
            by_name: HashMap::new(),
            enums: HashMap::new(),
        };
        for file in &fds.file {
            let package = file.package();
            if package.starts_with("google.protobuf") {
                continue;
            }
            let module = format!("{root}::{}", module_path(package));
            for e in &file.enum_type {
                index.enums.insert(
                    format!("{package}.{}", e.name()),
                    format!("{module}::{}", upper_camel(e.name())),
                );
            }
            for message in &file.message_type {
                index.add(&module, package, message, true);
            }
        }
        index
    }

    fn add(&mut self, module: &str, parent: &str, proto: &'a DescriptorProto, top_level: bool) {
        if proto.options.as_ref().is_some_and(|o| o.map_entry()) {
            return;
        }
        let full = format!("{parent}.{}", proto.name());
        let nested_module = format!("{module}::{}", snake(proto.name()));
        for e in &proto.enum_type {
            self.enums.insert(
                format!("{full}.{}", e.name()),
                format!("{nested_module}::{}", upper_camel(e.name())),
            );
        }
        for nested in &proto.nested_type {
            self.add(&nested_module, &full, nested, false);
        }
        self.by_name.insert(full.clone(), self.messages.len());
        self.messages.push(Message {
            path: format!("{module}::{}", upper_camel(proto.name())),
            full,
            nested_module,
            top_level,
            proto,
        });
    }

    pub(super) fn messages(&self) -> impl Iterator<Item = &Message<'a>> {
        self.messages.iter()
    }

    /// The message of a field's `type_name` (`.pkg.Msg`).
    pub(super) fn message(&self, type_name: &str) -> Option<&Message<'a>> {
        self.by_name
            .get(type_name.trim_start_matches('.'))
            .map(|&i| &self.messages[i])
    }

    /// The Rust path of an enum's `type_name`.
    pub(super) fn enum_path(&self, type_name: &str) -> Option<&str> {
        self.enums
            .get(type_name.trim_start_matches('.'))
            .map(String::as_str)
    }

    /// Whether a message reaches a well-known type through its fields.
    pub(super) fn reaches_well_known(&self, full: &str) -> bool {
        self.reaches(full, &mut HashSet::new())
    }

    fn reaches(&self, full: &str, seen: &mut HashSet<String>) -> bool {
        if full.starts_with("google.protobuf.") {
            return true;
        }
        if !seen.insert(full.to_owned()) {
            return false;
        }
        let Some(&index) = self.by_name.get(full) else {
            return false;
        };
        self.messages[index].proto.field.iter().any(|field| {
            field
                .type_name
                .as_deref()
                .is_some_and(|name| self.reaches(name.trim_start_matches('.'), seen))
        })
    }
}

/// Packages as nested modules: `ligato.vpp.l2` → `pub mod ligato { pub mod vpp { pub mod l2
/// { include!(...) } } }`.
#[derive(Debug, Default)]
pub(super) struct ModuleTree {
    /// The package ending here, if one does.
    package: Option<String>,
    children: BTreeMap<String, ModuleTree>,
}

impl ModuleTree {
    pub(super) fn insert(&mut self, package: &str) {
        let mut node = self;
        for part in package.split('.') {
            node = node.children.entry(snake(part)).or_default();
        }
        node.package = Some(package.to_owned());
    }

    pub(super) fn names(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(
            self.package
                .as_deref()
                .into_iter()
                .chain(self.children.values().flat_map(ModuleTree::names)),
        )
    }

    pub(super) fn write(&self, out: &mut String, indent: &str) {
        if let Some(package) = &self.package {
            let _ = writeln!(
                out,
                "{indent}#[allow(unused_imports)]\n{indent}use ::cninfra_models::__private::serde;\n\
                 {indent}include!(concat!(env!(\"OUT_DIR\"), \"/{package}.rs\"));\n\
                 {indent}include!(concat!(env!(\"OUT_DIR\"), \"/{package}.serde.rs\"));"
            );
        }
        for (name, child) in &self.children {
            let _ = writeln!(out, "{indent}pub mod {name} {{");
            child.write(out, &format!("{indent}    "));
            let _ = writeln!(out, "{indent}}}");
        }
    }
}
