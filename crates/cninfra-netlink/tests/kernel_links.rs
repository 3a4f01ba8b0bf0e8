//! Links, addresses, routes and neighbours on the running kernel, each test in its own
//! scratch namespaces (root only; see `testing::kernel_tests_allowed`).

mod support;

use std::net::UdpSocket;
use std::time::Duration;

use cninfra_netlink::testing::{ScratchNamespace, kernel_tests_allowed};
use cninfra_netlink::{
    Errno, ErrorKind, LinkChange, LinkKind, MacAddr, Master, Neighbour, NeighbourState, Netlink,
    NewLink, Route, RouteFilter, RouteProtocol, Scope, VethPeer, run_in_namespace,
};
use support::{add, client, ip, is_standalone, link, net};

#[test]
fn dummy_link_with_v4_and_v6_addresses() {
    if !kernel_tests_allowed("dummy_link_with_v4_and_v6_addresses") {
        return;
    }
    let nl = client();
    let scratch = ScratchNamespace::new(&nl, "dummy");
    let ns = scratch.namespace();
    let mac: MacAddr = "02:00:00:aa:bb:01".parse().unwrap();
    let d = add(
        &nl,
        &ns,
        NewLink::dummy("d0")
            .with_mtu(1400)
            .with_mac(mac)
            .with_alias("/cninfra/d0")
            .up(),
    );
    assert!(is_standalone(&d.kind), "{:?}", d.kind);
    assert_eq!((d.mtu, d.mac, d.up), (1400, Some(mac), true));
    assert_eq!(d.alias.as_deref(), Some("/cninfra/d0"));
    assert!(
        nl.add_link(&ns, &NewLink::dummy("d0"))
            .unwrap_err()
            .is_exists()
    );

    nl.add_address(&ns, d.index, net("10.0.0.1/24")).unwrap();
    nl.add_address(&ns, d.index, net("10.0.0.1/24")).unwrap(); // already there
    nl.add_address(&ns, d.index, net("fd00::1/64")).unwrap();
    let addrs: Vec<_> = nl
        .addresses(&ns, Some(d.index))
        .unwrap()
        .into_iter()
        .filter(|a| a.scope == Scope::Universe)
        .map(|a| a.addr)
        .collect();
    assert!(addrs.contains(&net("10.0.0.1/24")), "{addrs:?}");
    assert!(addrs.contains(&net("fd00::1/64")), "{addrs:?}");

    nl.delete_address(&ns, d.index, net("10.0.0.1/24")).unwrap();
    let err = nl
        .delete_address(&ns, d.index, net("10.0.0.1/24"))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");

    // Rename (down first, for kernels before 6.2); an empty alias removes it.
    nl.set_link(&ns, d.index, &LinkChange::new().up(false))
        .unwrap();
    nl.set_link(
        &ns,
        d.index,
        &LinkChange::new().name("d1").mtu(1300).alias(""),
    )
    .unwrap();
    let d1 = link(&nl, &ns, "d1");
    assert_eq!(
        (d1.index, d1.mtu, d1.up, d1.alias),
        (d.index, 1300, false, None)
    );

    nl.delete_link(&ns, d.index).unwrap();
    assert_eq!(nl.link(&ns, &d.index.into()).unwrap(), None);
    assert!(nl.delete_link(&ns, d.index).unwrap_err().is_not_found());
}

#[test]
fn ipv6_is_enabled_on_the_link_before_an_address_is_added() {
    if !kernel_tests_allowed("ipv6_is_enabled_on_the_link_before_an_address_is_added") {
        return;
    }
    let nl = client();
    let scratch = ScratchNamespace::new(&nl, "v6");
    let ns = scratch.namespace();
    let d = add(&nl, &ns, NewLink::dummy("d6").up());
    let key = "net/ipv6/conf/d6/disable_ipv6";
    nl.set_sysctl(&ns, key, "1").unwrap();
    assert_eq!(nl.sysctl(&ns, key).unwrap(), "1");
    nl.add_address(&ns, d.index, net("fd00:6::1/64")).unwrap();
    assert_eq!(nl.sysctl(&ns, key).unwrap(), "0");
    let addrs = nl.addresses(&ns, Some(d.index)).unwrap();
    assert!(
        addrs.iter().any(|a| a.addr == net("fd00:6::1/64")),
        "{addrs:?}"
    );
}

