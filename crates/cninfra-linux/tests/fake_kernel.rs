//! The Linux descriptors through the scheduler, on the recording fake kernel (no root):
//! the same scenarios as the kernel tests, plus what only a fake can arrange.

use std::sync::Arc;
use std::time::Duration;

use cninfra_kvscheduler::{ResyncKind, Scheduler, SchedulerConfig, Value, ValueState};
use cninfra_linux::{Linux, LinuxConfig, keys, models};
use cninfra_netlink::{
    FakeNetlink, LinkRef, Namespace, Netlink, NewLink, Request, Route, RouteFilter, RouteProtocol,
};
use cninfra_testsupport::wait_until;
use serde_json::{Value as Json, json};

const PREFIX: &str = "/vnf-agent/test/";

struct Setup {
    scheduler: Scheduler,
    kernel: Arc<FakeNetlink>,
    linux: Linux,
}

fn setup_with(config: LinuxConfig) -> Setup {
    let scheduler = Scheduler::new(SchedulerConfig {
        print_txn_summary: false,
        ..SchedulerConfig::default()
    })
    .unwrap();
    let kernel = Arc::new(FakeNetlink::new());
    let state = tempfile_dir();
    let config = LinuxConfig {
        state_dir: state,
        ..config
    };
    let linux = Linux::register(&scheduler, kernel.clone(), &config, PREFIX).unwrap();
    Setup {
        scheduler,
        kernel,
        linux,
    }
}

fn setup() -> Setup {
    setup_with(LinuxConfig::default())
}

/// A fresh folder under the target's temp dir (the netns markers).
fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cninfra-linux-test-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn blue() -> Namespace {
    Namespace::Named("blue".into())
}

fn red() -> Namespace {
    Namespace::Named("red".into())
}

fn veth(name: &str, peer: &str, ns: &str, address: &str) -> Json {
    json!({"name": name, "type": "VETH", "enabled": true, "ip_addresses": [address],
           "namespace": {"type": "NSID", "reference": ns}, "veth": {"peer_if_name": peer}})
}

fn state(scheduler: &Scheduler, key: &str) -> ValueState {
    scheduler.status(key).value.state
}

