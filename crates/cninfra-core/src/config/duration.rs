//! Serde helpers for [`Duration`] config fields: `"5s"`, `"100ms"`, `"1m 30s"` or a whole
//! number of nanoseconds (as upstream accepts).
//!
//! Use with `#[serde(with = "cninfra_core::config::duration")]`; written back as text.

use std::fmt;
use std::time::Duration;

use serde::{Deserializer, Serializer, de};

/// Writes the duration as human-readable text (`1s 500ms`).
pub fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_duration(*value))
}

/// Reads `"5s"`-style text or a number of nanoseconds.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    deserializer.deserialize_any(DurationVisitor)
}

struct DurationVisitor;

impl de::Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration such as \"5s\" or \"100ms\", or a number of nanoseconds")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        humantime::parse_duration(v.trim())
            .map_err(|err| E::custom(format_args!("invalid duration {v:?}: {err}")))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Ok(Duration::from_nanos(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        u64::try_from(v)
            .map(Duration::from_nanos)
            .map_err(|_| E::custom(format_args!("invalid duration {v}: negative")))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
    struct T {
        #[serde(with = "super")]
        d: Duration,
    }

    #[test]
    fn parses_text_and_nanoseconds_and_round_trips() {
        let t: T = serde_yaml_ng::from_str("d: 1m 30s").unwrap();
        assert_eq!(t.d, Duration::from_secs(90));
        let t: T = serde_yaml_ng::from_str("d: 1500").unwrap();
        assert_eq!(t.d, Duration::from_nanos(1500));
        let back: T = serde_yaml_ng::from_str(&serde_yaml_ng::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        let err = serde_yaml_ng::from_str::<T>("d: soon")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid duration \"soon\""), "{err}");
    }
}
