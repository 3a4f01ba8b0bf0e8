use std::net::IpAddr;

use super::*;
use crate::{
    ErrorKind, Event, EventKind, LinkKind, MacAddr, Master, NeighbourState, RouteProtocol, Scope,
    VethPeer,
};

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn drain(rx: &mut EventReceiver) -> Vec<Event> {
    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    events
}

#[test]
fn starts_with_lo_up_in_the_default_namespace() {
    let fake = FakeNetlink::new();
    let links = fake.links(&Namespace::Default).unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].name, "lo");
    assert_eq!(links[0].kind, LinkKind::Loopback);
    assert!(links[0].up);
    assert_eq!(
        fake.requests(),
        vec![Request::Links {
            ns: Namespace::Default
        }]
    );
    assert!(fake.mutations().is_empty());
}

#[test]
fn records_requests_and_models_a_dummy_with_addresses() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let link = fake
        .add_link(
            &ns,
            &NewLink::dummy("dummy0").with_alias("/cninfra/dummy0").up(),
        )
        .unwrap();
    assert!(link.up && link.carrier);
    assert_eq!(link.alias.as_deref(), Some("/cninfra/dummy0"));
    fake.add_address(&ns, link.index, net("10.0.0.1/24"))
        .unwrap();
    // Already there is success, and not a second address.
    fake.add_address(&ns, link.index, net("10.0.0.1/24"))
        .unwrap();
    fake.add_address(&ns, link.index, net("fd00::1/64"))
        .unwrap();
    let addrs = fake.addresses(&ns, Some(link.index)).unwrap();
    assert_eq!(
        addrs.iter().map(|a| a.addr).collect::<Vec<_>>(),
        vec![net("10.0.0.1/24"), net("fd00::1/64")]
    );
    assert_eq!(
        fake.mutations()[1],
        Request::AddAddress {
            ns: ns.clone(),
            index: link.index,
            addr: net("10.0.0.1/24")
        }
    );
    let err = fake
        .delete_address(&ns, link.index, net("10.9.9.9/24"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.op, Op::DeleteAddress);
    let err = fake.add_link(&ns, &NewLink::dummy("dummy0")).unwrap_err();
    assert!(err.is_exists(), "{err:?}");
    assert_eq!(err.object, "dummy0");
}

#[test]
fn a_veth_pair_spans_namespaces_and_dies_together() {
    let fake = FakeNetlink::new();
    fake.create_namespace("blue").unwrap();
    let blue = Namespace::named("blue");
    let host = fake
        .add_link(
            &Namespace::Default,
            &NewLink::veth(
                "veth-host",
                VethPeer::new("eth0").in_namespace(blue.clone()).up(),
            )
            .up(),
        )
        .unwrap();
    let peer = fake
        .link(&blue, &LinkRef::from("eth0"))
        .unwrap()
        .expect("the peer is in blue");
    assert_eq!(peer.kind, LinkKind::Veth);
    assert_eq!(host.parent, Some(peer.index));
    assert!(host.carrier && peer.carrier);
    fake.add_address(&blue, peer.index, net("10.1.0.2/24"))
        .unwrap();

    fake.delete_link(&blue, peer.index).unwrap();
    assert_eq!(
        fake.link(&Namespace::Default, &"veth-host".into()).unwrap(),
        None
    );
    assert!(fake.addresses(&blue, None).unwrap().is_empty());
    let err = fake
        .delete_link(&Namespace::Default, host.index)
        .unwrap_err();
    assert!(err.is_not_found());
}

#[test]
fn carrier_of_a_veth_needs_both_ends_up() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let a = fake
        .add_link(&ns, &NewLink::veth("a", VethPeer::new("b")).up())
        .unwrap();
    assert!(a.up && !a.carrier);
    let b = fake.link(&ns, &"b".into()).unwrap().unwrap();
    fake.set_link(&ns, b.index, &LinkChange::new().up(true))
        .unwrap();
    assert!(fake.link(&ns, &"a".into()).unwrap().unwrap().carrier);
}

