//! For build scripts: compiles `.proto` files into prost messages that are models-ready.
//!
//! Every message gets a descriptor (`prost_reflect::ReflectMessage`, from the compiled
//! files in the global descriptor pool, so `Any` fields resolve across crates), and every
//! top-level message proto3 JSON serde impls ([`proto_json!`](crate::proto_json)). The
//! files are compiled in pure Rust (protox): no `protoc` needed.
//!
//! In `build.rs`:
//! ```no_run
//! cninfra_models::build::Protos::new(["ligato/vpp/l2/fib.proto"], ["proto"])
//!     .compile()
//!     .expect("compiling the .proto files");
//! ```
//! and in the crate, at the module path given to [`Protos::module`] (default
//! `crate::proto`):
//! ```text
//! pub mod proto {
//!     include!(concat!(env!("OUT_DIR"), "/cninfra_protos.rs"));
//! }
//! ```
//! The crate depends on `prost`, `prost-reflect` (feature `derive`) and `cninfra-models`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use prost::Message as _;

/// The file the generated code is gathered in, under `OUT_DIR`.
pub const OUTPUT_FILE: &str = "cninfra_protos.rs";

/// What went wrong compiling.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A `.proto` file does not compile.
    #[error("compiling the .proto files")]
    Compile(#[from] protox::Error),
    /// Writing the generated code failed.
    #[error("writing the generated code")]
    Io(#[from] std::io::Error),
    /// `OUT_DIR` is not set (not in a build script).
    #[error("OUT_DIR is not set: run from a build script")]
    NoOutDir,
}

/// A set of `.proto` files to compile.
#[derive(Debug, Clone)]
pub struct Protos {
    files: Vec<PathBuf>,
    includes: Vec<PathBuf>,
    module: String,
}

impl Protos {
    /// The files (relative to an include directory) and the include directories.
    pub fn new(
        files: impl IntoIterator<Item = impl AsRef<Path>>,
        includes: impl IntoIterator<Item = impl AsRef<Path>>,
    ) -> Self {
        Self {
            files: files.into_iter().map(|f| f.as_ref().to_owned()).collect(),
            includes: includes
                .into_iter()
                .map(|i| i.as_ref().to_owned())
                .collect(),
            module: "crate::proto".to_owned(),
        }
    }

    /// The module the crate includes [`OUTPUT_FILE`] in (default `crate::proto`).
    pub fn module(mut self, path: &str) -> Self {
        path.clone_into(&mut self.module);
        self
    }

    /// Compiles the files into `OUT_DIR/cninfra_protos.rs` (and the files it includes).
    ///
    /// # Errors
    /// [`BuildError`].
    pub fn compile(self) -> Result<(), BuildError> {
        let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?);
        for include in &self.includes {
            println!("cargo:rerun-if-changed={}", include.display());
        }
        let fds = protox::compile(&self.files, &self.includes)?;

        let bytes = fds.encode_to_vec();
        std::fs::write(out_dir.join("file_descriptor_set.bin"), &bytes)?;

        // Every message with its Rust path; packages as a module tree.
        let mut messages = Vec::new();
        let mut packages = ModuleTree::default();
        for file in &fds.file {
            let package = file.package();
            if package.starts_with("google.protobuf") {
                continue;
            }
            packages.insert(package);
            let module = format!("{}::{}", self.module, module_path(package));
            for message in &file.message_type {
                collect(&mut messages, &module, package, message, true);
            }
        }
        // Plain messages get generated serde impls (pbjson: as fast as serde's derive);
        // messages that reach a well-known type (`Any`, `Duration`, ...) go through the
        // descriptor (prost-reflect), which maps those types as protojson does.
        let types = TypeIndex::new(&fds);
        let reflected: Vec<&Message> = messages
            .iter()
            .filter(|m| m.top_level && types.reaches_well_known(&m.full))
            .collect();
        let package_names: Vec<String> = packages.names().map(|p| format!(".{p}")).collect();

        prost_build::Config::new()
            .out_dir(&out_dir)
            .compile_fds(fds)?;
        if !package_names.is_empty() {
            pbjson_build::Builder::new()
                .out_dir(&out_dir)
                .register_descriptors(&bytes)
                .map_err(BuildError::Io)?
                .exclude(reflected.iter().map(|m| format!(".{}", m.full)))
                .build(&package_names)
                .map_err(BuildError::Io)?;
            // The generated code names `::pbjson`; point it at our re-export so the crate
            // needs no dependency of its own on it, and its numbers at our faster helper.
            for package in packages.names() {
                let path = out_dir.join(format!("{package}.serde.rs"));
                let code = std::fs::read_to_string(&path)?;
                std::fs::write(
                    &path,
                    code.replace(
                        "::pbjson::private::NumberDeserialize",
                        "::cninfra_models::__private::NumberDeserialize",
                    )
                    .replace("::pbjson::", "::cninfra_models::__private::pbjson::"),
                )?;
            }
        }

        let mut out = String::new();
        out.push_str("/// The compiled files, for the global descriptor pool.\n");
        out.push_str(
            "pub const FILE_DESCRIPTOR_SET: &[u8] = \
             include_bytes!(concat!(env!(\"OUT_DIR\"), \"/file_descriptor_set.bin\"));\n",
        );
        packages.write(&mut out, "");
        for message in &messages {
            let _ = writeln!(
                out,
                "impl ::prost_reflect::ReflectMessage for {} {{\n    \
                 fn descriptor(&self) -> ::prost_reflect::MessageDescriptor {{\n        \
                 ::cninfra_models::__private::message_descriptor({}::FILE_DESCRIPTOR_SET, \"{}\")\n    \
                 }}\n}}",
                message.path, self.module, message.full
            );
        }
        for message in &reflected {
            let _ = writeln!(out, "::cninfra_models::proto_json!({});", message.path);
        }
        std::fs::write(out_dir.join(OUTPUT_FILE), out)?;
        Ok(())
    }
}

