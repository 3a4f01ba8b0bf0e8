//! The overflow policy: writers never wait; a lagging subscriber gets a resync snapshot.

mod support;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use cninfra_idxmap::{Notification, TryRecvError};
use support::{Mirror, contents, item, items_map};

const WAIT: Duration = Duration::from_secs(5);

#[test]
fn full_buffer_turns_into_one_resync_with_the_current_contents() {
    let map = items_map(4);
    let mut slow = map.subscribe("slow").unwrap();
    for i in 0..100 {
        map.put(&format!("n{}", i % 7), item(&format!("k{i}"), &[])); // never blocks
    }
    let mut seqs = Vec::new();
    for _ in 0..4 {
        match slow.try_recv().unwrap() {
            Notification::Event(event) => seqs.push(event.seq),
            other => panic!("expected buffered event, got {other:?}"),
        }
    }
    assert_eq!(seqs, [0, 1, 2, 3], "the oldest events are kept, in order");
    match slow.try_recv().unwrap() {
        Notification::Resync { missed, entries } => {
            assert_eq!(missed, 96);
            let snapshot: std::collections::BTreeMap<String, support::Item> = entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), (*v).clone()))
                .collect();
            assert_eq!(snapshot, contents(&map));
        }
        other => panic!("expected a resync, got {other:?}"),
    }
    assert_eq!(slow.try_recv().unwrap_err(), TryRecvError::Empty);
    map.delete("n0");
    match slow.recv_timeout(WAIT).unwrap() {
        Notification::Event(event) => {
            assert_eq!(event.seq, 100, "delivery resumes right after the snapshot");
            assert!(event.is_delete());
        }
        other => panic!("expected an event, got {other:?}"),
    }
}

#[test]
fn a_slow_subscriber_does_not_affect_a_fast_one() {
    let map = items_map(2);
    let _slow = map.subscribe("slow").unwrap();
    let mut fast = map.subscribe_with_capacity("fast", 1000).unwrap();
    for i in 0..500 {
        map.put(&format!("n{i}"), item("k", &[]));
    }
    let mut mirror = Mirror::default();
    mirror.drain(&mut fast, Duration::from_millis(50));
    assert_eq!(mirror.resyncs, 0);
    assert_eq!(mirror.entries, contents(&map));
}

#[test]
fn mirror_through_resyncs_under_concurrent_writes_ends_exact() {
    let map = items_map(8);
    let mut sub = map.subscribe("mirror").unwrap();
    let (first_batch_done, first_batch) = mpsc::channel();
    let writer = {
        let map = map.clone();
        thread::spawn(move || {
            for i in 0..2_000u32 {
                let name = format!("n{}", i % 50);
                match i % 5 {
                    0 => drop(map.delete(&name)),
                    1 => drop(map.update(&name, item("u", &["t"]))),
                    _ => drop(map.put(&name, item(&format!("k{}", i % 3), &[]))),
                }
                if i == 100 {
                    first_batch_done.send(()).unwrap();
                }
            }
            map.put("done", item("end", &[]));
        })
    };
    // Start reading only once the buffer has certainly overflowed.
    first_batch.recv_timeout(WAIT).unwrap();
    let mut mirror = Mirror::default();
    while !mirror.entries.contains_key("done") {
        mirror.apply_notification(sub.recv_timeout(WAIT).unwrap());
    }
    writer.join().unwrap();
    assert!(mirror.resyncs >= 1, "the subscriber lagged at least once");
    assert!(mirror.missed >= 1);
    assert_eq!(mirror.entries, contents(&map));
}