#[test]
fn routes_need_their_link_up_and_the_gateway_on_it() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let link = fake.add_link(&ns, &NewLink::dummy("d0")).unwrap();
    let route = Route::new(net("192.168.5.0/24"))
        .via(ip("10.0.0.254"))
        .dev(link.index)
        .protocol(RouteProtocol::CNINFRA);
    let err = fake.add_route(&ns, &route).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENETDOWN));
    fake.set_link(&ns, link.index, &LinkChange::new().up(true))
        .unwrap();
    let err = fake.add_route(&ns, &route).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENETUNREACH));
    assert_eq!(err.object, "192.168.5.0/24");
    fake.add_address(&ns, link.index, net("10.0.0.1/24"))
        .unwrap();
    fake.add_route(&ns, &route).unwrap();
    assert!(fake.add_route(&ns, &route).unwrap_err().is_exists());
    let moved = route.via(ip("10.0.0.253"));
    fake.replace_route(&ns, &moved).unwrap();
    let ours = fake
        .routes(&ns, &RouteFilter::main().protocol(RouteProtocol::CNINFRA))
        .unwrap();
    assert_eq!(ours, vec![moved]);

    // Down drops the routes out of the link; deleting then finds none.
    fake.set_link(&ns, link.index, &LinkChange::new().up(false))
        .unwrap();
    assert!(fake.routes(&ns, &RouteFilter::all()).unwrap().is_empty());
    assert!(fake.delete_route(&ns, &moved).unwrap_err().is_not_found());
}

#[test]
fn delete_route_matches_protocol_when_given() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let link = fake.add_link(&ns, &NewLink::dummy("d0").up()).unwrap();
    let route = Route::new(net("10.2.0.0/16"))
        .dev(link.index)
        .scope(Scope::Link);
    fake.add_route(&ns, &route).unwrap();
    let theirs = route.protocol(RouteProtocol::CNINFRA);
    assert!(fake.delete_route(&ns, &theirs).unwrap_err().is_not_found());
    fake.delete_route(&ns, &route.protocol(RouteProtocol::UNSPEC))
        .unwrap();
}

#[test]
fn neighbours_are_replaced_and_deleted() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let link = fake.add_link(&ns, &NewLink::dummy("d0").up()).unwrap();
    let mac: MacAddr = "02:00:00:00:00:01".parse().unwrap();
    let other: MacAddr = "02:00:00:00:00:02".parse().unwrap();
    fake.set_neighbour(&ns, &Neighbour::permanent(link.index, ip("10.0.0.9"), mac))
        .unwrap();
    fake.set_neighbour(
        &ns,
        &Neighbour::permanent(link.index, ip("10.0.0.9"), other),
    )
    .unwrap();
    let all = fake.neighbours(&ns, Some(link.index)).unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].mac, Some(other));
    assert_eq!(all[0].state, NeighbourState::Permanent);
    fake.delete_neighbour(&ns, link.index, ip("10.0.0.9"))
        .unwrap();
    assert!(
        fake.delete_neighbour(&ns, link.index, ip("10.0.0.9"))
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn bridge_ports_and_vlans_follow_their_master_and_parent() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let br = fake.add_link(&ns, &NewLink::bridge("br0")).unwrap();
    let port = fake.add_link(&ns, &NewLink::dummy("d0")).unwrap();
    let err = fake
        .set_link(
            &ns,
            br.index,
            &LinkChange::new().master(Master::Index(port.index)),
        )
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EOPNOTSUPP));
    fake.set_link(
        &ns,
        port.index,
        &LinkChange::new().master(Master::Index(br.index)),
    )
    .unwrap();
    let vlan = fake
        .add_link(&ns, &NewLink::vlan("d0.100", port.index, 100))
        .unwrap();
    assert_eq!((vlan.parent, vlan.vlan_id), (Some(port.index), Some(100)));
    fake.delete_link(&ns, br.index).unwrap();
    assert_eq!(
        fake.link(&ns, &port.index.into()).unwrap().unwrap().master,
        None
    );
    fake.delete_link(&ns, port.index).unwrap();
    assert_eq!(fake.link(&ns, &"d0.100".into()).unwrap(), None);
}

#[test]
fn renames_keep_the_index_and_names_stay_unique() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let link = fake.add_link(&ns, &NewLink::dummy("d0").up()).unwrap();
    fake.add_link(&ns, &NewLink::dummy("taken")).unwrap();
    let err = fake
        .set_link(&ns, link.index, &LinkChange::new().name("taken"))
        .unwrap_err();
    assert!(err.is_exists());
    fake.set_link(&ns, link.index, &LinkChange::new().name("d1").mtu(9000))
        .unwrap();
    let renamed = fake.link(&ns, &"d1".into()).unwrap().unwrap();
    assert_eq!((renamed.index, renamed.mtu), (link.index, 9000));
    assert!(
        fake.add_link(&ns, &NewLink::dummy("way-too-long-name"))
            .is_err()
    );
}

