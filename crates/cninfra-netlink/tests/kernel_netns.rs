//! Named namespaces, namespaces that vanish, and work inside namespaces, on the running
//! kernel (root only; see `testing::kernel_tests_allowed`).

mod support;

use std::time::Duration;

use cninfra_netlink::testing::{SCRATCH_PREFIX, ScratchNamespace, kernel_tests_allowed};
use cninfra_netlink::{
    ErrorKind, LinkRef, Namespace, Netlink, NewLink, VethPeer, run_in_namespace,
};
use cninfra_testsupport::wait_until_blocking;
use support::{ThreadNamespace, add, client, net, run_ip};

/// Deletes the named namespace when dropped, whatever the test did to it.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = client().delete_namespace(&self.0);
    }
}

#[test]
fn named_namespaces_are_created_listed_and_deleted() {
    if !kernel_tests_allowed("named_namespaces_are_created_listed_and_deleted") {
        return;
    }
    let nl = client();
    let name = format!("{SCRATCH_PREFIX}{}-direct", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let ns = Namespace::named(name.clone());
    assert!(!nl.namespace_exists(&ns));
    nl.create_namespace(&name).unwrap();
    assert!(nl.namespaces().unwrap().contains(&name));
    assert!(nl.namespace_exists(&ns));
    let links = nl.links(&ns).unwrap();
    assert_eq!(links.len(), 1, "a new namespace has only lo: {links:?}");
    assert_eq!(links[0].name, "lo");
    assert!(nl.create_namespace(&name).unwrap_err().is_exists());
    assert!(nl.create_namespace("../escape").is_err());

    nl.delete_namespace(&name).unwrap();
    assert!(!nl.namespaces().unwrap().contains(&name));
    assert!(!nl.namespace_exists(&ns));
    assert!(nl.delete_namespace(&name).unwrap_err().is_not_found());
    let err = nl.links(&ns).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NamespaceGone, "{err:?}");
}

#[test]
fn a_namespace_whose_process_died_is_gone_and_released() {
    if !kernel_tests_allowed("a_namespace_whose_process_died_is_gone_and_released") {
        return;
    }
    let nl = client();
    let host = ScratchNamespace::new(&nl, "host");
    let hn = host.namespace();
    let mut pod = ThreadNamespace::new();
    let pn = pod.namespace();
    add(
        &nl,
        &hn,
        NewLink::veth(
            "to-pod",
            VethPeer::new("eth0").in_namespace(pn.clone()).up(),
        )
        .up(),
    );
    let eth0 = nl
        .link(&pn, &"eth0".into())
        .unwrap()
        .expect("the pod's end");
    nl.add_address(&pn, eth0.index, net("10.5.0.2/24")).unwrap();

    pod.end();
    let err = nl
        .add_link(
            &hn,
            &NewLink::veth("again", VethPeer::new("eth1").in_namespace(pn.clone())),
        )
        .unwrap_err();
    assert!(err.is_namespace_gone(), "{err:?}");
    assert_eq!(err.namespace, pn, "the peer's namespace is the one gone");
    let err = nl.links(&pn).unwrap_err();
    assert!(err.is_namespace_gone(), "{err:?}");
    let err = nl
        .add_address(&pn, eth0.index, net("10.5.0.3/24"))
        .unwrap_err();
    assert!(err.is_namespace_gone(), "{err:?}");
    assert!(!nl.namespace_exists(&pn));
    // Nothing of ours holds the dead namespace, so the kernel destroys it with the pod's
    // end, and the host's end goes with its peer.
    wait_until_blocking(
        "the host end goes with the pod's namespace",
        Duration::from_secs(10),
        || nl.link(&hn, &LinkRef::from("to-pod")).unwrap().is_none(),
    );
}

#[test]
fn a_named_namespace_deleted_by_hand_is_gone() {
    if !kernel_tests_allowed("a_named_namespace_deleted_by_hand_is_gone") {
        return;
    }
    let nl = client();
    let name = format!("{SCRATCH_PREFIX}{}-by-hand", std::process::id());
    let _cleanup = Cleanup(name.clone());
    nl.create_namespace(&name).unwrap();
    let ns = Namespace::named(name.clone());
    nl.links(&ns).unwrap(); // a socket is cached in it now
    if !run_ip(&["netns", "delete", &name]) {
        // Without `ip`, a second client deletes it, as someone else would.
        client().delete_namespace(&name).unwrap();
    }
    let err = nl.links(&ns).unwrap_err();
    assert!(err.is_namespace_gone(), "{err:?}");
    // Re-created under the same name, it is a new namespace: a fresh socket reaches it.
    nl.create_namespace(&name).unwrap();
    assert_eq!(nl.links(&ns).unwrap().len(), 1);
}

#[test]
fn work_inside_a_namespace_stays_inside() {
    if !kernel_tests_allowed("work_inside_a_namespace_stays_inside") {
        return;
    }
    let nl = client();
    let scratch = ScratchNamespace::new(&nl, "sysctl");
    let ns = scratch.namespace();
    let key = "net/ipv4/ip_forward";
    let host_before = nl.sysctl(&Namespace::Default, key).unwrap();
    let flipped = if host_before == "1" { "0" } else { "1" };
    nl.set_sysctl(&ns, key, flipped).unwrap();
    assert_eq!(nl.sysctl(&ns, key).unwrap(), flipped);
    assert_eq!(nl.sysctl(&Namespace::Default, key).unwrap(), host_before);
    assert!(nl.sysctl(&ns, "../../etc/passwd").is_err());

    // A closure sees the namespace's interfaces, not the host's (through its own
    // thread: /proc/net is the main thread's).
    let names = run_in_namespace(&ns, || std::fs::read_to_string("/proc/thread-self/net/dev"))
        .unwrap()
        .unwrap();
    let interfaces: Vec<&str> = names
        .lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(interfaces, vec!["lo"]);
    let err = run_in_namespace(&Namespace::Pid(u32::MAX), || ()).unwrap_err();
    assert!(err.is_namespace_gone(), "{err:?}");
}
