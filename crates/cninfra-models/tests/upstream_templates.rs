//! Every name template of vpp-agent's `proto/ligato/**/models.go`, rendered over messages
//! of upstream's types, against the keys upstream gives.
//!
//! Where upstream's `models_test.go` has a case, the expected key is copied from it, and
//! compared with the key upstream builds from the rendered name: `path.Join(prefix, name)`
//! (`pkg/models/models.go`, `GetKeyUsingModelRegistry`), which also drops a trailing `/`
//! of the name. Elsewhere the expected name follows Go's `text/template` semantics over the
//! generated Go struct, as the comment of the case says.

mod support;

use cninfra_models::template::NameTemplate;
use serde_json::json;

/// One template over one message.
struct Case {
    /// Where upstream declares the template.
    source: &'static str,
    message: &'static str,
    template: &'static str,
    value: serde_json::Value,
    want: Want,
}

/// What a case expects.
enum Want {
    /// The rendered name.
    Name(&'static str),
    /// The key upstream builds, `path.Join(prefix, name)`.
    Key {
        prefix: &'static str,
        key: &'static str,
    },
}

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let template =
            NameTemplate::parse(case.template).unwrap_or_else(|e| panic!("{}: {e}", case.source));
        let message = support::message(case.message, case.value.clone());
        let name = match template.render(&message) {
            Ok(name) => name,
            Err(e) => {
                failures.push(format!("{} over {}: {e}", case.source, case.value));
                continue;
            }
        };
        let (got, want) = match case.want {
            Want::Name(want) => (name, want),
            Want::Key { prefix, key } => (cninfra_models::key::join(prefix, &name), key),
        };
        if got != want {
            failures.push(format!(
                "{} ({}) over {}: got {got:?}, want {want:?}",
                case.source, case.template, case.value
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const LINUX_ROUTE: &str = r#"{{with ipnet .DstNetwork}}{{printf "%s/%d" .IP .MaskSize}}{{else}}{{.DstNetwork}}{{end}}/{{.OutgoingInterface}}"#;

const VPP_ROUTE: &str = concat!(
    r#"{{if .OutgoingInterface}}{{printf "if/%s/" .OutgoingInterface}}{{end}}"#,
    r#"vrf/{{.VrfId}}/"#,
    r#"{{with ipnet .DstNetwork}}{{printf "dst/%s/%d/" .IP .MaskSize}}"#,
    r#"{{else}}{{printf "dst/%s/" .DstNetwork}}{{end}}"#,
    r#"{{if .NextHopAddr}}gw/{{.NextHopAddr}}{{end}}"#,
);

const NAT44_POOL: &str = concat!(
    "{{if .Name}}",
    "{{.Name}}",
    "{{else}}",
    "vrf/{{.VrfId}}",
    "/address/{{.FirstIp}}",
    "{{if and .LastIp (ne .FirstIp .LastIp)}}-{{.LastIp}}{{end}}",
    "{{end}}",
);

const IPSEC_SP: &str = concat!(
    "spd/{{.SpdIndex}}/",
    "sa/{{.SaIndex}}/",
    "{{if .IsOutbound}}outbound/{{else}}inbound/{{end}}",
    "local-addresses/{{.LocalAddrStart}}-{{.LocalAddrStop}}/",
    "remote-addresses/{{.RemoteAddrStart}}-{{.RemoteAddrStop}}",
);

#[test]
fn linux_route_as_upstream_models_test() {
    let case = |value, want| Case {
        source: "proto/ligato/linux/l3/models.go (ModelRoute)",
        message: "ligato.linux.l3.Route",
        template: LINUX_ROUTE,
        value,
        want,
    };
    let key = |key| Want::Key {
        prefix: "config/linux/l3/v2/route/",
        key,
    };
    check(&[
        // proto/ligato/linux/l3/models_test.go TestRouteKey
        case(
            json!({"outgoingInterface": "memif1", "dstNetwork": "192.168.1.0/24"}),
            key("config/linux/l3/v2/route/192.168.1.0/24/memif1"),
        ),
        case(
            json!({"outgoingInterface": "memif1", "dstNetwork": "alloc:net1/memif2"}),
            key("config/linux/l3/v2/route/alloc:net1/memif2/memif1"),
        ),
        // Go semantics: ParseCIDR gives the network address; a value that does not parse
        // gives ipnet's {IP: "<invalid>", MaskSize: 0}, a non-empty map, so `with` is true.
        case(
            json!({"outgoingInterface": "eth0", "dstNetwork": "10.1.2.3/8"}),
            Want::Name("10.0.0.0/8/eth0"),
        ),
        case(
            json!({"outgoingInterface": "eth0", "dstNetwork": "FD00::1:2/64"}),
            Want::Name("fd00::/64/eth0"),
        ),
        case(
            json!({"outgoingInterface": "eth0", "dstNetwork": "default"}),
            Want::Name("<invalid>/0/eth0"),
        ),
        case(json!({}), Want::Name("<invalid>/0/")),
    ]);
}

#[test]
fn vpp_route_as_upstream_models_test() {
    let case = |value, want| Case {
        source: "proto/ligato/vpp/l3/models.go (ModelRoute)",
        message: "ligato.vpp.l3.Route",
        template: VPP_ROUTE,
        value,
        want,
    };
    let key = |key| Want::Key {
        prefix: "config/vpp/v2/route/",
        key,
    };
    // proto/ligato/vpp/l3/models_test.go TestRouteKey, all nine cases.
    check(&[
        case(
            json!({"vrfId": 0, "dstNetwork": "10.10.0.0/24", "nextHopAddr": "0.0.0.0", "outgoingInterface": ""}),
            key("config/vpp/v2/route/vrf/0/dst/10.10.0.0/24/gw/0.0.0.0"),
        ),
        case(
            json!({"vrfId": 0, "dstNetwork": "2001:DB8::0001/32", "nextHopAddr": "0.0.0.0", "outgoingInterface": ""}),
            key("config/vpp/v2/route/vrf/0/dst/2001:db8::/32/gw/0.0.0.0"),
        ),
        case(
            json!({"vrfId": 0, "dstNetwork": "10.10.0.0/24", "nextHopAddr": "0.0.0.0", "outgoingInterface": "iface1"}),
            key("config/vpp/v2/route/if/iface1/vrf/0/dst/10.10.0.0/24/gw/0.0.0.0"),
        ),
        case(
            json!({"vrfId": 0, "dstNetwork": "2001:DB8::0001/32", "nextHopAddr": "0.0.0.0", "outgoingInterface": "iface1"}),
            key("config/vpp/v2/route/if/iface1/vrf/0/dst/2001:db8::/32/gw/0.0.0.0"),
        ),
        case(
            json!({"vrfId": 0, "dstNetwork": "INVALID", "nextHopAddr": "0.0.0.0", "outgoingInterface": ""}),
            key("config/vpp/v2/route/vrf/0/dst/<invalid>/0/gw/0.0.0.0"),
        ),
        case(
            json!({"vrfId": 0, "dstNetwork": "10.10.10.0/32", "nextHopAddr": "INVALID", "outgoingInterface": ""}),
            key("config/vpp/v2/route/vrf/0/dst/10.10.10.0/32/gw/INVALID"),
        ),
        case(
            json!({"vrfId": 0, "dstNetwork": "10.10.0.5/24", "nextHopAddr": "0.0.0.0", "outgoingInterface": ""}),
            key("config/vpp/v2/route/vrf/0/dst/10.10.0.0/24/gw/0.0.0.0"),
        ),
        case(
            json!({"vrfId": 0, "dstNetwork": "10.0.0.0/8", "nextHopAddr": "", "outgoingInterface": ""}),
            key("config/vpp/v2/route/vrf/0/dst/10.0.0.0/8"),
        ),
        case(
            json!({"vrfId": 3, "dstNetwork": "10.0.0.0/8", "nextHopAddr": "", "outgoingInterface": ""}),
            key("config/vpp/v2/route/vrf/3/dst/10.0.0.0/8"),
        ),
        // Go semantics: a netalloc reference takes the else branch.
        case(
            json!({"vrfId": 1, "dstNetwork": "alloc:net1", "outgoingInterface": "tap0"}),
            Want::Name("if/tap0/vrf/1/dst/alloc:net1/"),
        ),
    ]);
}

#[test]
fn nat44_address_pool_as_upstream_models_test() {
    let case = |value, key| Case {
        source: "proto/ligato/vpp/nat/models.go (ModelNat44AddressPool)",
        message: "ligato.vpp.nat.Nat44AddressPool",
        template: NAT44_POOL,
        value,
        want: Want::Key {
            prefix: "config/vpp/nat/v2/nat44-pool/",
            key,
        },
    };
    // proto/ligato/vpp/nat/models_test.go TestNat44AddressPoolKey, all four cases.
    check(&[
        case(
            json!({"name": "myPool", "vrfId": 0, "firstIp": "1.2.3.4", "lastIp": "1.2.3.5", "twiceNat": false}),
            "config/vpp/nat/v2/nat44-pool/myPool",
        ),
        case(
            json!({"name": "", "vrfId": 0, "firstIp": "1.2.3.4", "lastIp": "", "twiceNat": false}),
            "config/vpp/nat/v2/nat44-pool/vrf/0/address/1.2.3.4",
        ),
        case(
            json!({"name": "", "vrfId": 0, "firstIp": "1.2.3.4", "lastIp": "1.2.3.10", "twiceNat": false}),
            "config/vpp/nat/v2/nat44-pool/vrf/0/address/1.2.3.4-1.2.3.10",
        ),
        case(
            json!({"name": "", "vrfId": 0, "firstIp": "1.2.3.4", "lastIp": "1.2.3.4", "twiceNat": false}),
            "config/vpp/nat/v2/nat44-pool/vrf/0/address/1.2.3.4",
        ),
    ]);
}

#[test]
fn keys_from_upstream_key_tests() {
    check(&[
        // proto/ligato/vpp/abf/models_test.go TestABFKey: the index 0 is a proto3 default,
        // present as the Go struct field is.
        Case {
            source: "proto/ligato/vpp/abf/models.go (ModelABF)",
            message: "ligato.vpp.abf.ABF",
            template: "{{.Index}}",
            value: json!({}),
            want: Want::Key {
                prefix: "config/vpp/abfs/v2/abf/",
                key: "config/vpp/abfs/v2/abf/0",
            },
        },
        Case {
            source: "proto/ligato/vpp/abf/models.go (ModelABF)",
            message: "ligato.vpp.abf.ABF",
            template: "{{.Index}}",
            value: json!({"index": 1, "aclName": "acl1"}),
            want: Want::Key {
                prefix: "config/vpp/abfs/v2/abf/",
                key: "config/vpp/abfs/v2/abf/1",
            },
        },
        // proto/ligato/vpp/srv6/models_test.go TestPolicyKey.
        Case {
            source: "proto/ligato/vpp/srv6/models.go (ModelPolicy)",
            message: "ligato.vpp.srv6.Policy",
            template: "{{.Bsid}}",
            value: json!({"bsid": "a::"}),
            want: Want::Key {
                prefix: "config/vpp/srv6/v2/policy/",
                key: "config/vpp/srv6/v2/policy/a::",
            },
        },
    ]);
}

/// The remaining templates, with expectations by Go's semantics: `{{.F}}` prints the Go
/// struct field with `%v` (strings as they are, integers in decimal, enums by their
/// `String()`, i.e. the name in the `.proto`), `if` tests Go truth.
#[test]
fn every_other_upstream_template() {
    let case = |source, message, template, value, name| Case {
        source,
        message,
        template,
        value,
        want: Want::Name(name),
    };
    check(&[
        case(
            "proto/ligato/linux/iptables/models.go (ModelRuleChain)",
            "ligato.linux.iptables.RuleChain",
            "{{.Name}}",
            json!({"name": "chain1", "chainType": "FORWARD"}),
            "chain1",
        ),
        case(
            "proto/ligato/linux/l3/models.go (ModelARPEntry)",
            "ligato.linux.l3.ARPEntry",
            "{{.Interface}}/{{.IpAddress}}",
            json!({"interface": "veth1", "ipAddress": "192.168.10.1", "hwAddress": "aa:bb:cc:dd:ee:ff"}),
            "veth1/192.168.10.1",
        ),
        case(
            "proto/ligato/netalloc/models.go (ModelIPAllocation)",
            "ligato.netalloc.IPAllocation",
            "network/{{.NetworkName}}/interface/{{.InterfaceName}}",
            json!({"networkName": "net1", "interfaceName": "tap1", "address": "10.0.0.1/24"}),
            "network/net1/interface/tap1",
        ),
        case(
            "proto/ligato/vpp/interfaces/models.go (ModelSpan)",
            "ligato.vpp.interfaces.Span",
            "{{.InterfaceFrom}}/to/{{.InterfaceTo}}",
            json!({"interfaceFrom": "tap0", "interfaceTo": "memif1", "direction": "BOTH"}),
            "tap0/to/memif1",
        ),
        case(
            "proto/ligato/vpp/ipfix/models.go (ModelFlowprobeFeature)",
            "ligato.vpp.ipfix.FlowProbeFeature",
            "{{.Interface}}",
            json!({"interface": "GigabitEthernet0/8/0", "ip4": true}),
            "GigabitEthernet0/8/0",
        ),
        case(
            "proto/ligato/vpp/ipsec/models.go (ModelSecurityPolicyDatabase)",
            "ligato.vpp.ipsec.SecurityPolicyDatabase",
            "{{.Index}}",
            json!({"index": 7, "interfaces": [{"name": "tap0"}]}),
            "7",
        ),
        // `if` on a bool: true and false.
        case(
            "proto/ligato/vpp/ipsec/models.go (ModelSecurityPolicy)",
            "ligato.vpp.ipsec.SecurityPolicy",
            IPSEC_SP,
            json!({
                "spdIndex": 1, "saIndex": 10, "isOutbound": true,
                "localAddrStart": "10.0.0.1", "localAddrStop": "10.0.0.9",
                "remoteAddrStart": "20.0.0.1", "remoteAddrStop": "20.0.0.9", "action": "PROTECT"
            }),
            "spd/1/sa/10/outbound/local-addresses/10.0.0.1-10.0.0.9/remote-addresses/20.0.0.1-20.0.0.9",
        ),
        case(
            "proto/ligato/vpp/ipsec/models.go (ModelSecurityPolicy)",
            "ligato.vpp.ipsec.SecurityPolicy",
            IPSEC_SP,
            json!({
                "spdIndex": 2, "saIndex": 0,
                "localAddrStart": "::1", "localAddrStop": "::9",
                "remoteAddrStart": "", "remoteAddrStop": ""
            }),
            "spd/2/sa/0/inbound/local-addresses/::1-::9/remote-addresses/-",
        ),
        case(
            "proto/ligato/vpp/ipsec/models.go (ModelSecurityAssociation)",
            "ligato.vpp.ipsec.SecurityAssociation",
            "{{.Index}}",
            json!({"index": 20, "spi": 1001, "protocol": "ESP"}),
            "20",
        ),
        case(
            "proto/ligato/vpp/ipsec/models.go (ModelTunnelProtection)",
            "ligato.vpp.ipsec.TunnelProtection",
            "{{.Interface}}{{if .NextHopAddr}}/nh/{{.NextHopAddr}}{{end}}",
            json!({"interface": "ipip0", "saOut": [1], "saIn": [2]}),
            "ipip0",
        ),
        case(
            "proto/ligato/vpp/ipsec/models.go (ModelTunnelProtection)",
            "ligato.vpp.ipsec.TunnelProtection",
            "{{.Interface}}{{if .NextHopAddr}}/nh/{{.NextHopAddr}}{{end}}",
            json!({"interface": "ipip0", "nextHopAddr": "10.1.1.1"}),
            "ipip0/nh/10.1.1.1",
        ),
        case(
            "proto/ligato/vpp/l2/models.go (ModelFIBEntry)",
            "ligato.vpp.l2.FIBEntry",
            "{{.BridgeDomain}}/mac/{{.PhysAddress}}",
            json!({"physAddress": "62:89:c6:a3:45:06", "bridgeDomain": "bd1", "outgoingInterface": "tap1", "action": "FORWARD"}),
            "bd1/mac/62:89:c6:a3:45:06",
        ),
        case(
            "proto/ligato/vpp/l2/models.go (ModelXConnectPair)",
            "ligato.vpp.l2.XConnectPair",
            "{{.ReceiveInterface}}",
            json!({"receiveInterface": "memif0", "transmitInterface": "memif1"}),
            "memif0",
        ),
        case(
            "proto/ligato/vpp/l3/models.go (ModelARPEntry)",
            "ligato.vpp.l3.ARPEntry",
            "{{.Interface}}/{{.IpAddress}}",
            json!({"interface": "tap0", "ipAddress": "fe80::1", "physAddress": "aa:bb:cc:dd:ee:ff", "static": true}),
            "tap0/fe80::1",
        ),
        // Enums print by name, the default (0) included.
        case(
            "proto/ligato/vpp/l3/models.go (ModelVrfTable)",
            "ligato.vpp.l3.VrfTable",
            "id/{{.Id}}/protocol/{{.Protocol}}",
            json!({"id": 10, "protocol": "IPV6", "label": "blue"}),
            "id/10/protocol/IPV6",
        ),
        case(
            "proto/ligato/vpp/l3/models.go (ModelVrfTable)",
            "ligato.vpp.l3.VrfTable",
            "id/{{.Id}}/protocol/{{.Protocol}}",
            json!({}),
            "id/0/protocol/IPV4",
        ),
        case(
            "proto/ligato/vpp/l3/models.go (ModelDHCPProxy)",
            "ligato.vpp.l3.DHCPProxy",
            "{{ protoip .SourceIpAddress}}/rx-vrf/{{.RxVrfId}}",
            json!({"sourceIpAddress": "10.0.0.1", "servers": [{"vrfId": 0, "ipAddress": "10.0.0.9"}]}),
            "IPv4/rx-vrf/0",
        ),
        case(
            "proto/ligato/vpp/l3/models.go (ModelDHCPProxy)",
            "ligato.vpp.l3.DHCPProxy",
            "{{ protoip .SourceIpAddress}}/rx-vrf/{{.RxVrfId}}",
            json!({"sourceIpAddress": "2001:db8::1", "rxVrfId": 3}),
            "IPv6/rx-vrf/3",
        ),
        case(
            "proto/ligato/vpp/l3/models.go (ModelDHCPProxy)",
            "ligato.vpp.l3.DHCPProxy",
            "{{ protoip .SourceIpAddress}}/rx-vrf/{{.RxVrfId}}",
            json!({"rxVrfId": 1}),
            "<invalid>/rx-vrf/1",
        ),
        case(
            "proto/ligato/vpp/l3/models.go (ModelL3XC)",
            "ligato.vpp.l3.L3XConnect",
            "{{.Interface}}/protocol/{{.Protocol}}",
            json!({"interface": "memif1", "protocol": "IPV6"}),
            "memif1/protocol/IPV6",
        ),
        case(
            "proto/ligato/vpp/l3/models.go (ModelTeib)",
            "ligato.vpp.l3.TeibEntry",
            "{{.Interface}}/peer/{{.PeerAddr}}",
            json!({"interface": "ipip0", "peerAddr": "10.0.0.2", "nextHopAddr": "192.168.1.2"}),
            "ipip0/peer/10.0.0.2",
        ),
        case(
            "proto/ligato/vpp/l3/models.go (ModelVRRPEntry)",
            "ligato.vpp.l3.VRRPEntry",
            "{{.Interface}}/vrid/{{.VrId}}",
            json!({"interface": "loop0", "vrId": 4, "priority": 100, "ipAddresses": ["10.0.0.100"]}),
            "loop0/vrid/4",
        ),
        case(
            "proto/ligato/vpp/nat/models.go (ModelDNat44)",
            "ligato.vpp.nat.DNat44",
            "{{.Label}}",
            json!({"label": "dnat-web"}),
            "dnat-web",
        ),
        case(
            "proto/ligato/vpp/nat/models.go (ModelNat44Interface)",
            "ligato.vpp.nat.Nat44Interface",
            "{{.Name}}",
            json!({"name": "GigabitEthernet0/8/0", "natOutside": true}),
            "GigabitEthernet0/8/0",
        ),
        case(
            "proto/ligato/vpp/nat/models.go (ModelNat44VrfTable)",
            "ligato.vpp.nat.Nat44VrfTable",
            "vrfid/{{.SrcVrfId}}",
            json!({"srcVrfId": 5, "destVrfIds": [1, 2]}),
            "vrfid/5",
        ),
        case(
            "proto/ligato/vpp/nat/models.go (ModelNat44VrfRoute)",
            "ligato.vpp.nat.Nat44VrfRoute",
            "vrfid/{{.SrcVrfId}}/destvrfid/{{.DestVrfId}}",
            json!({"srcVrfId": 5, "destVrfId": 6}),
            "vrfid/5/destvrfid/6",
        ),
        // Punt: enums by name; an enum number the .proto does not know prints as the number
        // (protoimpl's EnumStringOf).
        case(
            "proto/ligato/vpp/punt/models.go (ModelIPRedirect)",
            "ligato.vpp.punt.IPRedirect",
            "l3/{{.L3Protocol}}/tx/{{.TxInterface}}",
            json!({"l3Protocol": "IPV4", "rxInterface": "tap0", "txInterface": "tap1", "nextHop": "10.0.0.1"}),
            "l3/IPV4/tx/tap1",
        ),
        case(
            "proto/ligato/vpp/punt/models.go (ModelToHost)",
            "ligato.vpp.punt.ToHost",
            "l3/{{.L3Protocol}}/l4/{{.L4Protocol}}/port/{{.Port}}",
            json!({"l3Protocol": "ALL", "l4Protocol": "UDP", "port": 9000, "socketPath": "/tmp/socket/punt"}),
            "l3/ALL/l4/UDP/port/9000",
        ),
        case(
            "proto/ligato/vpp/punt/models.go (ModelToHost)",
            "ligato.vpp.punt.ToHost",
            "l3/{{.L3Protocol}}/l4/{{.L4Protocol}}/port/{{.Port}}",
            json!({"l3Protocol": 5, "port": 53}),
            "l3/5/l4/UNDEFINED_L4/port/53",
        ),
        case(
            "proto/ligato/vpp/punt/models.go (ModelException)",
            "ligato.vpp.punt.Exception",
            "reason/{{.Reason}}",
            json!({"reason": "ipsec4-spi-0", "socketPath": "/tmp/socket/exception"}),
            "reason/ipsec4-spi-0",
        ),
        case(
            "proto/ligato/vpp/srv6/models.go (ModelLocalSID)",
            "ligato.vpp.srv6.LocalSID",
            "{{.Sid}}",
            json!({"sid": "a::1", "installationVrfId": 0}),
            "a::1",
        ),
        case(
            "proto/ligato/vpp/srv6/models.go (ModelSteering)",
            "ligato.vpp.srv6.Steering",
            "{{.Name}}",
            json!({"name": "steer1", "policyBsid": "a::"}),
            "steer1",
        ),
        case(
            "proto/ligato/vpp/stn/models.go (ModelRule)",
            "ligato.vpp.stn.Rule",
            "{{.Interface}}/ip/{{.IpAddress}}",
            json!({"ipAddress": "10.1.1.3", "interface": "GigabitEthernet0/8/0"}),
            "GigabitEthernet0/8/0/ip/10.1.1.3",
        ),
        case(
            "proto/ligato/vpp/wireguard/models.go (ModelPeer)",
            "ligato.vpp.wireguard.Peer",
            "{{.WgIfName}}/endpoint/{{.Endpoint}}/{{.Port}}",
            json!({"publicKey": "xyz=", "port": 51820, "endpoint": "10.0.0.2", "wgIfName": "wg0", "allowedIps": ["10.10.0.0/24"]}),
            "wg0/endpoint/10.0.0.2/51820",
        ),
        // examples/customize/custom_vpp_plugin: a template with no action at all.
        case(
            "examples/customize/custom_vpp_plugin/proto/custom/vpp/syslog/model.go",
            "ligato.vpp.wireguard.Peer",
            "config",
            json!({}),
            "config",
        ),
    ]);
}

/// Upstream's `field` helper: a field by number, as protoreflect's `Value.String()` prints
/// it (an enum by number, not name; an unknown number is `<invalid>`).
#[test]
fn field_helper_reads_by_number() {
    let fib = support::message(
        "ligato.vpp.l2.FIBEntry",
        json!({"physAddress": "62:89:c6:a3:45:06", "bridgeDomain": "bd1", "action": "DROP"}),
    );
    let render = |t: &str| NameTemplate::parse(t).unwrap().render(&fib).unwrap();
    assert_eq!(
        render("{{field . 2}}/mac/{{field . 1}}"),
        "bd1/mac/62:89:c6:a3:45:06"
    );
    assert_eq!(render("{{field . 3}}|{{.Action}}"), "1|DROP");
    assert_eq!(
        render("{{field . 4}}|{{field . 5}}|{{field . 99}}"),
        "|false|<invalid>"
    );
}
