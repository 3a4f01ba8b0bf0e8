//! Compiles upstream's `ligato.generic` protos (pure Rust, no `protoc`) into prost
//! messages with descriptors and proto3 JSON, and the tonic clients and servers of
//! `ManagerService` and `MetaService`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    cninfra_models::build::Protos::new(
        [
            "ligato/generic/model.proto",
            "ligato/generic/options.proto",
            "ligato/generic/meta.proto",
            "ligato/generic/manager.proto",
        ],
        ["proto"],
    )
    .with_services()
    .compile()?;
    Ok(())
}
