//! Derived values and properties.

mod scheduler_fixture;

use cninfra_kvscheduler::ValueState;
use scheduler_fixture::{ops, setup, tv, v};

#[tokio::test]
async fn derived_values_and_properties_live_with_their_base() -> anyhow::Result<()> {
    let (s, sb) = setup();
    let base = tv("base")
        .with_derived("d/1", tv("one"))
        .with_derived("p/prop", tv("property"));
    let seq = s.txn().put("a/base", base.value()).commit().await?;
    assert_eq!(
        ops(&s, seq),
        [
            "CREATE a/base",
            "CREATE [DERIVED] d/1",
            "CREATE [PROPERTY] p/prop"
        ]
    );
    // The property has no descriptor: no southbound call.
    assert_eq!(sb.take_calls(), ["create a/base", "create d/1"]);
    let status = s.status("a/base");
    let derived: Vec<(String, ValueState)> = status
        .derived_values
        .iter()
        .map(|d| (d.key.clone(), d.state))
        .collect();
    assert_eq!(
        derived,
        [
            ("d/1".into(), ValueState::Configured),
            ("p/prop".into(), ValueState::Configured)
        ]
    );

    // A value may depend on a property.
    s.txn()
        .put("b/user", tv("u").with_deps(["p/prop"]).value())
        .commit()
        .await?;
    assert_eq!(s.status("b/user").value.state, ValueState::Configured);

    // Dropping a derived value from the base deletes it; its dependants go pending.
    let seq = s
        .txn()
        .put("a/base", tv("base").with_derived("d/1", tv("one")).value())
        .commit()
        .await?;
    assert_eq!(
        ops(&s, seq),
        [
            "DELETE [IS-PENDING] b/user",
            "DELETE [PROPERTY] p/prop",
            "UPDATE a/base"
        ]
    );
    assert_eq!(s.status("b/user").value.state, ValueState::Pending);

    // Deleting the base removes derived values outright (no pending copy).
    sb.take_calls();
    s.txn().delete("a/base").commit().await?;
    assert_eq!(sb.take_calls(), ["delete d/1", "delete a/base"]);
    assert_eq!(s.status("d/1").value.state, ValueState::Nonexistent);
    Ok(())
}

#[tokio::test]
async fn a_derived_value_waits_for_its_own_dependencies() -> anyhow::Result<()> {
    let (s, sb) = setup();
    let base = tv("base").with_derived("d/1", tv("one").with_deps(["b/dep"]));
    let seq = s.txn().put("a/base", base.value()).commit().await?;
    assert_eq!(
        ops(&s, seq),
        ["CREATE a/base", "CREATE [DERIVED NOOP IS-PENDING] d/1"]
    );
    assert_eq!(s.status("a/base").value.state, ValueState::Configured);
    assert_eq!(s.status("a/base").derived_values[0].details, ["b/dep"]);
    let seq = s.txn().put("b/dep", v("dep")).commit().await?;
    assert_eq!(
        ops(&s, seq),
        ["CREATE b/dep", "CREATE [DERIVED WAS-PENDING] d/1"]
    );
    assert_eq!(
        sb.take_calls(),
        ["create a/base", "create b/dep", "create d/1"]
    );
    Ok(())
}

#[tokio::test]
async fn changed_derived_value_is_updated() -> anyhow::Result<()> {
    let (s, sb) = setup();
    s.txn()
        .put("a/base", tv("b").with_derived("d/1", tv("one")).value())
        .commit()
        .await?;
    let seq = s
        .txn()
        .put("a/base", tv("b").with_derived("d/1", tv("two")).value())
        .commit()
        .await?;
    // The base changed too (its derived list is part of it).
    assert_eq!(ops(&s, seq), ["UPDATE a/base", "UPDATE [DERIVED] d/1"]);
    assert_eq!(
        sb.take_calls(),
        ["create a/base", "create d/1", "update a/base", "update d/1"]
    );
    assert_eq!(sb.values()["d/1"].data, "two");
    Ok(())
}
