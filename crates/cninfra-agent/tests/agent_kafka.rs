//! The agent with `--kafka-config`: item changes go to the changes topic, messages of the
//! items topic reach the item view.

mod support;

use std::time::Duration;

use cninfra::kafka::{Handler, KafkaConfig, Multiplexer, Partitioner, Record};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use serde_json::{Value, json};
use support::{AgentProcess, harness_server};
use tokio::sync::mpsc;

/// Creates the topics (the broker does not create them by itself).
async fn create_topics(broker: &str, topics: &[&str]) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .create()
        .unwrap();
    let new: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| NewTopic::new(t, 1, TopicReplication::Fixed(1)))
        .collect();
    for result in admin
        .create_topics(&new, &AdminOptions::new())
        .await
        .unwrap()
    {
        result.unwrap();
    }
}

/// The next (key, value) read from the changes topic.
async fn next_change(seen: &mut mpsc::UnboundedReceiver<(String, Vec<u8>)>) -> (String, Vec<u8>) {
    tokio::time::timeout(Duration::from_secs(30), seen.recv())
        .await
        .expect("a change on the changes topic within 30 s")
        .expect("reader open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_changes_are_published_and_consumed_items_join_the_view() {
    let broker = harness_server("CNINFRA_TEST_KAFKA");
    let run = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let (changes, items) = (format!("changes-{run}"), format!("items-{run}"));
    create_topics(&broker, &[&changes, &items]).await;

    let dir = tempfile::tempdir().unwrap();
    let kafka_conf = dir.path().join("kafka.conf");
    std::fs::write(&kafka_conf, format!("addrs: [{broker}]\n")).unwrap();
    let example_conf = dir.path().join("example.conf");
    std::fs::write(
        &example_conf,
        format!("changes-topic: {changes}\nitems-topic: {items}\n"),
    )
    .unwrap();
    let label = format!("kafka-{run}");
    let mut agent = AgentProcess::spawn(
        &[
            "--kafka-config",
            kafka_conf.to_str().unwrap(),
            "--example-config",
            example_conf.to_str().unwrap(),
        ],
        &[("MICROSERVICE_LABEL", &label)],
    );
    agent.wait_ready().await;

    // The test reads the changes topic from its start, outside any group.
    let config = KafkaConfig {
        addrs: vec![broker.clone()],
        ..KafkaConfig::default()
    };
    let reader = Multiplexer::connect(config, &format!("reader-{run}"))
        .await
        .unwrap();
    reader.start().unwrap();
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    reader
        .connection("test")
        .watch_partition(
            &changes,
            0,
            0,
            Handler::new(move |msg| {
                let key = msg.key_str().unwrap_or_default().to_owned();
                let _ = seen_tx.send((key, msg.value.to_vec()));
                async { Ok(()) }
            }),
        )
        .unwrap();

    // The sample item of the embedded store is the first change.
    let (key, value) = next_change(&mut seen).await;
    assert_eq!(key, "hello");
    let item: Value = serde_json::from_slice(&value).unwrap();
    assert_eq!(item["kind"], "greeting");

    // A new item in the store: published with its JSON; removed: an empty value.
    let file = agent.data_dir().join("config").join("more.json");
    let key_of = |name: &str| format!("/vnf-agent/{label}/config/example/v1/items/{name}");
    std::fs::write(
        &file,
        json!({"data": [{"key": key_of("web"), "value": {"kind": "server"}}]}).to_string(),
    )
    .unwrap();
    let (key, value) = next_change(&mut seen).await;
    assert_eq!(key, "web");
    assert_eq!(
        serde_json::from_slice::<Value>(&value).unwrap(),
        json!({"kind": "server"})
    );
    std::fs::remove_file(&file).unwrap();
    let (key, value) = next_change(&mut seen).await;
    assert_eq!((key.as_str(), value.len()), ("web", 0));

    // A message on the items topic joins the view (and is published as a change too).
    let publisher = reader
        .connection("test")
        .sync_publisher(&items, Partitioner::Manual(0))
        .await
        .unwrap();
    publisher
        .send(Record::new(r#"{"kind":"streamed"}"#).with_key("k1"))
        .await
        .unwrap();
    agent
        .wait_json("the streamed item", "/example/v1/items", |v| {
            v["k1"]["kind"] == "streamed" && v["k1"]["origin"] == "kafka"
        })
        .await;
    let (key, _) = next_change(&mut seen).await;
    assert_eq!(key, "k1");

    // A message that is not an item is skipped with its position logged; the next one
    // still arrives.
    publisher
        .send(Record::new("not json").with_key("bad"))
        .await
        .unwrap();
    publisher
        .send(Record::new(r#"{"kind":"after"}"#).with_key("k2"))
        .await
        .unwrap();
    agent
        .wait_json("the item after the bad message", "/example/v1/items", |v| {
            v["k2"]["kind"] == "after"
        })
        .await;
    let log = agent.output();
    assert!(
        log.lines()
            .any(|l| l.contains("message skipped") && l.contains(&items) && l.contains("offset=1")),
        "{log}"
    );
    reader.close().await;
    agent.stop();
}
