//! Compiles upstream's `.proto` files (pure Rust: no `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    cninfra_models::build::Protos::new(
        [
            "ligato/vpp/interfaces/interface.proto",
            "ligato/vpp/l2/bridge_domain.proto",
            "ligato/vpp/l2/fib.proto",
            "ligato/vpp/l2/xconnect.proto",
        ],
        ["proto"],
    )
    .compile()?;
    Ok(())
}
