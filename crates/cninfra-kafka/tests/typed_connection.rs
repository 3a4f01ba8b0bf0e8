//! Typed connections: JSON and protobuf round trips; undecodable payloads are skipped.

mod support;

use std::time::Duration;

use cninfra_kafka::{Json, Partitioner, Proto, Record, TypedConnection};
use support::{broker, create_topic, mux, recv_n, unique};
use tokio::sync::mpsc;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Order {
    id: u32,
    item: String,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Ping {
    #[prost(uint64, tag = "1")]
    seq: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_round_trip_skips_a_payload_that_does_not_decode() {
    let broker = broker();
    let topic = create_topic(&broker, 1).await;
    let mux = mux(&broker, &unique("g")).await;
    let orders: TypedConnection<Order, Json> = TypedConnection::new(mux.connection("orders"));
    let (tx, mut got) = mpsc::unbounded_channel();
    orders
        .watch(&topic, move |msg| {
            let tx = tx.clone();
            async move {
                tx.send((
                    msg.raw.key_str().map(str::to_owned),
                    msg.raw.offset,
                    msg.value,
                ))
                .unwrap();
                Ok(())
            }
        })
        .unwrap();
    mux.start().unwrap();
    let publisher = orders
        .sync_publisher(&topic, Partitioner::Hash)
        .await
        .unwrap();
    publisher
        .send(
            Some("o1"),
            &Order {
                id: 1,
                item: "tea".into(),
            },
        )
        .await
        .unwrap();
    let raw = orders
        .bytes()
        .sync_publisher(&topic, Partitioner::Hash)
        .await
        .unwrap();
    raw.send(Record::new("{not json")).await.unwrap();
    publisher
        .send(
            None,
            &Order {
                id: 2,
                item: "cake".into(),
            },
        )
        .await
        .unwrap();

    let got = recv_n(&mut got, 2, Duration::from_secs(20)).await;
    assert_eq!(
        got[0],
        (
            Some("o1".to_owned()),
            0,
            Order {
                id: 1,
                item: "tea".into()
            }
        )
    );
    assert_eq!(
        got[1],
        (
            None,
            2,
            Order {
                id: 2,
                item: "cake".into()
            }
        )
    );
    mux.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proto_round_trip_through_a_partition_watcher() {
    let broker = broker();
    let topic = create_topic(&broker, 1).await;
    let mux = mux(&broker, &unique("g")).await;
    let pings: TypedConnection<Ping, Proto> = TypedConnection::new(mux.connection("pings"));
    let publisher = pings
        .sync_publisher(&topic, Partitioner::Manual(0))
        .await
        .unwrap();
    for seq in 0..3 {
        publisher.send(None, &Ping { seq }).await.unwrap();
    }
    let (tx, mut got) = mpsc::unbounded_channel();
    pings
        .watch_partition(&topic, 0, 0, move |msg| {
            let tx = tx.clone();
            async move {
                tx.send(msg.value.seq).unwrap();
                Ok(())
            }
        })
        .unwrap();
    assert_eq!(
        recv_n(&mut got, 3, Duration::from_secs(20)).await,
        vec![0, 1, 2]
    );
    mux.close().await;
}

#[test]
fn a_decode_error_names_topic_partition_and_offset() {
    let err = cninfra_kafka::KafkaError::Decode {
        topic: "orders".into(),
        partition: 2,
        offset: 41,
        reason: "eof".into(),
    };
    assert_eq!(
        err.to_string(),
        "decoding the message at orders/2@41 failed: eof"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_async_publisher_reports_and_the_group_watcher_decodes() {
    let broker = broker();
    let topic = create_topic(&broker, 2).await;
    let mux = mux(&broker, &unique("g")).await;
    let orders: TypedConnection<Order, Json> = TypedConnection::new(mux.connection("orders"));
    let (tx, mut got) = mpsc::unbounded_channel();
    orders
        .watch(&topic, move |msg| {
            let tx = tx.clone();
            async move {
                tx.send((msg.raw.key_str().map(str::to_owned), msg.value))?;
                Ok(())
            }
        })
        .unwrap();
    mux.start().unwrap();
    let (done_tx, mut done) = mpsc::unbounded_channel();
    let publisher = orders
        .async_publisher(
            &topic,
            Partitioner::Hash,
            cninfra_kafka::Callbacks::new(
                move |_, record| done_tx.send(record.key).unwrap(),
                |err, _| panic!("delivery failed: {err}"),
            ),
        )
        .await
        .unwrap();
    for id in 0..4 {
        let order = Order {
            id,
            item: format!("item-{id}"),
        };
        publisher.send(Some(&format!("o{id}")), &order).unwrap();
    }
    assert_eq!(recv_n(&mut done, 4, Duration::from_secs(20)).await.len(), 4);
    let mut got = recv_n(&mut got, 4, Duration::from_secs(30)).await;
    got.sort_by_key(|(_, order)| order.id);
    for (id, (key, order)) in (0..4).zip(got) {
        assert_eq!(key, Some(format!("o{id}")));
        assert_eq!(order.item, format!("item-{id}"));
    }
    mux.close().await;
}