/// Two namespaces, a VETH pair across them with addresses, a route and an ARP entry.
async fn put_pair(s: &Setup) {
    s.scheduler
        .txn()
        .put(models::netns_key("blue"), Value::from_json(json!({"name": "blue"})))
        .put(models::netns_key("red"), Value::from_json(json!({"name": "red"})))
        .put(
            models::interface_key("v-blue"),
            Value::from_json(veth("v-blue", "v-red", "blue", "10.1.0.1/24")),
        )
        .put(
            models::interface_key("v-red"),
            Value::from_json(veth("v-red", "v-blue", "red", "10.1.0.2/24")),
        )
        .put(
            models::route_key("10.2.0.0/24", "v-blue"),
            Value::from_json(json!({"outgoing_interface": "v-blue", "dst_network": "10.2.0.0/24", "gw_addr": "10.1.0.2"})),
        )
        .put(
            models::arp_key("v-blue", "10.1.0.9"),
            Value::from_json(json!({"interface": "v-blue", "ip_address": "10.1.0.9", "hw_address": "02:00:00:00:00:09"})),
        )
        .commit()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_veth_pair_across_namespaces_with_addresses_route_and_arp() {
    let s = setup();
    put_pair(&s).await;
    for key in [
        models::interface_key("v-blue"),
        models::interface_key("v-red"),
        models::route_key("10.2.0.0/24", "v-blue"),
        models::arp_key("v-blue", "10.1.0.9"),
    ] {
        assert_eq!(state(&s.scheduler, &key), ValueState::Configured, "{key}");
    }
    // One request made the pair, the peer placed directly in its namespace.
    let adds: Vec<Request> = s
        .kernel
        .mutations()
        .into_iter()
        .filter(|r| matches!(r, Request::AddLink { .. }))
        .collect();
    assert_eq!(adds.len(), 1, "{adds:?}");
    let Request::AddLink { link, .. } = &adds[0] else {
        unreachable!()
    };
    let cninfra_netlink::NewLinkKind::Veth(peer) = &link.kind else {
        panic!("not a veth: {link:?}");
    };
    assert!(peer.namespace.is_some());
    assert!(
        !s.kernel
            .mutations()
            .iter()
            .any(|r| matches!(r, Request::MoveLink { .. }))
    );
    // The kernel has what was asked.
    let blue_link = s
        .kernel
        .link(&blue(), &LinkRef::Name("v-blue".into()))
        .unwrap()
        .unwrap();
    assert!(blue_link.up);
    assert_eq!(
        blue_link.alias.as_deref(),
        Some("/vnf-agent/test/v-blue/v-red")
    );
    let red_link = s
        .kernel
        .link(&red(), &LinkRef::Name("v-red".into()))
        .unwrap()
        .unwrap();
    assert!(red_link.up);
    let addresses = s.kernel.addresses(&red(), Some(red_link.index)).unwrap();
    assert!(
        addresses
            .iter()
            .any(|a| a.addr.to_string() == "10.1.0.2/24")
    );
    let routes = s.kernel.routes(&blue(), &RouteFilter::main()).unwrap();
    let route = routes
        .iter()
        .find(|r| r.dst.to_string() == "10.2.0.0/24")
        .unwrap();
    assert_eq!(route.protocol, RouteProtocol::CNINFRA);
    assert_eq!(route.gateway, Some("10.1.0.2".parse().unwrap()));
    let neighbours = s.kernel.neighbours(&blue(), Some(blue_link.index)).unwrap();
    assert!(neighbours.iter().any(|n| n.ip.to_string() == "10.1.0.9"));
    // The interface index knows where the links are.
    assert_eq!(s.linux.interfaces().get("v-red").unwrap().namespace, red());
}

#[tokio::test]
async fn a_route_put_first_waits_for_its_interface() {
    let s = setup();
    let route = models::route_key("10.2.0.0/24", "d0");
    s.scheduler
        .txn()
        .put(
            route.clone(),
            Value::from_json(json!({"outgoing_interface": "d0", "dst_network": "10.2.0.0/24", "gw_addr": "10.1.0.2"})),
        )
        .commit()
        .await
        .unwrap();
    let status = s.scheduler.status(&route).value;
    assert_eq!(status.state, ValueState::Pending);
    assert!(
        status
            .details
            .contains(&"outgoing-interface-is-up".to_owned()),
        "{status:?}"
    );
    // An address outside the gateway's network is not enough.
    let dummy = |address: &str| {
        Value::from_json(
            json!({"name": "d0", "type": "DUMMY", "enabled": true, "ip_addresses": [address]}),
        )
    };
    let iface = models::interface_key("d0");
    s.scheduler
        .txn()
        .put(iface.clone(), dummy("10.9.0.1/24"))
        .commit()
        .await
        .unwrap();
    let status = s.scheduler.status(&route).value;
    assert_eq!(status.state, ValueState::Pending);
    assert_eq!(status.details, ["gw-reachable"]);
    s.scheduler
        .txn()
        .put(iface, dummy("10.1.0.1/24"))
        .commit()
        .await
        .unwrap();
    assert_eq!(state(&s.scheduler, &route), ValueState::Configured);
}

#[tokio::test]
async fn deleting_one_veth_end_takes_the_other_end_down_with_it() {
    let s = setup();
    put_pair(&s).await;
    s.scheduler
        .txn()
        .delete(models::interface_key("v-red"))
        .commit()
        .await
        .unwrap();
    assert_eq!(
        state(&s.scheduler, &models::interface_key("v-blue")),
        ValueState::Pending
    );
    for key in [
        models::route_key("10.2.0.0/24", "v-blue"),
        models::arp_key("v-blue", "10.1.0.9"),
    ] {
        assert_eq!(state(&s.scheduler, &key), ValueState::Pending, "{key}");
    }
    assert!(
        s.kernel
            .link(&blue(), &LinkRef::Name("v-blue".into()))
            .unwrap()
            .is_none()
    );
    assert!(
        s.kernel
            .link(&red(), &LinkRef::Name("v-red".into()))
            .unwrap()
            .is_none()
    );
    // It comes back with its peer.
    s.scheduler
        .txn()
        .put(
            models::interface_key("v-red"),
            Value::from_json(veth("v-red", "v-blue", "red", "10.1.0.2/24")),
        )
        .commit()
        .await
        .unwrap();
    assert_eq!(
        state(&s.scheduler, &models::route_key("10.2.0.0/24", "v-blue")),
        ValueState::Configured
    );
}

#[tokio::test]
async fn existing_link_only_waits_for_the_link_and_never_touches_it() {
    let s = setup();
    s.linux.start_watcher();
    let key = models::interface_key("ext");
    s.scheduler
        .txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "ext", "type": "EXISTING", "enabled": true,
                "host_if_name": "ext0", "link_only": true, "ip_addresses": ["10.5.0.1/24"]})),
        )
        .commit()
        .await
        .unwrap();
    assert_eq!(state(&s.scheduler, &key), ValueState::Pending);
    // Someone else makes the link (up) and later its address.
    let outside = s.kernel.outside();
    let link = outside
        .add_link(&Namespace::Default, &NewLink::dummy("ext0").up())
        .unwrap();
    wait_until("EXISTING configured", Duration::from_secs(5), || {
        state(&s.scheduler, &key) == ValueState::Configured
    })
    .await;
    let address = keys::address_key("ext", keys::AddressSource::Existing, "10.5.0.1/24");
    let derived = |scheduler: &Scheduler| {
        scheduler
            .status(&key)
            .derived_values
            .into_iter()
            .find(|d| d.key == address)
            .map(|d| d.state)
    };
    assert_eq!(derived(&s.scheduler), Some(ValueState::Pending));
    outside
        .add_address(
            &Namespace::Default,
            link.index,
            "10.5.0.1/24".parse().unwrap(),
        )
        .unwrap();
    wait_until(
        "existing address configured",
        Duration::from_secs(5),
        || derived(&s.scheduler) == Some(ValueState::Configured),
    )
    .await;
    // Deleting the value leaves the link and its address in place.
    s.scheduler.txn().delete(key).commit().await.unwrap();
    let addresses = s
        .kernel
        .addresses(&Namespace::Default, Some(link.index))
        .unwrap();
    assert_eq!(addresses.len(), 1);
    assert!(
        !s.kernel.mutations().iter().any(|r| matches!(
            r,
            Request::SetLink { .. }
                | Request::DeleteLink { .. }
                | Request::AddAddress { .. }
                | Request::DeleteAddress { .. }
        )),
        "{:?}",
        s.kernel.mutations()
    );
    s.linux.stop_watcher();
}

