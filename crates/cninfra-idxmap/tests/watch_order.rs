//! Channel subscribers: order, many subscribers, names, unsubscribe, close.

mod support;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use cninfra_idxmap::{
    EventKind, IdxMap, IdxMapError, Notification, RecvTimeoutError, TryRecvError,
};
use support::{Mirror, contents, item, items_map};

const WAIT: Duration = Duration::from_secs(5);

fn next_event(
    sub: &mut cninfra_idxmap::Subscription<support::Item>,
) -> Arc<cninfra_idxmap::Event<support::Item>> {
    match sub.recv_timeout(WAIT) {
        Ok(Notification::Event(event)) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

#[test]
fn every_subscriber_gets_every_change_in_order() {
    let map = items_map(1024);
    let mut subs: Vec<_> = (0..3)
        .map(|i| map.subscribe(&format!("s{i}")).unwrap())
        .collect();
    map.put("a", item("x", &[]));
    map.put("a", item("y", &[]));
    map.put("b", item("x", &[]));
    map.delete("a");
    map.update("missing", item("x", &[])); // no change, no event
    map.delete("missing");
    for sub in &mut subs {
        let events: Vec<_> = (0..4).map(|_| next_event(sub)).collect();
        let seen: Vec<_> = events
            .iter()
            .map(|e| (e.name.to_string(), e.kind()))
            .collect();
        assert_eq!(
            seen,
            [
                ("a".to_owned(), EventKind::Created),
                ("a".to_owned(), EventKind::Updated),
                ("b".to_owned(), EventKind::Created),
                ("a".to_owned(), EventKind::Deleted),
            ]
        );
        assert_eq!(events[1].prev.as_ref().unwrap().kind, "x");
        assert_eq!(events[1].value.as_ref().unwrap().kind, "y");
        assert!(events[3].is_delete());
        assert_eq!(&*events[0].title, "items");
        assert!(events.windows(2).all(|w| w[1].seq == w[0].seq + 1));
        assert_eq!(sub.try_recv().unwrap_err(), TryRecvError::Empty);
    }
}

#[test]
fn subscriber_sees_only_changes_after_it_subscribed() {
    let map = items_map(16);
    map.put("before", item("x", &[]));
    let mut sub = map.subscribe("late").unwrap();
    map.put("after", item("x", &[]));
    assert_eq!(&*next_event(&mut sub).name, "after");
    assert_eq!(sub.try_recv().unwrap_err(), TryRecvError::Empty);
}

#[test]
fn events_share_values_with_the_map() {
    let map = items_map(16);
    let mut first = map.subscribe("one").unwrap();
    let mut second = map.subscribe("two").unwrap();
    map.put("a", item("x", &[]));
    let stored = map.get("a").unwrap();
    let (a, b) = (next_event(&mut first), next_event(&mut second));
    assert!(Arc::ptr_eq(&a, &b), "one event is fanned out, not copied");
    assert!(Arc::ptr_eq(a.value.as_ref().unwrap(), &stored));
}

#[test]
fn duplicate_subscriber_names_are_rejected_until_the_first_is_dropped() {
    let map = items_map(16);
    let sub = map.subscribe("dup").unwrap();
    let err = map.subscribe("dup").unwrap_err();
    assert_eq!(
        err,
        IdxMapError::DuplicateSubscriber {
            map: "items".into(),
            subscriber: "dup".into()
        }
    );
    let err = map.watch("dup", |_| {}).unwrap_err();
    assert!(matches!(err, IdxMapError::DuplicateSubscriber { .. }));
    drop(sub);
    let _again = map.subscribe("dup").unwrap();
    assert!(matches!(
        map.subscribe_with_capacity("zero", 0),
        Err(IdxMapError::ZeroCapacity { .. })
    ));
}

#[test]
fn dropping_the_map_closes_subscriptions_after_buffered_events() {
    let map = items_map(16);
    let mut sub = map.subscribe("s").unwrap();
    map.put("a", item("x", &[]));
    drop(map);
    assert_eq!(&*next_event(&mut sub).name, "a");
    assert_eq!(
        sub.recv_timeout(WAIT).unwrap_err(),
        RecvTimeoutError::Closed
    );
    assert_eq!(sub.try_recv().unwrap_err(), TryRecvError::Closed);
}

#[test]
fn recv_timeout_times_out_when_nothing_happens() {
    let map = items_map(16);
    let mut sub = map.subscribe("idle").unwrap();
    assert_eq!(
        sub.recv_timeout(Duration::from_millis(20)).unwrap_err(),
        RecvTimeoutError::Timeout
    );
    assert!(sub.is_empty());
    assert_eq!(sub.name(), "idle");
}

#[test]
fn blocked_receiver_wakes_up_for_a_write_from_another_thread() {
    let map = items_map(16);
    let mut sub = map.subscribe("waiter").unwrap();
    let writer = {
        let map = map.clone();
        thread::spawn(move || map.put("a", item("x", &[])))
    };
    assert_eq!(&*next_event(&mut sub).name, "a");
    writer.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_recv_follows_writes_from_a_blocking_thread() {
    let map = items_map(4);
    let mut sub = map.subscribe("async").unwrap();
    let writer = {
        let map = map.clone();
        tokio::task::spawn_blocking(move || {
            for i in 0..100 {
                map.put(&format!("n{}", i % 10), item("x", &[]));
            }
            map.clear();
            map.put("done", item("x", &[]));
        })
    };
    let mut mirror = Mirror::default();
    while !mirror.entries.contains_key("done") {
        let notification = tokio::time::timeout(WAIT, sub.recv())
            .await
            .unwrap()
            .unwrap();
        mirror.apply_notification(notification);
    }
    writer.await.unwrap();
    assert_eq!(mirror.entries, contents(&map));
}

#[test]
fn clear_sends_a_delete_per_entry() {
    let map = items_map(16);
    map.put("a", item("x", &[]));
    map.put("b", item("x", &[]));
    let mut sub = map.subscribe("s").unwrap();
    assert_eq!(map.clear(), 2);
    let mut names: Vec<String> = (0..2)
        .map(|_| next_event(&mut sub))
        .map(|e| {
            assert!(e.is_delete());
            e.name.to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn map_without_subscribers_still_numbers_changes() {
    let map: IdxMap<u32> = IdxMap::new("n");
    map.put("a", 1);
    map.put("b", 2);
    let mut sub = map.subscribe("s").unwrap();
    map.put("c", 3);
    match sub.recv_timeout(WAIT).unwrap() {
        Notification::Event(event) => assert_eq!(event.seq, 2),
        other => panic!("unexpected {other:?}"),
    }
}
