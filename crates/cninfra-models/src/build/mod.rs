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

mod fields;
mod index;
mod names;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use prost::Message as _;

use index::{ModuleTree, TypeIndex};

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

/// Points pbjson's generated code at our helpers: `::pbjson` at the re-export (the crate
/// needs no dependency of its own), numbers at our faster helper, and enum fields at
/// [`OpenEnum`](crate::__private::OpenEnum) so that numbers an enum does not name are read
/// and written as Go's protojson does (proto3 enums are open) instead of refused.
fn patch_pbjson(code: &str) -> String {
    use std::sync::LazyLock;
    static RULES: LazyLock<Vec<(regex::Regex, &str)>> = LazyLock::new(|| {
        [
            (
                r"map_\.next_value::<::std::option::Option<([\w:]+)>>\(\)\?\.map\(\|x\| ([\w:]+)\(x as i32\)\)",
                "map_.next_value::<::std::option::Option<::cninfra_models::__private::OpenEnum<$1>>>()?.map(|x| $2(x.number()))",
            ),
            (
                r"map_\.next_value::<::std::option::Option<([\w:]+)>>\(\)\?\.map\(\|x\| x as i32\)",
                "map_.next_value::<::std::option::Option<::cninfra_models::__private::OpenEnum<$1>>>()?.map(|x| x.number())",
            ),
            (
                r"map_\.next_value::<Vec<([\w:]+)>>\(\)\?\.into_iter\(\)\.map\(\|x\| x as i32\)",
                "map_.next_value::<Vec<::cninfra_models::__private::OpenEnum<$1>>>()?.into_iter().map(|x| x.number())",
            ),
            (
                r"map_\.next_value::<([\w:]+)>\(\)\? as i32",
                "map_.next_value::<::cninfra_models::__private::OpenEnum<$1>>()?.number()",
            ),
            (
                r#"\.map_err\(\|_\| serde::ser::Error::custom\(format!\("Invalid variant \{\}", ([^)]+)\)\)\)"#,
                "\n.map_or_else(|_| ::core::result::Result::<_, S::Error>::Ok(::cninfra_models::__private::OpenEnum::Number($1)), |e| ::core::result::Result::Ok(::cninfra_models::__private::OpenEnum::Known(e)))",
            ),
        ]
        .into_iter()
        .filter_map(|(pattern, replacement)| Some((regex::Regex::new(pattern).ok()?, replacement)))
        .collect()
    });
    let mut code = code
        .replace(
            "::pbjson::private::NumberDeserialize",
            "::cninfra_models::__private::NumberDeserialize",
        )
        .replace("::pbjson::", "::cninfra_models::__private::pbjson::");
    for (rule, replacement) in RULES.iter() {
        code = rule.replace_all(&code, *replacement).into_owned();
    }
    code
}

/// A set of `.proto` files to compile.
#[derive(Debug, Clone)]
pub struct Protos {
    files: Vec<PathBuf>,
    includes: Vec<PathBuf>,
    module: String,
    #[cfg(feature = "services")]
    services: bool,
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
            #[cfg(feature = "services")]
            services: false,
        }
    }

    /// The module the crate includes [`OUTPUT_FILE`] in (default `crate::proto`).
    pub fn module(mut self, path: &str) -> Self {
        path.clone_into(&mut self.module);
        self
    }

    /// Also generates the tonic client and server of every `service` in the files
    /// (feature `services`), in the same modules as the messages: `<service>_client` and
    /// `<service>_server`. The crate then depends on `tonic` and `tonic-prost` too.
    #[cfg(feature = "services")]
    pub fn with_services(mut self) -> Self {
        self.services = true;
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

        // Every message and enum with its Rust path; packages as a module tree.
        let types = TypeIndex::new(&fds, &self.module);
        let mut packages = ModuleTree::default();
        for file in &fds.file {
            if !file.package().starts_with("google.protobuf") {
                packages.insert(file.package());
            }
        }
        // Plain messages get generated serde impls (pbjson: as fast as serde's derive);
        // messages that reach a well-known type (`Any`, `Duration`, ...) go through the
        // descriptor (prost-reflect), which maps those types as protojson does.
        // pbjson leaves out the nested messages of an excluded message too (`Item.ID` of
        // `Item`): they go through the descriptor as well.
        let excluded: Vec<String> = types
            .messages()
            .filter(|m| m.top_level && types.reaches_well_known(&m.full))
            .map(|m| format!(".{}", m.full))
            .collect();
        let reflected: Vec<&str> = types
            .messages()
            .filter(|m| {
                let full = format!(".{}", m.full);
                excluded.iter().any(|top| {
                    full.strip_prefix(top.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                })
            })
            .map(|m| m.path.as_str())
            .collect();
        let package_names: Vec<String> = packages.names().map(|p| format!(".{p}")).collect();
        let mut generated = String::new();
        for message in types.messages() {
            let _ = writeln!(
                generated,
                "impl ::prost_reflect::ReflectMessage for {} {{\n    \
                 fn descriptor(&self) -> ::prost_reflect::MessageDescriptor {{\n        \
                 ::cninfra_models::__private::message_descriptor({}::FILE_DESCRIPTOR_SET, \"{}\")\n    \
                 }}\n}}",
                message.path, self.module, message.full
            );
            fields::write_impl(&mut generated, message, &types);
        }
        for path in &reflected {
            let _ = writeln!(generated, "::cninfra_models::proto_json!({path});");
        }

        let mut config = prost_build::Config::new();
        #[cfg(feature = "services")]
        if self.services {
            config.service_generator(
                tonic_prost_build::configure()
                    .build_client(true)
                    .build_server(true)
                    .service_generator(),
            );
        }
        config.out_dir(&out_dir).compile_fds(fds)?;
        if !package_names.is_empty() {
            pbjson_build::Builder::new()
                .out_dir(&out_dir)
                .register_descriptors(&bytes)
                .map_err(BuildError::Io)?
                .exclude(excluded)
                .build(&package_names)
                .map_err(BuildError::Io)?;
            // The generated code names `::pbjson`; point it at our re-export so the crate
            // needs no dependency of its own on it, and its numbers at our faster helper.
            for package in packages.names() {
                let path = out_dir.join(format!("{package}.serde.rs"));
                let code = std::fs::read_to_string(&path)?;
                std::fs::write(&path, patch_pbjson(&code))?;
            }
        }

        let mut out = String::new();
        out.push_str("/// The compiled files, for the global descriptor pool.\n");
        out.push_str(
            "pub const FILE_DESCRIPTOR_SET: &[u8] = \
             include_bytes!(concat!(env!(\"OUT_DIR\"), \"/file_descriptor_set.bin\"));\n",
        );
        packages.write(&mut out, "");
        out.push_str(&generated);
        std::fs::write(out_dir.join(OUTPUT_FILE), out)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::names::{module_path, upper_camel};

    #[test]
    fn names_follow_prost_build() {
        for (proto, rust) in [
            ("FIBEntry", "FibEntry"),
            ("Interface", "Interface"),
            ("BridgeDomain", "BridgeDomain"),
            ("DNat44", "DNat44"),
        ] {
            assert_eq!(upper_camel(proto), rust, "{proto}");
        }
        assert_eq!(module_path("ligato.vpp.l2"), "ligato::vpp::l2");
    }
}