#[tokio::test]
async fn resync_repairs_drift_and_leaves_foreign_routes_alone() {
    let s = setup();
    put_pair(&s).await;
    let outside = s.kernel.outside();
    let blue_link = s
        .kernel
        .link(&blue(), &LinkRef::Name("v-blue".into()))
        .unwrap()
        .unwrap();
    // Someone removes an address and the agent's route, and adds a route of their own.
    outside
        .delete_route(
            &blue(),
            &Route::new("10.2.0.0/24".parse().unwrap())
                .dev(blue_link.index)
                .via("10.1.0.2".parse().unwrap())
                .protocol(RouteProtocol::CNINFRA),
        )
        .unwrap();
    let red_link = s
        .kernel
        .link(&red(), &LinkRef::Name("v-red".into()))
        .unwrap()
        .unwrap();
    outside
        .delete_address(&red(), red_link.index, "10.1.0.2/24".parse().unwrap())
        .unwrap();
    let foreign = Route::new("10.7.0.0/24".parse().unwrap())
        .dev(blue_link.index)
        .via("10.1.0.3".parse().unwrap())
        .protocol(RouteProtocol::STATIC);
    outside.add_route(&blue(), &foreign).unwrap();
    s.scheduler
        .txn()
        .with_resync(ResyncKind::Downstream)
        .commit()
        .await
        .unwrap();
    let routes = s.kernel.routes(&blue(), &RouteFilter::main()).unwrap();
    assert!(
        routes.iter().any(|r| r.dst.to_string() == "10.2.0.0/24"),
        "{routes:?}"
    );
    assert!(routes.contains(&foreign), "{routes:?}");
    assert!(
        !s.kernel
            .mutations()
            .iter()
            .any(|r| matches!(r, Request::DeleteRoute { .. }))
    );
    let addresses = s.kernel.addresses(&red(), Some(red_link.index)).unwrap();
    assert!(
        addresses
            .iter()
            .any(|a| a.addr.to_string() == "10.1.0.2/24")
    );
}

#[tokio::test]
async fn the_watcher_repairs_drift_at_once() {
    let s = setup();
    put_pair(&s).await;
    s.linux.start_watcher();
    let red_link = s
        .kernel
        .link(&red(), &LinkRef::Name("v-red".into()))
        .unwrap()
        .unwrap();
    let has_address = || {
        s.kernel
            .addresses(&red(), Some(red_link.index))
            .unwrap()
            .iter()
            .any(|a| a.addr.to_string() == "10.1.0.2/24")
    };
    // Let the watcher start watching the namespaces in use.
    wait_until("red watched", Duration::from_secs(5), || {
        s.kernel
            .requests()
            .iter()
            .any(|r| matches!(r, Request::Watch { ns } if *ns == red()))
    })
    .await;
    s.kernel
        .outside()
        .delete_address(&red(), red_link.index, "10.1.0.2/24".parse().unwrap())
        .unwrap();
    wait_until("the address is back", Duration::from_secs(5), has_address).await;
    // Someone takes the link down: it comes back up.
    s.kernel
        .outside()
        .set_link(
            &red(),
            red_link.index,
            &cninfra_netlink::LinkChange::new().up(false),
        )
        .unwrap();
    wait_until("the link is up again", Duration::from_secs(5), || {
        s.kernel
            .link(&red(), &LinkRef::Index(red_link.index))
            .unwrap()
            .is_some_and(|l| l.up)
    })
    .await;
    s.linux.stop_watcher();
}

