//! Callback subscribers: synchronous order, reads and writes from callbacks, panics.

mod support;

use std::sync::{Arc, Mutex};

use cninfra_idxmap::{EventKind, IdxMap};
use support::{item, items_map};

type Log = Arc<Mutex<Vec<String>>>;

fn recorder(map: &IdxMap<support::Item>, name: &str) -> (Log, cninfra_idxmap::WatchHandle) {
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    let tag = name.to_owned();
    let handle = map
        .watch(name, move |ev| {
            sink.lock()
                .unwrap()
                .push(format!("{tag}:{}:{:?}:{}", ev.name, ev.kind(), ev.seq));
        })
        .unwrap();
    (log, handle)
}

#[test]
fn callbacks_run_before_the_write_returns_in_order() {
    let map = items_map(16);
    let (first, _h1) = recorder(&map, "one");
    let (second, _h2) = recorder(&map, "two");
    map.put("a", item("x", &[]));
    assert_eq!(
        *first.lock().unwrap(),
        ["one:a:Created:0"],
        "ran synchronously"
    );
    map.put("a", item("y", &[]));
    map.delete("a");
    assert_eq!(
        *first.lock().unwrap(),
        ["one:a:Created:0", "one:a:Updated:1", "one:a:Deleted:2"]
    );
    assert_eq!(
        *second.lock().unwrap(),
        ["two:a:Created:0", "two:a:Updated:1", "two:a:Deleted:2"]
    );
}

#[test]
fn dropping_or_unsubscribing_the_handle_stops_callbacks() {
    let map = items_map(16);
    let (log, handle) = recorder(&map, "h");
    let (other, other_handle) = recorder(&map, "o");
    map.put("a", item("x", &[]));
    drop(handle);
    other_handle.unsubscribe();
    map.put("b", item("x", &[]));
    assert_eq!(log.lock().unwrap().len(), 1);
    assert_eq!(other.lock().unwrap().len(), 1);
    let (_again, _h) = recorder(&map, "h"); // the name is free again
}

#[test]
fn callback_can_read_the_map_it_watches() {
    let map = items_map(16);
    let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let (reader, sink) = (map.clone(), Arc::clone(&seen));
    let _h = map
        .watch("reader", move |ev| {
            let now = reader.get(&ev.name).map(|v| v.kind.clone());
            let indexed = reader.lookup_by_index("by-kind", "x").unwrap().len();
            sink.lock()
                .unwrap()
                .push(now.map(|k| format!("{k}/{indexed}")));
        })
        .unwrap();
    map.put("a", item("x", &[]));
    map.delete("a");
    assert_eq!(*seen.lock().unwrap(), [Some("x/1".to_owned()), None]);
}

#[test]
fn write_from_a_callback_is_delivered_after_the_current_event() {
    let map = items_map(16);
    let writer = map.clone();
    let _cascade = map
        .watch("cascade", move |ev| {
            if &*ev.name == "a" && ev.kind() == EventKind::Created {
                writer.put("b", item("from-callback", &[]));
            }
        })
        .unwrap();
    let (log, _h) = recorder(&map, "log");
    map.put("a", item("x", &[]));
    assert_eq!(map.get("b").unwrap().kind, "from-callback");
    assert_eq!(*log.lock().unwrap(), ["log:a:Created:0", "log:b:Created:1"]);
}

#[test]
fn a_panicking_callback_does_not_stop_the_others() {
    let map = items_map(16);
    let _bad = map.watch("bad", |_| panic!("subscriber bug")).unwrap();
    let (log, _h) = recorder(&map, "good");
    map.put("a", item("x", &[]));
    map.put("b", item("x", &[]));
    assert_eq!(log.lock().unwrap().len(), 2);
    assert_eq!(map.len(), 2);
}

#[test]
fn subscribing_from_a_callback_does_not_deadlock() {
    let map: IdxMap<u32> = IdxMap::new("nested");
    let inner = map.clone();
    let handles = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&handles);
    let _h = map
        .watch("spawner", move |ev| {
            let handle = inner.watch(&format!("child-{}", ev.name), |_| {}).unwrap();
            keep.lock().unwrap().push(handle);
        })
        .unwrap();
    map.put("a", 1);
    map.put("b", 2);
    assert_eq!(handles.lock().unwrap().len(), 2);
}
