//! The registry on a local subscriber: levels, defaults, the next-line effect, formats.

mod support;

use cninfra_logging::{LogFormat, LogLevel, LogRegistry, LogSettings, LoggingError};
use support::Capture;
use tracing::dispatcher;

fn registry(settings: LogSettings) -> (std::sync::Arc<LogRegistry>, tracing::Dispatch, Capture) {
    let capture = Capture::default();
    let (registry, dispatch) = LogRegistry::new(settings.with_writer(capture.clone()));
    (registry, dispatch, capture)
}

#[test]
fn a_level_change_applies_to_the_next_line() {
    let (registry, dispatch, capture) = registry(LogSettings::new());
    registry.register("net").unwrap();
    dispatcher::with_default(&dispatch, || {
        tracing::debug!(target: "net", "hidden-1");
        registry.set_level("net", LogLevel::Debug).unwrap();
        tracing::debug!(target: "net", "shown-2");
        tracing::debug!(target: "net::tcp", "shown-3");
        tracing::debug!(target: "network", "hidden-4");
        registry.set_level("net", LogLevel::Info).unwrap();
        tracing::debug!(target: "net", "hidden-5");
        tracing::info!(target: "net", "shown-6");
    });
    let text = capture.text();
    for shown in ["shown-2", "shown-3", "shown-6"] {
        assert!(text.contains(shown), "{shown} missing from:\n{text}");
    }
    for hidden in ["hidden-1", "hidden-4", "hidden-5"] {
        assert!(!text.contains(hidden), "{hidden} written:\n{text}");
    }
}

#[test]
fn loggers_follow_the_default_until_given_their_own_level() {
    let (registry, dispatch, capture) =
        registry(LogSettings::new().with_default_level(LogLevel::Warn));
    registry.register("a").unwrap();
    registry.register("b").unwrap();
    registry.set_level("b", LogLevel::Error).unwrap();
    registry.set_default_level(LogLevel::Debug).unwrap();
    assert_eq!(
        registry.list(),
        vec![
            ("a".to_owned(), LogLevel::Debug),
            ("b".to_owned(), LogLevel::Error)
        ]
    );
    assert_eq!(registry.level("default"), Some(LogLevel::Debug));
    dispatcher::with_default(&dispatch, || {
        tracing::debug!(target: "a", "a-debug");
        tracing::warn!(target: "b", "b-warn");
        tracing::debug!(target: "unregistered", "other-debug");
    });
    let text = capture.text();
    assert!(
        text.contains("a-debug") && text.contains("other-debug"),
        "{text}"
    );
    assert!(!text.contains("b-warn"), "{text}");
}

#[test]
fn the_default_pseudo_logger_sets_the_default_level() {
    let (registry, _dispatch, _capture) = registry(LogSettings::new());
    registry.set_level("default", LogLevel::Trace).unwrap();
    assert_eq!(registry.default_level(), LogLevel::Trace);
}

#[test]
fn fatal_and_panic_keep_their_names_and_let_errors_through() {
    let (registry, dispatch, capture) = registry(LogSettings::new());
    registry.register("core").unwrap();
    registry.set_level("core", LogLevel::Fatal).unwrap();
    assert_eq!(registry.level("core"), Some(LogLevel::Fatal));
    dispatcher::with_default(&dispatch, || {
        tracing::warn!(target: "core", "core-warn");
        tracing::error!(target: "core", "core-error");
    });
    let text = capture.text();
    assert!(
        text.contains("core-error") && !text.contains("core-warn"),
        "{text}"
    );
}

#[test]
fn levels_of_unknown_loggers_wait_for_them_and_bad_names_are_refused() {
    let (registry, _dispatch, _capture) = registry(LogSettings::new());
    registry.register("etcd").unwrap();
    registry.set_level("kafka", LogLevel::Debug).unwrap();
    assert_eq!(registry.level("kafka"), None);
    assert_eq!(registry.list(), vec![("etcd".to_owned(), LogLevel::Info)]);
    registry.register("kafka").unwrap();
    assert_eq!(registry.level("kafka"), Some(LogLevel::Debug));
    assert!(matches!(
        registry.set_level("a b", LogLevel::Debug),
        Err(LoggingError::InvalidLoggerName { .. })
    ));
    for bad in ["", "default", "a b", "x/y"] {
        assert!(
            matches!(
                registry.register(bad),
                Err(LoggingError::InvalidLoggerName { .. })
            ),
            "{bad:?} accepted"
        );
    }
    registry.register("cninfra_rpc::rest").unwrap();
    registry.register("etcd").unwrap(); // again: no change, no error
    assert_eq!(registry.list().len(), 3);
}

#[test]
fn changes_fail_once_the_subscriber_is_dropped() {
    let (registry, dispatch, _capture) = registry(LogSettings::new());
    registry.register("a").unwrap();
    drop(dispatch);
    let err = registry.set_level("a", LogLevel::Debug).unwrap_err();
    assert!(
        matches!(err, LoggingError::SubscriberGone { .. }),
        "{err:?}"
    );
    assert_eq!(
        registry.level("a"),
        Some(LogLevel::Info),
        "state must not change"
    );
}

#[test]
fn the_format_switches_at_run_time_even_inside_an_open_span() {
    let (registry, dispatch, capture) = registry(LogSettings::new());
    dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("request", id = 7);
        let _entered = span.enter();
        tracing::info!(target: "app", n = 1, "as-text");
        registry.set_format(LogFormat::Json);
        tracing::info!(target: "app", n = 2, "as-json");
    });
    assert_eq!(registry.format(), LogFormat::Json);
    let text_line = &capture.lines_with("as-text")[0];
    assert!(
        text_line.contains("INFO") && text_line.contains("n=1"),
        "{text_line}"
    );
    let json_line = &capture.lines_with("as-json")[0];
    let json: serde_json::Value = serde_json::from_str(json_line).unwrap();
    assert_eq!(json["level"], "INFO");
    assert_eq!(json["target"], "app");
    assert_eq!(json["fields"]["message"], "as-json");
    assert_eq!(json["fields"]["n"], 2);
    assert_eq!(json["span"]["id"], 7);
}

#[test]
fn bad_environment_values_are_logged_as_warnings() {
    let settings = LogSettings::from_vars([("INITIAL_LOGLVL", "loud")]);
    let (registry, _dispatch, capture) = registry(settings);
    assert_eq!(registry.default_level(), LogLevel::Info);
    let warning = &capture.lines_with("INITIAL_LOGLVL")[0];
    assert!(
        warning.contains("WARN") && warning.contains("loud"),
        "{warning}"
    );
}