#[test]
fn veth_pair_across_namespaces_carries_traffic_over_a_marked_route_and_neighbour() {
    if !kernel_tests_allowed("veth_pair_across_namespaces") {
        return;
    }
    let nl = client();
    let (a, b) = (
        ScratchNamespace::new(&nl, "a"),
        ScratchNamespace::new(&nl, "b"),
    );
    let (na, nb) = (a.namespace(), b.namespace());
    let va = add(
        &nl,
        &na,
        NewLink::veth("va", VethPeer::new("vb").in_namespace(nb.clone()).up()).up(),
    );
    let vb = link(&nl, &nb, "vb");
    assert_eq!(
        (va.kind.clone(), vb.kind.clone()),
        (LinkKind::Veth, LinkKind::Veth)
    );
    assert_eq!(va.parent, Some(vb.index));
    assert!(
        va.link_netnsid.is_some(),
        "the peer is in another namespace"
    );
    assert!(nl.link(&na, &"vb".into()).unwrap().is_none());

    nl.add_address(&na, va.index, net("10.1.0.1/24")).unwrap();
    nl.add_address(&nb, vb.index, net("10.1.0.2/24")).unwrap();
    let lo_b = link(&nl, &nb, "lo");
    nl.add_address(&nb, lo_b.index, net("192.168.77.1/32"))
        .unwrap();

    // A route marked as the agent's, listed back with its mark.
    let route = Route::new(net("192.168.77.0/24"))
        .via(ip("10.1.0.2"))
        .dev(va.index)
        .metric(50)
        .protocol(RouteProtocol::CNINFRA);
    nl.add_route(&na, &route).unwrap();
    assert!(nl.add_route(&na, &route).unwrap_err().is_exists());
    let ours = nl
        .routes(&na, &RouteFilter::main().protocol(RouteProtocol::CNINFRA))
        .unwrap();
    assert_eq!(ours, vec![route]);
    let kernel = nl.routes(&na, &RouteFilter::main().oif(va.index)).unwrap();
    assert!(
        kernel
            .iter()
            .any(|r| r.protocol == RouteProtocol::KERNEL && r.dst == net("10.1.0.0/24")),
        "the connected route is listed too: {kernel:?}"
    );

    // A permanent neighbour for the gateway, so no ARP is needed.
    let neighbour = Neighbour::permanent(va.index, ip("10.1.0.2"), vb.mac.unwrap());
    nl.set_neighbour(&na, &neighbour).unwrap();
    nl.set_neighbour(&na, &neighbour).unwrap(); // replace
    let listed = nl.neighbours(&na, Some(va.index)).unwrap();
    assert!(listed.contains(&neighbour), "{listed:?}");
    assert_eq!(listed[0].state, NeighbourState::Permanent);

    // Traffic crosses: a UDP datagram from a to 192.168.77.1 (b's loopback, reached
    // through the route) arrives in b.
    let receiver = run_in_namespace(&nb, || UdpSocket::bind("192.168.77.1:0"))
        .unwrap()
        .unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let target = receiver.local_addr().unwrap();
    let sender = run_in_namespace(&na, || UdpSocket::bind("10.1.0.1:0"))
        .unwrap()
        .unwrap();
    sender.send_to(b"across", target).unwrap();
    let mut buf = [0u8; 16];
    let (n, from) = receiver
        .recv_from(&mut buf)
        .expect("the datagram arrives in b");
    assert_eq!((&buf[..n], from.ip()), (&b"across"[..], ip("10.1.0.1")));

    // Replace and delete by the mark.
    let replaced = route.metric(50).via(ip("10.1.0.2"));
    nl.replace_route(&na, &replaced).unwrap();
    nl.delete_route(&na, &route.protocol(RouteProtocol::BOOT))
        .unwrap_err();
    nl.delete_route(&na, &route).unwrap();
    assert!(nl.delete_route(&na, &route).unwrap_err().is_not_found());
    nl.delete_neighbour(&na, va.index, ip("10.1.0.2")).unwrap();
    assert!(
        nl.delete_neighbour(&na, va.index, ip("10.1.0.2"))
            .unwrap_err()
            .is_not_found()
    );

    // Deleting one end deletes both.
    nl.delete_link(&nb, vb.index).unwrap();
    assert_eq!(nl.link(&na, &"va".into()).unwrap(), None);
}