/// The fake kernel, except that new links ignore the MTU asked for (as a driver might).
#[derive(Debug)]
struct IgnoresMtu(FakeNetlink);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*) -> $ret:ty;)*) => {
        $(fn $name(&self, $($arg: $ty),*) -> $ret { self.0.$name($($arg),*) })*
    };
}

impl Netlink for IgnoresMtu {
    fn add_link(
        &self,
        ns: &Namespace,
        link: &NewLink,
    ) -> cninfra_netlink::Result<cninfra_netlink::Link> {
        let mut link = link.clone();
        link.mtu = None;
        self.0.add_link(ns, &link)
    }

    delegate! {
        links(ns: &Namespace) -> cninfra_netlink::Result<Vec<cninfra_netlink::Link>>;
        link(ns: &Namespace, link: &LinkRef) -> cninfra_netlink::Result<Option<cninfra_netlink::Link>>;
        set_link(ns: &Namespace, index: u32, change: &cninfra_netlink::LinkChange) -> cninfra_netlink::Result<()>;
        move_link(ns: &Namespace, index: u32, to: &Namespace, name: Option<&str>) -> cninfra_netlink::Result<()>;
        delete_link(ns: &Namespace, index: u32) -> cninfra_netlink::Result<()>;
        addresses(ns: &Namespace, index: Option<u32>) -> cninfra_netlink::Result<Vec<cninfra_netlink::Address>>;
        add_address(ns: &Namespace, index: u32, addr: cninfra_netlink::ipnet::IpNet) -> cninfra_netlink::Result<()>;
        delete_address(ns: &Namespace, index: u32, addr: cninfra_netlink::ipnet::IpNet) -> cninfra_netlink::Result<()>;
        routes(ns: &Namespace, filter: &RouteFilter) -> cninfra_netlink::Result<Vec<Route>>;
        add_route(ns: &Namespace, route: &Route) -> cninfra_netlink::Result<()>;
        replace_route(ns: &Namespace, route: &Route) -> cninfra_netlink::Result<()>;
        delete_route(ns: &Namespace, route: &Route) -> cninfra_netlink::Result<()>;
        neighbours(ns: &Namespace, index: Option<u32>) -> cninfra_netlink::Result<Vec<cninfra_netlink::Neighbour>>;
        set_neighbour(ns: &Namespace, neighbour: &cninfra_netlink::Neighbour) -> cninfra_netlink::Result<()>;
        delete_neighbour(ns: &Namespace, index: u32, ip: std::net::IpAddr) -> cninfra_netlink::Result<()>;
        create_namespace(name: &str) -> cninfra_netlink::Result<()>;
        delete_namespace(name: &str) -> cninfra_netlink::Result<()>;
        namespaces() -> cninfra_netlink::Result<Vec<String>>;
        namespace_exists(ns: &Namespace) -> bool;
        sysctl(ns: &Namespace, key: &str) -> cninfra_netlink::Result<String>;
        set_sysctl(ns: &Namespace, key: &str, value: &str) -> cninfra_netlink::Result<()>;
        watch(ns: &Namespace) -> cninfra_netlink::Result<()>;
        unwatch(ns: &Namespace) -> ();
        subscribe() -> cninfra_netlink::EventReceiver;
    }
}

#[tokio::test]
async fn a_value_the_kernel_does_not_take_as_asked_fails_verification() {
    let scheduler = Scheduler::new(SchedulerConfig {
        print_txn_summary: false,
        ..SchedulerConfig::default()
    })
    .unwrap();
    let config = LinuxConfig {
        state_dir: tempfile_dir(),
        ..LinuxConfig::default()
    };
    let kernel = Arc::new(IgnoresMtu(FakeNetlink::new()));
    let _linux = Linux::register(&scheduler, kernel, &config, PREFIX).unwrap();
    let key = models::interface_key("d0");
    let result = scheduler
        .txn()
        .put(
            key.clone(),
            Value::from_json(json!({"name": "d0", "type": "DUMMY", "enabled": true, "mtu": 9000})),
        )
        .commit()
        .await;
    assert!(result.is_err());
    let status = scheduler.status(&key).value;
    assert_eq!(status.state, ValueState::Failed);
    assert!(
        status.error.starts_with("verification: the kernel has"),
        "{}",
        status.error
    );
    assert!(status.error.contains("\"mtu\":1500"), "{}", status.error);
}
