//! Compiles upstream's `.proto` files and cninfra's extensions beside them (pure Rust: no
//! `protoc`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    cninfra_models::build::Protos::new(
        [
            "ligato/vpp/interfaces/interface.proto",
            "ligato/vpp/l2/bridge_domain.proto",
            "ligato/vpp/l2/fib.proto",
            "ligato/vpp/l2/xconnect.proto",
            "ligato/linux/namespace/namespace.proto",
            "ligato/linux/interfaces/interface.proto",
            "ligato/linux/l3/route.proto",
            "ligato/linux/l3/arp.proto",
            "cninfra/linux/namespace/netns.proto",
        ],
        ["proto"],
    )
    .compile()?;
    Ok(())
}
