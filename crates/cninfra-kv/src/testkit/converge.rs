//! The watch check for stores whose watches report states rather than every change
//! ([`KitOptions::watch_every_change`](super::KitOptions::watch_every_change) false):
//! back-to-back writes may merge, but every key converges to its last state, events of
//! one key never go back in time, and nothing is reported that was not written.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;

use super::harness::Check;
use super::{CheckFailure, CheckResult, Outcome};
use crate::store::KvStore;
use crate::watch::{ChangeKind, KeyChange};

/// The writes of [`watch_converges`], back to back: relative key and `Some(value)` for a
/// put, `None` for a delete. Final state: `a` = 3, `b` = 3, `c` and `d` absent.
const WRITES: &[(&str, Option<&str>)] = &[
    ("a", Some("1")),
    ("a", Some("2")),
    ("b", Some("1")),
    ("a", None),
    ("c", Some("1")),
    ("a", Some("3")),
    ("b", Some("2")),
    ("c", None),
    ("b", Some("3")),
    ("d", Some("1")),
    ("d", None),
];

/// The key written once the watcher has converged; its event closes the check.
const MARKER: &str = "marker";

/// A watch started now converges on the state of its prefix after back-to-back writes:
/// the last state of every key arrives; the events of one key follow its writes in order
/// (skipping states and repeating the current one are allowed, going back is not); no
/// event reports a state that was never written; previous values (when the store reports
/// them) are the state the watch reported before for that key. After convergence only
/// repeats of final states may arrive before the event of a last, marker write.
///
/// This is the watch check for stores that merge changes made in quick succession (see
/// [`KitOptions`](super::KitOptions)); every store that passes
/// [`watch_live`](super::watch_live) passes this one too.
pub async fn watch_converges(store: &Arc<dyn KvStore>, prefix: &str) -> CheckResult {
    if !store.capabilities().watch {
        return Ok(Outcome::skipped("the store has no watch"));
    }
    let c = Check::start("watch_converges", store, prefix).await?;
    let result = watch_converges_body(&c).await;
    c.finish(result).await
}

async fn watch_converges_body(c: &Check) -> CheckResult {
    let mut watch = c.watch(&[""], None).await?;
    let mut tracker = Tracker::new(WRITES, c.caps.prev_values);
    for (rel, write) in WRITES {
        match write {
            Some(value) => {
                c.put(rel, *value).await?;
            }
            None => {
                c.delete(rel, false).await?;
            }
        }
    }
    let mut seen = 0;
    while !tracker.converged() {
        let waiting = format!(
            "converging after {seen} events; watched state {:?}",
            tracker.view
        );
        let change = c.next_change(&mut watch, &waiting).await?;
        seen += 1;
        observe(c, &mut tracker, &change)?;
    }
    tracker.add_write(MARKER, Some("end"));
    c.put(MARKER, "end").await?;
    loop {
        let change = c.next_change(&mut watch, "waiting for the marker").await?;
        observe(c, &mut tracker, &change)?;
        if change.key == c.key(MARKER) {
            return Ok(Outcome::Passed);
        }
    }
}

/// Feeds one event to the tracker, failing the check with what went wrong.
fn observe(c: &Check, tracker: &mut Tracker, change: &KeyChange) -> Result<(), CheckFailure> {
    let rel = change.key.strip_prefix(&c.base).ok_or_else(|| {
        c.fail(format!(
            "event for `{}` outside the watched prefix `{}`",
            change.key, c.base
        ))
    })?;
    let value = (change.kind == ChangeKind::Put).then(|| change.value.clone());
    tracker
        .apply(rel, value, change.prev_value.as_ref())
        .map_err(|message| c.fail(message))
}

/// What the watch has shown so far, against what was written.
#[derive(Debug)]
struct Tracker {
    /// Per key, its writes in order (`None` = delete).
    writes: BTreeMap<String, Vec<Option<Bytes>>>,
    /// Per key, the index in `writes` of the state the watch last reported.
    position: BTreeMap<String, usize>,
    /// Per key, the value the watch last reported (absent = none or deleted).
    view: BTreeMap<String, Bytes>,
    check_prev: bool,
}

