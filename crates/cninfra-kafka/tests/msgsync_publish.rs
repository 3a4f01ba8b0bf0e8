//! msgsync writes keys with JSON, proto3 JSON (prost messages by default) or binary protobuf
//! (chosen explicitly) values and tombstones to its topic; read back with a consumer; a
//! missing topic or config is handled.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::Agent;
use cninfra_kafka::msgsync::{MsgSyncConfig, MsgSyncPlugin};
use cninfra_kafka::{Handler, KafkaPlugin, Message};
use cninfra_ligato::vpp::l2::FibEntry;
use cninfra_ligato::vpp::l2::fib_entry::Action;
use cninfra_testsupport::error_chain;
use prost::Message as _;
use support::{broker, config, create_topic, mux, recv_n, unique};
use tokio::sync::mpsc;

#[derive(Clone, PartialEq, prost::Message)]
struct Port {
    #[prost(uint32, tag = "1")]
    number: u32,
}

async fn start(kafka: Arc<KafkaPlugin>, msgsync: Arc<MsgSyncPlugin>) -> cninfra_core::RunningAgent {
    cninfra_testsupport::start_agent(Agent::builder().plugin(kafka).plugin(msgsync)).await
}

fn kafka() -> Arc<KafkaPlugin> {
    KafkaPlugin::builder()
        .with_config(config(&broker()))
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn puts_and_deletes_arrive_as_keyed_values_and_tombstones() {
    let broker = broker();
    let topic = create_topic(&broker, 3).await;
    let msgsync = MsgSyncPlugin::builder()
        .with_config(MsgSyncConfig {
            topic: topic.clone(),
        })
        .build();
    let running = start(kafka(), msgsync.clone()).await;
    let publisher = msgsync.publisher().unwrap().expect("msgsync is configured");
    assert_eq!(publisher.topic(), topic);

    publisher
        .put("config/a", Some(&serde_json::json!({"port": 80})))
        .await
        .unwrap();
    let drop = FibEntry {
        bridge_domain: "bd1".into(),
        action: Action::Drop.into(),
        ..FibEntry::default()
    };
    publisher.put_proto("config/b", Some(&drop)).await.unwrap();
    publisher
        .put_proto_binary("config/d", Some(&Port { number: 81 }))
        .await
        .unwrap();
    publisher
        .put::<serde_json::Value>("config/a", None)
        .await
        .unwrap();
    publisher.delete("config/b").await.unwrap();
    publisher.put("config/c", Some("text")).await.unwrap();

    let reader = mux(&broker, &unique("g")).await;
    let (tx, mut got) = mpsc::unbounded_channel();
    reader
        .connection("reader")
        .watch(
            &topic,
            Handler::new(move |msg: Message| {
                let tx = tx.clone();
                async move {
                    tx.send(msg)?;
                    Ok(())
                }
            }),
        )
        .unwrap();
    reader.start().unwrap();
    let msgs = recv_n(&mut got, 6, Duration::from_secs(30)).await;
    let of =
        |key: &str| -> Vec<&Message> { msgs.iter().filter(|m| m.key_str() == Some(key)).collect() };

    // Each key in the order written (one key, one partition); a tombstone has no payload.
    let a = of("config/a");
    assert_eq!(a.len(), 2, "{msgs:?}");
    let value: serde_json::Value = serde_json::from_slice(&a[0].value).unwrap();
    assert_eq!(value, serde_json::json!({"port": 80}));
    assert!(!a[0].tombstone);
    assert!(a[1].tombstone && a[1].value.is_empty(), "{:?}", a[1]);
    assert!(a[1].offset > a[0].offset && a[1].partition == a[0].partition);

    let b = of("config/b");
    assert_eq!(b.len(), 2, "{msgs:?}");
    assert_eq!(
        b[0].value.as_ref(),
        br#"{"bridgeDomain":"bd1","action":"DROP"}"#,
        "proto3 JSON, as upstream writes"
    );
    assert!(b[1].tombstone);

    let d = of("config/d");
    assert_eq!(d.len(), 1, "{msgs:?}");
    assert_eq!(
        Port::decode(d[0].value.as_ref()).unwrap(),
        Port { number: 81 }
    );

    let c = of("config/c");
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].value, "\"text\"".as_bytes());
    assert!(!c[0].tombstone);
    reader.close().await;
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_topic_fails_the_start_naming_the_config() {
    let msgsync = MsgSyncPlugin::builder()
        .with_config(MsgSyncConfig::default())
        .build();
    let err = Agent::builder()
        .plugin(kafka())
        .plugin(msgsync)
        .with_args(["test"])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    let text = format!("{} / {err:?}", error_chain(&err));
    assert!(text.contains("msgsync.conf"), "{text}");
}

#[tokio::test]
async fn without_config_there_is_no_publisher() {
    let msgsync = MsgSyncPlugin::new();
    let running = start(KafkaPlugin::new(), msgsync.clone()).await;
    assert!(msgsync.publisher().unwrap().is_none());
    running.stop().await.unwrap();
}
