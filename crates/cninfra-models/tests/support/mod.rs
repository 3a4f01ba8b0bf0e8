//! Upstream's model messages, compiled in memory with protox, and messages built from
//! proto3 JSON. Shared by the tests and the name-template bench.
//!
//! The messages are vpp-agent's (`proto/ligato/**/*.proto`): same packages, field names,
//! numbers and types; only the `ligato_options` annotations and fields of message types from
//! other files are left out (no template reads them).

#![allow(dead_code, unreachable_pub)]

use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, DynamicMessage};
use protox::file::{File, FileResolver};

const SOURCES: &[(&str, &str)] = &[
    (
        "ligato/linux/iptables/iptables.proto",
        r#"syntax = "proto3";
package ligato.linux.iptables;
message RuleChain {
    string name = 1;
    repeated string interfaces = 3;
    enum Protocol { IPV4 = 0; IPV6 = 1; };
    Protocol protocol = 4;
    enum Table { FILTER = 0; NAT = 1; MANGLE = 2; RAW = 3; SECURITY = 4; };
    Table table = 5;
    enum ChainType { CUSTOM = 0; INPUT = 1; OUTPUT = 2; FORWARD = 3; PREROUTING = 4; POSTROUTING = 5; };
    ChainType chain_type = 6;
    string chain_name = 7;
    enum Policy { NONE = 0; ACCEPT = 1; DROP = 2; QUEUE = 3; RETURN = 4; }
    Policy default_policy = 8;
    repeated string rules = 10;
}
"#,
    ),
    (
        "ligato/linux/l3/l3.proto",
        r#"syntax = "proto3";
package ligato.linux.l3;
message ARPEntry {
    string interface = 1;
    string ip_address = 2;
    string hw_address = 3;
}
message Route {
    string outgoing_interface = 1;
    enum Scope { UNDEFINED = 0; GLOBAL = 1; SITE = 2; LINK = 3; HOST = 4; }
    Scope scope = 2;
    string dst_network = 3;
    string gw_addr = 4;
    uint32 metric = 5;
}
"#,
    ),
    (
        "ligato/netalloc/netalloc.proto",
        r#"syntax = "proto3";
package ligato.netalloc;
message IPAllocation {
    string network_name = 1;
    string interface_name = 2;
    string address = 4;
    string gw = 5;
}
"#,
    ),
    (
        "ligato/vpp/abf/abf.proto",
        r#"syntax = "proto3";
package ligato.vpp.abf;
message ABF {
    uint32 index = 1;
    string acl_name = 2;
    message AttachedInterface {
        string input_interface = 1;
        uint32 priority = 2;
        bool is_ipv6 = 3;
    }
    repeated AttachedInterface attached_interfaces = 3;
}
"#,
    ),
    (
        "ligato/vpp/interfaces/span.proto",
        r#"syntax = "proto3";
package ligato.vpp.interfaces;
message Span {
    string interface_from = 1;
    string interface_to = 2;
    enum Direction { UNKNOWN = 0; RX = 1; TX = 2; BOTH = 3; };
    Direction direction = 3;
    bool is_l2 = 4;
}
"#,
    ),
    (
        "ligato/vpp/ipfix/flowprobe.proto",
        r#"syntax = "proto3";
package ligato.vpp.ipfix;
message FlowProbeFeature {
    string interface = 1;
    bool l2 = 2;
    bool ip4 = 3;
    bool ip6 = 4;
}
"#,
    ),
    (
        "ligato/vpp/ipsec/ipsec.proto",
        r#"syntax = "proto3";
package ligato.vpp.ipsec;
message SecurityPolicyDatabase {
    uint32 index = 1;
    message Interface { string name = 1; }
    repeated Interface interfaces = 2;
}
message SecurityPolicy {
    uint32 spd_index = 1;
    uint32 sa_index = 2;
    int32 priority = 3;
    bool is_outbound = 4;
    string remote_addr_start = 5;
    string remote_addr_stop = 6;
    string local_addr_start = 7;
    string local_addr_stop = 8;
    uint32 protocol = 9;
    uint32 remote_port_start = 10;
    uint32 remote_port_stop = 11;
    uint32 local_port_start = 12;
    uint32 local_port_stop = 13;
    enum Action { BYPASS = 0; DISCARD = 1; RESOLVE = 2; PROTECT = 3; }
    Action action = 14;
}
message SecurityAssociation {
    uint32 index = 1;
    uint32 spi = 2;
    enum IPSecProtocol { AH = 0; ESP = 1; }
    IPSecProtocol protocol = 3;
}
message TunnelProtection {
    string interface = 1;
    repeated uint32 sa_out = 2;
    repeated uint32 sa_in = 3;
    string next_hop_addr = 4;
}
"#,
    ),
    (
        "ligato/vpp/l2/l2.proto",
        r#"syntax = "proto3";
package ligato.vpp.l2;
message FIBEntry {
    string phys_address = 1;
    string bridge_domain = 2;
    enum Action { FORWARD = 0; DROP = 1; };
    Action action = 3;
    string outgoing_interface = 4;
    bool static_config = 5;
    bool bridged_virtual_interface = 6;
}
message XConnectPair {
    string receive_interface = 1;
    string transmit_interface = 2;
}
"#,
    ),
    (
        "ligato/vpp/l3/l3.proto",
        r#"syntax = "proto3";
package ligato.vpp.l3;
message ARPEntry {
    string interface = 1;
    string ip_address = 2;
    string phys_address = 3;
    bool static = 4;
}
message Route {
    enum RouteType { INTRA_VRF = 0; INTER_VRF = 1; DROP = 2; }
    RouteType type = 10;
    uint32 vrf_id = 1;
    string dst_network = 3;
    string next_hop_addr = 4;
    string outgoing_interface = 5;
    uint32 weight = 6;
    uint32 preference = 7;
    uint32 via_vrf_id = 8;
}
message VrfTable {
    uint32 id = 1;
    enum Protocol { IPV4 = 0; IPV6 = 1; }
    Protocol protocol = 2;
    string label = 3;
    message FlowHashSettings {
        bool use_src_ip = 1;
        bool use_dst_ip = 2;
        bool use_src_port = 3;
        bool use_dst_port = 4;
        bool use_protocol = 5;
        bool reverse = 6;
        bool symmetric = 7;
    }
    FlowHashSettings flow_hash_settings = 4;
}
message DHCPProxy {
    message DHCPServer {
        uint32 vrf_id = 1;
        string ip_address = 2;
    }
    string source_ip_address = 1;
    uint32 rx_vrf_id = 2;
    repeated DHCPServer servers = 4;
}
message L3XConnect {
    string interface = 1;
    enum Protocol { IPV4 = 0; IPV6 = 1; }
    Protocol protocol = 2;
}
message TeibEntry {
    string interface = 1;
    string peer_addr = 2;
    string next_hop_addr = 3;
    uint32 vrf_id = 4;
}
message VRRPEntry {
    string interface = 1;
    uint32 vr_id = 2;
    uint32 priority = 3;
    uint32 interval = 4;
    bool preempt = 5;
    bool accept = 6;
    bool unicast = 7;
    repeated string ip_addresses = 8;
    bool enabled = 9;
}
"#,
    ),
    (
        "ligato/vpp/nat/nat.proto",
        r#"syntax = "proto3";
package ligato.vpp.nat;
message DNat44 {
    string label = 1;
}
message Nat44Interface {
    string name = 1;
    bool nat_inside = 2;
    bool nat_outside = 3;
    bool output_feature = 4;
}
message Nat44AddressPool {
    string name = 5;
    uint32 vrf_id = 1;
    string first_ip = 2;
    string last_ip = 3;
    bool twice_nat = 4;
}
message Nat44VrfTable {
    uint32 src_vrf_id = 1;
    repeated uint32 dest_vrf_ids = 2;
}
message Nat44VrfRoute {
    uint32 src_vrf_id = 1;
    uint32 dest_vrf_id = 2;
}
"#,
    ),
    (
        "ligato/vpp/punt/punt.proto",
        r#"syntax = "proto3";
package ligato.vpp.punt;
enum L3Protocol { UNDEFINED_L3 = 0; IPV4 = 4; IPV6 = 6; ALL = 10; }
enum L4Protocol { UNDEFINED_L4 = 0; TCP = 6; UDP = 17; }
message IPRedirect {
    L3Protocol l3_protocol = 1;
    string rx_interface = 2;
    string tx_interface = 3;
    string next_hop = 4;
}
message ToHost {
    L3Protocol l3_protocol = 2;
    L4Protocol l4_protocol = 3;
    uint32 port = 4;
    string socket_path = 5;
}
message Exception {
    string reason = 1;
    string socket_path = 2;
}
"#,
    ),
    (
        "ligato/vpp/srv6/srv6.proto",
        r#"syntax = "proto3";
package ligato.vpp.srv6;
message LocalSID {
    string sid = 1;
    uint32 installation_vrf_id = 2;
}
message Policy {
    string bsid = 1;
    uint32 installation_vrf_id = 2;
    bool srh_encapsulation = 3;
    bool spray_behaviour = 4;
}
message Steering {
    string name = 5;
    oneof policy_ref {
        string policy_bsid = 1;
        uint32 policy_index = 2;
    }
}
"#,
    ),
    (
        "ligato/vpp/stn/stn.proto",
        r#"syntax = "proto3";
package ligato.vpp.stn;
message Rule {
    string ip_address = 1;
    string interface = 2;
}
"#,
    ),
    (
        "ligato/vpp/wireguard/wireguard.proto",
        r#"syntax = "proto3";
package ligato.vpp.wireguard;
message Peer {
    string public_key = 1;
    uint32 port = 2;
    uint32 persistent_keepalive = 3;
    string endpoint = 4;
    string wg_if_name = 5;
    uint32 flags = 6;
    repeated string allowed_ips = 7;
}
"#,
    ),
    (
        // A message of our own for the Go-semantics tests: every kind of field.
        "cninfra/test/kinds.proto",
        r#"syntax = "proto3";
package cninfra.test;
enum Color { RED = 0; GREEN = 1; BLUE = 2; }
message Inner {
    string label = 1;
    uint32 weight = 2;
}
message Kinds {
    string name = 1;
    int32 small = 2;
    int64 big = 3;
    uint64 huge = 4;
    float ratio = 5;
    double precise = 6;
    bool on = 7;
    Color color = 8;
    bytes raw = 9;
    repeated string tags = 10;
    repeated Color colors = 11;
    map<string, uint32> counts = 12;
    Inner inner = 13;
    repeated Inner inners = 14;
    optional string maybe = 15;
    oneof choice {
        string text = 16;
        uint32 number = 17;
    }
    string ip6_nd = 18;
    string l3_protocol = 19;
}
"#,
    ),
];

struct Sources;

impl FileResolver for Sources {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match SOURCES.iter().find(|(n, _)| *n == name) {
            Some((n, source)) => File::from_source(n, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

/// The descriptor pool of all the messages above.
pub fn pool() -> &'static DescriptorPool {
    static POOL: OnceLock<DescriptorPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let mut compiler = protox::Compiler::with_file_resolver(Sources);
        for (name, _) in SOURCES {
            compiler.open_file(name).expect("test protos compile");
        }
        compiler.descriptor_pool()
    })
}

/// A message of type `full_name` from its proto3 JSON.
pub fn message(full_name: &str, json: serde_json::Value) -> DynamicMessage {
    let desc = pool()
        .get_message_by_name(full_name)
        .unwrap_or_else(|| panic!("no message {full_name}"));
    DynamicMessage::deserialize(desc, json).unwrap_or_else(|e| panic!("{full_name}: {e}"))
}
