//! Models against plain serde, measured in the same run:
//!
//! - decode + validate of a ~1 KB interface value: proto3 JSON into the prost message
//!   (upstream's form, as `etcdctl put` writes it) vs serde_json into an equivalent serde
//!   struct; goal ≤ 2×;
//! - keys of 100 000 FIB entries from upstream's name template
//!   (`{{.BridgeDomain}}/mac/{{.PhysAddress}}`), typed messages in; goal ≥ 1M keys/s;
//!   baseline: `format!` of the same key by hand.
//!
//! Run with `cargo bench -p cninfra-ligato --bench models`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::FibEntry;
use cninfra_models::ModelRegistry;

/// An interface as an upstream user writes it: every common field set, ~1 KB.
const INTERFACE: &str = r#"{
  "name": "memif-to-the-edge-router-0001",
  "type": "MEMIF",
  "enabled": true,
  "phys_address": "02:fe:a1:b2:c3:d4",
  "ip_addresses": ["10.10.1.1/24", "10.10.2.1/24", "fd00:10:10:1::1/64", "fd00:10:10:2::1/64"],
  "vrf": 42,
  "set_dhcp_client": false,
  "mtu": 9000,
  "rx_modes": [
    {"queue": 0, "mode": "POLLING"},
    {"queue": 1, "mode": "INTERRUPT"},
    {"queue": 2, "mode": "ADAPTIVE", "default_mode": true}
  ],
  "rx_placements": [
    {"queue": 0, "worker": 1},
    {"queue": 1, "worker": 2},
    {"queue": 2, "main_thread": true}
  ],
  "ip6_nd": {"address_autoconfig": true, "install_default_routes": true},
  "memif": {
    "mode": "IP",
    "master": true,
    "id": 7,
    "socket_filename": "/run/vpp/memif-edge-router-0001.sock",
    "secret": "s3cr3t-but-not-really",
    "ring_size": 1024,
    "buffer_size": 2048,
    "rx_queues": 3,
    "tx_queues": 3
  }
}"#;

/// The same shape as a plain serde struct (enums as strings, the oneof as an optional
/// field), the baseline.
mod plain {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    pub(crate) struct Interface {
        pub(crate) name: String,
        #[serde(rename = "type")]
        pub(crate) kind: Kind,
        #[serde(default)]
        pub(crate) enabled: bool,
        #[serde(default)]
        pub(crate) phys_address: String,
        #[serde(default)]
        pub(crate) ip_addresses: Vec<String>,
        #[serde(default)]
        pub(crate) vrf: u32,
        #[serde(default)]
        pub(crate) set_dhcp_client: bool,
        #[serde(default)]
        pub(crate) mtu: u32,
        #[serde(default)]
        pub(crate) rx_modes: Vec<RxMode>,
        #[serde(default)]
        pub(crate) rx_placements: Vec<RxPlacement>,
        pub(crate) ip6_nd: Option<Ip6Nd>,
        pub(crate) memif: Option<Memif>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub(crate) enum Kind {
        Memif,
        Tap,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub(crate) enum Mode {
        Polling,
        Interrupt,
        Adaptive,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    pub(crate) struct RxMode {
        #[serde(default)]
        pub(crate) queue: u32,
        pub(crate) mode: Mode,
        #[serde(default)]
        pub(crate) default_mode: bool,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    pub(crate) struct RxPlacement {
        #[serde(default)]
        pub(crate) queue: u32,
        #[serde(default)]
        pub(crate) worker: u32,
        #[serde(default)]
        pub(crate) main_thread: bool,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    pub(crate) struct Ip6Nd {
        pub(crate) address_autoconfig: bool,
        pub(crate) install_default_routes: bool,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    pub(crate) struct Memif {
        pub(crate) mode: String,
        pub(crate) master: bool,
        pub(crate) id: u32,
        pub(crate) socket_filename: String,
        pub(crate) secret: String,
        pub(crate) ring_size: u32,
        pub(crate) buffer_size: u32,
        pub(crate) rx_queues: u32,
        pub(crate) tx_queues: u32,
    }
}

/// The validation both sides run: what a descriptor's `validate` checks.
fn valid(name: &str, mtu: u32, addresses: &[String]) -> bool {
    !name.is_empty()
        && mtu <= 9216
        && addresses.iter().all(|a| {
            a.split_once('/').is_some_and(|(ip, len)| {
                ip.parse::<std::net::IpAddr>().is_ok() && len.parse::<u8>().is_ok()
            })
        })
}

/// Runs `f` `iters` times in 5 rounds and returns the best time per call.
fn best_of(iters: u32, mut f: impl FnMut()) -> Duration {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed() / iters
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let bytes = INTERFACE.as_bytes();
    println!("interface value: {} bytes of JSON", bytes.len());

    let serde_time = best_of(20_000, || {
        let iface: plain::Interface = serde_json::from_slice(black_box(bytes)).expect("decodes");
        assert!(valid(&iface.name, iface.mtu, &iface.ip_addresses));
    });
    let proto_time = best_of(20_000, || {
        let iface: Interface = cninfra_models::json::decode(black_box(bytes)).expect("decodes");
        assert!(valid(&iface.name, iface.mtu, &iface.ip_addresses));
    });
    let dynamic_time = best_of(20_000, || {
        let desc = prost_reflect::ReflectMessage::descriptor(&Interface::default());
        let msg = cninfra_models::json::decode_dynamic(desc, black_box(bytes)).expect("decodes");
        assert!(msg.has_field_by_name("name"));
    });
    println!(
        "decode + validate: serde struct {serde_time:?}, proto3 JSON into the prost message {proto_time:?} = {:.2}x (goal <= 2x); into a DynamicMessage (no validation) {dynamic_time:?} = {:.2}x",
        proto_time.as_secs_f64() / serde_time.as_secs_f64(),
        dynamic_time.as_secs_f64() / serde_time.as_secs_f64(),
    );

    let mut registry = ModelRegistry::new();
    cninfra_ligato::register_vpp(&mut registry).expect("models register");
    let fibs: Vec<FibEntry> = (0..100_000u32)
        .map(|i| FibEntry {
            phys_address: format!(
                "02:00:00:{:02x}:{:02x}:{:02x}",
                i >> 16,
                (i >> 8) & 0xff,
                i & 0xff
            ),
            bridge_domain: format!("bd{}", i % 100),
            outgoing_interface: format!("tap{}", i % 1000),
            ..FibEntry::default()
        })
        .collect();
    let model = registry.for_type::<FibEntry>().expect("registered").clone();
    let start = Instant::now();
    let mut total = 0usize;
    for fib in &fibs {
        total += model.key_of_message(black_box(fib)).expect("renders").len();
    }
    let template_time = start.elapsed();
    let start = Instant::now();
    let mut baseline_total = 0usize;
    for fib in &fibs {
        baseline_total += format!(
            "{}{}/mac/{}",
            model.key_prefix(),
            fib.bridge_domain,
            fib.phys_address
        )
        .len();
    }
    let format_time = start.elapsed();
    assert_eq!(
        total, baseline_total,
        "the template renders what format! does"
    );
    let rate = fibs.len() as f64 / template_time.as_secs_f64();
    println!(
        "100k FIB keys from the name template: {template_time:?} = {:.2}M keys/s (goal >= 1M/s); by format!: {format_time:?} ({:.1}x)",
        rate / 1e6,
        template_time.as_secs_f64() / format_time.as_secs_f64()
    );
}