/// A message of the compiled files.
#[derive(Debug)]
struct Message {
    /// Full proto name.
    full: String,
    /// Rust path, as prost-build names it.
    path: String,
    top_level: bool,
}

/// Packages as nested modules: `ligato.vpp.l2` → `pub mod ligato { pub mod vpp { pub mod l2
/// { include!(...) } } }`.
#[derive(Debug, Default)]
struct ModuleTree {
    /// The package ending here, if one does.
    package: Option<String>,
    children: std::collections::BTreeMap<String, ModuleTree>,
}

impl ModuleTree {
    fn insert(&mut self, package: &str) {
        let mut node = self;
        for part in package.split('.') {
            node = node.children.entry(heck_snake(part)).or_default();
        }
        node.package = Some(package.to_owned());
    }

    fn names(&self) -> Box<dyn Iterator<Item = &str> + '_> {
        Box::new(
            self.package
                .as_deref()
                .into_iter()
                .chain(self.children.values().flat_map(ModuleTree::names)),
        )
    }

    fn write(&self, out: &mut String, indent: &str) {
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

/// Message types by full name, to find the messages that reach a well-known type.
struct TypeIndex<'a> {
    messages: std::collections::HashMap<String, &'a prost_types::DescriptorProto>,
}

impl<'a> TypeIndex<'a> {
    fn new(fds: &'a prost_types::FileDescriptorSet) -> Self {
        fn add<'a>(
            map: &mut std::collections::HashMap<String, &'a prost_types::DescriptorProto>,
            parent: &str,
            message: &'a prost_types::DescriptorProto,
        ) {
            let full = format!("{parent}.{}", message.name());
            for nested in &message.nested_type {
                add(map, &full, nested);
            }
            map.insert(full, message);
        }
        let mut messages = std::collections::HashMap::new();
        for file in &fds.file {
            for message in &file.message_type {
                add(&mut messages, file.package(), message);
            }
        }
        Self { messages }
    }

    fn reaches_well_known(&self, full: &str) -> bool {
        let mut seen = std::collections::HashSet::new();
        self.reaches(full, &mut seen)
    }

    fn reaches(&self, full: &str, seen: &mut std::collections::HashSet<String>) -> bool {
        if full.starts_with("google.protobuf.") {
            return true;
        }
        if !seen.insert(full.to_owned()) {
            return false;
        }
        let Some(message) = self.messages.get(full) else {
            return false;
        };
        message.field.iter().any(|field| {
            field
                .type_name
                .as_deref()
                .is_some_and(|name| self.reaches(name.trim_start_matches('.'), seen))
        })
    }
}

/// Collects a message and its nested messages, with their Rust paths as prost-build names
/// them (nested types in a module named after their parent).
fn collect(
    out: &mut Vec<Message>,
    module: &str,
    parent: &str,
    message: &prost_types::DescriptorProto,
    top_level: bool,
) {
    if message.options.as_ref().is_some_and(|o| o.map_entry()) {
        return;
    }
    let full = format!("{parent}.{}", message.name());
    let nested_module = format!("{module}::{}", heck_snake(message.name()));
    for nested in &message.nested_type {
        collect(out, &nested_module, &full, nested, false);
    }
    out.push(Message {
        path: format!("{module}::{}", heck_upper_camel(message.name())),
        full,
        top_level,
    });
}

/// `ligato.vpp.l2` → `ligato::vpp::l2`, as prost-build names package modules.
fn module_path(package: &str) -> String {
    package
        .split('.')
        .map(heck_snake)
        .collect::<Vec<_>>()
        .join("::")
}

/// prost-build's message type names (it uses `heck` too): `FIBEntry` → `FibEntry`.
fn heck_upper_camel(name: &str) -> String {
    heck::ToUpperCamelCase::to_upper_camel_case(name)
}

fn heck_snake(name: &str) -> String {
    heck::ToSnakeCase::to_snake_case(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_prost_build() {
        for (proto, rust) in [
            ("FIBEntry", "FibEntry"),
            ("Interface", "Interface"),
            ("BridgeDomain", "BridgeDomain"),
            ("DNat44", "DNat44"),
        ] {
            assert_eq!(heck_upper_camel(proto), rust, "{proto}");
        }
        assert_eq!(module_path("ligato.vpp.l2"), "ligato::vpp::l2");
    }
}
