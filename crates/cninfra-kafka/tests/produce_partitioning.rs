//! Sync and async produce with manual, hash and random partitioning; keys and headers.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use cninfra_kafka::{Callbacks, Handler, Partitioner, Record, sarama_partition};
use support::{broker, create_topic, mux, recv_n, unique};
use tokio::sync::mpsc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_publishers_follow_their_partitioner() {
    let broker = broker();
    let topic = create_topic(&broker, 3).await;
    let mux = mux(&broker, &unique("g")).await;
    let conn = mux.connection("producer");

    let manual = conn
        .sync_publisher(&topic, Partitioner::Manual(2))
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(manual.send(Record::new("m")).await.unwrap().partition, 2);
    }
    let hash = conn
        .sync_publisher(&topic, Partitioner::Hash)
        .await
        .unwrap();
    let first = hash
        .send(Record::new("h").with_key("same-key"))
        .await
        .unwrap()
        .partition;
    for _ in 0..5 {
        assert_eq!(
            hash.send(Record::new("h").with_key("same-key"))
                .await
                .unwrap()
                .partition,
            first
        );
    }
    let random = conn
        .sync_publisher(&topic, Partitioner::Random)
        .await
        .unwrap();
    let mut seen = HashSet::new();
    for _ in 0..40 {
        seen.insert(
            random
                .send(Record::new("r").with_key("same-key"))
                .await
                .unwrap()
                .partition,
        );
    }
    assert!(seen.len() >= 2, "random spread over {seen:?}");
    mux.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hash_publishers_put_keys_where_sarama_puts_them() {
    let broker = broker();
    let topic = create_topic(&broker, 7).await;
    let mux = mux(&broker, &unique("g")).await;
    let hash = mux
        .connection("producer")
        .sync_publisher(&topic, Partitioner::Hash)
        .await
        .unwrap();
    let mut partitions = HashSet::new();
    for i in 0..40 {
        let key = format!("order-{i}");
        let delivered = hash
            .send(Record::new("h").with_key(key.clone()))
            .await
            .unwrap();
        assert_eq!(
            delivered.partition,
            sarama_partition(key.as_bytes(), 7),
            "key {key}"
        );
        partitions.insert(delivered.partition);
    }
    assert!(partitions.len() >= 4, "keys spread over {partitions:?}");
    mux.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_partition_the_topic_lacks_is_refused() {
    let broker = broker();
    let topic = create_topic(&broker, 2).await;
    let mux = mux(&broker, &unique("g")).await;
    let err = mux
        .connection("p")
        .sync_publisher(&topic, Partitioner::Manual(5))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(&topic) && err.to_string().contains('5'),
        "{err}"
    );
    mux.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_publisher_reports_each_delivery_and_keys_headers_arrive() {
    let broker = broker();
    let topic = create_topic(&broker, 2).await;
    let mux = mux(&broker, &unique("g")).await;
    let conn = mux.connection("producer");
    let (tx, mut delivered) = mpsc::unbounded_channel();
    let callbacks = Callbacks::new(
        move |d, record| tx.send((d, record)).unwrap(),
        |err, _| panic!("delivery failed: {err}"),
    );
    let publisher = conn
        .async_publisher(&topic, Partitioner::Manual(1), callbacks)
        .await
        .unwrap();
    for i in 0..10 {
        publisher
            .send(
                Record::new(format!("v{i}"))
                    .with_key(format!("k{i}"))
                    .with_header("n", i.to_string()),
            )
            .unwrap();
    }
    let reports = recv_n(&mut delivered, 10, Duration::from_secs(10)).await;
    assert!(reports.iter().all(|(d, _)| d.partition == 1));

    let (tx, mut got) = mpsc::unbounded_channel();
    conn.watch_partition(
        &topic,
        1,
        0,
        Handler::new(move |msg| {
            let tx = tx.clone();
            async move {
                tx.send(msg).unwrap();
                Ok(())
            }
        }),
    )
    .unwrap();
    let msgs = recv_n(&mut got, 10, Duration::from_secs(10)).await;
    for (i, msg) in msgs.iter().enumerate() {
        assert_eq!(msg.key_str(), Some(format!("k{i}").as_str()));
        assert_eq!(msg.value, format!("v{i}").as_bytes());
        assert_eq!(
            msg.headers,
            vec![("n".to_owned(), bytes::Bytes::from(i.to_string()))]
        );
    }
    mux.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_callback_does_not_stop_later_reports() {
    let broker = broker();
    let topic = create_topic(&broker, 1).await;
    let mux = mux(&broker, &unique("g")).await;
    let (tx, mut delivered) = mpsc::unbounded_channel();
    let callbacks = Callbacks::new(
        move |_, record| {
            assert_ne!(
                record.value,
                "boom".as_bytes(),
                "callback panics on purpose"
            );
            tx.send(record.value).unwrap();
        },
        |err, _| panic!("delivery failed: {err}"),
    );
    let publisher = mux
        .connection("p")
        .async_publisher(&topic, Partitioner::Manual(0), callbacks)
        .await
        .unwrap();
    publisher.send(Record::new("boom")).unwrap();
    publisher.flush(Duration::from_secs(10)).await.unwrap();
    publisher.send(Record::new("after")).unwrap();
    let got = recv_n(&mut delivered, 1, Duration::from_secs(10)).await;
    assert_eq!(got, vec![bytes::Bytes::from("after")]);
    mux.close().await;
}
