//! Typed connections: JSON, proto3 JSON (the default for prost messages) and binary
//! protobuf (chosen explicitly) round trips; undecodable payloads are skipped.

mod support;

use std::time::Duration;

use cninfra_kafka::{JsonConnection, Partitioner, ProtoBinaryConnection, ProtoConnection, Record};
use cninfra_ligato::vpp::l2::FibEntry;
use cninfra_ligato::vpp::l2::fib_entry::Action;
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
    let orders: JsonConnection<Order> = JsonConnection::new(mux.connection("orders"));
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
async fn proto3_json_round_trip_reads_upstreams_form_and_skips_a_bad_enum() {
    let broker = broker();
    let topic = create_topic(&broker, 1).await;
    let mux = mux(&broker, &unique("g")).await;
    let fibs: ProtoConnection<FibEntry> = ProtoConnection::new(mux.connection("fibs"));
    let publisher = fibs
        .sync_publisher(&topic, Partitioner::Manual(0))
        .await
        .unwrap();
    let raw = fibs
        .bytes()
        .sync_publisher(&topic, Partitioner::Manual(0))
        .await
        .unwrap();
    let drop = FibEntry {
        phys_address: "62:89:c6:a3:7e:3a".into(),
        bridge_domain: "bd1".into(),
        action: Action::Drop.into(),
        ..FibEntry::default()
    };
    publisher.send(Some("a"), &drop).await.unwrap();
    raw.send(
        Record::new(
            r#"{"phys_address":"62:89:c6:a3:7e:3b","bridge_domain":"bd1","action":"FORWARDX"}"#,
        )
        .with_key("b"),
    )
    .await
    .unwrap();
    // As a Go agent writes it: original field names, enum by name.
    raw.send(
        Record::new(
            r#"{"phys_address":"62:89:c6:a3:7e:3c","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}"#,
        )
        .with_key("c"),
    )
    .await
    .unwrap();

    let (tx, mut got) = mpsc::unbounded_channel();
    fibs.watch_partition(&topic, 0, 0, move |msg| {
        let tx = tx.clone();
        async move {
            tx.send((msg.raw.offset, msg.raw.value.clone(), msg.value))
                .unwrap();
            Ok(())
        }
    })
    .unwrap();
    let got = recv_n(&mut got, 2, Duration::from_secs(20)).await;
    let (offset, payload, value) = &got[0];
    assert_eq!((*offset, value), (0, &drop));
    let text = std::str::from_utf8(payload).unwrap();
    assert!(
        text.contains(r#""action":"DROP""#) && text.contains(r#""bridgeDomain":"bd1""#),
        "{text}"
    );
    let (offset, _, value) = &got[1];
    assert_eq!(*offset, 2, "the bad message at offset 1 is skipped");
    assert_eq!(
        value,
        &FibEntry {
            phys_address: "62:89:c6:a3:7e:3c".into(),
            bridge_domain: "bd1".into(),
            outgoing_interface: "tap1".into(),
            action: Action::Forward.into(),
            ..FibEntry::default()
        }
    );
    mux.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_protobuf_round_trip_through_a_partition_watcher() {
    let broker = broker();
    let topic = create_topic(&broker, 1).await;
    let mux = mux(&broker, &unique("g")).await;
    let pings: ProtoBinaryConnection<Ping> = ProtoBinaryConnection::new(mux.connection("pings"));
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
fn a_decode_error_names_topic_partition_offset_and_key() {
    let err = cninfra_kafka::KafkaError::Decode {
        topic: "orders".into(),
        partition: 2,
        offset: 41,
        key: Some("o1".into()),
        source: Box::new(cninfra_kafka::DecodeError {
            message: "ligato.vpp.l2.FIBEntry".into(),
            path: "action".into(),
            reason: "unknown variant `FORWARDX`".into(),
        }),
    };
    assert_eq!(
        cninfra_testsupport::error_chain(&err),
        "decoding the message at orders/2@41 with key \"o1\" failed: \
         not a valid `ligato.vpp.l2.FIBEntry`: field `action`: unknown variant `FORWARDX`"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_async_publisher_reports_and_the_group_watcher_decodes() {
    let broker = broker();
    let topic = create_topic(&broker, 2).await;
    let mux = mux(&broker, &unique("g")).await;
    let orders: JsonConnection<Order> = JsonConnection::new(mux.connection("orders"));
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
