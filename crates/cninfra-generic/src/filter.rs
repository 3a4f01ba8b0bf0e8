//! Which items a GetConfig, DumpState or Subscribe call is about: ids, or labels.

use std::collections::HashMap;

use cninfra_kvscheduler::orchestrator::ItemLabels;

use crate::pb::item;

/// Items by id: none listed = every item; an id with an empty name = every item of its
/// model (a singleton's name is empty anyway).
pub(crate) fn id_matches(wanted: &[item::Id], id: &item::Id) -> bool {
    wanted.is_empty()
        || wanted
            .iter()
            .any(|w| w.model == id.model && (w.name.is_empty() || w.name == id.name))
}

/// Upstream's label filter: `key: value` wants the label with that value, `key: ""` wants
/// the label with any value, `!key: value` refuses the label with that value, `!key: ""`
/// refuses the label with any value. Every condition must hold.
pub(crate) fn labels_match(wanted: &HashMap<String, String>, have: &ItemLabels) -> bool {
    wanted
        .iter()
        .all(|(key, value)| match key.strip_prefix('!') {
            Some(key) => match have.get(key) {
                Some(found) => !value.is_empty() && found != value,
                None => true,
            },
            None => have
                .get(key)
                .is_some_and(|found| value.is_empty() || found == value),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> ItemLabels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn wanted(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn label_filters_follow_upstream() {
        let have = labels(&[("com.example.owner", "a"), ("com.example.tier", "web")]);
        assert!(labels_match(&wanted(&[]), &have));
        assert!(labels_match(&wanted(&[("com.example.owner", "a")]), &have));
        assert!(!labels_match(&wanted(&[("com.example.owner", "b")]), &have));
        assert!(labels_match(&wanted(&[("com.example.owner", "")]), &have));
        assert!(!labels_match(&wanted(&[("com.example.zone", "")]), &have));
        assert!(!labels_match(&wanted(&[("!com.example.owner", "")]), &have));
        assert!(!labels_match(
            &wanted(&[("!com.example.owner", "a")]),
            &have
        ));
        assert!(labels_match(&wanted(&[("!com.example.owner", "b")]), &have));
        assert!(labels_match(&wanted(&[("!com.example.zone", "")]), &have));
        assert!(!labels_match(
            &wanted(&[("com.example.owner", "a"), ("!com.example.tier", "web")]),
            &have
        ));
    }

    #[test]
    fn ids_match_by_model_and_name() {
        let id = |model: &str, name: &str| item::Id {
            model: model.to_owned(),
            name: name.to_owned(),
        };
        let fib = id("vpp.l2.fib", "bd1/mac/62:89:c6:a3:7e:3a");
        assert!(id_matches(&[], &fib));
        assert!(id_matches(&[id("vpp.l2.fib", "")], &fib));
        assert!(id_matches(
            &[id("vpp.l2.fib", "bd1/mac/62:89:c6:a3:7e:3a")],
            &fib
        ));
        assert!(!id_matches(
            &[id("vpp.l2.fib", "bd1/mac/00:00:00:00:00:01")],
            &fib
        ));
        assert!(!id_matches(&[id("vpp.interfaces", "")], &fib));
    }
}
