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
        std::fs::write(out_dir.join("file_descriptor_set.bin"), fds.encode_to_vec())?;

        let mut messages = Vec::new();
        let mut top_level = Vec::new();
        for file in &fds.file {
            let package = file.package();
            if package.starts_with("google.protobuf") {
                continue;
            }
            let module = format!("{}::{}", self.module, module_path(package));
            for message in &file.message_type {
                let path = format!("{module}::{}", heck_upper_camel(message.name()));
                top_level.push(path.clone());
                collect(&mut messages, &module, package, message);
            }
        }
        prost_build::Config::new()
            .out_dir(&out_dir)
            .include_file("cninfra_modules.rs")
            .compile_fds(fds)?;

        let mut out = String::new();
        out.push_str("/// The compiled files, for the global descriptor pool.\n");
        out.push_str(
            "pub const FILE_DESCRIPTOR_SET: &[u8] = \
             include_bytes!(concat!(env!(\"OUT_DIR\"), \"/file_descriptor_set.bin\"));\n",
        );
        out.push_str("include!(concat!(env!(\"OUT_DIR\"), \"/cninfra_modules.rs\"));\n");
        for (full, path) in &messages {
            let _ = writeln!(
                out,
                "impl ::prost_reflect::ReflectMessage for {path} {{\n    \
                 fn descriptor(&self) -> ::prost_reflect::MessageDescriptor {{\n        \
                 ::cninfra_models::__private::message_descriptor({}::FILE_DESCRIPTOR_SET, \"{full}\")\n    \
                 }}\n}}",
                self.module
            );
        }
        if !top_level.is_empty() {
            let _ = writeln!(
                out,
                "::cninfra_models::proto_json!({});",
                top_level.join(", ")
            );
        }
        std::fs::write(out_dir.join(OUTPUT_FILE), out)?;
        Ok(())
    }
}

/// Collects `(full proto name, Rust path)` of a message and its nested messages, as
/// prost-build names them (nested types in a module named after their parent).
fn collect(
    out: &mut Vec<(String, String)>,
    module: &str,
    parent: &str,
    message: &prost_types::DescriptorProto,
) {
    if message.options.as_ref().is_some_and(|o| o.map_entry()) {
        return;
    }
    let full = format!("{parent}.{}", message.name());
    out.push((
        full.clone(),
        format!("{module}::{}", heck_upper_camel(message.name())),
    ));
    let nested_module = format!("{module}::{}", heck_snake(message.name()));
    for nested in &message.nested_type {
        collect(out, &nested_module, &full, nested);
    }
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
