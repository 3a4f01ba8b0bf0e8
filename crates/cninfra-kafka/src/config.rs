//! [`KafkaConfig`]: the `kafka.conf` file.

use std::time::Duration;

use cninfra_core::Secret;
use cninfra_core::tls::ClientTlsConfig;
use rdkafka::ClientConfig;
use serde::{Deserialize, Serialize};

use crate::partitioner::HashPartitioner;

/// The `kafka.conf` file (`--kafka-config`, `KAFKA_CONFIG`). Without it the plugin is
/// disabled, as upstream.
///
/// # Examples
/// ```
/// use cninfra_kafka::KafkaConfig;
///
/// let config: KafkaConfig = serde_yaml_ng::from_str("addrs: [\"10.0.0.1:9092\"]\ngroup-id: agents\n")?;
/// assert_eq!(config.addrs, ["10.0.0.1:9092"]);
/// assert!(config.idempotence);
/// # Ok::<(), serde_yaml_ng::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct KafkaConfig {
    /// Bootstrap brokers as `host:port`; default `["127.0.0.1:9092"]`.
    pub addrs: Vec<String>,
    /// The hash of the key that [`Partitioner::Hash`](crate::Partitioner::Hash) publishers
    /// use: `fnv1a` (the default, sarama's, so Go producers put a key in the same
    /// partition), `murmur2` (the Java client's) or `crc32` (librdkafka's).
    pub hash_partitioner: HashPartitioner,
    /// Consumer group of the topic watchers; empty (the default) means the service label.
    #[serde(alias = "group_id")]
    pub group_id: String,
    /// TLS to the brokers; off by default.
    pub tls: ClientTlsConfig,
    /// SASL authentication (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512); none by default.
    pub sasl: Option<SaslConfig>,
    /// Whether the sync producer is idempotent (no duplicates on retry); default `true`.
    /// The async producer waits only for the leader, which idempotence forbids, so it never is.
    pub idempotence: bool,
    /// Messages buffered per watcher before its consumer is held back (in batches of at
    /// most 64, or of `buffer-size` when smaller); default 1024.
    pub buffer_size: usize,
    /// Time limit of one request: a produce delivery, a metadata fetch, the connect check;
    /// default `10s`.
    #[serde(with = "cninfra_core::config::duration")]
    pub timeout: Duration,
    /// How often marked offsets are committed; default `1s`. Close commits once more.
    #[serde(with = "cninfra_core::config::duration")]
    pub commit_interval: Duration,
    /// How long a broker may hold a fetch of the consumers while it has no new messages
    /// (`fetch.wait.max.ms`); default `500ms`, librdkafka's. A broker that always waits this
    /// long (tansu does) adds it to the latency; lower it for latency.
    #[serde(with = "cninfra_core::config::duration")]
    pub fetch_max_wait: Duration,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        Self {
            addrs: vec!["127.0.0.1:9092".to_owned()],
            hash_partitioner: HashPartitioner::default(),
            group_id: String::new(),
            tls: ClientTlsConfig::default(),
            sasl: None,
            idempotence: true,
            buffer_size: 1024,
            timeout: Duration::from_secs(10),
            commit_interval: Duration::from_secs(1),
            fetch_max_wait: Duration::from_millis(500),
        }
    }
}