impl Tracker {
    fn new(writes: &[(&str, Option<&str>)], check_prev: bool) -> Self {
        let mut tracker = Self {
            writes: BTreeMap::new(),
            position: BTreeMap::new(),
            view: BTreeMap::new(),
            check_prev,
        };
        for (rel, write) in writes {
            tracker.add_write(rel, *write);
        }
        tracker
    }

    fn add_write(&mut self, rel: &str, write: Option<&str>) {
        self.writes
            .entry(rel.to_owned())
            .or_default()
            .push(write.map(|v| Bytes::copy_from_slice(v.as_bytes())));
    }

    /// Whether the view holds the last written state of every key.
    fn converged(&self) -> bool {
        self.writes.iter().all(|(rel, writes)| {
            let last = writes.last().and_then(Option::as_ref);
            self.view.get(rel) == last
        })
    }

    /// Checks one event (`value` `None` = delete) and applies it to the view.
    fn apply(
        &mut self,
        rel: &str,
        value: Option<Bytes>,
        prev: Option<&Bytes>,
    ) -> Result<(), String> {
        let what = match &value {
            Some(v) => format!("put `{rel}` = {v:?}"),
            None => format!("delete `{rel}`"),
        };
        let writes = self
            .writes
            .get(rel)
            .ok_or_else(|| format!("phantom event: {what}, but `{rel}` was never written"))?;
        let from = self.position.get(rel).copied().unwrap_or(0);
        let found = writes[from..]
            .iter()
            .position(|write| *write == value)
            .map(|offset| from + offset);
        let Some(index) = found else {
            let earlier = writes[..from].contains(&value);
            return Err(if earlier {
                format!(
                    "out of order: {what} is a state before write #{from} of `{rel}`, which the watch already reported"
                )
            } else {
                format!("phantom event: {what} matches no write of `{rel}` ({writes:?})")
            });
        };
        if self.check_prev && self.view.get(rel) != prev {
            return Err(format!(
                "{what} has previous value {prev:?}, but the watch last reported {:?}",
                self.view.get(rel)
            ));
        }
        self.position.insert(rel.to_owned(), index);
        match value {
            Some(value) => {
                self.view.insert(rel.to_owned(), value);
            }
            None => {
                self.view.remove(rel);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn merged_and_repeated_states_converge() {
        let mut t = Tracker::new(WRITES, true);
        t.apply("a", Some(b("2")), None).unwrap();
        t.apply("b", Some(b("1")), None).unwrap();
        t.apply("a", None, Some(&b("2"))).unwrap();
        t.apply("a", Some(b("3")), None).unwrap();
        assert!(!t.converged());
        t.apply("b", Some(b("3")), Some(&b("1"))).unwrap();
        t.apply("d", None, None).unwrap();
        assert!(t.converged(), "{t:?}");
        // Repeating a final state is harmless.
        let mut repeats = Tracker::new(WRITES, false);
        for (rel, value) in [("a", "3"), ("a", "3"), ("b", "3")] {
            repeats.apply(rel, Some(b(value)), None).unwrap();
        }
        assert!(repeats.converged());
    }

    #[test]
    fn going_back_phantoms_and_wrong_previous_values_fail() {
        let mut t = Tracker::new(WRITES, true);
        t.apply("a", Some(b("3")), None).unwrap();
        let back = t.apply("a", Some(b("1")), Some(&b("3"))).unwrap_err();
        assert!(back.contains("out of order"), "{back}");
        let back = t.apply("a", None, Some(&b("3"))).unwrap_err();
        assert!(back.contains("out of order"), "{back}");
        let phantom = t.apply("b", Some(b("9")), None).unwrap_err();
        assert!(phantom.contains("phantom"), "{phantom}");
        let unknown = t.apply("zz", None, None).unwrap_err();
        assert!(unknown.contains("never written"), "{unknown}");
        let prev = t.apply("b", Some(b("2")), Some(&b("1"))).unwrap_err();
        assert!(prev.contains("previous value"), "{prev}");
        assert!(!t.converged());
    }
}
