//! Concurrent local commits: neither waits for the other's acknowledgements, and every watch
//! receives them whole and in the same (revision) order.

mod support;

use cninfra_datasync::StoreSource;
use support::{Stack, WAIT, expect_change, quick_config, text};

#[tokio::test]
async fn concurrent_commits_both_complete_in_one_order_without_waiting_for_each_others_acks() {
    let stack = Stack::start(
        StoreSource::none(),
        quick_config(),
        &[("wide", &["config/"]), ("narrow", &["config/ex/"])],
    )
    .await;
    stack.rounds_done(1).await;
    let (mut wide, mut narrow) = (stack.watcher("wide"), stack.watcher("narrow"));
    let local = stack.sync.local();

    let first = tokio::spawn(
        local
            .txn()
            .put("config/ex/a", "1")
            .put("config/other/b", "1")
            .commit(),
    );
    let second = tokio::spawn(
        local
            .txn()
            .put("config/ex/a", "2")
            .put("config/other/b", "2")
            .commit(),
    );

    // `wide` takes all four changes before acknowledging any: the later commit is delivered
    // while the earlier one still waits for its acknowledgements.
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(expect_change(&mut wide).await);
    }
    assert!(!first.is_finished() && !second.is_finished());
    let wide_order: Vec<_> = seen
        .iter()
        .map(|c| {
            (
                c.key.clone(),
                text(c.value.as_ref()),
                text(c.prev_value.as_ref()),
                c.revision,
            )
        })
        .collect();
    // Whichever commit took revision 1, its changes come first and whole, and the other's
    // previous values are its values.
    let earlier = text(seen[0].value.as_ref()).unwrap();
    let later = if earlier == "1" { "2" } else { "1" };
    let (earlier, later) = (Some(earlier), Some(later.to_owned()));
    assert_eq!(
        wide_order,
        [
            ("config/ex/a".to_owned(), earlier.clone(), None, 1),
            ("config/other/b".to_owned(), earlier.clone(), None, 1),
            ("config/ex/a".to_owned(), later.clone(), earlier.clone(), 2),
            (
                "config/other/b".to_owned(),
                later.clone(),
                earlier.clone(),
                2
            ),
        ]
    );

    // `narrow` sees the same order for its key.
    let mut narrow_order = Vec::new();
    for _ in 0..2 {
        let change = expect_change(&mut narrow).await;
        narrow_order.push((
            change.key.clone(),
            text(change.value.as_ref()),
            change.revision,
        ));
        change.done.ok();
    }
    assert_eq!(
        narrow_order,
        [
            ("config/ex/a".to_owned(), earlier, 1),
            ("config/ex/a".to_owned(), later, 2),
        ]
    );

    // Acknowledged newest first: each commit completes on its own acknowledgements.
    for change in seen.into_iter().rev() {
        change.done.ok();
    }
    for commit in [first, second] {
        let report = tokio::time::timeout(WAIT, commit)
            .await
            .expect("the commit completes")
            .unwrap();
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.outcomes.len(), 2);
    }
    stack.stop().await;
}