/// SASL settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SaslConfig {
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`; default `PLAIN`.
    pub mechanism: String,
    /// User name.
    pub username: String,
    /// Password.
    pub password: Secret,
}

impl KafkaConfig {
    /// The librdkafka settings shared by every client: brokers, security, time limits, and
    /// reconnect attempts at least every second while a broker is away.
    pub fn client_config(&self) -> ClientConfig {
        let mut out = ClientConfig::new();
        out.set("bootstrap.servers", self.addrs.join(","));
        let ms = self.timeout.as_millis().max(1).to_string();
        out.set("socket.timeout.ms", &ms);
        // librdkafka backs off up to 10 s between reconnects; a restarted broker would sit
        // unused that long (measured: 5 s before deliveries resumed, 0.9 s with 1 s).
        out.set("reconnect.backoff.max.ms", "1000");
        let protocol = match (self.tls.enabled, self.sasl.is_some()) {
            (false, false) => "plaintext",
            (true, false) => "ssl",
            (false, true) => "sasl_plaintext",
            (true, true) => "sasl_ssl",
        };
        out.set("security.protocol", protocol);
        if self.tls.enabled {
            set_ssl(&mut out, &self.tls);
        }
        if let Some(sasl) = &self.sasl {
            let mechanism = if sasl.mechanism.is_empty() {
                "PLAIN"
            } else {
                &sasl.mechanism
            };
            out.set("sasl.mechanism", mechanism);
            out.set("sasl.username", &sasl.username);
            out.set("sasl.password", sasl.password.expose());
        }
        out
    }
}

/// librdkafka's `ssl.*` settings for `tls`: skip-verify and the file paths (the library
/// reads the files).
fn set_ssl(out: &mut ClientConfig, tls: &ClientTlsConfig) {
    if tls.skip_verify {
        out.set("enable.ssl.certificate.verification", "false");
    }
    for (key, path) in [
        ("ssl.certificate.location", &tls.cert_file),
        ("ssl.key.location", &tls.key_file),
        ("ssl.ca.location", &tls.ca_file),
    ] {
        // A path from a config file is UTF-8; one built in code that is not cannot reach
        // librdkafka unchanged either way.
        if let Some(path) = path {
            out.set(key, path.to_string_lossy());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_sasl_password() {
        let config = KafkaConfig {
            sasl: Some(SaslConfig {
                password: "s3cret".into(),
                ..SaslConfig::default()
            }),
            ..KafkaConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn default_survives_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&KafkaConfig::default()).unwrap();
        let back: KafkaConfig = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, KafkaConfig::default());
    }

    #[test]
    fn upstream_keys_and_unknown_keys() {
        let config: KafkaConfig = serde_yaml_ng::from_str(
            "addrs: [a:1, b:2]\ngroup_id: g\ntls: {enabled: true, skip-verify: true, ca-file: /ca.pem}\n",
        )
        .unwrap();
        assert_eq!(config.group_id, "g");
        let client = config.client_config();
        assert_eq!(client.get("bootstrap.servers"), Some("a:1,b:2"));
        assert_eq!(client.get("security.protocol"), Some("ssl"));
        assert_eq!(client.get("ssl.ca.location"), Some("/ca.pem"));
        assert_eq!(client.get("reconnect.backoff.max.ms"), Some("1000"));
        assert_eq!(
            client.get("enable.ssl.certificate.verification"),
            Some("false")
        );
        assert_eq!(client.get("ssl.key.location"), None);
        let err = serde_yaml_ng::from_str::<KafkaConfig>("adrs: [a:1]\n").unwrap_err();
        assert!(err.to_string().contains("adrs"), "{err}");
    }

    #[test]
    fn the_upstream_tls_block_with_empty_strings_parses_into_the_shared_shape() {
        let sample = "addrs: [k:9093]\ntls:\n  enabled: true\n  skip-verify: false\n  \
                      cert-file: /etc/kafka/client.pem\n  key-file: /etc/kafka/client.key\n  \
                      ca-file: \"\"\n";
        let config: KafkaConfig = serde_yaml_ng::from_str(sample).unwrap();
        assert_eq!(
            config.tls,
            ClientTlsConfig {
                enabled: true,
                skip_verify: false,
                ca_file: None,
                cert_file: Some("/etc/kafka/client.pem".into()),
                key_file: Some("/etc/kafka/client.key".into()),
            }
        );
        let client = config.client_config();
        assert_eq!(
            client.get("ssl.certificate.location"),
            Some("/etc/kafka/client.pem")
        );
        assert_eq!(
            client.get("ssl.key.location"),
            Some("/etc/kafka/client.key")
        );
        assert_eq!(client.get("ssl.ca.location"), None, "empty is unset");
        assert_eq!(client.get("enable.ssl.certificate.verification"), None);
    }

    #[test]
    fn sasl_sets_mechanism_and_protocol() {
        let config: KafkaConfig =
            serde_yaml_ng::from_str("sasl: {mechanism: SCRAM-SHA-512, username: u, password: p}\n")
                .unwrap();
        let client = config.client_config();
        assert_eq!(client.get("security.protocol"), Some("sasl_plaintext"));
        assert_eq!(client.get("sasl.mechanism"), Some("SCRAM-SHA-512"));
    }
}
