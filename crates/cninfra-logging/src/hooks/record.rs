//! [`Record`]: one log event as the hooks send it, and its encodings (syslog line, logstash
//! JSON line, fluent forward message).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level};

/// A log event, taken apart once and shared by every hook that wants it.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) time: SystemTime,
    pub(crate) level: Level,
    /// The tracing target: the logger.
    pub(crate) logger: String,
    pub(crate) message: String,
    pub(crate) fields: BTreeMap<String, Value>,
}

impl Record {
    pub(crate) fn of(event: &Event<'_>) -> Self {
        let mut visitor = Fields::default();
        event.record(&mut visitor);
        let meta = event.metadata();
        Self {
            time: SystemTime::now(),
            level: *meta.level(),
            logger: meta.target().to_owned(),
            message: visitor.message,
            fields: visitor.fields,
        }
    }

    /// Upstream's level name (`warning` as logrus writes it).
    pub(crate) fn level_name(&self) -> &'static str {
        match self.level {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        }
    }

    /// The logrus text form: `time="…" level=error msg="…" logger=… key=value`.
    pub(crate) fn text(&self) -> String {
        let mut out = format!(
            "time=\"{}\" level={} msg={:?} logger={}",
            humantime::format_rfc3339_micros(self.time),
            self.level_name(),
            self.message,
            self.logger
        );
        for (key, value) in &self.fields {
            match value {
                Value::String(text) => {
                    let _ = write!(out, " {key}={text:?}");
                }
                other => {
                    let _ = write!(out, " {key}={other}");
                }
            }
        }
        out
    }

    /// The logstash form (logrus-logstash-hook's): one JSON object with `@timestamp`,
    /// `@version`, `level`, `message`, `type` (the label), `logger` and the fields.
    pub(crate) fn logstash(&self, label: &str) -> String {
        let mut object: Map<String, Value> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        object.insert(
            "@timestamp".into(),
            humantime::format_rfc3339_millis(self.time)
                .to_string()
                .into(),
        );
        object.insert("@version".into(), "1".into());
        object.insert("level".into(), self.level_name().into());
        object.insert("message".into(), self.message.clone().into());
        object.insert("logger".into(), self.logger.clone().into());
        object.insert("type".into(), label.into());
        let mut line = Value::Object(object).to_string();
        line.push('\n');
        line
    }

    /// The fluent forward protocol's message mode: `[tag, time, record]` in MessagePack,
    /// the record holding `message`, `level`, `logger` and the fields.
    pub(crate) fn fluent(&self, tag: &str) -> Vec<u8> {
        let mut record: Vec<(String, Value)> = self
            .fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        record.push(("message".into(), self.message.clone().into()));
        record.push(("level".into(), self.level_name().into()));
        record.push(("logger".into(), self.logger.clone().into()));
        let mut out = Vec::with_capacity(128);
        // Writing MessagePack into a Vec cannot fail.
        let _ = rmp::encode::write_array_len(&mut out, 3);
        let _ = rmp::encode::write_str(&mut out, tag);
        let seconds = self
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let _ = rmp::encode::write_uint(&mut out, seconds);
        let _ = rmp::encode::write_map_len(&mut out, u32::try_from(record.len()).unwrap_or(0));
        for (key, value) in &record {
            let _ = rmp::encode::write_str(&mut out, key);
            write_value(&mut out, value);
        }
        out
    }
}

/// A JSON value in MessagePack (fields hold strings, numbers and booleans).
fn write_value(out: &mut Vec<u8>, value: &Value) {
    let _ = match value {
        Value::Bool(b) => rmp::encode::write_bool(out, *b).map_err(|_| ()),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => rmp::encode::write_uint(out, u).map(|_| ()).map_err(|_| ()),
            (None, Some(i), _) => rmp::encode::write_sint(out, i).map(|_| ()).map_err(|_| ()),
            (_, _, Some(f)) => rmp::encode::write_f64(out, f).map_err(|_| ()),
            _ => rmp::encode::write_nil(out).map_err(|_| ()),
        },
        Value::String(s) => rmp::encode::write_str(out, s).map_err(|_| ()),
        other => rmp::encode::write_str(out, &other.to_string()).map_err(|_| ()),
    };
}

/// Collects the message and the fields of an event.
#[derive(Default)]
struct Fields {
    message: String,
    fields: BTreeMap<String, Value>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.message);
        } else {
            self.fields.insert(field.name().to_owned(), value.into());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields.insert(field.name().to_owned(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields.insert(field.name().to_owned(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields.insert(field.name().to_owned(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.fields.insert(field.name().to_owned(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.fields
                .insert(field.name().to_owned(), format!("{value:?}").into());
        }
    }
}
