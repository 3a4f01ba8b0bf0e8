//! Topic watchers in a consumer group: delivery, ack-then-commit, stop watch.

mod support;

use std::time::Duration;

use cninfra_kafka::{Handler, KafkaError, Message, Partitioner, Record};
use support::{broker, create_topic, mux, recv_n, unique};
use tokio::sync::mpsc;

fn forward(tx: mpsc::UnboundedSender<Message>) -> Handler {
    Handler::new(move |msg| {
        let tx = tx.clone();
        async move {
            tx.send(msg).unwrap();
            Ok(())
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_error_leaves_the_offset_uncommitted() {
    let broker = broker();
    let topic = create_topic(&broker, 1).await;
    let group = unique("g");
    let first = mux(&broker, &group).await;
    let (tx, mut got) = mpsc::unbounded_channel();
    first
        .connection("c")
        .watch(
            &topic,
            Handler::new(move |msg: Message| {
                let tx = tx.clone();
                async move {
                    tx.send(msg.offset).unwrap();
                    if msg.offset == 1 {
                        Err("cannot handle offset 1".into())
                    } else {
                        Ok(())
                    }
                }
            }),
        )
        .unwrap();
    first.start().unwrap();
    let publisher = first
        .connection("c")
        .sync_publisher(&topic, Partitioner::Manual(0))
        .await
        .unwrap();
    for i in 0..3 {
        publisher.send(Record::new(format!("m{i}"))).await.unwrap();
    }
    assert_eq!(
        recv_n(&mut got, 3, Duration::from_secs(20)).await,
        vec![0, 1, 2]
    );
    first.close().await;

    // A new member of the same group resumes at the failed message, not after it.
    let second = mux(&broker, &group).await;
    let (tx, mut again) = mpsc::unbounded_channel();
    second.connection("c").watch(&topic, forward(tx)).unwrap();
    second.start().unwrap();
    let offsets: Vec<i64> = recv_n(&mut again, 2, Duration::from_secs(60))
        .await
        .iter()
        .map(|m| m.offset)
        .collect();
    assert_eq!(offsets, vec![1, 2]);
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_messages_are_not_delivered_again() {
    let broker = broker();
    let topic = create_topic(&broker, 2).await;
    let group = unique("g");
    let first = mux(&broker, &group).await;
    let (tx, mut got) = mpsc::unbounded_channel();
    first.connection("c").watch(&topic, forward(tx)).unwrap();
    first.start().unwrap();
    let publisher = first
        .connection("c")
        .sync_publisher(&topic, Partitioner::Random)
        .await
        .unwrap();
    for i in 0..6 {
        publisher.send(Record::new(format!("a{i}"))).await.unwrap();
    }
    recv_n(&mut got, 6, Duration::from_secs(20)).await;
    first.close().await;

    let second = mux(&broker, &group).await;
    let (tx, mut again) = mpsc::unbounded_channel();
    second.connection("c").watch(&topic, forward(tx)).unwrap();
    second.start().unwrap();
    let publisher = second
        .connection("c")
        .sync_publisher(&topic, Partitioner::Manual(0))
        .await
        .unwrap();
    publisher.send(Record::new("fresh")).await.unwrap();
    let msgs = recv_n(&mut again, 1, Duration::from_secs(20)).await;
    assert_eq!(
        msgs[0].value,
        "fresh".as_bytes(),
        "an acknowledged message came back"
    );
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_watch_ends_delivery_of_that_topic_only() {
    let broker = broker();
    let (a, b) = (
        create_topic(&broker, 1).await,
        create_topic(&broker, 1).await,
    );
    let mux = mux(&broker, &unique("g")).await;
    let conn = mux.connection("c");
    let (tx_a, mut got_a) = mpsc::unbounded_channel();
    let (tx_b, mut got_b) = mpsc::unbounded_channel();
    conn.watch(&a, forward(tx_a)).unwrap();
    conn.watch(&b, forward(tx_b)).unwrap();
    mux.start().unwrap();
    let pub_a = conn.sync_publisher(&a, Partitioner::Hash).await.unwrap();
    let pub_b = conn.sync_publisher(&b, Partitioner::Hash).await.unwrap();
    pub_a.send(Record::new("a0")).await.unwrap();
    recv_n(&mut got_a, 1, Duration::from_secs(20)).await;

    conn.stop_watch(&a).unwrap();
    pub_a.send(Record::new("a1")).await.unwrap();
    pub_b.send(Record::new("b0")).await.unwrap();
    pub_b.send(Record::new("b1")).await.unwrap();
    recv_n(&mut got_b, 2, Duration::from_secs(20)).await;
    assert!(
        got_a.try_recv().is_err(),
        "a stopped topic was still delivered"
    );
    mux.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watching_after_start_or_twice_is_refused() {
    let broker = broker();
    let topic = create_topic(&broker, 1).await;
    let mux = mux(&broker, &unique("g")).await;
    let (tx, _rx) = mpsc::unbounded_channel();
    mux.connection("one")
        .watch(&topic, forward(tx.clone()))
        .unwrap();
    let twice = mux
        .connection("two")
        .watch(&topic, forward(tx.clone()))
        .unwrap_err();
    assert!(
        matches!(&twice, KafkaError::AlreadyWatched { by, .. } if by == "one"),
        "{twice}"
    );
    mux.start().unwrap();
    let late = mux
        .connection("two")
        .watch("other", forward(tx))
        .unwrap_err();
    assert!(matches!(late, KafkaError::AlreadyStarted { .. }), "{late}");
    mux.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_watcher_starts_at_its_offset_and_stops() {
    let broker = broker();
    let topic = create_topic(&broker, 2).await;
    let mux = mux(&broker, &unique("g")).await;
    mux.start().unwrap();
    let conn = mux.connection("c");
    let publisher = conn
        .sync_publisher(&topic, Partitioner::Manual(1))
        .await
        .unwrap();
    for i in 0..5 {
        publisher.send(Record::new(format!("p{i}"))).await.unwrap();
    }
    let (tx, mut got) = mpsc::unbounded_channel();
    conn.watch_partition(&topic, 1, 3, forward(tx)).unwrap();
    let msgs = recv_n(&mut got, 2, Duration::from_secs(20)).await;
    assert_eq!(
        msgs.iter().map(|m| m.offset).collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert!(conn.stop_watch_partition(&topic, 1));
    assert!(!conn.stop_watch_partition(&topic, 1));
    mux.close().await;
}