#[test]
fn routes_in_a_table_beyond_255_and_ipv6() {
    if !kernel_tests_allowed("routes_in_a_table_beyond_255_and_ipv6") {
        return;
    }
    let nl = client();
    let scratch = ScratchNamespace::new(&nl, "tables");
    let ns = scratch.namespace();
    let d = add(&nl, &ns, NewLink::dummy("d0").up());
    nl.add_address(&ns, d.index, net("10.3.0.1/24")).unwrap();
    nl.add_address(&ns, d.index, net("fd00:3::1/64")).unwrap();
    let v4 = Route::new(net("0.0.0.0/0"))
        .via(ip("10.3.0.254"))
        .table(1000)
        .protocol(RouteProtocol::CNINFRA);
    let v6 = Route::new(net("fd00:99::/64"))
        .dev(d.index)
        .metric(1024)
        .protocol(RouteProtocol::CNINFRA);
    nl.add_route(&ns, &v4).unwrap();
    nl.add_route(&ns, &v6).unwrap();
    let listed = nl
        .routes(&ns, &RouteFilter::all().protocol(RouteProtocol::CNINFRA))
        .unwrap();
    assert!(listed.contains(&v4.dev(d.index)), "{listed:?}");
    assert!(listed.contains(&v6), "{listed:?}");
    assert_eq!(
        nl.routes(&ns, &RouteFilter::all().table(1000)).unwrap(),
        vec![v4.dev(d.index)]
    );
    // Taking the link down drops its routes, as the fake models it.
    nl.set_link(&ns, d.index, &LinkChange::new().up(false))
        .unwrap();
    let left = nl
        .routes(&ns, &RouteFilter::all().protocol(RouteProtocol::CNINFRA))
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn bridge_ports_vlans_and_moves() {
    if !kernel_tests_allowed("bridge_ports_vlans_and_moves") {
        return;
    }
    let nl = client();
    let (a, b) = (
        ScratchNamespace::new(&nl, "br"),
        ScratchNamespace::new(&nl, "mv"),
    );
    let (na, nb) = (a.namespace(), b.namespace());
    let br = add(&nl, &na, NewLink::bridge("br0").up());
    assert_eq!(br.kind, LinkKind::Bridge);
    let port = add(
        &nl,
        &na,
        NewLink::veth("p0", VethPeer::new("p0-peer").up()).up(),
    );
    nl.set_link(
        &na,
        port.index,
        &LinkChange::new().master(Master::Index(br.index)),
    )
    .unwrap();
    assert_eq!(link(&nl, &na, "p0").master, Some(br.index));
    match nl.add_link(&na, &NewLink::vlan("p0.100", port.index, 100)) {
        Ok(vlan) => {
            assert_eq!(vlan.kind, LinkKind::Vlan);
            assert_eq!((vlan.parent, vlan.vlan_id), (Some(port.index), Some(100)));
        }
        Err(err) if err.errno() == Some(Errno::EOPNOTSUPP) => {
            eprintln!("this kernel has no 802.1Q driver: VLANs are not checked here");
        }
        Err(err) => panic!("{err}: {:?}", err.cause),
    }
    nl.set_link(&na, port.index, &LinkChange::new().master(Master::Detach))
        .unwrap();
    assert_eq!(link(&nl, &na, "p0").master, None);

    // A moved link arrives in the other namespace under its new name (a veth end: bridges
    // cannot move).
    let m = add(&nl, &na, NewLink::veth("m0", VethPeer::new("m0-peer")).up());
    nl.add_address(&na, m.index, net("10.4.0.1/24")).unwrap();
    nl.move_link(&na, m.index, &nb, Some("moved")).unwrap();
    assert_eq!(nl.link(&na, &"m0".into()).unwrap(), None);
    let moved = link(&nl, &nb, "moved");
    assert!(!moved.up, "a moved link arrives down");
    assert!(nl.addresses(&nb, Some(moved.index)).unwrap().is_empty());
}
