//! Compiles the example service's `.proto` with protox (pure Rust, no system `protoc`) and
//! generates its tonic server and client; the encoded descriptor set is written beside the
//! code for server reflection.

use std::path::PathBuf;

const PROTO: &str = "proto/cninfra/example/v1/example.proto";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO}");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut compiler = protox::Compiler::new(["proto"])?;
    compiler.include_source_info(true).include_imports(true);
    compiler.open_files([PROTO])?;
    std::fs::write(
        out_dir.join("example_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(compiler.file_descriptor_set())?;
    Ok(())
}
