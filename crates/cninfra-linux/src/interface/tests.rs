use cninfra_ligato::linux::interfaces::VethLink;

use super::*;

fn dummy(name: &str) -> Interface {
    Interface {
        name: name.into(),
        r#type: interface::Type::Dummy.into(),
        enabled: true,
        ..Interface::default()
    }
}

#[test]
fn unset_mtu_and_mac_mean_whatever_the_kernel_chose() {
    let asked = dummy("d0");
    let found = Interface {
        mtu: 1500,
        phys_address: "02:00:00:00:00:01".into(),
        host_if_name: "d0".into(),
        ..dummy("d0")
    };
    assert!(equivalent(&found, &asked));
    let asked_mac = Interface {
        phys_address: "02:00:00:00:00:01".to_uppercase(),
        ..dummy("d0")
    };
    assert!(equivalent(&found, &asked_mac));
    assert!(!equivalent(
        &found,
        &Interface {
            mtu: 9000,
            ..dummy("d0")
        }
    ));
    assert!(!equivalent(
        &found,
        &Interface {
            enabled: false,
            ..dummy("d0")
        }
    ));
}

#[test]
fn existing_interfaces_compare_only_what_the_agent_manages() {
    let asked = Interface {
        r#type: interface::Type::Existing.into(),
        host_if_name: "eth0".into(),
        link_only: true,
        mtu: 9000,
        ..dummy("e")
    };
    let found = Interface {
        mtu: 1500,
        enabled: false,
        ..asked.clone()
    };
    assert!(equivalent(&found, &asked));
}

#[test]
fn validation_names_the_field() {
    let model = &linux().interface;
    let key = models::interface_key("v");
    let fields = |iface: &Interface| match validate(&key, model, iface) {
        Err(DescriptorError::Invalid(invalid)) => invalid.fields,
        other => panic!("not invalid: {other:?}"),
    };
    let veth = Interface {
        r#type: interface::Type::Veth.into(),
        ..dummy("v")
    };
    assert_eq!(fields(&veth), ["link"]);
    let veth = Interface {
        link: Some(interface::Link::Veth(VethLink::default())),
        ..veth
    };
    assert_eq!(fields(&veth), ["peer_if_name"]);
    let bad_address = Interface {
        ip_addresses: vec!["10.0.0.1".into()],
        ..dummy("v")
    };
    assert_eq!(fields(&bad_address), ["ip_addresses[0]"]);
    let tap = Interface {
        r#type: interface::Type::TapToVpp.into(),
        ..dummy("v")
    };
    assert_eq!(fields(&tap), ["type"]);
    assert!(validate(&key, model, &dummy("v")).is_ok());
    assert_eq!(fields(&dummy("w")), ["name"]);
}

#[test]
fn derived_values_follow_upstream() {
    let iface = Interface {
        ip_addresses: vec!["10.0.0.1/24".into(), "2001:db8::1/64".into()],
        bridge_master_interface: "br0".into(),
        ..dummy("d0")
    };
    let keys: Vec<String> = derived_values(&iface).into_iter().map(|d| d.key).collect();
    assert_eq!(
        keys,
        [
            "linux/interface/state/d0/UP",
            "linux/interface/d0/address/static/10.0.0.1/24",
            "linux/interface/d0/address/static/2001:db8::1/64",
            "linux/interface/d0/bridge/br0",
        ]
    );
    let link_only = Interface {
        link_only: true,
        ..iface
    };
    assert_eq!(
        derived_values(&link_only).len(),
        2,
        "no addresses: someone else's"
    );
}
