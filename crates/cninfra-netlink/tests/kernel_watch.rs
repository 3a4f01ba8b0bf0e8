//! The watcher on the running kernel: changes made by hand (with `ip`) in watched
//! namespaces arrive as events, and so does a namespace going away (root only; see
//! `testing::kernel_tests_allowed`).

mod support;

use std::time::Duration;

use cninfra_netlink::testing::{ScratchNamespace, kernel_tests_allowed};
use cninfra_netlink::{
    EventKind, EventReceiver, LinkChange, Namespace, Netlink, NewLink, Route, RouteProtocol,
};
use cninfra_testsupport::wait_until_blocking;
use support::{ThreadNamespace, add, client, net, run_ip};

/// Waits for an event of `ns` that `matches`, skipping others.
fn expect(
    rx: &mut EventReceiver,
    ns: &Namespace,
    what: &str,
    matches: impl Fn(&EventKind) -> bool,
) -> EventKind {
    let mut found = None;
    wait_until_blocking(what, Duration::from_secs(10), || {
        while let Ok(event) = rx.try_recv() {
            if event.namespace == *ns && matches(&event.kind) {
                found = Some(event.kind);
                return true;
            }
        }
        false
    });
    found.expect("waited for it")
}

#[test]
fn changes_made_by_hand_arrive_as_events() {
    if !kernel_tests_allowed("changes_made_by_hand_arrive_as_events") {
        return;
    }
    let nl = client();
    let scratch = ScratchNamespace::new(&nl, "watch");
    let other = ScratchNamespace::new(&nl, "quiet");
    let ns = scratch.namespace();
    let mut rx = nl.subscribe();
    nl.watch(&ns).unwrap();
    nl.watch(&ns).unwrap(); // watching twice is one watch
    nl.watch(&other.namespace()).unwrap();

    let name = scratch.name();
    // `ip` where it is installed (changes from outside the agent); else a second client.
    let by_hand = client();
    if !run_ip(&["-n", name, "link", "add", "w0", "type", "bridge"]) {
        by_hand.add_link(&ns, &NewLink::bridge("w0")).unwrap();
    }
    let added = expect(
        &mut rx,
        &ns,
        "w0 added",
        |k| matches!(k, EventKind::LinkAdded(l) if l.name == "w0"),
    );
    let EventKind::LinkAdded(w0) = added else {
        unreachable!()
    };
    if !run_ip(&["-n", name, "link", "set", "w0", "up"]) {
        by_hand
            .set_link(&ns, w0.index, &LinkChange::new().up(true))
            .unwrap();
    }
    expect(
        &mut rx,
        &ns,
        "w0 up",
        |k| matches!(k, EventKind::LinkChanged(l) if l.name == "w0" && l.up),
    );
    if !run_ip(&["-n", name, "address", "add", "10.9.0.1/24", "dev", "w0"]) {
        by_hand
            .add_address(&ns, w0.index, net("10.9.0.1/24"))
            .unwrap();
    }
    expect(
        &mut rx,
        &ns,
        "address added",
        |k| matches!(k, EventKind::AddressAdded(a) if a.addr == net("10.9.0.1/24") && a.index == w0.index),
    );
    if !run_ip(&["-n", name, "address", "del", "10.9.0.1/24", "dev", "w0"]) {
        by_hand
            .delete_address(&ns, w0.index, net("10.9.0.1/24"))
            .unwrap();
    }
    expect(
        &mut rx,
        &ns,
        "address removed",
        |k| matches!(k, EventKind::AddressRemoved(a) if a.addr == net("10.9.0.1/24")),
    );

    // The agent's own changes are reported too, routes with their mark.
    let lo = add(&nl, &other.namespace(), NewLink::bridge("b-other").up());
    expect(
        &mut rx,
        &other.namespace(),
        "link in the second namespace",
        |k| matches!(k, EventKind::LinkAdded(l) if l.index == lo.index),
    );
    nl.add_address(&ns, w0.index, net("10.9.1.1/24")).unwrap();
    let route = Route::new(net("10.77.0.0/16"))
        .via("10.9.1.254".parse().unwrap())
        .protocol(RouteProtocol::CNINFRA);
    nl.add_route(&ns, &route).unwrap();
    expect(
        &mut rx,
        &ns,
        "marked route added",
        |k| matches!(k, EventKind::RouteAdded(r) if r.protocol == RouteProtocol::CNINFRA && r.dst == route.dst),
    );

    if !run_ip(&["-n", name, "link", "del", "w0"]) {
        by_hand.delete_link(&ns, w0.index).unwrap();
    }
    expect(
        &mut rx,
        &ns,
        "w0 removed",
        |k| matches!(k, EventKind::LinkRemoved(l) if l.name == "w0"),
    );

    // After unwatch, nothing more comes from the namespace.
    nl.unwatch(&ns);
    by_hand.add_link(&ns, &NewLink::bridge("w1")).unwrap();
    by_hand
        .add_link(&other.namespace(), &NewLink::bridge("w2"))
        .unwrap();
    expect(
        &mut rx,
        &other.namespace(),
        "w2 in the watched one",
        |k| matches!(k, EventKind::LinkAdded(l) if l.name == "w2"),
    );
    while let Ok(event) = rx.try_recv() {
        assert_ne!(event.namespace, ns, "unwatched, yet {event:?}");
    }
}

#[test]
fn a_watched_namespace_that_goes_away_is_reported() {
    if !kernel_tests_allowed("a_watched_namespace_that_goes_away_is_reported") {
        return;
    }
    let nl = client();
    let mut pod = ThreadNamespace::new();
    let pn = pod.namespace();
    let named = ScratchNamespace::new(&nl, "gone");
    let nn = named.namespace();
    let mut rx = nl.subscribe();
    nl.watch(&pn).unwrap();
    nl.watch(&nn).unwrap();

    pod.end();
    expect(&mut rx, &pn, "the pod's namespace is gone", |k| {
        matches!(k, EventKind::NamespaceGone)
    });
    drop(named);
    expect(&mut rx, &nn, "the named namespace is gone", |k| {
        matches!(k, EventKind::NamespaceGone)
    });
    let err = nl.watch(&pn).unwrap_err();
    assert!(err.is_namespace_gone(), "{err:?}");
}