#[test]
fn a_moved_link_arrives_down_without_addresses() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let pid = Namespace::Pid(4242);
    assert!(fake.add_namespace(pid.clone()));
    let link = fake.add_link(&ns, &NewLink::dummy("d0").up()).unwrap();
    fake.add_address(&ns, link.index, net("10.0.0.1/24"))
        .unwrap();
    fake.move_link(&ns, link.index, &pid, Some("eth1")).unwrap();
    assert_eq!(fake.link(&ns, &"d0".into()).unwrap(), None);
    let moved = fake.link(&pid, &"eth1".into()).unwrap().unwrap();
    assert!(!moved.up);
    assert!(fake.addresses(&pid, None).unwrap().is_empty());
}

#[test]
fn a_vanished_namespace_is_reported_as_gone() {
    let fake = FakeNetlink::new();
    let pid = Namespace::Pid(7);
    let err = fake.links(&pid).unwrap_err();
    assert!(err.is_namespace_gone(), "{err:?}");
    fake.add_namespace(pid.clone());
    let end = fake
        .add_link(
            &Namespace::Default,
            &NewLink::veth("v-host", VethPeer::new("v-pod").in_namespace(pid.clone())),
        )
        .unwrap();
    assert!(fake.remove_namespace(&pid));
    // The pod's end went with its namespace, and the host end with its peer.
    assert_eq!(
        fake.link(&Namespace::Default, &end.index.into()).unwrap(),
        None
    );
    let err = fake.add_address(&pid, 2, net("10.0.0.1/24")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NamespaceGone);
    assert_eq!(err.namespace, pid);
}

#[test]
fn named_namespaces_are_created_listed_and_deleted() {
    let fake = FakeNetlink::new();
    fake.create_namespace("red").unwrap();
    assert!(fake.create_namespace("red").unwrap_err().is_exists());
    assert!(fake.create_namespace("../x").is_err());
    assert_eq!(fake.namespaces().unwrap(), vec!["red".to_string()]);
    assert!(fake.namespace_exists(&Namespace::named("red")));
    let lo = fake.links(&Namespace::named("red")).unwrap();
    assert_eq!((lo[0].name.as_str(), lo[0].up), ("lo", false));
    fake.delete_namespace("red").unwrap();
    assert!(fake.delete_namespace("red").unwrap_err().is_not_found());
    assert!(!fake.namespace_exists(&Namespace::named("red")));
}

#[test]
fn injected_failures_hit_the_next_call_of_that_operation_only() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    fake.fail_next(Op::AddLink, Errno::EPERM);
    let err = fake.add_link(&ns, &NewLink::dummy("d0")).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EPERM));
    assert_eq!(fake.link(&ns, &"d0".into()).unwrap(), None);
    fake.add_link(&ns, &NewLink::dummy("d0")).unwrap();
    // Outside changes are neither recorded nor failed.
    fake.fail_next(Op::AddLink, Errno::EPERM);
    fake.outside().add_link(&ns, &NewLink::dummy("d1")).unwrap();
    assert_eq!(
        fake.mutations()
            .iter()
            .filter(|r| r.op() == Op::AddLink)
            .count(),
        2
    );
}

