//! The Kafka plugin reads its TLS files at start, as every connector does: a missing file
//! fails the start naming the key and the path, before any broker is asked.

use cninfra_core::{Agent, ErrorChain};
use cninfra_kafka::{KafkaConfig, KafkaPlugin};

#[tokio::test]
async fn a_missing_tls_file_fails_the_start_naming_key_and_file() {
    let mut config = KafkaConfig {
        addrs: vec!["127.0.0.1:1".into()],
        ..KafkaConfig::default()
    };
    config.tls.enabled = true;
    config.tls.ca_file = Some("/nonexistent/kafka-ca.pem".into());
    let err = Agent::builder()
        .plugin(KafkaPlugin::builder().with_config(config).build())
        .with_args(["test"])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    let text = ErrorChain(&err).to_string();
    assert!(text.contains("plugin `kafka` failed in init"), "{text}");
    assert!(text.contains("tls.ca-file"), "{text}");
    assert!(text.contains("/nonexistent/kafka-ca.pem"), "{text}");
}