#[test]
fn watched_namespaces_report_changes_from_anyone() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let mut rx = fake.subscribe();
    let before = fake.add_link(&ns, &NewLink::dummy("unseen")).unwrap();
    assert!(drain(&mut rx).is_empty(), "not watched yet");
    fake.watch(&ns).unwrap();
    let link = fake.outside().add_link(&ns, &NewLink::dummy("d0")).unwrap();
    fake.set_link(&ns, link.index, &LinkChange::new().up(true))
        .unwrap();
    fake.add_address(&ns, link.index, net("10.0.0.1/24"))
        .unwrap();
    fake.outside()
        .delete_address(&ns, link.index, net("10.0.0.1/24"))
        .unwrap();
    fake.delete_link(&ns, before.index).unwrap();
    let kinds: Vec<EventKind> = drain(&mut rx).into_iter().map(|e| e.kind).collect();
    assert!(matches!(&kinds[0], EventKind::LinkAdded(l) if l.name == "d0"));
    assert!(matches!(&kinds[1], EventKind::LinkChanged(l) if l.up));
    assert!(matches!(&kinds[2], EventKind::AddressAdded(a) if a.addr == net("10.0.0.1/24")));
    assert!(matches!(&kinds[3], EventKind::AddressRemoved(_)));
    assert!(matches!(&kinds[4], EventKind::LinkRemoved(l) if l.name == "unseen"));
    assert_eq!(kinds.len(), 5);

    let pid = Namespace::Pid(9);
    fake.add_namespace(pid.clone());
    fake.watch(&pid).unwrap();
    fake.remove_namespace(&pid);
    let events = drain(&mut rx);
    assert_eq!(
        events,
        vec![Event {
            namespace: pid,
            kind: EventKind::NamespaceGone
        }]
    );
    assert!(
        fake.watch(&Namespace::Pid(9))
            .unwrap_err()
            .is_namespace_gone()
    );
}

#[test]
fn sysctls_are_kept_per_namespace() {
    let fake = FakeNetlink::new();
    let key = "net/ipv4/ip_forward";
    assert!(
        fake.sysctl(&Namespace::Default, key)
            .unwrap_err()
            .is_not_found()
    );
    fake.set_sysctl(&Namespace::Default, key, "1").unwrap();
    assert_eq!(fake.sysctl(&Namespace::Default, key).unwrap(), "1");
    fake.add_namespace(Namespace::Pid(1));
    assert!(fake.sysctl(&Namespace::Pid(1), key).is_err());
}

#[test]
fn down_drops_ipv6_addresses_and_neighbours_but_keeps_ipv4() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let link = fake.add_link(&ns, &NewLink::dummy("d0").up()).unwrap();
    fake.add_address(&ns, link.index, net("10.0.0.1/24"))
        .unwrap();
    fake.add_address(&ns, link.index, net("fd00::1/64"))
        .unwrap();
    let mac: MacAddr = "02:00:00:00:00:01".parse().unwrap();
    fake.set_neighbour(&ns, &Neighbour::permanent(link.index, ip("10.0.0.9"), mac))
        .unwrap();
    fake.set_link(&ns, link.index, &LinkChange::new().up(false))
        .unwrap();
    let left: Vec<_> = fake
        .addresses(&ns, None)
        .unwrap()
        .into_iter()
        .map(|a| a.addr)
        .collect();
    assert_eq!(left, vec![net("10.0.0.1/24")]);
    assert!(fake.neighbours(&ns, None).unwrap().is_empty());
}

#[test]
fn ipv6_routes_get_the_kernels_metric_and_their_own_unreachable_errno() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let link = fake.add_link(&ns, &NewLink::dummy("d0").up()).unwrap();
    fake.add_address(&ns, link.index, net("fd00::1/64"))
        .unwrap();
    let route = Route::new(net("fd09::/64")).dev(link.index);
    fake.add_route(&ns, &route).unwrap();
    assert_eq!(
        fake.routes(&ns, &RouteFilter::all()).unwrap(),
        vec![route.metric(1024)]
    );
    fake.delete_route(&ns, &route).unwrap();
    let far = Route::new(net("fd07::/64")).via(ip("fd05::1"));
    let err = fake.add_route(&ns, &far).unwrap_err();
    assert_eq!(err.errno(), Some(Errno::EHOSTUNREACH));
    let err = fake
        .add_route(&ns, &Route::new(net("10.9.0.0/24")))
        .unwrap_err();
    assert_eq!(err.errno(), Some(Errno::ENODEV));
}

#[test]
fn a_gone_peer_or_target_namespace_is_the_one_named() {
    let fake = FakeNetlink::new();
    let ns = Namespace::Default;
    let dead = Namespace::Pid(77);
    let err = fake
        .add_link(
            &ns,
            &NewLink::veth("a", VethPeer::new("b").in_namespace(dead.clone())),
        )
        .unwrap_err();
    assert!(err.is_namespace_gone());
    assert_eq!(err.namespace, dead);
    let link = fake.add_link(&ns, &NewLink::dummy("d0")).unwrap();
    let err = fake.move_link(&ns, link.index, &dead, None).unwrap_err();
    assert_eq!(
        (err.kind(), err.namespace),
        (ErrorKind::NamespaceGone, dead)
    );
}
